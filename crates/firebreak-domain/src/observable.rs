//! Observables: their types, and the one normal form of each value, so that
//! the same indicator typed two ways (`EVIL.example.`, `hxxp://evil[.]example`)
//! is one entry in the sightings index.
//!
//! Network values (IP addresses, domains, host names, URLs, e-mail addresses)
//! and file names are refanged before they are checked: reports and tickets
//! carry them defanged (`hxxps://evil[.]example`, `user[at]example(dot)com`).
//! File paths, registry keys, processes, accounts and other values are kept as
//! typed (only trimmed), since brackets and words such as `(at)` are ordinary
//! in command lines and paths.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::validate::FieldError;

/// The longest value accepted, in characters, after refanging and trimming.
pub const MAX_LEN: usize = 4096;

/// The field named in [`normalise`]'s errors.
const FIELD: &str = "value";

/// What an observable is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservableKind {
    Ip,
    Domain,
    Url,
    Email,
    Md5,
    Sha1,
    Sha256,
    Filename,
    FilePath,
    Hostname,
    UserAccount,
    RegistryKey,
    Process,
    /// A TLS client fingerprint (JA3: the MD5 of the ClientHello's fields).
    Ja3,
    /// A TLS server fingerprint (JA3S: the MD5 of the ServerHello's fields).
    Ja3s,
    /// The SHA-1 or SHA-256 fingerprint of an X.509 certificate.
    CertificateFingerprint,
    Other,
}

impl ObservableKind {
    /// Every kind, in the order forms list them.
    pub const ALL: &'static [ObservableKind] = &[
        ObservableKind::Ip,
        ObservableKind::Domain,
        ObservableKind::Url,
        ObservableKind::Email,
        ObservableKind::Md5,
        ObservableKind::Sha1,
        ObservableKind::Sha256,
        ObservableKind::Filename,
        ObservableKind::FilePath,
        ObservableKind::Hostname,
        ObservableKind::UserAccount,
        ObservableKind::RegistryKey,
        ObservableKind::Process,
        ObservableKind::Ja3,
        ObservableKind::Ja3s,
        ObservableKind::CertificateFingerprint,
        ObservableKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ObservableKind::Ip => "ip",
            ObservableKind::Domain => "domain",
            ObservableKind::Url => "url",
            ObservableKind::Email => "email",
            ObservableKind::Md5 => "md5",
            ObservableKind::Sha1 => "sha1",
            ObservableKind::Sha256 => "sha256",
            ObservableKind::Filename => "filename",
            ObservableKind::FilePath => "file_path",
            ObservableKind::Hostname => "hostname",
            ObservableKind::UserAccount => "user_account",
            ObservableKind::RegistryKey => "registry_key",
            ObservableKind::Process => "process",
            ObservableKind::Ja3 => "ja3",
            ObservableKind::Ja3s => "ja3s",
            ObservableKind::CertificateFingerprint => "certificate_fingerprint",
            ObservableKind::Other => "other",
        }
    }

    /// Whether values of this kind are refanged before they are checked.
    fn refangs(self) -> bool {
        matches!(
            self,
            ObservableKind::Ip
                | ObservableKind::Domain
                | ObservableKind::Hostname
                | ObservableKind::Url
                | ObservableKind::Email
                | ObservableKind::Filename
        )
    }
}

impl fmt::Display for ObservableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ObservableKind {
    type Err = FieldError;

    /// The `as_str` name, without regard to case or surrounding space.
    fn from_str(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        ObservableKind::ALL.iter().copied().find(|k| k.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            let names: Vec<&str> = ObservableKind::ALL.iter().map(|k| k.as_str()).collect();
            FieldError::new("type", format!("one of {}", names.join(", ")))
        })
    }
}

/// Where an IP address belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IpClass {
    /// Anything not below: routable on the internet.
    Public,
    /// RFC 1918, carrier-grade NAT (100.64/10), unique local (fc00::/7).
    Private,
    /// 127/8, ::1.
    Loopback,
    /// 169.254/16, fe80::/10.
    LinkLocal,
    /// 0/8, 240/4 but the broadcast address, 192.0.0/24, 198.18/15
    /// (benchmarking); for IPv6, 100::/64 (discard), 2001:2::/48
    /// (benchmarking) and everything outside 2000::/3 not named elsewhere.
    Reserved,
    /// 224/4, ff00::/8.
    Multicast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20.
    Documentation,
    /// 0.0.0.0, ::.
    Unspecified,
    /// 255.255.255.255, the limited broadcast address.
    Broadcast,
}

impl IpClass {
    pub const ALL: &'static [IpClass] = &[
        IpClass::Public,
        IpClass::Private,
        IpClass::Loopback,
        IpClass::LinkLocal,
        IpClass::Reserved,
        IpClass::Multicast,
        IpClass::Documentation,
        IpClass::Unspecified,
        IpClass::Broadcast,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IpClass::Public => "public",
            IpClass::Private => "private",
            IpClass::Loopback => "loopback",
            IpClass::LinkLocal => "link_local",
            IpClass::Reserved => "reserved",
            IpClass::Multicast => "multicast",
            IpClass::Documentation => "documentation",
            IpClass::Unspecified => "unspecified",
            IpClass::Broadcast => "broadcast",
        }
    }

    /// Whether the address can be someone else's on the internet.
    pub fn is_public(self) -> bool {
        self == IpClass::Public
    }

    /// Whether an address of this class can point at someone: a host on the
    /// internet or on an organisation's own network (public, private, and
    /// the documentation ranges that examples and tests use). Loopback,
    /// link-local, multicast, broadcast, unspecified and reserved addresses
    /// name no host of their own (every machine has a `127.0.0.1`), so
    /// they are not taken from alert formats or free text as observables;
    /// an observable a sender lists or an analyst adds is kept whatever its
    /// class.
    pub fn is_indicator(self) -> bool {
        matches!(self, IpClass::Public | IpClass::Private | IpClass::Documentation)
    }
}

impl fmt::Display for IpClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IpClass {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, FieldError> {
        let s = s.trim();
        IpClass::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(s)).ok_or_else(|| {
            let names: Vec<&str> = IpClass::ALL.iter().map(|c| c.as_str()).collect();
            FieldError::new("ip_class", format!("one of {}", names.join(", ")))
        })
    }
}

