//! Who is at the other end of a request. Behind a reverse proxy the TCP peer
//! is the proxy; what it forwards (`X-Forwarded-For`, `X-Forwarded-Proto`) is
//! believed only when the peer is one of the configured trusted proxies, since
//! anyone else can write those headers.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An address or a block of addresses (CIDR) whose forwarded headers are believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy(IpNet);

impl TrustedProxy {
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.0.contains(&addr)
    }
}

impl FromStr for TrustedProxy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(addr) = s.parse::<IpAddr>() {
            return Ok(Self(IpNet::from(addr)));
        }
        s.parse::<IpNet>()
            .map(|net| Self(net.trunc()))
            .map_err(|_| format!("`{s}` is not an IP address nor a CIDR block such as 10.0.0.0/8"))
    }
}

impl fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for TrustedProxy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TrustedProxy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The client of a request as far as it can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remote {
    /// The client's address: the TCP peer, or the right-most address a chain
    /// of trusted proxies forwarded that is not itself a trusted proxy.
    pub addr: IpAddr,
    /// Whether a trusted proxy says the client spoke HTTPS to it.
    pub over_tls: bool,
}

impl Remote {
    pub fn of(parts: &Parts, trusted: &[TrustedProxy]) -> Remote {
        match parts.extensions.get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(peer)) => Remote::from_peer(peer.ip(), &parts.headers, trusted),
            // Only a router served without connection info (in-process calls)
            // lands here; all such requests share one address.
            None => Remote { addr: IpAddr::V4(Ipv4Addr::UNSPECIFIED), over_tls: false },
        }
    }

    pub fn from_peer(peer: IpAddr, headers: &HeaderMap, trusted: &[TrustedProxy]) -> Remote {
        let peer = peer.to_canonical();
        let is_trusted = |a: IpAddr| trusted.iter().any(|t| t.contains(a));
        if !is_trusted(peer) {
            return Remote { addr: peer, over_tls: false };
        }
        // Each proxy appends the address it received from; walking from the
        // right, the first address no trusted proxy vouches for is the client.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut addr = peer;
        for hop in hops.iter().rev() {
            let Some(hop) = parse_hop(hop) else { break };
            addr = hop;
            if !is_trusted(hop) {
                break;
            }
        }
        // The left-most protocol is what the outermost proxy saw.
        let over_tls = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        Remote { addr, over_tls }
    }
}

/// A forwarded address: `192.0.2.1`, `2001:db8::1`, or either with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>().or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip())).ok().map(|a| a.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn proxies(list: &[&str]) -> Vec<TrustedProxy> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
        let h = headers(&[("x-forwarded-for", "198.51.100.9"), ("x-forwarded-proto", "https")]);
        let r = Remote::from_peer(ip("192.0.2.1"), &h, &proxies(&["10.0.0.0/8"]));
        assert_eq!(r, Remote { addr: ip("192.0.2.1"), over_tls: false });
        let r = Remote::from_peer(ip("192.0.2.1"), &h, &[]);
        assert_eq!(r.addr, ip("192.0.2.1"), "no proxy is trusted by default");
    }

    #[test]
    fn the_right_most_untrusted_forwarded_address_is_the_client() {
        let trusted = proxies(&["10.0.0.0/8", "192.0.2.7"]);
        // The client wrote a first address itself; the proxies appended the rest.
        let h = headers(&[("x-forwarded-for", "203.0.113.66, 198.51.100.9, 10.1.1.1"), ("x-forwarded-proto", "https")]);
        let r = Remote::from_peer(ip("192.0.2.7"), &h, &trusted);
        assert_eq!(r, Remote { addr: ip("198.51.100.9"), over_tls: true });
        // Several header lines count as one list.
        let h = headers(&[("x-forwarded-for", "203.0.113.66"), ("x-forwarded-for", "198.51.100.9:4431")]);
        assert_eq!(Remote::from_peer(ip("10.0.0.1"), &h, &trusted).addr, ip("198.51.100.9"));
        // Nothing forwarded: the proxy itself.
        assert_eq!(Remote::from_peer(ip("10.0.0.1"), &HeaderMap::new(), &trusted).addr, ip("10.0.0.1"));
        // Garbage stops the walk at the last address a trusted proxy gave.
        let h = headers(&[("x-forwarded-for", "198.51.100.9, nonsense, 10.2.2.2")]);
        assert_eq!(Remote::from_peer(ip("10.0.0.1"), &h, &trusted).addr, ip("10.2.2.2"));
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_blocks() {
        assert!("10.0.0.0/8".parse::<TrustedProxy>().unwrap().contains(ip("10.200.0.1")));
        assert!("2001:db8::/32".parse::<TrustedProxy>().unwrap().contains(ip("2001:db8:ffff::1")));
        assert!("127.0.0.1".parse::<TrustedProxy>().unwrap().contains(ip("127.0.0.1")));
        assert!("10.0.0.0/33".parse::<TrustedProxy>().is_err());
        assert!("proxy.example".parse::<TrustedProxy>().is_err());
        // An IPv4 peer seen through an IPv6 socket is still itself.
        let h = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(Remote::from_peer(ip("::ffff:127.0.0.1"), &h, &proxies(&["127.0.0.1"])).addr, ip("198.51.100.9"));
    }
}
