//! Which redirects galley follows: at most five hops, over http(s) only, and never from a
//! link on the internet to the user's own machine or network. An image host is a stranger;
//! it must not be able to point galley at a router's admin page, a service listening on
//! localhost, or a cloud metadata address (169.254.169.254) and have the answer saved as
//! an image. Links that start inside (the demo gallery, a NAS) may redirect anywhere inside.
//!
//! Hosts are judged as written by the redirect policy: IP literals by their range,
//! `localhost` names as loopback, any other name as public. A name is then held to that
//! judgement where it is resolved ([`GuardedResolver`]): a name that looks public but
//! resolves to a loopback or private address (a DNS answer pointing inward, "DNS
//! rebinding") is refused, unless the user named that host themselves (the API root, a
//! link of their own list), so a NAS on the LAN by name still works when the user asks
//! for it, and an image host cannot reach it by name where it could not by address.

use futures_util::future::BoxFuture;
use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};

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
    match url.host() {
        Some(url::Host::Ipv4(ip)) => reach_of_address(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => reach_of_address(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) if is_localhost(name) => Reach::Loopback,
        Some(url::Host::Domain(_)) | None => Reach::Public,
    }
}

/// `localhost` and its subdomains: loopback by name (RFC 6761).
fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Where an address is: the machine itself, its local network, or the internet.
fn reach_of_address(ip: IpAddr) -> Reach {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
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

/// Looks a host name up; the system's resolver, or a fake one in tests.
pub trait Lookup: Send + Sync + 'static {
    fn lookup(&self, host: String) -> BoxFuture<'static, std::io::Result<Vec<SocketAddr>>>;
}

/// The system's resolver (getaddrinfo, through tokio's blocking pool).
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: String) -> BoxFuture<'static, std::io::Result<Vec<SocketAddr>>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.collect()) })
    }
}

/// A resolved name that pointed only inward.
#[derive(Debug, thiserror::Error)]
#[error(
    "{host} resolves only to loopback or private addresses ({addresses}); galley fetches from such \
     addresses by name only from hosts you gave it yourself"
)]
pub struct InwardName {
    host: String,
    addresses: String,
}

/// The resolver of every galley HTTP client: `lookup`'s answers, with the loopback and
/// private addresses of a public-looking name dropped (and the name refused if nothing is
/// left). `localhost` names, judged as loopback by name already, and the hosts the user
/// named (`trusted`) resolve as they are.
pub struct GuardedResolver<L = SystemLookup> {
    lookup: L,
    trusted: HashSet<String>,
}

impl GuardedResolver<SystemLookup> {
    /// The system's resolver, trusting the hosts of `user_urls` (the API root, the links
    /// the user listed).
    pub fn system<'a>(user_urls: impl IntoIterator<Item = &'a str>) -> Self {
        GuardedResolver::new(SystemLookup, user_urls)
    }
}

impl<L: Lookup> GuardedResolver<L> {
    pub fn new<'a>(lookup: L, user_urls: impl IntoIterator<Item = &'a str>) -> Self {
        let trusted = user_urls
            .into_iter()
            .filter_map(|url| url::Url::parse(url.trim()).ok())
            .filter_map(|url| url.host_str().map(|host| host.trim_end_matches('.').to_ascii_lowercase()))
            .collect();
        Self { lookup, trusted }
    }

    /// Whether `host` resolves as it is: a `localhost` name, or a host the user named.
    fn trusts(&self, host: &str) -> bool {
        let name = host.trim_end_matches('.').to_ascii_lowercase();
        is_localhost(&name) || self.trusted.contains(&name)
    }
}