/// The class of an address. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`)
/// and one under the NAT64 prefix (`64:ff9b::/96`) are classed by the IPv4
/// address they carry.
pub fn classify(ip: IpAddr) -> IpClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> IpClass {
    let [a, b, c, _] = ip.octets();
    if ip.is_unspecified() {
        IpClass::Unspecified
    } else if a == 127 {
        IpClass::Loopback
    } else if a == 10
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 100 && (64..128).contains(&b))
    {
        IpClass::Private
    } else if a == 169 && b == 254 {
        IpClass::LinkLocal
    } else if (224..240).contains(&a) {
        IpClass::Multicast
    } else if matches!((a, b, c), (192, 0, 2) | (198, 51, 100) | (203, 0, 113)) {
        IpClass::Documentation
    } else if ip.is_broadcast() {
        IpClass::Broadcast
    } else if a == 0 || a >= 240 || (a, b, c) == (192, 0, 0) || (a == 198 && (b == 18 || b == 19)) {
        IpClass::Reserved
    } else {
        IpClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> IpClass {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let s = ip.segments();
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., a, b, c, d] = ip.octets();
        return classify_v4(Ipv4Addr::new(a, b, c, d));
    }
    if ip.is_unspecified() {
        IpClass::Unspecified
    } else if ip.is_loopback() {
        IpClass::Loopback
    } else if s[0] & 0xfe00 == 0xfc00 {
        IpClass::Private
    } else if s[0] & 0xffc0 == 0xfe80 {
        IpClass::LinkLocal
    } else if s[0] & 0xff00 == 0xff00 {
        IpClass::Multicast
    } else if (s[0] == 0x2001 && s[1] == 0x0db8) || s[0] & 0xfff0 == 0x3ff0 {
        IpClass::Documentation
    } else if s[..4] == [0x0100, 0, 0, 0] || (s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0) {
        IpClass::Reserved
    } else if s[0] & 0xe000 != 0x2000 {
        // Only 2000::/3 is allocated for global unicast.
        IpClass::Reserved
    } else {
        IpClass::Public
    }
}

/// Defanging marks and what they stand for, matched without regard to case.
const MARKS: &[(&str, &str)] = &[
    ("[://]", "://"),
    ("[.]", "."),
    ("(.)", "."),
    ("{.}", "."),
    ("[dot]", "."),
    ("(dot)", "."),
    ("{dot}", "."),
    ("[:]", ":"),
    ("[@]", "@"),
    ("[at]", "@"),
    ("(at)", "@"),
    ("{at}", "@"),
];

/// Defanged schemes, matched without regard to case at the start of a word.
const SCHEMES: &[(&str, &str)] =
    &[("hxxps://", "https://"), ("hxxp://", "http://"), ("fxps://", "ftps://"), ("fxp://", "ftp://")];

fn starts_with_ci(hay: &[u8], pat: &str) -> bool {
    hay.get(..pat.len()).is_some_and(|h| h.eq_ignore_ascii_case(pat.as_bytes()))
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The index of the first byte at or after `i` that is not a space or tab.
fn skip_blanks(b: &[u8], mut i: usize) -> usize {
    while b.get(i).copied().is_some_and(is_blank) {
        i += 1;
    }
    i
}

fn mark_at(b: &[u8]) -> Option<(usize, &'static str)> {
    MARKS.iter().find(|(from, _)| starts_with_ci(b, from)).map(|(from, to)| (from.len(), *to))
}

/// Undoes the usual defanging:
///
/// - `[.]`, `(.)`, `{.}`, `[dot]`, `(dot)`, `{dot}` become `.`; `[:]` becomes
///   `:`; `[@]`, `[at]`, `(at)`, `{at}` become `@`; `[://]` becomes `://`;
/// - between two words, ` dot ` becomes `.`, and the marks above take the
///   blanks around them along (`user [at] example [dot] com`);
/// - the schemes `hxxp://`, `hxxps://`, `fxp://` and `fxps://` (in any case,
///   at the start of a word) become `http://`, `https://`, `ftp://`, `ftps://`.
///
/// Everything else is kept as it is. Linear in the length of `s`.
pub fn refang(s: &str) -> String {
    refang_schemes(&refang_marks(s))
}

fn refang_marks(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    // `s[copied..i]` is still to be copied. Both only ever stop on ASCII bytes,
    // so they are character boundaries.
    let mut copied = 0;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if matches!(c, b'[' | b'(' | b'{') {
            if let Some((len, to)) = mark_at(&b[i..]) {
                out.push_str(&s[copied..i]);
                out.push_str(to);
                i += len;
                copied = i;
                continue;
            }
        } else if is_blank(c) {
            let j = skip_blanks(b, i);
            if let Some((end, to)) = spaced_mark(s, i, j) {
                out.push_str(&s[copied..i]);
                out.push_str(to);
                i = end;
                copied = i;
            } else {
                i = j;
            }
            continue;
        }
        i += 1;
    }
    out.push_str(&s[copied..]);
    out
}

/// A dot or at mark standing between two words with blanks around it: the
/// blanks start at `i` and end at `j`. Returns where the next word starts and
/// what the mark stands for.
fn spaced_mark(s: &str, i: usize, j: usize) -> Option<(usize, &'static str)> {
    let b = s.as_bytes();
    if !s[..i].chars().next_back().is_some_and(char::is_alphanumeric) {
        return None;
    }
    let rest = &b[j..];
    let (after, to) = if starts_with_ci(rest, "dot") && rest.get(3).copied().is_some_and(is_blank) {
        (j + 3, ".")
    } else {
        let (len, to) = mark_at(rest).filter(|(_, to)| matches!(*to, "." | "@"))?;
        (j + len, to)
    };
    let next = skip_blanks(b, after);
    s[next..].chars().next().is_some_and(char::is_alphanumeric).then_some((next, to))
}

fn refang_schemes(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let word_start = i == 0 || !b[i - 1].is_ascii_alphanumeric() && !matches!(b[i - 1], b'+' | b'-' | b'.');
        if word_start
            && matches!(c, b'h' | b'H' | b'f' | b'F')
            && let Some((from, to)) = SCHEMES.iter().find(|(from, _)| starts_with_ci(&b[i..], from))
        {
            out.push_str(&s[copied..i]);
            out.push_str(to);
            i += from.len();
            copied = i;
            continue;
        }
        i += 1;
    }
    out.push_str(&s[copied..]);
    out
}

