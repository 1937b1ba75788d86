//! Observables found in free text (alert titles, descriptions, log lines):
//! IP addresses, URLs, e-mail addresses, domains, hashes, file paths, and
//! accounts and hosts named in `key=value` form. Defanged forms are read.
//!
//! A hand-written single pass over the text's tokens rather than a set of
//! regular expressions: intake runs it on every alert, and one pass that
//! classifies each token once is both faster and easier to keep exact.

use std::collections::HashSet;
use std::net::IpAddr;

use crate::observable::{ObservableKind, normalise, refang};

/// One observable found in text, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Found {
    pub kind: ObservableKind,
    pub value: String,
}

/// Top-level domains accepted for bare domains (any two-letter country code
/// is accepted too), so that `file.txt` or `a.b` in prose is not a domain.
const TLDS: &[&str] = &[
    "com", "net", "org", "io", "info", "biz", "gov", "edu", "mil", "int", "xyz", "top", "online", "site", "club",
    "app", "dev", "cloud", "onion", "arpa", "local", "lan", "corp", "internal", "example", "test", "shop", "live",
    "store",
];

/// Last labels that make a token a file name, not a domain.
const FILE_EXTENSIONS: &[&str] = &[
    "exe", "dll", "bat", "ps1", "vbs", "js", "jar", "zip", "rar", "7z", "pdf", "doc", "docx", "xls", "xlsx", "ppt",
    "pptx", "txt", "log", "csv", "json", "xml", "html", "htm", "png", "jpg", "jpeg", "gif", "sys", "tmp", "dat", "bin",
    "iso", "msi", "lnk", "scr", "hta", "py", "sh", "conf", "ini", "yml", "yaml",
];

const KEY_USER: &[&str] = &["user", "username", "account", "dstuser", "srcuser", "user_name", "targetusername"];
const KEY_HOST: &[&str] = &["host", "hostname", "computer", "computername", "workstation", "device"];

