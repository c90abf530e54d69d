//! SSRF guard for URLs that users type in (outbound webhooks and similar).
//!
//! Only `http`/`https`. The host is resolved once, every address it resolves
//! to is checked, and the client is pinned to those checked addresses (so a
//! DNS answer that changes between check and connect — "DNS rebinding" —
//! cannot reach an internal host). Redirects are never followed and system
//! proxies are ignored.
//!
//! Refused: loopback, private (10/8, 172.16/12, 192.168/16), CGNAT
//! (100.64/10), test and benchmark nets, IPv6 loopback and ULA (fc00::/7) —
//! these are let through by [`SsrfPolicy::allow_private`] for self-hosted
//! intranets. Always refused, whatever the policy: 0.0.0.0/8, link-local
//! (169.254/16 with the cloud metadata address, fe80::/10), multicast,
//! broadcast and reserved ranges, and the unspecified address. IPv4-mapped,
//! IPv4-compatible, NAT64 and 6to4 IPv6 addresses are judged by the IPv4
//! address they carry. Numeric host spellings (`0x7f000001`, `2130706433`,
//! `017700000001`, `127.1`) are normalised to IPv4 by the URL parser first.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use url::{Host, Url};

/// Which targets are allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SsrfPolicy {
    /// Let loopback, private, CGNAT and ULA addresses through (self-hosted on
    /// an intranet; tests reaching a local server). Never lets link-local,
    /// metadata, multicast or unspecified addresses through.
    pub allow_private: bool,
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsrfError {
    /// Not a URL at all.
    #[error("not a valid URL")]
    InvalidUrl,
    /// A scheme other than http/https (`file:`, `gopher:`, ...).
    #[error("only http and https URLs are allowed, not {0}:")]
    Scheme(String),
    /// The URL has no host.
    #[error("the URL has no host")]
    NoHost,
    /// The host is, or resolves to, an address that is not allowed.
    #[error("{host} resolves to {addr}, a {kind} address, which is not allowed")]
    Refused {
        /// Host as written in the URL.
        host: String,
        /// The offending address.
        addr: IpAddr,
        /// "loopback", "private", "link-local", ...
        kind: &'static str,
    },
    /// Name resolution failed or returned nothing.
    #[error("could not resolve {0}")]
    Resolve(String),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    Client(String),
}