/// A value in its normal form, with the class of an IP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    pub value: String,
    /// Set for [`ObservableKind::Ip`] only.
    pub ip_class: Option<IpClass>,
}

fn err(message: impl Into<String>) -> FieldError {
    FieldError::new(FIELD, message)
}

/// Checks `raw` as a value of `kind` and returns its normal form:
///
/// - ip: the canonical text of the address (`[::1]` is read as `::1`; an
///   IPv4-mapped IPv6 address stays IPv6), with its [`IpClass`];
/// - domain, hostname: lower-cased, without the trailing dot; labels of 1 to
///   63 letters, digits, `-` and `_` that do not start or end with `-`, 253
///   characters in all; a domain has at least two labels. Labels beyond ASCII
///   (internationalised names) are lower-cased and kept, not punycoded;
/// - url: a scheme, `://` and a host; the scheme and host are lower-cased,
///   the rest (user, path, query) is kept as typed;
/// - email: one `@` with a local part before it and a domain after it; the
///   domain is lower-cased, the local part keeps its case (RFC 5321 lets the
///   receiving server tell `Bob` from `bob`);
/// - md5, sha1, sha256: lower-cased hexadecimal of exactly 32, 40 or 64 digits;
/// - ja3, ja3s: lower-cased hexadecimal of exactly 32 digits (an MD5);
/// - certificate_fingerprint: a SHA-1 or SHA-256 digest, with or without
///   `:` between its bytes (`6a:ff:ac:…` as Suricata writes it), as
///   lower-cased hexadecimal without separators;
/// - filename: no `/` or `\`;
/// - registry_key: the hive spelled out (`HKLM\…` is `HKEY_LOCAL_MACHINE\…`);
/// - file_path, user_account (`DOMAIN\user` keeps its case), process, other:
///   as typed.
///
/// Every value is trimmed, must not be empty or hold control characters, and
/// has at most [`MAX_LEN`] characters. Errors name the field `value`.
pub fn normalise(kind: ObservableKind, raw: &str) -> Result<Normalised, FieldError> {
    let trimmed = raw.trim();
    let refanged;
    let v = if kind.refangs() {
        refanged = refang(trimmed);
        refanged.trim()
    } else {
        trimmed
    };
    if v.is_empty() {
        return Err(err("value must not be empty"));
    }
    let len = v.chars().count();
    if len > MAX_LEN {
        return Err(err(format!("value is at most {MAX_LEN} characters; this has {len}")));
    }
    if v.chars().any(char::is_control) {
        return Err(err("value must not contain control characters"));
    }
    let plain = |value: String| Ok(Normalised { value, ip_class: None });
    match kind {
        ObservableKind::Ip => {
            let ip = parse_ip(v).ok_or_else(|| err("value is not an IPv4 or IPv6 address"))?;
            Ok(Normalised { value: ip.to_string(), ip_class: Some(classify(ip)) })
        }
        ObservableKind::Domain => plain(host_name(v, true)?),
        ObservableKind::Hostname => plain(host_name(v, false)?),
        ObservableKind::Url => plain(url(v)?),
        ObservableKind::Email => plain(email(v)?),
        ObservableKind::Md5 => plain(hash(v, "an MD5", 32)?),
        ObservableKind::Sha1 => plain(hash(v, "a SHA-1", 40)?),
        ObservableKind::Sha256 => plain(hash(v, "a SHA-256", 64)?),
        ObservableKind::Ja3 => plain(hash(v, "a JA3", 32)?),
        ObservableKind::Ja3s => plain(hash(v, "a JA3S", 32)?),
        ObservableKind::CertificateFingerprint => plain(fingerprint(v)?),
        ObservableKind::Filename => {
            if v.contains(['/', '\\']) {
                return Err(err("a file name has no '/' or '\\' (a path with folders is a file_path)"));
            }
            if v == "." || v == ".." {
                return Err(err("a file name is not '.' or '..'"));
            }
            plain(v.to_owned())
        }
        ObservableKind::RegistryKey => plain(registry_key(v)),
        ObservableKind::FilePath | ObservableKind::UserAccount | ObservableKind::Process | ObservableKind::Other => {
            plain(v.to_owned())
        }
    }
}

/// An address, bare or in brackets (`[::1]`).
fn parse_ip(v: &str) -> Option<IpAddr> {
    let bare = v.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(v);
    bare.parse().ok()
}

/// Characters allowed in a label: ASCII letters, digits, `-`, `_`, and,
/// for internationalised names, anything beyond ASCII that is not a blank.
fn label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
}

/// A domain (`need_dot`) or host name, lower-cased, without the trailing dot.
fn host_name(v: &str, need_dot: bool) -> Result<String, FieldError> {
    let what = if need_dot { "a domain" } else { "a host name" };
    // The full stops IDNA reads as dots.
    let v: String =
        v.chars().map(|c| if matches!(c, '\u{3002}' | '\u{ff0e}' | '\u{ff61}') { '.' } else { c }).collect();
    let name = v.strip_suffix('.').unwrap_or(&v).to_lowercase();
    if name.is_empty() {
        return Err(err(format!("value is not {what}: it has no labels")));
    }
    let len = name.chars().count();
    if len > 253 {
        return Err(err(format!("{what} is at most 253 characters; this has {len}")));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(err(format!("{what} has no empty labels (two dots in a row, or a dot at the start)")));
        }
        if let Some(c) = label.chars().find(|&c| !label_char(c)) {
            return Err(err(format!("{what} has only letters, digits, '-' and '_' between its dots; found {c:?}")));
        }
        let n = label.chars().count();
        if n > 63 {
            return Err(err(format!("each label of {what} is at most 63 characters; one has {n}")));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(err(format!("a label of {what} does not start or end with '-'; {label:?} does")));
        }
    }
    match name.rsplit_once('.') {
        None if need_dot => {
            Err(err(format!("a domain has at least two labels, such as example.com; {name:?} has one")))
        }
        Some((_, last)) if last.bytes().all(|b| b.is_ascii_digit()) => {
            Err(err(format!("the last label of {what} is not all digits (an address is an ip); {last:?} is")))
        }
        _ => Ok(name),
    }
}

