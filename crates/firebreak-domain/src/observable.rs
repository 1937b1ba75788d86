//! Observables: their types, and the one normal form of each value, so that
//! the same indicator typed two ways (`EVIL.example.`, `hxxp://evil[.]example`)
//! is one entry in the sightings index.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::validate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    Other,
}

impl ObservableKind {
    pub const ALL: [ObservableKind; 14] = [
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
            ObservableKind::Other => "other",
        }
    }
}

impl FromStr for ObservableKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        ObservableKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or(())
    }
}

/// Where an IP address belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpClass {
    Public,
    /// RFC 1918, carrier-grade NAT (100.64/10), unique local (fc00::/7).
    Private,
    Loopback,
    LinkLocal,
    Multicast,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32.
    Documentation,
    Unspecified,
    /// 0/8, 240/4, broadcast, 198.18/15 (benchmarking).
    Reserved,
}

impl IpClass {
    pub fn as_str(self) -> &'static str {
        match self {
            IpClass::Public => "public",
            IpClass::Private => "private",
            IpClass::Loopback => "loopback",
            IpClass::LinkLocal => "link_local",
            IpClass::Multicast => "multicast",
            IpClass::Documentation => "documentation",
            IpClass::Unspecified => "unspecified",
            IpClass::Reserved => "reserved",
        }
    }

    /// Whether the address can be someone else's on the internet.
    pub fn is_public(self) -> bool {
        self == IpClass::Public
    }
}

pub fn classify(ip: IpAddr) -> IpClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

fn classify_v4(ip: Ipv4Addr) -> IpClass {
    let [a, b, c, _] = ip.octets();
    if ip.is_unspecified() {
        IpClass::Unspecified
    } else if ip.is_loopback() {
        IpClass::Loopback
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        IpClass::Private
    } else if ip.is_link_local() {
        IpClass::LinkLocal
    } else if ip.is_multicast() {
        IpClass::Multicast
    } else if (a, b, c) == (192, 0, 2) || (a, b, c) == (198, 51, 100) || (a, b, c) == (203, 0, 113) {
        IpClass::Documentation
    } else if a == 0 || a >= 240 || (a == 198 && (b == 18 || b == 19)) {
        IpClass::Reserved
    } else {
        IpClass::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> IpClass {
    let s = ip.segments();
    if ip.is_unspecified() {
        IpClass::Unspecified
    } else if ip.is_loopback() {
        IpClass::Loopback
    } else if s[0] & 0xfe00 == 0xfc00 {
        IpClass::Private
    } else if s[0] & 0xffc0 == 0xfe80 {
        IpClass::LinkLocal
    } else if ip.is_multicast() {
        IpClass::Multicast
    } else if s[0] == 0x2001 && s[1] == 0x0db8 {
        IpClass::Documentation
    } else {
        IpClass::Public
    }
}

/// Undoes the usual defanging: `hxxp`, `[.]`, `(.)`, `[dot]`, `(dot)`,
/// `[:]`, `[@]`, `[at]`, `(at)`, `[://]`.
pub fn refang(s: &str) -> String {
    const PAIRS: &[(&str, &str)] = &[
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
    ];
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    'outer: while !rest.is_empty() {
        for (from, to) in PAIRS {
            if rest.len() >= from.len()
                && rest.is_char_boundary(from.len())
                && rest[..from.len()].eq_ignore_ascii_case(from)
            {
                out.push_str(to);
                rest = &rest[from.len()..];
                continue 'outer;
            }
        }
        let Some(c) = rest.chars().next() else { break };
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    // The scheme: hxxp, hXXps, fxp.
    let lower = out.to_ascii_lowercase();
    for (from, to) in [("hxxps://", "https://"), ("hxxp://", "http://"), ("fxp://", "ftp://")] {
        if lower.starts_with(from) {
            return format!("{to}{}", &out[from.len()..]);
        }
    }
    out
}

/// A normalised value, with the class of an IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    pub value: String,
    pub ip_class: Option<IpClass>,
}

const MAX_LEN: usize = 4096;

fn err(expected: impl Into<String>) -> FieldError {
    FieldError::new("value", expected)
}

/// A host name: labels of letters, digits, `-` and `_`, lower-cased, without
/// the trailing dot. `need_dot` asks for a domain (at least two labels).
fn host(raw: &str, need_dot: bool) -> Result<String, FieldError> {
    let v = raw.trim_end_matches('.').to_lowercase();
    if v.is_empty() || v.len() > 253 {
        return Err(err("a name of 1 to 253 characters"));
    }
    for label in v.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(err(format!("labels of 1 to 63 characters between dots (in {v:?})")));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(err(format!("labels that do not start or end with '-' (in {v:?})")));
        }
        if !label.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
            return Err(err(format!("letters, digits, '-' and '_' only (in {v:?})")));
        }
    }
    if need_dot && !v.contains('.') {
        return Err(err(format!("a domain has at least two labels, such as example.com (got {v:?})")));
    }
    Ok(v)
}