/// How an address is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Public,
    /// Allowed with `allow_private`.
    Private(&'static str),
    /// Never allowed.
    Forbidden(&'static str),
}

fn classify_v4(ip: Ipv4Addr) -> Class {
    let o = ip.octets();
    let in_net = |net: [u8; 4], bits: u32| {
        let mask = if bits == 0 {
            0
        } else {
            u32::MAX << (32 - bits)
        };
        (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
    };
    if o[0] == 0 {
        Class::Forbidden("unspecified (0.0.0.0/8)")
    } else if in_net([169, 254, 0, 0], 16) {
        Class::Forbidden("link-local / metadata")
    } else if ip.is_broadcast() {
        Class::Forbidden("broadcast")
    } else if in_net([224, 0, 0, 0], 4) {
        Class::Forbidden("multicast")
    } else if in_net([240, 0, 0, 0], 4) {
        Class::Forbidden("reserved")
    } else if o[0] == 127 {
        Class::Private("loopback")
    } else if in_net([10, 0, 0, 0], 8)
        || in_net([172, 16, 0, 0], 12)
        || in_net([192, 168, 0, 0], 16)
    {
        Class::Private("private")
    } else if in_net([100, 64, 0, 0], 10) {
        Class::Private("carrier-grade NAT")
    } else if in_net([192, 0, 0, 0], 24)
        || in_net([192, 0, 2, 0], 24)
        || in_net([198, 18, 0, 0], 15)
        || in_net([198, 51, 100, 0], 24)
        || in_net([203, 0, 113, 0], 24)
    {
        Class::Private("special-purpose")
    } else {
        Class::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> Class {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    if ip.is_unspecified() {
        return Class::Forbidden("unspecified");
    }
    if ip.is_loopback() {
        return Class::Private("loopback");
    }
    // IPv4-compatible ::a.b.c.d (deprecated) and NAT64 64:ff9b::/96 carry an
    // IPv4 address in the last 32 bits.
    let embedded = Ipv4Addr::new(
        (s[6] >> 8) as u8,
        (s[6] & 0xff) as u8,
        (s[7] >> 8) as u8,
        (s[7] & 0xff) as u8,
    );
    if s[..6] == [0, 0, 0, 0, 0, 0] || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(embedded);
    }
    if s[0] == 0x2002 {
        // 6to4 carries the IPv4 address in bits 16..48.
        let v4 = Ipv4Addr::new(
            (s[1] >> 8) as u8,
            (s[1] & 0xff) as u8,
            (s[2] >> 8) as u8,
            (s[2] & 0xff) as u8,
        );
        return classify_v4(v4);
    }
    if s[0] & 0xff00 == 0xff00 {
        return Class::Forbidden("multicast");
    }
    if s[0] & 0xffc0 == 0xfe80 {
        return Class::Forbidden("link-local");
    }
    if s == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254] {
        return Class::Forbidden("metadata");
    }
    if s[0] & 0xfe00 == 0xfc00 {
        return Class::Private("unique local (fc00::/7)");
    }
    if s[0] == 0x2001 && s[1] == 0xdb8 {
        return Class::Private("documentation");
    }
    if s[..4] == [0x100, 0, 0, 0] {
        return Class::Forbidden("discard");
    }
    Class::Public
}

/// Checks one address against the policy. `host` names it in the error.
pub fn check_ip(host: &str, ip: IpAddr, policy: SsrfPolicy) -> Result<(), SsrfError> {
    let class = match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    };
    match class {
        Class::Public => Ok(()),
        Class::Private(_) if policy.allow_private => Ok(()),
        Class::Private(kind) | Class::Forbidden(kind) => Err(SsrfError::Refused {
            host: host.to_owned(),
            addr: ip,
            kind,
        }),
    }
}

/// Parses and checks what can be checked without DNS: scheme, host presence,
/// IP-literal hosts (in every numeric spelling) and `localhost` names. Use it
/// when a URL is saved; [`resolve`] again at send time.
pub fn check_url_syntax(url: &str, policy: SsrfPolicy) -> Result<Url, SsrfError> {
    let parsed = Url::parse(url.trim()).map_err(|_| SsrfError::InvalidUrl)?;
    match parsed.scheme() {
        "http" | "https" => {}
        other => return Err(SsrfError::Scheme(other.to_owned())),
    }
    match parsed.host() {
        None => return Err(SsrfError::NoHost),
        Some(Host::Ipv4(v4)) => check_ip(&v4.to_string(), IpAddr::V4(v4), policy)?,
        Some(Host::Ipv6(v6)) => check_ip(&v6.to_string(), IpAddr::V6(v6), policy)?,
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d.is_empty() {
                return Err(SsrfError::NoHost);
            }
            if (d == "localhost" || d.ends_with(".localhost")) && !policy.allow_private {
                return Err(SsrfError::Refused {
                    host: d,
                    addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
                    kind: "loopback",
                });
            }
        }
    }
    Ok(parsed)
}

/// A URL whose host was resolved once and whose every address passed.
#[derive(Debug, Clone)]
pub struct CheckedTarget {
    /// The parsed URL.
    pub url: Url,
    /// The checked addresses the connection is pinned to.
    pub addrs: Vec<SocketAddr>,
}

/// Checks `url`, resolves its host once and checks every address.
pub async fn resolve(url: &str, policy: SsrfPolicy) -> Result<CheckedTarget, SsrfError> {
    let parsed = check_url_syntax(url, policy)?;
    let port = parsed.port_or_known_default().ok_or(SsrfError::NoHost)?;
    let addrs: Vec<SocketAddr> = match parsed.host() {
        Some(Host::Ipv4(v4)) => vec![SocketAddr::new(IpAddr::V4(v4), port)],
        Some(Host::Ipv6(v6)) => vec![SocketAddr::new(IpAddr::V6(v6), port)],
        Some(Host::Domain(d)) => {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((d, port))
                .await
                .map_err(|_| SsrfError::Resolve(d.to_owned()))?
                .collect();
            if found.is_empty() {
                return Err(SsrfError::Resolve(d.to_owned()));
            }
            for a in &found {
                check_ip(d, a.ip(), policy)?;
            }
            found
        }
        None => return Err(SsrfError::NoHost),
    };
    Ok(CheckedTarget { url: parsed, addrs })
}