/// `scheme://[user@]host[:port][/path][?query][#fragment]`.
fn url(v: &str) -> Result<String, FieldError> {
    let Some((scheme, rest)) = v.split_once("://") else {
        return Err(err("a URL starts with a scheme and '://', such as https://example.com/path"));
    };
    let scheme_ok = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(err(format!(
            "a URL scheme is a letter then letters, digits, '+', '-' or '.', such as https; got {scheme:?}"
        )));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.chars().any(char::is_whitespace) {
        return Err(err("the host part of a URL has no spaces"));
    }
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((user, host_port)) => (Some(user), host_port),
        None => (None, authority),
    };
    let (host, port) = if host_port.starts_with('[') {
        let Some(close) = host_port.find(']') else {
            return Err(err("an IPv6 address in a URL is closed with ']'"));
        };
        let (host, after) = host_port.split_at(close + 1);
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err(err("after the ']' of a URL's host comes ':' and a port, or nothing")),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() || host == "[]" {
        return Err(err("a URL has a host after the '://'"));
    }
    if let Some(port) = port
        && !port.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(err(format!("a URL's port is digits; got {port:?}")));
    }
    let mut out = String::with_capacity(v.len());
    out.push_str(&scheme.to_ascii_lowercase());
    out.push_str("://");
    if let Some(user) = userinfo {
        out.push_str(user);
        out.push('@');
    }
    out.push_str(&host.to_lowercase());
    if let Some(port) = port {
        out.push(':');
        out.push_str(port);
    }
    out.push_str(tail);
    Ok(out)
}

fn email(v: &str) -> Result<String, FieldError> {
    let Some((local, domain)) = v.rsplit_once('@') else {
        return Err(err("an e-mail address has an '@', such as someone@example.com"));
    };
    if local.contains('@') {
        return Err(err("an e-mail address has one '@'"));
    }
    if local.is_empty() {
        return Err(err("an e-mail address has a name before the '@'"));
    }
    if local.chars().any(char::is_whitespace) {
        return Err(err("the name before the '@' of an e-mail address has no spaces"));
    }
    let n = local.chars().count();
    if n > 64 {
        return Err(err(format!(
            "the name before the '@' of an e-mail address is at most 64 characters; this has {n}"
        )));
    }
    let domain = host_name(domain, true).map_err(|e| err(format!("after the '@': {}", e.expected)))?;
    Ok(format!("{local}@{domain}"))
}

/// A certificate's SHA-1 or SHA-256 fingerprint, its byte separators dropped.
fn fingerprint(v: &str) -> Result<String, FieldError> {
    let digits: String = v.chars().filter(|&c| c != ':').collect();
    if let Some(c) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(err(format!(
            "a certificate fingerprint is hexadecimal digits, perhaps with ':' between bytes; found {c:?}"
        )));
    }
    if digits.len() != 40 && digits.len() != 64 {
        return Err(err(format!(
            "a certificate fingerprint is a SHA-1 (40 hexadecimal digits) or SHA-256 (64); this has {}",
            digits.len()
        )));
    }
    Ok(digits.to_ascii_lowercase())
}

/// `name` is the hash's name with its article ("an MD5").
fn hash(v: &str, name: &str, len: usize) -> Result<String, FieldError> {
    if let Some(c) = v.chars().find(|c| !c.is_ascii_hexdigit()) {
        return Err(err(format!("{name} hash is hexadecimal digits only; found {c:?}")));
    }
    // All ASCII now: bytes are characters.
    if v.len() != len {
        return Err(err(format!("{name} hash is {len} hexadecimal characters; this has {}", v.len())));
    }
    Ok(v.to_ascii_lowercase())
}

/// Hive abbreviations and their full names.
const HIVES: &[(&str, &str)] = &[
    ("HKLM", "HKEY_LOCAL_MACHINE"),
    ("HKCU", "HKEY_CURRENT_USER"),
    ("HKCR", "HKEY_CLASSES_ROOT"),
    ("HKU", "HKEY_USERS"),
    ("HKCC", "HKEY_CURRENT_CONFIG"),
];

/// The kernel's names for two of the hives, as some sensors report them.
const KERNEL_HIVES: &[(&str, &str)] =
    &[("\\REGISTRY\\MACHINE", "HKEY_LOCAL_MACHINE"), ("\\REGISTRY\\USER", "HKEY_USERS")];

fn strip_prefix_ci<'a>(v: &'a str, prefix: &str) -> Option<&'a str> {
    if starts_with_ci(v.as_bytes(), prefix) { v.get(prefix.len()..) } else { None }
}

/// The full name of the hive `head` names (`HKLM`, `hklm:`, `HKEY_LOCAL_MACHINE`).
fn hive(head: &str) -> Option<&'static str> {
    let head = head.strip_suffix(':').unwrap_or(head);
    HIVES.iter().find(|(short, long)| head.eq_ignore_ascii_case(short) || head.eq_ignore_ascii_case(long)).map(|h| h.1)
}

/// Spells out the hive, so `HKLM\…`, `hklm:\…`, `Computer\HKEY_LOCAL_MACHINE\…`
/// and `\REGISTRY\MACHINE\…` are one key. The rest of the key is kept as typed.
fn registry_key(v: &str) -> String {
    for (prefix, long) in KERNEL_HIVES {
        if let Some(rest) = strip_prefix_ci(v, prefix)
            && (rest.is_empty() || rest.starts_with('\\'))
        {
            return format!("{long}{rest}");
        }
    }
    let key = strip_prefix_ci(v, "Computer\\").filter(|rest| hive(rest.split('\\').next().unwrap_or("")).is_some());
    let key = key.unwrap_or(v);
    let (head, tail) = match key.split_once('\\') {
        Some((head, tail)) => (head, Some(tail)),
        None => (key, None),
    };
    match (hive(head), tail) {
        (Some(long), Some(tail)) => format!("{long}\\{tail}"),
        (Some(long), None) => long.to_owned(),
        (None, _) => key.to_owned(),
    }
}

/// Last labels that make a dotted name a file rather than a domain. None of
/// them is a top-level domain (`.zip` and `.mov` are, so they are not here).
const FILE_EXTENSIONS: &[&str] = &[
    "exe", "dll", "sys", "scr", "msi", "lnk", "hta", "bat", "cmd", "ps1", "vbs", "js", "jse", "jar", "pdf", "doc",
    "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx", "rtf", "txt", "log", "csv", "iso", "img", "rar", "7z", "tmp",
    "dat",
];