fn hash(v: &str, name: &str, len: usize) -> Result<String, FieldError> {
    let v = v.to_ascii_lowercase();
    if !v.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(err(format!("an {name} hash is hexadecimal digits only")));
    }
    if v.len() != len {
        return Err(err(format!("an {name} hash is {len} hexadecimal characters; this has {}", v.len())));
    }
    Ok(v)
}

/// Checks `raw` as a value of `kind` and returns its normal form.
pub fn normalise(kind: ObservableKind, raw: &str) -> Result<Normalised, FieldError> {
    let v = refang(raw.trim());
    let v = v.trim();
    if v.is_empty() {
        return Err(err("a value (it is empty)"));
    }
    if v.chars().count() > MAX_LEN {
        return Err(err(format!("at most {MAX_LEN} characters")));
    }
    if v.chars().any(char::is_control) {
        return Err(err("no control characters"));
    }
    let plain = |value: String| Ok(Normalised { value, ip_class: None });
    match kind {
        ObservableKind::Ip => {
            let bare = v.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(v);
            let ip: IpAddr = bare.parse().map_err(|_| err(format!("an IPv4 or IPv6 address (got {v:?})")))?;
            Ok(Normalised { value: ip.to_string(), ip_class: Some(classify(ip)) })
        }
        ObservableKind::Domain => plain(host(v, true)?),
        ObservableKind::Hostname => plain(host(v, false)?),
        ObservableKind::Url => {
            let Some((scheme, rest)) = v.split_once("://") else {
                return Err(err("a URL with a scheme, such as https://example.com/path"));
            };
            if scheme.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
                return Err(err(format!("a URL scheme of letters and digits (got {scheme:?})")));
            }
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let (authority, tail) = rest.split_at(end);
            let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            if hostport.is_empty() {
                return Err(err("a URL with a host"));
            }
            let userinfo = &authority[..authority.len() - hostport.len()];
            plain(format!("{}://{userinfo}{}{tail}", scheme.to_ascii_lowercase(), hostport.to_lowercase()))
        }
        ObservableKind::Email => {
            let Some((local, domain)) = v.rsplit_once('@') else {
                return Err(err(format!("an e-mail address, such as someone@example.com (got {v:?})")));
            };
            if local.is_empty() || local.contains('@') || local.chars().any(char::is_whitespace) {
                return Err(err(format!("an e-mail address with one '@' and a local part (got {v:?})")));
            }
            // The local part keeps its case (RFC 5321 lets servers tell them apart); the domain does not.
            plain(format!("{local}@{}", host(domain, true)?))
        }
        ObservableKind::Md5 => plain(hash(v, "MD5", 32)?),
        ObservableKind::Sha1 => plain(hash(v, "SHA-1", 40)?),
        ObservableKind::Sha256 => plain(hash(v, "SHA-256", 64)?),
        ObservableKind::Filename => {
            if v.contains(['/', '\\']) {
                return Err(err("a file name without a folder (use file_path for a path)"));
            }
            plain(v.to_owned())
        }
        ObservableKind::RegistryKey => plain(registry_key(v)),
        ObservableKind::FilePath | ObservableKind::UserAccount | ObservableKind::Process | ObservableKind::Other => {
            plain(v.to_owned())
        }
    }
}

/// Spells out the hive abbreviations, so `HKLM\…` and `HKEY_LOCAL_MACHINE\…` are one key.
fn registry_key(v: &str) -> String {
    const HIVES: &[(&str, &str)] = &[
        ("HKLM", "HKEY_LOCAL_MACHINE"),
        ("HKCU", "HKEY_CURRENT_USER"),
        ("HKCR", "HKEY_CLASSES_ROOT"),
        ("HKU", "HKEY_USERS"),
        ("HKCC", "HKEY_CURRENT_CONFIG"),
    ];
    let (head, tail) = v.split_once('\\').map_or((v, None), |(h, t)| (h, Some(t)));
    let hive = HIVES
        .iter()
        .find(|(short, long)| head.eq_ignore_ascii_case(short) || head.eq_ignore_ascii_case(long))
        .map_or_else(|| head.to_owned(), |(_, long)| (*long).to_owned());
    match tail {
        Some(t) => format!("{hive}\\{t}"),
        None => hive,
    }
}