impl CheckedTarget {
    /// A client that connects only to the checked addresses, follows no
    /// redirect, ignores proxies and gives up after `timeout`.
    pub fn client(&self, timeout: Duration) -> Result<reqwest::Client, SsrfError> {
        let mut b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout);
        if let Some(Host::Domain(d)) = self.url.host() {
            b = b.resolve_to_addrs(d, &self.addrs);
        }
        b.build().map_err(|e| SsrfError::Client(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: SsrfPolicy = SsrfPolicy {
        allow_private: false,
    };
    const INTRANET: SsrfPolicy = SsrfPolicy {
        allow_private: true,
    };

    #[test]
    fn the_issue_list_is_refused() {
        for url in [
            "http://127.0.0.1/",
            "http://localhost/",
            "http://LOCALHOST./x",
            "http://app.localhost/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.5/",
            "http://10.255.255.255:8080/",
            "http://100.64.0.1/",
            "http://0x7f000001/",
            "http://2130706433/",
            "http://017700000001/",
            "http://127.1/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[2002:7f00:1::]/",
            "http://172.16.0.1/",
            "http://172.31.255.255/",
            "http://192.168.1.1/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://[fc00::1]/",
            "http://[fd12:3456::1]/",
            "http://[fe80::1]/",
            "http://[ff02::1]/",
        ] {
            assert!(
                matches!(
                    check_url_syntax(url, STRICT),
                    Err(SsrfError::Refused { .. })
                ),
                "{url} not refused"
            );
        }
    }

    #[test]
    fn other_schemes_are_refused() {
        for url in [
            "file:///etc/passwd",
            "gopher://x.test/",
            "ftp://x.test/",
            "javascript:alert(1)",
        ] {
            assert!(
                matches!(check_url_syntax(url, INTRANET), Err(SsrfError::Scheme(_))),
                "{url}"
            );
        }
        assert_eq!(
            check_url_syntax("not a url", STRICT).err(),
            Some(SsrfError::InvalidUrl)
        );
    }

    #[test]
    fn public_addresses_pass() {
        for url in [
            "https://93.184.215.14/hook",
            "https://hooks.example.com/x",
            "http://[2606:4700::1111]/",
            "http://172.32.0.1/",
            "http://100.128.0.1/",
        ] {
            assert!(check_url_syntax(url, STRICT).is_ok(), "{url}");
        }
    }

    #[test]
    fn allow_private_opens_intranet_but_never_metadata() {
        for url in [
            "http://127.0.0.1:9/",
            "http://10.1.2.3/",
            "http://localhost/",
            "http://[fd00::1]/",
            "http://100.64.1.1/",
        ] {
            assert!(check_url_syntax(url, INTRANET).is_ok(), "{url}");
        }
        for url in [
            "http://169.254.169.254/",
            "http://[fe80::1]/",
            "http://0.0.0.0/",
            "http://[::ffff:169.254.169.254]/",
            "http://[fd00:ec2::254]/",
        ] {
            assert!(check_url_syntax(url, INTRANET).is_err(), "{url}");
        }
    }

    #[tokio::test]
    async fn resolved_names_are_checked_too() {
        // "localhost" with a trailing label the syntax check does not catch
        // is still refused once resolved, and IP literals need no DNS.
        let err = resolve("http://localhost:1/", STRICT).await.err();
        assert!(matches!(err, Some(SsrfError::Refused { .. })), "{err:?}");
        let ok = resolve("http://127.0.0.1:1/", INTRANET)
            .await
            .expect("allowed");
        assert_eq!(
            ok.addrs,
            vec!["127.0.0.1:1".parse::<SocketAddr>().expect("addr")]
        );
    }
}