fn looks_like_path(v: &str) -> bool {
    let b = v.as_bytes();
    let drive = b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/');
    let unc = v.starts_with("\\\\");
    let unix = v.starts_with('/') && v[1..].contains('/') && !v.contains(char::is_whitespace);
    drive || unc || unix
}

/// Whether a path is written the Windows way: from a drive (`C:\…`,
/// `c:/…`) or a share (`\\server\…`).
pub fn is_windows_path(v: &str) -> bool {
    let b = v.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/'))
        || v.starts_with("\\\\")
}

/// The key that two spellings of one observable share, where the platform
/// they come from does not tell case apart. The value shown keeps the
/// spelling first seen; this key is what makes `C:\Windows\x.exe` and
/// `C:\WINDOWS\x.exe` one observable of an alert.
///
/// - file_path: a Windows path ([`is_windows_path`]) lower-cased, with `/`
///   read as `\`; a Unix path as it is (Unix tells case apart);
/// - user_account: lower-cased (Windows accounts are not case-sensitive, and
///   Unix ones are lower-case by convention), `user@corp.example` read as
///   `corp\user` (a domain's first label is its NetBIOS name), so that
///   `CORP\Alice`, `corp\alice` and `alice@corp.example` share a key;
/// - registry_key: lower-cased (the registry is not case-sensitive);
/// - anything else: the value, already in its normal form.
///
/// `value` is a normal form ([`normalise`]).
pub fn comparison_key(kind: ObservableKind, value: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    match kind {
        ObservableKind::FilePath if is_windows_path(value) => Cow::Owned(value.replace('/', "\\").to_lowercase()),
        ObservableKind::RegistryKey => Cow::Owned(value.to_lowercase()),
        ObservableKind::UserAccount => {
            let lower = value.to_lowercase();
            match lower.rsplit_once('@') {
                Some((user, domain)) if !user.contains('\\') && !user.is_empty() => {
                    let netbios = domain.split('.').next().unwrap_or(domain);
                    Cow::Owned(format!("{netbios}\\{user}"))
                }
                _ => Cow::Owned(lower),
            }
        }
        _ => Cow::Borrowed(value),
    }
}

/// The user part of an account's comparison key (`alice` of `corp\alice`),
/// and whether the key names a domain too.
pub fn account_user(key: &str) -> (&str, bool) {
    match key.rsplit_once('\\') {
        Some((_, user)) => (user, true),
        None => (key, false),
    }
}

/// A data type of TheHive's (`mail`, `fqdn`, `hash`, …), as the kind it is
/// here, for alerts sent in TheHive's vocabulary. `value` settles the types
/// that stand for several kinds: a `hash` by its length (MD5, SHA-1,
/// SHA-256, anything else `other`), an `fqdn` as a domain when it has a dot
/// and a host name when not, a `filename` as a path when it names folders.
/// Types with no kind of their own here (`mail_subject`, `uri_path`,
/// `user-agent`, `autonomous-system`) are `other`; the caller keeps the type
/// as sent beside it. `None` for a name that is not one of TheHive's.
pub fn thehive_kind(data_type: &str, value: &str) -> Option<ObservableKind> {
    let v = value.trim();
    Some(match data_type.trim().to_ascii_lowercase().as_str() {
        "ip" => ObservableKind::Ip,
        "domain" => ObservableKind::Domain,
        "url" => ObservableKind::Url,
        "hostname" => ObservableKind::Hostname,
        "mail" => ObservableKind::Email,
        "registry" => ObservableKind::RegistryKey,
        "fqdn" if v.trim_end_matches('.').contains('.') => ObservableKind::Domain,
        "fqdn" => ObservableKind::Hostname,
        "filename" if v.contains(['/', '\\']) => ObservableKind::FilePath,
        "filename" => ObservableKind::Filename,
        "hash" if v.bytes().all(|b| b.is_ascii_hexdigit()) => match v.len() {
            32 => ObservableKind::Md5,
            40 => ObservableKind::Sha1,
            64 => ObservableKind::Sha256,
            _ => ObservableKind::Other,
        },
        "hash" | "mail_subject" | "uri_path" | "user-agent" | "autonomous-system" | "other" => ObservableKind::Other,
        _ => return None,
    })
}

