//! Which redirects galley follows: at most five hops, over http(s) only, and never from a
//! link on the internet to the user's own machine or network. An image host is a stranger;
//! it must not be able to point galley at a router's admin page, a service listening on
//! localhost, or a cloud metadata address (169.254.169.254) and have the answer saved as
//! an image. Links that start inside (the demo gallery, a NAS) may redirect anywhere inside.
//!
//! Hosts are judged as written: IP literals by their range, `localhost` names as loopback,
//! any other name as public. A public name that resolves to a private address is not caught
//! here (that would need checking every resolved address).

/// Redirect hops followed at most.
pub const MAX_HOPS: usize = 5;

/// The redirect policy of every galley HTTP client.
pub fn policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let origin = attempt.previous().first().cloned();
        if attempt.previous().len() >= MAX_HOPS {
            attempt.error("too many redirects")
        } else if !matches!(attempt.url().scheme(), "http" | "https") {
            attempt.error("redirect to a scheme other than http(s)")
        } else if origin.is_some_and(|origin| reaches_inward(&origin, attempt.url())) {
            attempt.error("redirect from a public address to a loopback or private one")
        } else {
            attempt.follow()
        }
    })
}

/// How far inside a host is: the machine itself, its local network, or the internet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    Loopback,
    Private,
    Public,
}

/// Where a URL's host is, as far as can be told without resolving it: IP literals by their
/// range, `localhost` names as loopback, any other name as public.
fn reach(url: &url::Url) -> Reach {
    use std::net::IpAddr;
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => ip.to_ipv4_mapped().map_or(IpAddr::V6(ip), IpAddr::V4),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            let local = name == "localhost" || name.ends_with(".localhost");
            return if local { Reach::Loopback } else { Reach::Public };
        }
        None => return Reach::Public,
    };
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() || v4.is_unspecified() => Reach::Loopback,
        // RFC 1918, link-local (cloud metadata at 169.254.169.254), shared address space.
        IpAddr::V4(v4)
            if v4.is_private() || v4.is_link_local() || (v4.octets()[0] == 100 && v4.octets()[1] & 0xC0 == 64) =>
        {
            Reach::Private
        }
        IpAddr::V6(v6) if v6.is_loopback() || v6.is_unspecified() => Reach::Loopback,
        // Unique local (fc00::/7) and link-local (fe80::/10).
        IpAddr::V6(v6) if (v6.segments()[0] & 0xFE00) == 0xFC00 || (v6.segments()[0] & 0xFFC0) == 0xFE80 => {
            Reach::Private
        }
        _ => Reach::Public,
    }
}

/// Whether a redirect leads further inside than the link it started from: an image host
/// on the internet must not send galley to the user's router, a service on their machine,
/// or a cloud metadata address. Links that start inside (the demo gallery, a NAS) may
/// redirect anywhere inside.
pub fn reaches_inward(origin: &url::Url, target: &url::Url) -> bool {
    reach(target) < reach(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inward(from: &str, to: &str) -> bool {
        reaches_inward(&url::Url::parse(from).unwrap(), &url::Url::parse(to).unwrap())
    }

    #[test]
    fn a_public_host_cannot_redirect_inside() {
        for target in [
            "http://127.0.0.1/x",
            "http://localhost:8080/x",
            "http://api.localhost/x",
            "http://[::1]/x",
            "http://0.0.0.0/x",
            "http://10.0.0.1/x",
            "http://172.16.5.4/x",
            "http://192.168.1.1/admin",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/x",
            "http://[fd00::1]/x",
            "http://[fe80::1]/x",
            "http://[::ffff:127.0.0.1]/x",
        ] {
            assert!(inward("https://i.imgur.com/a.jpg", target), "{target}");
            assert!(inward("http://93.184.216.34/a.jpg", target), "{target}");
        }
    }

    #[test]
    fn other_redirects_are_followed() {
        assert!(!inward("https://i.imgur.com/a.jpg", "https://cdn.example.com/a.jpg"));
        assert!(!inward("https://i.imgur.com/a.jpg", "http://8.8.8.8/a.jpg"));
        // Inside stays inside: the demo gallery and tests on 127.0.0.1, a NAS on the LAN.
        assert!(!inward("http://127.0.0.1:9000/a.jpg", "http://127.0.0.1:9000/b.jpg"));
        assert!(!inward("http://127.0.0.1:9000/a.jpg", "http://192.168.1.5/b.jpg"));
        assert!(!inward("http://192.168.1.5/a.jpg", "http://10.0.0.2/b.jpg"));
        // A NAS may not send galley to the user's own machine.
        assert!(inward("http://192.168.1.5/a.jpg", "http://127.0.0.1/b.jpg"));
    }
}
