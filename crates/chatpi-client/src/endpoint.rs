//! Where a Chatpi server lives: the socket URL with its connect params, and
//! the REST base derived from it (`ws` → `http`, `wss` → `https`).

use url::Url;

use crate::{Error, Result};

/// A server's socket and REST addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    socket: Url,
    api: Url,
}

impl Endpoint {
    /// Accepts `ws(s)://host[:port]`, `.../socket` (as the JS client takes
    /// it) or the full `.../socket/websocket`.
    pub fn parse(text: &str) -> Result<Self> {
        let invalid = |reason: &str| Error::InvalidUrl {
            url: text.to_owned(),
            reason: reason.into(),
        };
        let mut socket = Url::parse(text.trim()).map_err(|e| invalid(&e.to_string()))?;
        let http_scheme = match socket.scheme() {
            "ws" => "http",
            "wss" => "https",
            _ => return Err(invalid("the scheme must be ws:// or wss://")),
        };
        if socket.host_str().is_none_or(str::is_empty) {
            return Err(invalid("no host"));
        }
        let path = socket.path().trim_end_matches('/').to_owned();
        let path = if path.ends_with("/websocket") {
            path
        } else if path.ends_with("/socket") {
            format!("{path}/websocket")
        } else if path.is_empty() {
            "/socket/websocket".to_owned()
        } else {
            format!("{path}/websocket")
        };
        socket.set_path(&path);
        socket.set_query(None);
        socket.set_fragment(None);

        let mut api = socket.clone();
        api.set_path("/api/v1/");
        // Only the scheme's letters change, which `set_scheme` permits
        // between special schemes; fall back to a re-parse otherwise.
        if api.set_scheme(http_scheme).is_err() {
            let rest = &api.as_str()[socket.scheme().len()..];
            api =
                Url::parse(&format!("{http_scheme}{rest}")).map_err(|e| invalid(&e.to_string()))?;
        }
        Ok(Self { socket, api })
    }

    /// The socket URL with `vsn`, `token` and `userToken`.
    pub fn socket_url(&self, token: &str, user_token: Option<&str>) -> Url {
        let mut url = self.socket.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("vsn", "2.0.0");
            q.append_pair("token", token);
            if let Some(user_token) = user_token {
                q.append_pair("userToken", user_token);
            }
        }
        url
    }

    /// The socket URL without credentials (safe to log).
    pub fn socket_base(&self) -> &Url {
        &self.socket
    }

    /// `{api}/{path}`, e.g. `chats`.
    pub fn api_url(&self, path: &str) -> Url {
        self.api.join(path).unwrap_or_else(|_| self.api.clone())
    }

    pub fn is_tls(&self) -> bool {
        self.socket.scheme() == "wss"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_socket_and_api_urls() {
        for (input, socket, api) in [
            (
                "ws://127.0.0.1:4000",
                "ws://127.0.0.1:4000/socket/websocket",
                "http://127.0.0.1:4000/api/v1/chats",
            ),
            (
                "ws://h/socket",
                "ws://h/socket/websocket",
                "http://h/api/v1/chats",
            ),
            (
                "wss://chat.example.com/socket/websocket?x=1",
                "wss://chat.example.com/socket/websocket",
                "https://chat.example.com/api/v1/chats",
            ),
        ] {
            let e = Endpoint::parse(input).unwrap();
            assert_eq!(e.socket_base().as_str(), socket, "{input}");
            assert_eq!(e.api_url("chats").as_str(), api, "{input}");
        }
    }

    #[test]
    fn connect_params_are_escaped() {
        let e = Endpoint::parse("ws://h").unwrap();
        let url = e.socket_url("a+b/c=", Some("u"));
        assert_eq!(
            url.query(),
            Some("vsn=2.0.0&token=a%2Bb%2Fc%3D&userToken=u")
        );
    }

    #[test]
    fn rejects_other_schemes() {
        assert!(Endpoint::parse("http://h").is_err());
        assert!(Endpoint::parse("not a url").is_err());
    }
}