fn is_sep(c: char) -> bool {
    c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`' | ',' | ';' | '|' | '{' | '}')
}

fn trim_token(t: &str) -> &str {
    t.trim_matches(|c: char| matches!(c, '.' | ',' | ';' | ':' | '!' | '?' | '(' | ')' | '[' | ']' | '\'' | '"'))
}

fn looks_like_domain(v: &str) -> bool {
    let Some((_, tld)) = v.rsplit_once('.') else { return false };
    let tld = tld.to_ascii_lowercase();
    if FILE_EXTENSIONS.contains(&tld.as_str()) {
        return false;
    }
    let tld_ok = TLDS.contains(&tld.as_str()) || (tld.len() == 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    tld_ok && v.split('.').all(|l| !l.is_empty()) && v.chars().any(|c| c.is_ascii_alphabetic())
}

fn hash_kind(t: &str) -> Option<ObservableKind> {
    if !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match t.len() {
        32 => Some(ObservableKind::Md5),
        40 => Some(ObservableKind::Sha1),
        64 => Some(ObservableKind::Sha256),
        _ => None,
    }
}

/// What a single token is, if anything.
fn classify(token: &str) -> Option<(ObservableKind, String)> {
    let t = trim_token(token);
    if t.len() < 3 {
        return None;
    }
    // Most tokens are words: without one of these bytes a token can only be a hash.
    let b = t.as_bytes();
    if !b.iter().any(|c| matches!(c, b'.' | b':' | b'@' | b'\\' | b'/' | b'[' | b'(')) {
        return hash_kind(t).map(|k| (k, t.to_owned()));
    }
    if matches!(b[0], b'h' | b'H' | b'f' | b'F') && t.contains(':') {
        let head = t.get(..5).unwrap_or(t).to_ascii_lowercase();
        if ["http", "hxxp", "ftp:", "fxp:", "ftp["].iter().any(|p| head.starts_with(p)) {
            return Some((ObservableKind::Url, t.to_owned()));
        }
    }
    if t.starts_with("\\\\") || (t.len() > 3 && t.as_bytes()[1] == b':' && t.as_bytes()[2] == b'\\') {
        return Some((ObservableKind::FilePath, t.to_owned()));
    }
    if t.starts_with('/') && t[1..].contains('/') && !t.contains("//") {
        return Some((ObservableKind::FilePath, t.to_owned()));
    }
    if let Some(k) = hash_kind(t) {
        return Some((k, t.to_owned()));
    }
    let refanged = refang(t);
    let r = refanged.as_str();
    if r.contains('@') {
        return Some((ObservableKind::Email, r.to_owned()));
    }
    let bare = r.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(r);
    if bare.parse::<IpAddr>().is_ok() {
        return Some((ObservableKind::Ip, bare.to_owned()));
    }
    // An IP followed by a port (198.51.100.7:443).
    if let Some((ip, port)) = bare.rsplit_once(':')
        && port.bytes().all(|b| b.is_ascii_digit())
        && ip.contains('.')
        && ip.parse::<IpAddr>().is_ok()
    {
        return Some((ObservableKind::Ip, ip.to_owned()));
    }
    if r.contains('.') && !r.contains(['/', '\\', '=', ':']) && looks_like_domain(r) {
        return Some((ObservableKind::Domain, r.to_owned()));
    }
    None
}

/// `user=alice`, `host: ws-042`: the value after a known key.
fn key_value(key: &str, value: &str) -> Option<(ObservableKind, String)> {
    let k = key.trim().to_ascii_lowercase();
    let v = trim_token(value);
    if v.is_empty() || v == "-" {
        return None;
    }
    if KEY_USER.contains(&k.as_str()) {
        return Some((ObservableKind::UserAccount, v.to_owned()));
    }
    if KEY_HOST.contains(&k.as_str()) {
        return Some((ObservableKind::Hostname, v.to_owned()));
    }
    None
}

/// A `DOMAIN\user` account.
fn domain_account(t: &str) -> Option<(ObservableKind, String)> {
    let t = trim_token(t);
    let (dom, user) = t.split_once('\\')?;
    let dom_ok = !dom.is_empty()
        && dom.len() <= 15
        && dom.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        && dom.chars().any(|c| c.is_ascii_uppercase());
    let user_ok =
        !user.is_empty() && !user.contains('\\') && user.chars().all(|c| c.is_alphanumeric() || "._-$".contains(c));
    (dom_ok && user_ok).then(|| (ObservableKind::UserAccount, t.to_owned()))
}

/// Every observable in `text`, normalised, each once, in order of appearance.
pub fn scan(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    let mut seen: HashSet<(ObservableKind, String)> = HashSet::new();
    let mut push = |kind: ObservableKind, raw: &str| {
        if let Ok(n) = normalise(kind, raw)
            && seen.insert((kind, n.value.clone()))
        {
            out.push(Found { kind, value: n.value });
        }
    };
    let tokens: Vec<&str> = text.split(is_sep).filter(|t| !t.is_empty()).collect();
    let mut i = 0;
    while i < tokens.len() {
        let tok = tokens[i];
        // key=value in one token, or `key:` / `key=` followed by the value.
        if let Some((k, v)) = tok.split_once('=')
            && !k.is_empty()
            && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
        {
            // A known key names what its value is; any other key's value is
            // looked at on its own (`url=https://…`).
            if let Some((kind, value)) = key_value(k, v).or_else(|| classify(v)) {
                push(kind, &value);
            }
            i += 1;
            continue;
        }
        if let Some(k) = tok.strip_suffix(':').or_else(|| tok.strip_suffix('='))
            && let Some(next) = tokens.get(i + 1)
            && let Some((kind, value)) = key_value(k, next)
        {
            push(kind, &value);
            i += 2;
            continue;
        }
        if let Some((kind, value)) = domain_account(tok) {
            push(kind, &value);
        } else if let Some((kind, value)) = classify(tok) {
            push(kind, &value);
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ObservableKind::*;

    fn found(text: &str) -> Vec<(ObservableKind, String)> {
        scan(text).into_iter().map(|f| (f.kind, f.value)).collect()
    }

    #[test]
    fn finds_the_usual_suspects() {
        let text = "Beacon from 10.0.0.5 to hxxps://evil[.]example[.]com/gate.php?id=1 (198.51.100.7:443); \
                    dropper 44d88612fea8a8f36de82e1278abb02f written to C:\\Users\\bob\\AppData\\x.exe, \
                    mail from bob[at]corp(dot)example, user=alice host=WS-042, CORP\\svc_backup, /tmp/.x/run.sh";
        let f = found(text);
        assert!(f.contains(&(Ip, "10.0.0.5".into())), "{f:?}");
        assert!(f.contains(&(Url, "https://evil.example.com/gate.php?id=1".into())), "{f:?}");
        assert!(f.contains(&(Ip, "198.51.100.7".into())), "{f:?}");
        assert!(f.contains(&(Md5, "44d88612fea8a8f36de82e1278abb02f".into())), "{f:?}");
        assert!(f.contains(&(FilePath, "C:\\Users\\bob\\AppData\\x.exe".into())), "{f:?}");
        assert!(f.contains(&(Email, "bob@corp.example".into())), "{f:?}");
        assert!(f.contains(&(UserAccount, "alice".into())), "{f:?}");
        assert!(f.contains(&(Hostname, "ws-042".into())), "{f:?}");
        assert!(f.contains(&(UserAccount, "CORP\\svc_backup".into())), "{f:?}");
        assert!(f.contains(&(FilePath, "/tmp/.x/run.sh".into())), "{f:?}");
    }

    #[test]
    fn does_not_see_what_is_not_there() {
        let f = found("version 1.2.3.4.5 of invoice.pdf, 999.1.1.1, abcdef0123456789abcdef012345678, e.g. a.b");
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn domains_and_duplicates() {
        let f = found("Lookups of login-micros0ft.com and LOGIN-MICROS0FT.COM. and update.example[.]org");
        assert_eq!(f, [(Domain, "login-micros0ft.com".into()), (Domain, "update.example.org".into())]);
        assert_eq!(
            found("url=hxxp://x[.]example/a srcip=203.0.113.4"),
            [(Url, "http://x.example/a".into()), (Ip, "203.0.113.4".into())]
        );
    }
}