/// What an untrusted `host` may be reached at, out of what it resolved to: its public
/// addresses only.
fn screen(host: &str, addresses: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, InwardName> {
    let (outward, inward): (Vec<_>, Vec<_>) =
        addresses.into_iter().partition(|address| reach_of_address(address.ip()) == Reach::Public);
    if outward.is_empty() && !inward.is_empty() {
        let addresses = inward.iter().map(|address| address.ip().to_string()).collect::<Vec<_>>().join(", ");
        return Err(InwardName { host: host.to_owned(), addresses });
    }
    if !inward.is_empty() {
        tracing::warn!("{host} also resolved to loopback or private addresses; only its public ones are used");
    }
    Ok(outward)
}

impl<L: Lookup> reqwest::dns::Resolve for GuardedResolver<L> {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let trusted = self.trusts(&host);
        let lookup = self.lookup.lookup(host.clone());
        Box::pin(async move {
            let addresses = lookup.await?;
            let kept = if trusted { addresses } else { screen(&host, addresses)? };
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
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

#[cfg(test)]
mod resolver_tests {
    use super::*;
    use reqwest::dns::Resolve;
    use std::collections::HashMap;

    /// A DNS that answers from a table, as a hostile or careless one may.
    struct Table(HashMap<&'static str, Vec<IpAddr>>);

    impl Lookup for Table {
        fn lookup(&self, host: String) -> BoxFuture<'static, std::io::Result<Vec<SocketAddr>>> {
            let host = host.trim_end_matches('.').to_ascii_lowercase();
            let found = self.0.get(host.as_str()).map(|ips| ips.iter().map(|ip| SocketAddr::new(*ip, 0)).collect());
            Box::pin(async move { found.ok_or_else(|| std::io::Error::other("no such host")) })
        }
    }

    fn table() -> Table {
        let ip = |text: &str| text.parse::<IpAddr>().expect("an address");
        Table(HashMap::from([
            ("rebind.example", vec![ip("127.0.0.1")]),
            ("metadata.example", vec![ip("169.254.169.254"), ip("::1")]),
            ("router.example", vec![ip("192.168.1.1")]),
            ("mapped.example", vec![ip("::ffff:10.0.0.1")]),
            ("mixed.example", vec![ip("10.0.0.1"), ip("93.184.216.34")]),
            ("cdn.example", vec![ip("93.184.216.34")]),
            ("nas.example", vec![ip("192.168.1.5")]),
            ("localhost", vec![ip("127.0.0.1")]),
            ("images.localhost", vec![ip("127.0.0.1")]),
        ]))
    }

    async fn resolve(resolver: &impl Resolve, host: &str) -> Result<Vec<IpAddr>, String> {
        let name = host.parse().map_err(|_| "bad name".to_owned())?;
        let addresses = resolver.resolve(name).await.map_err(|error| error.to_string())?;
        Ok(addresses.map(|address| address.ip()).collect())
    }

    #[tokio::test]
    async fn a_public_name_that_resolves_inward_is_held_to_the_rule_for_addresses() {
        let resolver = GuardedResolver::new(table(), ["http://nas.example:8080/list"]);
        for host in ["rebind.example", "metadata.example", "router.example", "mapped.example"] {
            let error = resolve(&resolver, host).await.expect_err(host);
            assert!(error.contains("resolves only to loopback or private addresses"), "{host}: {error}");
        }
        // Only the public address of a name that also points inward is used.
        assert_eq!(resolve(&resolver, "mixed.example").await, Ok(vec!["93.184.216.34".parse().unwrap()]));
        assert_eq!(resolve(&resolver, "cdn.example").await, Ok(vec!["93.184.216.34".parse().unwrap()]));
        // Loopback by name, and a host the user named, resolve as they are.
        for host in ["localhost", "images.localhost", "nas.example", "NAS.example."] {
            assert!(resolve(&resolver, host).await.is_ok(), "{host}");
        }
    }

    #[tokio::test]
    async fn a_client_refuses_a_name_pointing_at_this_machine_unless_the_user_gave_it() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
        let port = listener.local_addr().expect("address").port();
        let app = axum::Router::new().route("/a.jpg", axum::routing::get(|| async { "a local service" }));
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = |user_urls: &[&str]| {
            reqwest::Client::builder()
                .dns_resolver(std::sync::Arc::new(GuardedResolver::new(table(), user_urls.iter().copied())))
                .redirect(policy())
                .build()
                .expect("client")
        };
        let link = format!("http://rebind.example:{port}/a.jpg");

        let refused = client(&[]).get(&link).send().await.expect_err("refused");
        assert!(refused.is_connect(), "{refused:?}");
        let given = client(&[&link]).get(&link).send().await.expect("the user's own host is fetched");
        assert_eq!(given.text().await.ok().as_deref(), Some("a local service"));
        let localhost = client(&[]).get(format!("http://localhost:{port}/a.jpg")).send().await;
        assert!(localhost.is_ok(), "{localhost:?}");
    }
}
