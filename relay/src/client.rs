//! Who the client is: its IP address, read from `X-Forwarded-For` only when
//! the connection comes from a proxy the operator trusts (`--trusted-proxy`).
//!
//! Behind a reverse proxy every connection comes from the proxy, so limits
//! per address would be shared by all users; trusting the header from anyone
//! else would let a client pick its own address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use ipnet::IpNet;

use crate::error::ApiError;
use crate::AppState;

/// The client's address as the relay resolves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip())
            .ok_or_else(|| ApiError::internal(&"the connection's address is unknown"))?;
        Ok(Self(resolve(
            peer,
            &parts.headers,
            &state.settings.trusted_proxies,
        )))
    }
}

/// The client behind `peer`: walking `X-Forwarded-For` from the right (the
/// entry the nearest proxy added), the first address that is not a trusted
/// proxy. A header from an untrusted peer is ignored, and an unreadable
/// entry stops the walk at the last trusted hop.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(address) => {
                client = address;
                if !is_trusted(&address) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// Reads `--trusted-proxy` values: an address (`10.0.0.5`) or a network
/// (`10.0.0.0/8`).
pub fn parse_proxy(value: &str) -> Result<IpNet, String> {
    let value = value.trim();
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{value:?} is neither an IP address nor a network like 10.0.0.0/8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().expect("header"));
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let trusted = [parse_proxy("10.0.0.0/8").expect("net")];
        let headers = forwarded("203.0.113.7");
        assert_eq!(
            resolve(ip("198.51.100.1"), &headers, &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(resolve(ip("10.0.0.2"), &headers, &[]), ip("10.0.0.2"));
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_is_the_client() {
        let trusted = [
            parse_proxy("10.0.0.0/8").expect("net"),
            parse_proxy("192.0.2.1").expect("address"),
        ];
        // A client may prepend anything; only what trusted hops added counts.
        let headers = forwarded("1.2.3.4, 203.0.113.7, 192.0.2.1");
        assert_eq!(
            resolve(ip("10.0.0.2"), &headers, &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            resolve(ip("10.0.0.2"), &HeaderMap::new(), &trusted),
            ip("10.0.0.2")
        );
        let garbled = forwarded("203.0.113.7, not-an-address");
        assert_eq!(resolve(ip("10.0.0.2"), &garbled, &trusted), ip("10.0.0.2"));
    }

    #[test]
    fn proxies_are_addresses_or_networks() {
        assert!(parse_proxy("::1").is_ok());
        assert!(parse_proxy("fd00::/8").is_ok());
        assert!(parse_proxy("10.0.0.0/33").is_err());
        assert!(parse_proxy("proxy.internal").is_err());
    }
}
