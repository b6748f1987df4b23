//! The one HTTP client of the tool's production code (reqwest lives here and nowhere else):
//! the Polar client, the mock's webhook deliveries, the `http:` scenario action, the driver
//! and app readiness probes all send an [`HttpRequest`] through an [`HttpClient`] and get a
//! whole [`HttpResponse`] back (status, headers, body), or an [`HttpError`] that says whether
//! nothing answered, the answer was too slow, or the request could not be built.
//! Imports nothing of the crate.

use std::time::Duration;

pub use url::Url;

/// A client with one timeout for every request it sends (a request may set its own).
/// Cheap to clone; keeps connections alive between requests.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
}

/// HTTP methods the tool uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// `GET`, `post`, … (any case); `None` for anything else.
    pub fn parse(text: &str) -> Option<Method> {
        Some(match text.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    fn reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// One request: built with [`HttpRequest::new`] and the `with_*` methods.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Overrides the client's timeout for this request.
    pub timeout: Option<Duration>,
}

impl HttpRequest {
    pub fn new(method: Method, url: Url) -> HttpRequest {
        HttpRequest {
            method,
            url,
            headers: Vec::new(),
            body: None,
            timeout: None,
        }
    }

    pub fn get(url: Url) -> HttpRequest {
        HttpRequest::new(Method::Get, url)
    }

    pub fn with_header(mut self, name: &str, value: &str) -> HttpRequest {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn with_bearer(self, token: &str) -> HttpRequest {
        self.with_header("authorization", &format!("Bearer {token}"))
    }

    /// A JSON body with its content type.
    pub fn with_json(self, body: &serde_json::Value) -> HttpRequest {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.with_body("application/json", bytes)
    }

    pub fn with_body(mut self, content_type: &str, body: Vec<u8>) -> HttpRequest {
        self.headers
            .push(("content-type".to_string(), content_type.to_string()));
        self.body = Some(body);
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> HttpRequest {
        self.timeout = Some(timeout);
        self
    }
}

/// A whole response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON, `Null` when it is not JSON.
    pub fn json_or_null(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Why no response came back.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// Nothing answered (connection refused, DNS, TLS).
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("no answer within {} ms", .0.as_millis())]
    Timeout(Duration),
    /// The request could not be built or the answer could not be read.
    #[error("{0}")]
    Other(String),
}

/// How a client is set up.
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions {
    pub timeout: Duration,
    /// Follow redirects (webhook deliveries must not).
    pub follow_redirects: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(30),
            follow_redirects: true,
        }
    }
}

impl HttpClient {
    /// A client whose requests give up after `timeout`.
    pub fn new(timeout: Duration) -> HttpClient {
        HttpClient::with_options(ClientOptions {
            timeout,
            ..ClientOptions::default()
        })
    }

    pub fn with_options(options: ClientOptions) -> HttpClient {
        let redirect = if options.follow_redirects {
            reqwest::redirect::Policy::limited(10)
        } else {
            reqwest::redirect::Policy::none()
        };
        let inner = reqwest::Client::builder()
            .timeout(options.timeout)
            .redirect(redirect)
            .user_agent(concat!("walkthrough/", env!("CARGO_PKG_VERSION")))
            .build()
            // Only a broken TLS backend fails here; a default client still works for http.
            .unwrap_or_default();
        HttpClient { inner }
    }

    /// Sends `request` and reads the whole answer.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let limit = request.timeout;
        let mut builder = self
            .inner
            .request(request.method.reqwest(), request.url.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        if let Some(limit) = limit {
            builder = builder.timeout(limit);
        }
        let classify = |e: reqwest::Error| classify(e, limit);
        let response = builder.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response.bytes().await.map_err(classify)?.to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    /// Whether `url` answers with a 2xx within the client's timeout.
    pub async fn answers_ok(&self, url: &Url) -> bool {
        self.send(HttpRequest::get(url.clone()))
            .await
            .is_ok_and(|r| r.is_success())
    }
}

/// The kind of failure; messages never quote the URL (callers name what they called, and a
/// URL may carry a token).
fn classify(e: reqwest::Error, limit: Option<Duration>) -> HttpError {
    let e = e.without_url();
    if e.is_timeout() {
        HttpError::Timeout(limit.unwrap_or_default())
    } else if e.is_connect() {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text = format!("{text}: {s}");
            source = s.source();
        }
        HttpError::Connect(text)
    } else {
        HttpError::Other(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_parse_in_any_case() {
        assert_eq!(Method::parse("post"), Some(Method::Post));
        assert_eq!(Method::parse("DELETE").unwrap().as_str(), "DELETE");
        assert_eq!(Method::parse("BREW"), None);
    }

    #[tokio::test]
    async fn nothing_listening_is_a_connect_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let got = HttpClient::new(Duration::from_secs(2))
            .send(HttpRequest::get(url))
            .await;
        assert!(matches!(got, Err(HttpError::Connect(_))), "{got:?}");
    }

    #[tokio::test]
    async fn a_slow_answer_is_a_timeout_naming_the_limit() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hold = tokio::spawn(async move {
            let (_socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        let url = Url::parse(&format!("http://{addr}/")).unwrap();
        let got = HttpClient::new(Duration::from_secs(30))
            .send(HttpRequest::get(url).with_timeout(Duration::from_millis(200)))
            .await;
        hold.abort();
        match got {
            Err(e @ HttpError::Timeout(_)) => assert_eq!(e.to_string(), "no answer within 200 ms"),
            other => panic!("{other:?}"),
        }
    }
}