/// The likeliest kind of a value typed without one, for quick-add forms: an
/// IP address, a URL, an e-mail address, a hash by its length, a registry
/// key, a file path, a file name with a well-known extension, or a domain.
/// Defanged values are read. `None` when nothing fits.
pub fn guess_kind(raw: &str) -> Option<ObservableKind> {
    let v = refang(raw.trim());
    let v = v.trim();
    if v.is_empty() || v.chars().count() > MAX_LEN {
        return None;
    }
    if parse_ip(v).is_some() {
        return Some(ObservableKind::Ip);
    }
    if v.bytes().all(|b| b.is_ascii_hexdigit()) {
        match v.len() {
            32 => return Some(ObservableKind::Md5),
            40 => return Some(ObservableKind::Sha1),
            64 => return Some(ObservableKind::Sha256),
            _ => {}
        }
    }
    let head = v.split('\\').next().unwrap_or(v);
    if hive(head).is_some() || strip_prefix_ci(v, "\\REGISTRY\\").is_some() {
        return Some(ObservableKind::RegistryKey);
    }
    let ok = |kind| normalise(kind, v).is_ok();
    if v.contains("://") && ok(ObservableKind::Url) {
        return Some(ObservableKind::Url);
    }
    if looks_like_path(v) {
        return Some(ObservableKind::FilePath);
    }
    if v.contains('@') && ok(ObservableKind::Email) {
        return Some(ObservableKind::Email);
    }
    if v.contains('.') && ok(ObservableKind::Domain) {
        let last = v.trim_end_matches('.').rsplit('.').next().unwrap_or("").to_ascii_lowercase();
        if FILE_EXTENSIONS.contains(&last.as_str()) {
            return Some(ObservableKind::Filename);
        }
        return Some(ObservableKind::Domain);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use ObservableKind::*;

    fn n(kind: ObservableKind, v: &str) -> String {
        match normalise(kind, v) {
            Ok(n) => n.value,
            Err(e) => panic!("{kind} {v:?}: {e}"),
        }
    }

    /// The error message for a value that must be rejected.
    fn bad(kind: ObservableKind, v: &str) -> String {
        match normalise(kind, v) {
            Ok(n) => panic!("{kind} {v:?} was accepted as {:?}", n.value),
            Err(e) => {
                assert_eq!(e.field, "value");
                e.expected
            }
        }
    }

    fn class(v: &str) -> IpClass {
        normalise(Ip, v).unwrap().ip_class.unwrap()
    }

    #[test]
    fn kinds_have_names() {
        assert_eq!(ObservableKind::ALL.len(), 17);
        let names: Vec<&str> = ObservableKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names, firebreak_types::text::OBSERVABLE_TYPES, "the OpenAPI enum lists every kind");
        for &k in ObservableKind::ALL {
            assert_eq!(k.as_str().parse::<ObservableKind>(), Ok(k));
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.as_str()));
            assert_eq!(serde_json::from_value::<ObservableKind>(serde_json::json!(k.as_str())).unwrap(), k);
        }
        assert_eq!(" File_Path ".parse::<ObservableKind>(), Ok(FilePath));
        let e = "colour".parse::<ObservableKind>().unwrap_err();
        assert_eq!(e.field, "type");
        assert!(e.expected.starts_with("one of ip, domain, url"), "{e}");
        for &c in IpClass::ALL {
            assert_eq!(c.as_str().parse::<IpClass>(), Ok(c));
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::json!(c.as_str()));
        }
        assert_eq!(IpClass::LinkLocal.to_string(), "link_local");
        assert!(IpClass::Public.is_public() && !IpClass::Private.is_public());
    }

    #[test]
    fn refang_undoes_the_usual_marks() {
        for (defanged, plain) in [
            ("hxxps://evil[.]example[.]com/a", "https://evil.example.com/a"),
            ("hXXp://evil(.)example{.}com", "http://evil.example.com"),
            ("HXXPS[://]evil[DOT]example(dot)com", "https://evil.example.com"),
            ("hxxp[:]//198.51.100[.]7[:]8080/x", "http://198.51.100.7:8080/x"),
            ("fxp://files[.]example", "ftp://files.example"),
            ("user[at]example(dot)com", "user@example.com"),
            ("user[@]example[.]com", "user@example.com"),
            ("user(at)example{dot}com", "user@example.com"),
            ("user [at] example [dot] com", "user@example.com"),
            ("evil dot example DOT com", "evil.example.com"),
            ("203.0.113[.]5", "203.0.113.5"),
            ("see hxxp://a[.]example and hxxps://b[.]example", "see http://a.example and https://b.example"),
            // Left alone: no scheme at the start of a word, words that are not between words, IPv6 brackets.
            ("shxxp://x", "shxxp://x"),
            ("hxxp-ish", "hxxp-ish"),
            ("connect the dots", "connect the dots"),
            ("a dot", "a dot"),
            ("dot com", "dot com"),
            ("meet at noon", "meet at noon"),
            ("[::1]", "[::1]"),
            ("[::]", "[::]"),
            ("évil[.]exämple", "évil.exämple"),
            ("", ""),
        ] {
            assert_eq!(refang(defanged), plain, "{defanged:?}");
        }
    }

    #[test]
    fn refang_is_linear() {
        let blanks = format!("a{}b{}", " ".repeat(200_000), "[.".repeat(100_000));
        assert_eq!(refang(&blanks), blanks);
        let words = "x dot ".repeat(100_000);
        assert_eq!(refang(&words), "x.".repeat(99_999) + "x dot ");
        let marks = "x[.]".repeat(100_000);
        assert_eq!(refang(&marks), "x.".repeat(100_000));
    }

    #[test]
    fn defanged_values_are_refanged() {
        assert_eq!(n(Url, "hxxps://evil[.]example[.]com/a"), "https://evil.example.com/a");
        assert_eq!(n(Url, " hxxps://Evil[.]Example[.]com/A?b=C "), "https://evil.example.com/A?b=C");
        assert_eq!(n(Ip, "203.0.113[.]5"), "203.0.113.5");
        assert_eq!(n(Email, "user[at]example(dot)com"), "user@example.com");
        assert_eq!(n(Email, "User[at]Example(dot)COM"), "User@example.com");
        assert_eq!(n(Domain, "evil[dot]example[.]org."), "evil.example.org");
        assert_eq!(n(Hostname, "ws-042[.]corp[.]example"), "ws-042.corp.example");
        assert_eq!(n(Filename, "invoice[.]pdf[.]exe"), "invoice.pdf.exe");
        // Kept as typed: brackets are ordinary in these.
        assert_eq!(n(Process, "cmd.exe /c echo [.] (at)"), "cmd.exe /c echo [.] (at)");
        assert_eq!(n(FilePath, "C:\\tmp\\a[.]b"), "C:\\tmp\\a[.]b");
        assert_eq!(n(Other, "hxxp://x[.]example"), "hxxp://x[.]example");
    }

    #[test]
    fn every_value_is_trimmed_bounded_and_not_empty() {
        for &k in ObservableKind::ALL {
            assert_eq!(bad(k, ""), "value must not be empty", "{k}");
            assert_eq!(bad(k, " \t\n "), "value must not be empty", "{k}");
            assert!(bad(k, &"a".repeat(MAX_LEN + 1)).contains("at most 4096 characters; this has 4097"), "{k}");
        }
        assert_eq!(bad(Domain, " [.] "), "value is not a domain: it has no labels");
        assert_eq!(n(Other, &"a".repeat(MAX_LEN)).len(), MAX_LEN);
        assert_eq!(n(Other, "  something odd \n"), "something odd");
        assert!(bad(Other, "a\u{0}b").contains("control characters"));
    }

    #[test]
    fn ips_are_canonical() {
        assert_eq!(n(Ip, " 8.8.8.8 "), "8.8.8.8");
        assert_eq!(n(Ip, "[2001:DB8::0001]"), "2001:db8::1");
        assert_eq!(n(Ip, "2001:0db8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
        assert_eq!(n(Ip, "[::1]"), "::1");
        assert_eq!(n(Ip, "::FFFF:192.168.1.1"), "::ffff:192.168.1.1");
        assert_eq!(normalise(Domain, "example.com").unwrap().ip_class, None);
        for v in ["300.1.1.1", "1.2.3", "1.2.3.4.5", "010.1.1.1", "example.com", "::g", "[1.2.3.4", "1.2.3.4:80"] {
            assert_eq!(bad(Ip, v), "value is not an IPv4 or IPv6 address", "{v}");
        }
    }

    #[test]
    fn ips_are_classified() {
        for (ip, want) in [
            ("8.8.8.8", IpClass::Public),
            ("2606:4700:4700::1111", IpClass::Public),
            ("10.1.2.3", IpClass::Private),
            ("172.16.0.1", IpClass::Private),
            ("172.31.255.255", IpClass::Private),
            ("172.32.0.1", IpClass::Public),
            ("192.168.0.1", IpClass::Private),
            ("100.64.0.1", IpClass::Private),
            ("100.127.255.255", IpClass::Private),
            ("100.128.0.1", IpClass::Public),
            ("fd00::1", IpClass::Private),
            ("fc00::1", IpClass::Private),
            ("127.0.0.1", IpClass::Loopback),
            ("127.8.9.10", IpClass::Loopback),
            ("::1", IpClass::Loopback),
            ("169.254.1.1", IpClass::LinkLocal),
            ("fe80::1", IpClass::LinkLocal),
            ("febf::1", IpClass::LinkLocal),
            ("224.0.0.1", IpClass::Multicast),
            ("239.255.255.250", IpClass::Multicast),
            ("ff02::1", IpClass::Multicast),
            ("192.0.2.1", IpClass::Documentation),
            ("198.51.100.7", IpClass::Documentation),
            ("203.0.113.5", IpClass::Documentation),
            ("2001:db8::5", IpClass::Documentation),
            ("3fff::1", IpClass::Documentation),
            ("0.0.0.0", IpClass::Unspecified),
            ("::", IpClass::Unspecified),
            ("0.1.2.3", IpClass::Reserved),
            ("240.0.0.1", IpClass::Reserved),
            ("255.255.255.255", IpClass::Broadcast),
            ("255.255.255.254", IpClass::Reserved),
            ("198.18.0.1", IpClass::Reserved),
            ("198.19.255.1", IpClass::Reserved),
            ("192.0.0.8", IpClass::Reserved),
            ("100::1", IpClass::Reserved),
            ("2001:2::1", IpClass::Reserved),
            ("4000::1", IpClass::Reserved),
            // Mapped and NAT64 addresses are classed by the IPv4 address they carry.
            ("::ffff:192.168.1.1", IpClass::Private),
            ("::ffff:8.8.8.8", IpClass::Public),
            ("::ffff:127.0.0.1", IpClass::Loopback),
            ("64:ff9b::10.0.0.1", IpClass::Private),
            ("64:ff9b::8.8.8.8", IpClass::Public),
        ] {
            assert_eq!(class(ip), want, "{ip}");
        }
    }

    #[test]
    fn domains_and_host_names() {
        assert_eq!(n(Domain, "EVIL.Example.COM."), "evil.example.com");
        assert_eq!(n(Domain, "_dmarc.example.com"), "_dmarc.example.com");
        assert_eq!(n(Domain, "xn--bcher-kva.example"), "xn--bcher-kva.example");
        assert_eq!(n(Domain, "Bücher.Example"), "bücher.example");
        assert_eq!(n(Domain, "例え。テスト"), "例え.テスト");
        assert_eq!(n(Domain, &format!("{}.com", "a".repeat(63))), format!("{}.com", "a".repeat(63)));
        assert_eq!(n(Hostname, "WS-042."), "ws-042");
        assert_eq!(n(Hostname, "ws-042.corp.example"), "ws-042.corp.example");

        assert!(bad(Domain, "localhost").contains("at least two labels"));
        assert!(bad(Domain, "not a domain").contains("letters, digits, '-' and '_'"));
        assert!(bad(Domain, "evil.example/path").contains("found '/'"));
        assert!(bad(Domain, "-bad.example").contains("does not start or end with '-'; \"-bad\""));
        assert!(bad(Domain, "bad-.example").contains("does not start or end with '-'"));
        assert!(bad(Domain, "a..b").contains("no empty labels"));
        assert!(bad(Domain, ".example.com").contains("no empty labels"));
        assert!(bad(Domain, "..").contains("no empty labels"));
        assert!(bad(Domain, ".").contains("no labels"));
        assert!(bad(Domain, &format!("{}.com", "a".repeat(64))).contains("at most 63 characters; one has 64"));
        let long = vec!["abcdefghi"; 26].join(".");
        assert!(bad(Domain, &long).contains("at most 253 characters; this has 259"));
        assert!(bad(Domain, "203.0.113.5").contains("not all digits"));
        assert!(bad(Hostname, "10.1.2.3").contains("not all digits"));
        assert!(bad(Hostname, "ws 042").contains("a host name has only letters"));
    }

    #[test]
    fn urls() {
        assert_eq!(n(Url, "HTTPS://Evil.Example.COM/Path/To?Q=A#Frag"), "https://evil.example.com/Path/To?Q=A#Frag");
        assert_eq!(n(Url, "http://User:Pass@Evil.Example:8080/X"), "http://User:Pass@evil.example:8080/X");
        assert_eq!(n(Url, "http://[2001:DB8::1]:8443/"), "http://[2001:db8::1]:8443/");
        assert_eq!(n(Url, "https://evil.example?x=1"), "https://evil.example?x=1");
        assert_eq!(n(Url, "ftp://files.example"), "ftp://files.example");
        assert!(bad(Url, "example.com/path").contains("scheme and '://'"));
        assert!(bad(Url, "mailto:a@example.com").contains("scheme and '://'"));
        assert!(bad(Url, "https:///nohost").contains("has a host"));
        assert!(bad(Url, "https://").contains("has a host"));
        assert!(bad(Url, "http://user@/x").contains("has a host"));
        assert!(bad(Url, "http://:80/x").contains("has a host"));
        assert!(bad(Url, "://example.com").contains("URL scheme"));
        assert!(bad(Url, "1http://example.com").contains("URL scheme"));
        assert!(bad(Url, "ht tp://example.com").contains("URL scheme"));
        assert!(bad(Url, "http://evil example/").contains("no spaces"));
        assert!(bad(Url, "http://example.com:8o/").contains("port is digits"));
        assert!(bad(Url, "http://[::1/").contains("closed with ']'"));
        assert!(bad(Url, "http://[::1]x/").contains("':' and a port"));
    }

    #[test]
    fn emails() {
        assert_eq!(n(Email, "Alice.B+tag@Corp.Example."), "Alice.B+tag@corp.example");
        assert_eq!(n(Email, "user [at] example [dot] com"), "user@example.com");
        assert!(bad(Email, "no-at-sign").contains("has an '@'"));
        assert!(bad(Email, "a@b@example.com").contains("one '@'"));
        assert!(bad(Email, "@example.com").contains("a name before the '@'"));
        assert!(bad(Email, "a b@example.com").contains("no spaces"));
        assert!(bad(Email, &format!("{}@example.com", "a".repeat(65))).contains("at most 64 characters"));
        assert!(bad(Email, "user@localhost").starts_with("after the '@': a domain has at least two labels"));
        assert!(bad(Email, "user@").starts_with("after the '@'"));
        assert!(bad(Email, "user@-x.example").starts_with("after the '@'"));
    }

    #[test]
    fn hashes_have_their_exact_length() {
        let md5 = "d41d8cd98f00b204e9800998ecf8427e";
        let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
        let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(n(Md5, &md5.to_uppercase()), md5);
        assert_eq!(n(Sha1, &format!(" {} ", sha1.to_uppercase())), sha1);
        assert_eq!(n(Sha256, sha256), sha256);
        assert_eq!(bad(Md5, &md5[..31]), "an MD5 hash is 32 hexadecimal characters; this has 31");
        assert_eq!(bad(Md5, "abc"), "an MD5 hash is 32 hexadecimal characters; this has 3");
        assert_eq!(bad(Sha1, md5), "a SHA-1 hash is 40 hexadecimal characters; this has 32");
        assert_eq!(bad(Sha256, sha1), "a SHA-256 hash is 64 hexadecimal characters; this has 40");
        assert_eq!(bad(Sha256, &format!("{sha256}0")), "a SHA-256 hash is 64 hexadecimal characters; this has 65");
        assert_eq!(bad(Sha1, "zz"), "a SHA-1 hash is hexadecimal digits only; found 'z'");
        assert!(bad(Md5, "d41d8cd9 8f00b204e9800998ecf8427e").contains("found ' '"));
        assert!(bad(Md5, &format!("0x{}", &md5[2..])).contains("found 'x'"));
    }

    #[test]
    fn files_registry_keys_and_the_rest() {
        assert_eq!(n(Filename, "Invoice.PDF.exe"), "Invoice.PDF.exe");
        assert!(bad(Filename, "C:\\x\\evil.exe").contains("file_path"));
        assert!(bad(Filename, "/tmp/evil").contains("file_path"));
        assert!(bad(Filename, "..").contains("not '.' or '..'"));
        assert_eq!(n(FilePath, " C:\\Users\\Bob\\AppData\\x.exe "), "C:\\Users\\Bob\\AppData\\x.exe");
        assert_eq!(n(FilePath, "/tmp/.x/run.sh"), "/tmp/.x/run.sh");

        for (typed, want) in [
            ("hklm\\Software\\Run", "HKEY_LOCAL_MACHINE\\Software\\Run"),
            ("HKCU\\Software\\Microsoft", "HKEY_CURRENT_USER\\Software\\Microsoft"),
            ("HKU\\S-1-5-18", "HKEY_USERS\\S-1-5-18"),
            ("HKCR\\.lnk", "HKEY_CLASSES_ROOT\\.lnk"),
            ("hkcc\\System", "HKEY_CURRENT_CONFIG\\System"),
            ("HKLM:\\Software", "HKEY_LOCAL_MACHINE\\Software"),
            ("hkey_local_machine\\Software", "HKEY_LOCAL_MACHINE\\Software"),
            ("Computer\\HKEY_CURRENT_USER\\Software", "HKEY_CURRENT_USER\\Software"),
            ("\\REGISTRY\\MACHINE\\SOFTWARE\\Run", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Run"),
            ("\\Registry\\User\\S-1-5-18", "HKEY_USERS\\S-1-5-18"),
            ("HKLM", "HKEY_LOCAL_MACHINE"),
            ("HKLMX\\Software", "HKLMX\\Software"),
            ("Computer\\Somewhere", "Computer\\Somewhere"),
        ] {
            assert_eq!(n(RegistryKey, typed), want, "{typed}");
        }

        assert_eq!(n(UserAccount, " CORP\\Alice "), "CORP\\Alice");
        assert_eq!(n(UserAccount, "Alice@Corp.Example"), "Alice@Corp.Example");
        assert_eq!(n(Process, "powershell.exe -enc AAAA"), "powershell.exe -enc AAAA");
        assert!(bad(Process, "   ").contains("must not be empty"));
        assert!(bad(UserAccount, "").contains("must not be empty"));
    }

    #[test]
    fn kinds_are_guessed() {
        for (typed, want) in [
            ("1.2.3.4", Some(Ip)),
            ("203.0.113[.]5", Some(Ip)),
            ("[2001:db8::1]", Some(Ip)),
            ("fe80::1", Some(Ip)),
            ("hxxp://x[.]io", Some(Url)),
            ("https://evil.example/a", Some(Url)),
            ("d41d8cd98f00b204e9800998ecf8427e", Some(Md5)),
            ("DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", Some(Sha1)),
            (&"b".repeat(64), Some(Sha256)),
            ("a@b.example", Some(Email)),
            ("user[at]example(dot)com", Some(Email)),
            ("evil.example", Some(Domain)),
            ("evil[.]example[.]com.", Some(Domain)),
            ("update.zip", Some(Domain)),
            ("invoice.pdf.exe", Some(Filename)),
            ("HKLM\\Software\\Run", Some(RegistryKey)),
            ("C:\\Windows\\Temp\\x.exe", Some(FilePath)),
            ("\\\\server\\share\\x", Some(FilePath)),
            ("/tmp/.x/run.sh", Some(FilePath)),
            ("just words", None),
            ("deadbeef", None),
            ("localhost", None),
            ("a@b", None),
            ("https://", None),
            ("", None),
            ("  ", None),
        ] {
            assert_eq!(guess_kind(typed), want, "{typed:?}");
        }
    }

    #[test]
    fn a_guessed_kind_accepts_its_value() {
        for typed in ["203.0.113[.]5", "hxxps://evil[.]example/a", "user[at]example(dot)com", "HKCU\\Run", "x.example"]
        {
            let kind = guess_kind(typed).unwrap();
            assert!(normalise(kind, typed).is_ok(), "{kind} {typed}");
        }
    }
}