/// The likeliest type of a value typed without one.
pub fn guess_kind(raw: &str) -> Option<ObservableKind> {
    let v = refang(raw.trim());
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    let bare = v.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(v);
    if bare.parse::<IpAddr>().is_ok() {
        return Some(ObservableKind::Ip);
    }
    if v.contains("://") {
        return Some(ObservableKind::Url);
    }
    if v.chars().all(|c| c.is_ascii_hexdigit()) {
        return match v.len() {
            32 => Some(ObservableKind::Md5),
            40 => Some(ObservableKind::Sha1),
            64 => Some(ObservableKind::Sha256),
            _ => None,
        };
    }
    if v.contains('@') && normalise(ObservableKind::Email, v).is_ok() {
        return Some(ObservableKind::Email);
    }
    if v.contains('.') && normalise(ObservableKind::Domain, v).is_ok() {
        return Some(ObservableKind::Domain);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use ObservableKind::*;

    fn n(kind: ObservableKind, v: &str) -> String {
        normalise(kind, v).unwrap().value
    }

    #[test]
    fn defanged_values_are_refanged() {
        assert_eq!(n(Url, "hxxps://Evil[.]Example[.]com/A?b=C"), "https://evil.example.com/A?b=C");
        assert_eq!(n(Ip, "203.0.113[.]5"), "203.0.113.5");
        assert_eq!(n(Email, "User[at]Example(dot)COM"), "User@example.com");
        assert_eq!(n(Domain, "evil[dot]example[.]org."), "evil.example.org");
    }

    #[test]
    fn ips_are_canonical_and_classified() {
        let c = |v: &str| normalise(Ip, v).unwrap().ip_class.unwrap();
        assert_eq!(n(Ip, "[2001:DB8::0001]"), "2001:db8::1");
        assert_eq!(c("10.1.2.3"), IpClass::Private);
        assert_eq!(c("100.64.0.1"), IpClass::Private);
        assert_eq!(c("fd00::1"), IpClass::Private);
        assert_eq!(c("127.0.0.1"), IpClass::Loopback);
        assert_eq!(c("169.254.1.1"), IpClass::LinkLocal);
        assert_eq!(c("fe80::1"), IpClass::LinkLocal);
        assert_eq!(c("224.0.0.1"), IpClass::Multicast);
        assert_eq!(c("198.51.100.7"), IpClass::Documentation);
        assert_eq!(c("2001:db8::5"), IpClass::Documentation);
        assert_eq!(c("0.0.0.0"), IpClass::Unspecified);
        assert_eq!(c("255.255.255.255"), IpClass::Reserved);
        assert_eq!(c("198.18.0.1"), IpClass::Reserved);
        assert_eq!(c("8.8.8.8"), IpClass::Public);
        assert_eq!(c("::ffff:192.168.1.1"), IpClass::Private);
        let e = normalise(Ip, "300.1.1.1").unwrap_err();
        assert_eq!(e.field, "value");
        assert!(e.expected.contains("IPv4 or IPv6"), "{e}");
    }

    #[test]
    fn hashes_have_their_exact_length() {
        assert_eq!(n(Md5, "D41D8CD98F00B204E9800998ECF8427E"), "d41d8cd98f00b204e9800998ecf8427e");
        let e = normalise(Md5, "d41d8cd98f00b204e9800998ecf8427").unwrap_err();
        assert_eq!(e.expected, "an MD5 hash is 32 hexadecimal characters; this has 31");
        assert!(normalise(Sha1, "zz").unwrap_err().expected.contains("hexadecimal digits only"));
        assert!(normalise(Sha256, &"a".repeat(64)).is_ok());
        assert!(normalise(Sha256, &"a".repeat(40)).is_err());
    }

    #[test]
    fn names_and_paths() {
        assert_eq!(n(Hostname, "WS-042."), "ws-042");
        assert!(normalise(Domain, "localhost").is_err());
        assert!(normalise(Domain, "-bad.example").is_err());
        assert!(normalise(Domain, "a..b").is_err());
        assert!(normalise(Filename, "C:\\x\\evil.exe").is_err());
        assert_eq!(n(Filename, "invoice.pdf.exe"), "invoice.pdf.exe");
        assert_eq!(n(RegistryKey, "hklm\\Software\\Run"), "HKEY_LOCAL_MACHINE\\Software\\Run");
        assert_eq!(n(UserAccount, " CORP\\Alice "), "CORP\\Alice");
        assert!(normalise(Other, "   ").is_err());
        assert!(normalise(Url, "example.com/path").is_err());
        assert!(normalise(Url, "https:///nohost").is_err());
        assert!(normalise(Email, "no-at-sign").is_err());
    }

    #[test]
    fn kinds_are_guessed() {
        assert_eq!(guess_kind("1.2.3.4"), Some(Ip));
        assert_eq!(guess_kind("hxxp://x[.]io"), Some(Url));
        assert_eq!(guess_kind(&"b".repeat(40)), Some(Sha1));
        assert_eq!(guess_kind("a@b.example"), Some(Email));
        assert_eq!(guess_kind("evil.example"), Some(Domain));
        assert_eq!(guess_kind("just words"), None);
        assert_eq!("file_path".parse::<ObservableKind>(), Ok(FilePath));
    }
}
