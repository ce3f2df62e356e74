//! The relay's HTTP API from the browser. Every failure comes back as a
//! sentence for people: the relay's own message, or what to check when the
//! relay cannot be reached at all.

use chorus_shared::endpoints::{Answer, Endpoint, Method};
use chorus_shared::error::{ErrorBody, ErrorCode};
use gloo_net::http::{RequestBuilder, Response};
use wasm_bindgen::JsValue;

/// Where the relay is and who is asking.
#[derive(Debug, Clone)]
pub struct Relay {
    /// `http(s)://host:port`, no trailing slash.
    pub base: String,
    /// The session token, once signed in.
    pub token: Option<String>,
}

/// A failed call, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// What went wrong and what to do.
    pub message: String,
    /// The relay's code, when it answered.
    pub code: Option<ErrorCode>,
}

impl Failure {
    fn local(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: None,
        }
    }

    /// The session is no longer valid: the user must sign in again.
    pub fn signed_out(&self) -> bool {
        self.code == Some(ErrorCode::Unauthenticated)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl Relay {
    /// Calls a declared operation and reads its answer by status.
    pub async fn call_endpoint<E: Endpoint>(&self, endpoint: &E) -> Result<E::Reply, Failure> {
        let body = match endpoint.body() {
            None => None,
            Some(body) => Some(
                serde_json::to_string(body).map_err(|error| Failure::local(error.to_string()))?,
            ),
        };
        let content_type = body.as_ref().map(|_| "application/json");
        let response = self
            .fetch(
                E::METHOD,
                &endpoint.path(),
                body.map(|text| JsValue::from_str(&text)),
                content_type,
            )
            .await?;
        read_answer::<E>(response).await
    }

    /// Uploads a file's bytes (from an `<input type=file>`) through a declared
    /// operation whose body is raw bytes.
    pub async fn upload<E: Endpoint>(
        &self,
        endpoint: &E,
        file: &web_sys::Blob,
    ) -> Result<E::Reply, Failure> {
        let response = self
            .fetch(
                E::METHOD,
                &endpoint.path(),
                Some(file.clone().into()),
                Some("application/octet-stream"),
            )
            .await?;
        read_answer::<E>(response).await
    }

    /// Uploads bytes held in memory through a declared operation whose body
    /// is raw bytes.
    pub async fn upload_bytes<E: Endpoint>(
        &self,
        endpoint: &E,
        bytes: &[u8],
    ) -> Result<E::Reply, Failure> {
        let body = js_sys::Uint8Array::from(bytes);
        let response = self
            .fetch(
                E::METHOD,
                &endpoint.path(),
                Some(body.into()),
                Some("application/octet-stream"),
            )
            .await?;
        read_answer::<E>(response).await
    }

    /// Downloads bytes (an attachment for the host to send), from a path the
    /// relay gave.
    pub async fn bytes(&self, path: &str) -> Result<Vec<u8>, Failure> {
        let response = self.fetch(Method::Get, path, None, None).await?;
        response.binary().await.map_err(cut_off)
    }

    /// Whether a Chorus relay answers at this address.
    pub async fn health(&self) -> Result<(), Failure> {
        let url = format!("{}/healthz", self.base);
        self.fetch_url(Method::Get, &url, None, None)
            .await
            .map(|_| ())
    }

    /// The live WebSocket's address.
    pub fn ws_url(&self) -> String {
        let base = if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = self.base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            self.base.clone()
        };
        format!("{base}/api/v1/ws")
    }

    async fn fetch(
        &self,
        method: Method,
        path: &str,
        body: Option<JsValue>,
        content_type: Option<&str>,
    ) -> Result<Response, Failure> {
        let url = format!("{}/api/v1{path}", self.base);
        self.fetch_url(method, &url, body, content_type).await
    }

    async fn fetch_url(
        &self,
        method: Method,
        url: &str,
        body: Option<JsValue>,
        content_type: Option<&str>,
    ) -> Result<Response, Failure> {
        let mut builder = RequestBuilder::new(url).method(http_method(method));
        if let Some(token) = &self.token {
            builder = builder.header("Authorization", &format!("Bearer {token}"));
        }
        if let Some(content_type) = content_type {
            builder = builder.header("Content-Type", content_type);
        }
        let request = match body {
            Some(body) => builder.body(body),
            None => builder.build(),
        }
        .map_err(|_| {
            Failure::local(format!(
                "\"{}\" is not a relay address. Set it in Chorus options.",
                self.base
            ))
        })?;
        let response = request.send().await.map_err(|_| {
            Failure::local(format!(
                "Cannot reach the relay at {}. Check the address in Chorus options and that the relay is running.",
                self.base
            ))
        })?;
        if response.ok() {
            return Ok(response);
        }
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        Err(match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => Failure {
                message: body.error.message,
                code: Some(body.error.code),
            },
            Err(_) => Failure::local(format!("The relay answered {status}.")),
        })
    }
}

fn http_method(method: Method) -> gloo_net::http::Method {
    use gloo_net::http::Method as Http;
    match method {
        Method::Get => Http::GET,
        Method::Post => Http::POST,
        Method::Put => Http::PUT,
        Method::Patch => Http::PATCH,
        Method::Delete => Http::DELETE,
    }
}

/// Reads a successful response as `E`'s answer.
async fn read_answer<E: Endpoint>(response: Response) -> Result<E::Reply, Failure> {
    let status = response.status();
    let text = response.text().await.map_err(cut_off)?;
    let text = if text.is_empty() { "null" } else { &text };
    <E::Reply as Answer>::read(status, text).map_err(|error| {
        Failure::local(format!(
            "The relay answered in a way this version of Chorus does not understand ({error})."
        ))
    })
}

fn cut_off(_: gloo_net::Error) -> Failure {
    Failure::local("The relay's answer was cut off. Try again.")
}
