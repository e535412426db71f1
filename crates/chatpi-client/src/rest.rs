//! REST: the chat list and history pages, with the bearer token the caller
//! passes in (fresh from the token provider).

use serde::de::DeserializeOwned;

use crate::{
    endpoint::Endpoint, model::HistoryQuery, transport, ChatList, Error, Message, Reaction, Result,
};

/// One history page as REST returns it.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
pub struct HistoryPage {
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Only our own server stores reactions; a real one sends none.
    #[serde(default)]
    pub reactions: Vec<Reaction>,
}

#[derive(Clone)]
pub(crate) struct Rest {
    http: reqwest::Client,
    endpoint: Endpoint,
}

impl Rest {
    pub fn new(endpoint: Endpoint) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(30));
        if endpoint.is_tls() {
            let tls = transport::tls_config()?;
            builder = builder.use_preconfigured_tls((*tls).clone());
        }
        let http = builder.build().map_err(|e| Error::Request {
            url: endpoint.api_url("").to_string(),
            reason: e.to_string(),
        })?;
        Ok(Self { http, endpoint })
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
        query: &[(&str, &str)],
    ) -> Result<T> {
        let url = self.endpoint.api_url(path);
        let shown = url.to_string();
        let request_err = |e: reqwest::Error| Error::Request {
            url: shown.clone(),
            reason: e.to_string(),
        };
        let response = self
            .http
            .get(url.clone())
            .bearer_auth(token)
            .query(query)
            .send()
            .await
            .map_err(request_err)?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::HttpStatus {
                url: shown,
                status: status.as_u16(),
            });
        }
        let body = response.bytes().await.map_err(request_err)?;
        serde_json::from_slice(&body).map_err(|e| Error::Malformed {
            what: "REST answer",
            reason: e.to_string(),
        })
    }

    pub async fn chats(&self, token: &str) -> Result<ChatList> {
        self.get("chats", token, &[]).await
    }

    pub async fn messages(
        &self,
        token: &str,
        chat_id: &str,
        q: &HistoryQuery,
    ) -> Result<HistoryPage> {
        let mut query = Vec::new();
        if let Some(before) = &q.before {
            query.push(("before", before.as_str()));
        }
        if let Some(after) = &q.after {
            query.push(("after", after.as_str()));
        }
        let path = format!("chats/{}/messages", urlencode(chat_id));
        self.get(&path, token, &query).await
    }
}

fn urlencode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}
