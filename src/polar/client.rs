//! The Polar HTTP client (over [`crate::http_client`]) for the sandbox, production, or any Polar-compatible base
//! URL (the local mock). It owns retries (429 after `Retry-After`, capped; 5xx with bounded
//! exponential backoff), the request timeout, and typed errors that keep the HTTP status and
//! Polar's error body. The access token is held privately and never appears in `Debug`,
//! `Display` or any error. Must not import the mock, the demo app, the browser or the runner.

use std::time::Duration;

use crate::http_client::{HttpClient, HttpError, HttpRequest, Method, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::types::{
    Checkout, CheckoutCreate, Customer, CustomerSession, CustomerSessionCreate, CustomerState,
    ListResource, Product, ProductListParams, Subscription, SubscriptionListParams,
    SubscriptionUpdate, WebhookEndpoint, WebhookEndpointCreate,
};

/// The two Polar deployments. They share nothing: a token works only where it was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolarServer {
    Sandbox,
    Production,
}

impl PolarServer {
    pub fn base_url(self) -> &'static str {
        match self {
            PolarServer::Sandbox => "https://sandbox-api.polar.sh",
            PolarServer::Production => "https://api.polar.sh",
        }
    }

    /// `sandbox` or `production` (case-insensitive).
    pub fn parse(s: &str) -> Option<PolarServer> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sandbox" => Some(PolarServer::Sandbox),
            "production" => Some(PolarServer::Production),
            _ => None,
        }
    }
}

/// What went wrong talking to Polar. None of these carry the access token.
#[derive(Debug, thiserror::Error)]
pub enum PolarError {
    /// Polar answered with a non-success status. `error`/`detail` come from Polar's body
    /// (`detail` falls back to `error_description`, or a compact rendering of a 422 list).
    #[error("Polar answered HTTP {status}{}{}", .error.as_deref().map(|e| format!(" {e}")).unwrap_or_default(), .detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Api {
        status: u16,
        error: Option<String>,
        detail: Option<String>,
        body: String,
    },
    /// Polar did not answer within the request timeout.
    #[error("Polar did not answer within the timeout")]
    Timeout,
    /// The request could not be sent or the answer could not be read.
    #[error("could not reach Polar: {0}")]
    Transport(String),
    /// A 2xx answer whose body does not have the documented shape.
    #[error("unexpected answer from Polar: {0}")]
    Decode(String),
    /// The client is misconfigured (bad base URL, missing token, unknown server name).
    #[error("Polar client configuration: {0}")]
    Config(String),
    /// A request that would write, refused before it was sent: the client is read-only
    /// (the production target's).
    #[error("refused {method} {path}: production is read-only here, only GET requests reach Polar's production API")]
    ReadOnly { method: String, path: String },
}

impl PolarError {
    /// The HTTP status for `Api` errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            PolarError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    fn from_response(status: u16, body: String) -> PolarError {
        let parsed: Option<serde_json::Value> = serde_json::from_str(&body).ok();
        let error = parsed
            .as_ref()
            .and_then(|v| v.get("error"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let detail = parsed.as_ref().and_then(|v| {
            match v.get("detail") {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(serde_json::Value::Array(items)) => Some(
                    items
                        .iter()
                        .map(|i| {
                            let loc = i
                                .get("loc")
                                .and_then(|l| l.as_array())
                                .map(|l| {
                                    l.iter()
                                        .map(|p| match p {
                                            serde_json::Value::String(s) => s.clone(),
                                            other => other.to_string(),
                                        })
                                        .collect::<Vec<_>>()
                                        .join(".")
                                })
                                .unwrap_or_default();
                            let msg = i.get("msg").and_then(|m| m.as_str()).unwrap_or("invalid");
                            if loc.is_empty() {
                                msg.to_string()
                            } else {
                                format!("{loc}: {msg}")
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                _ => None,
            }
            .or_else(|| {
                v.get("error_description")
                    .and_then(|d| d.as_str())
                    .map(str::to_string)
            })
        });
        PolarError::Api {
            status,
            error,
            detail,
            body,
        }
    }
}

/// Retry behaviour: 429 waits `Retry-After` (capped at `max_retry_after`, or the backoff when
/// the header is absent); 5xx waits `base_backoff * 2^attempt`. At most `max_retries` retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub base_backoff: Duration,
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_backoff: Duration::from_millis(250),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

/// Builds a [`PolarClient`].
pub struct PolarClientBuilder {
    base_url: String,
    token: String,
    timeout: Duration,
    retry: RetryPolicy,
    read_only: bool,
}

impl std::fmt::Debug for PolarClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolarClientBuilder")
            .field("base_url", &self.base_url)
            .field("token", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

impl PolarClientBuilder {
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Refuse every request but GET, before it is sent ([`PolarError::ReadOnly`]): the
    /// production target's client.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    pub fn build(self) -> Result<PolarClient, PolarError> {
        let mut base = Url::parse(self.base_url.trim())
            .map_err(|e| PolarError::Config(format!("base URL `{}`: {e}", self.base_url)))?;
        if base.cannot_be_a_base() || !matches!(base.scheme(), "http" | "https") {
            return Err(PolarError::Config(format!(
                "base URL `{}` must be an http(s) URL",
                self.base_url
            )));
        }
        base.set_query(None);
        base.set_fragment(None);
        let http = HttpClient::new(self.timeout);
        Ok(PolarClient {
            http,
            base,
            token: self.token,
            retry: self.retry,
            read_only: self.read_only,
        })
    }
}

/// A Polar API client authenticated with an organization access token.
#[derive(Clone)]
pub struct PolarClient {
    http: HttpClient,
    base: Url,
    token: String,
    retry: RetryPolicy,
    /// Only GET requests are sent.
    read_only: bool,
}

impl std::fmt::Debug for PolarClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolarClient")
            .field("base_url", &self.base.as_str())
            .field("token", &"<redacted>")
            .field("retry", &self.retry)
            .finish()
    }
}

impl PolarClient {
    /// A builder for any base URL (sandbox, production or a mock), with a 15 s timeout and the
    /// default [`RetryPolicy`].
    pub fn builder(base_url: impl Into<String>, token: impl Into<String>) -> PolarClientBuilder {
        PolarClientBuilder {
            base_url: base_url.into(),
            token: token.into(),
            timeout: Duration::from_secs(15),
            retry: RetryPolicy::default(),
            read_only: false,
        }
    }

    /// A client for one of Polar's deployments.
    pub fn for_server(
        server: PolarServer,
        token: impl Into<String>,
    ) -> Result<PolarClient, PolarError> {
        PolarClient::builder(server.base_url(), token).build()
    }

    /// From the environment: `POLAR_SERVER` (`sandbox`, the default, or `production`),
    /// `POLAR_API_URL` (overrides the base URL), `POLAR_ACCESS_TOKEN` (required).
    pub fn from_env() -> Result<PolarClient, PolarError> {
        PolarClient::from_lookup(|k| std::env::var(k).ok())
    }

    /// [`PolarClient::from_env`] with an explicit variable lookup (testable without touching
    /// the process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<PolarClient, PolarError> {
        let non_empty = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
        let server = match non_empty("POLAR_SERVER") {
            None => PolarServer::Sandbox,
            Some(s) => PolarServer::parse(&s).ok_or_else(|| {
                PolarError::Config(format!(
                    "POLAR_SERVER is `{s}`; expected `sandbox` or `production`"
                ))
            })?,
        };
        let token = non_empty("POLAR_ACCESS_TOKEN")
            .ok_or_else(|| PolarError::Config("POLAR_ACCESS_TOKEN is not set".into()))?;
        let base = non_empty("POLAR_API_URL").unwrap_or_else(|| server.base_url().to_string());
        PolarClient::builder(base, token).build()
    }

    /// The base URL (no token).
    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments);
        }
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&(dyn erased::Body + Sync)>,
    ) -> Result<T, PolarError> {
        if self.read_only && method != Method::Get {
            return Err(PolarError::ReadOnly {
                method: method.as_str().to_string(),
                path: url.path().to_string(),
            });
        }
        let body_bytes = match body {
            Some(b) => Some(b.to_json().map_err(|e| PolarError::Decode(e.to_string()))?),
            None => None,
        };
        let mut attempt: u32 = 0;
        loop {
            let mut req = HttpRequest::new(method, url.clone())
                .with_bearer(&self.token)
                .with_header("accept", "application/json");
            if let Some(bytes) = &body_bytes {
                req = req.with_body("application/json", bytes.clone());
            }
            let resp = match self.http.send(req).await {
                Ok(r) => r,
                Err(HttpError::Timeout(_)) => return Err(PolarError::Timeout),
                Err(e) => return Err(PolarError::Transport(e.to_string())),
            };
            let status = resp.status;
            let retry_after = resp
                .header("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let text = resp.text();
            if resp.is_success() {
                return serde_json::from_str(&text).map_err(|e| {
                    PolarError::Decode(format!("{} {}: {e}", method.as_str(), url.path()))
                });
            }
            let retryable = status == 429 || (500..600).contains(&status);
            if retryable && attempt < self.retry.max_retries {
                let backoff = self.retry.base_backoff.saturating_mul(1 << attempt.min(16));
                let wait = if status == 429 {
                    retry_after
                        .unwrap_or(backoff)
                        .min(self.retry.max_retry_after)
                } else {
                    backoff
                };
                attempt += 1;
                tokio::time::sleep(wait).await;
                continue;
            }
            return Err(PolarError::from_response(status, text));
        }
    }

    /// `GET /v1/products/{id}`.
    pub async fn get_product(&self, id: &str) -> Result<Product, PolarError> {
        self.send(Method::Get, self.url(&["v1", "products", id], &[]), None)
            .await
    }

    /// `GET /v1/products/`.
    pub async fn list_products(
        &self,
        params: &ProductListParams,
    ) -> Result<ListResource<Product>, PolarError> {
        let mut q = Vec::new();
        if let Some(v) = &params.id {
            q.push(("id", v.clone()));
        }
        if let Some(v) = &params.query {
            q.push(("query", v.clone()));
        }
        if let Some(v) = params.is_archived {
            q.push(("is_archived", v.to_string()));
        }
        if let Some(v) = params.is_recurring {
            q.push(("is_recurring", v.to_string()));
        }
        if let Some(v) = params.page {
            q.push(("page", v.to_string()));
        }
        if let Some(v) = params.limit {
            q.push(("limit", v.to_string()));
        }
        self.send(Method::Get, self.url(&["v1", "products", ""], &q), None)
            .await
    }

    /// `POST /v1/checkouts/` (201 `Checkout`).
    pub async fn create_checkout(&self, body: &CheckoutCreate) -> Result<Checkout, PolarError> {
        self.send(
            Method::Post,
            self.url(&["v1", "checkouts", ""], &[]),
            Some(body),
        )
        .await
    }

    /// `GET /v1/checkouts/{id}`.
    pub async fn get_checkout(&self, id: &str) -> Result<Checkout, PolarError> {
        self.send(Method::Get, self.url(&["v1", "checkouts", id], &[]), None)
            .await
    }

    /// `POST /v1/customer-sessions/` (201 `CustomerSession`).
    pub async fn create_customer_session(
        &self,
        body: &CustomerSessionCreate,
    ) -> Result<CustomerSession, PolarError> {
        self.send(
            Method::Post,
            self.url(&["v1", "customer-sessions", ""], &[]),
            Some(body),
        )
        .await
    }

    /// `GET /v1/customers/` (first page, 100 per page), optionally only the customer with
    /// this email (`ListResource[Customer]`).
    pub async fn list_customers(
        &self,
        email: Option<&str>,
    ) -> Result<ListResource<Customer>, PolarError> {
        let mut q = vec![("limit", "100".to_string())];
        if let Some(email) = email {
            q.push(("email", email.to_string()));
        }
        self.send(Method::Get, self.url(&["v1", "customers", ""], &q), None)
            .await
    }

    /// `GET /v1/customers/{id}/state`.
    pub async fn get_customer_state(&self, id: &str) -> Result<CustomerState, PolarError> {
        self.send(
            Method::Get,
            self.url(&["v1", "customers", id, "state"], &[]),
            None,
        )
        .await
    }

    /// `GET /v1/customers/external/{external_id}/state`.
    pub async fn get_customer_state_external(
        &self,
        external_id: &str,
    ) -> Result<CustomerState, PolarError> {
        self.send(
            Method::Get,
            self.url(&["v1", "customers", "external", external_id, "state"], &[]),
            None,
        )
        .await
    }

    /// `GET /v1/subscriptions/` with filters.
    pub async fn list_subscriptions(
        &self,
        params: &SubscriptionListParams,
    ) -> Result<ListResource<Subscription>, PolarError> {
        let mut q = Vec::new();
        if let Some(v) = &params.product_id {
            q.push(("product_id", v.clone()));
        }
        if let Some(v) = &params.customer_id {
            q.push(("customer_id", v.clone()));
        }
        if let Some(v) = &params.external_customer_id {
            q.push(("external_customer_id", v.clone()));
        }
        for s in &params.status {
            q.push(("status", s.as_str().to_string()));
        }
        if let Some(v) = params.cancel_at_period_end {
            q.push(("cancel_at_period_end", v.to_string()));
        }
        if let Some(v) = params.page {
            q.push(("page", v.to_string()));
        }
        if let Some(v) = params.limit {
            q.push(("limit", v.to_string()));
        }
        self.send(
            Method::Get,
            self.url(&["v1", "subscriptions", ""], &q),
            None,
        )
        .await
    }

    /// Every page of `GET /v1/subscriptions/` (100 per page, at most 50 pages).
    pub async fn list_all_subscriptions(
        &self,
        params: &SubscriptionListParams,
    ) -> Result<Vec<Subscription>, PolarError> {
        let mut all = Vec::new();
        let mut page = 1;
        loop {
            let mut p = params.clone();
            p.page = Some(page);
            p.limit = Some(100);
            let res = self.list_subscriptions(&p).await?;
            let empty = res.items.is_empty();
            all.extend(res.items);
            if empty || i64::from(page) >= res.pagination.max_page || page >= 50 {
                return Ok(all);
            }
            page += 1;
        }
    }

    /// `GET /v1/subscriptions/{id}`.
    pub async fn get_subscription(&self, id: &str) -> Result<Subscription, PolarError> {
        self.send(
            Method::Get,
            self.url(&["v1", "subscriptions", id], &[]),
            None,
        )
        .await
    }

    /// `PATCH /v1/subscriptions/{id}` (cancel at period end / uncancel / seats / revoke).
    pub async fn update_subscription(
        &self,
        id: &str,
        body: &SubscriptionUpdate,
    ) -> Result<Subscription, PolarError> {
        self.send(
            Method::Patch,
            self.url(&["v1", "subscriptions", id], &[]),
            Some(body),
        )
        .await
    }

    /// `DELETE /v1/subscriptions/{id}`: revoke now.
    pub async fn revoke_subscription(&self, id: &str) -> Result<Subscription, PolarError> {
        self.send(
            Method::Delete,
            self.url(&["v1", "subscriptions", id], &[]),
            None,
        )
        .await
    }

    /// `POST /v1/webhooks/endpoints` (201 `WebhookEndpoint`, with the generated secret).
    pub async fn create_webhook_endpoint(
        &self,
        body: &WebhookEndpointCreate,
    ) -> Result<WebhookEndpoint, PolarError> {
        self.send(
            Method::Post,
            self.url(&["v1", "webhooks", "endpoints"], &[]),
            Some(body),
        )
        .await
    }

    /// `GET /v1/webhooks/endpoints`.
    pub async fn list_webhook_endpoints(
        &self,
        page: Option<u32>,
        limit: Option<u32>,
    ) -> Result<ListResource<WebhookEndpoint>, PolarError> {
        let mut q = Vec::new();
        if let Some(v) = page {
            q.push(("page", v.to_string()));
        }
        if let Some(v) = limit {
            q.push(("limit", v.to_string()));
        }
        self.send(
            Method::Get,
            self.url(&["v1", "webhooks", "endpoints"], &q),
            None,
        )
        .await
    }
}

/// Object-safe serialization so `send` can take any request body.
mod erased {
    pub trait Body {
        fn to_json(&self) -> Result<Vec<u8>, serde_json::Error>;
    }

    impl<T: super::Serialize> Body for T {
        fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
            serde_json::to_vec(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_defaults_to_sandbox_and_url_overrides() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let c = PolarClient::from_lookup(env(&[("POLAR_ACCESS_TOKEN", "polar_oat_x")])).unwrap();
        assert_eq!(c.base_url(), "https://sandbox-api.polar.sh");
        let c = PolarClient::from_lookup(env(&[
            ("POLAR_ACCESS_TOKEN", "polar_oat_x"),
            ("POLAR_SERVER", "production"),
        ]))
        .unwrap();
        assert_eq!(c.base_url(), "https://api.polar.sh");
        let c = PolarClient::from_lookup(env(&[
            ("POLAR_ACCESS_TOKEN", "polar_oat_x"),
            ("POLAR_SERVER", "production"),
            ("POLAR_API_URL", "http://127.0.0.1:9/"),
        ]))
        .unwrap();
        assert_eq!(c.base_url(), "http://127.0.0.1:9");
        assert!(matches!(
            PolarClient::from_lookup(env(&[("POLAR_SERVER", "sandbox")])),
            Err(PolarError::Config(_))
        ));
        assert!(matches!(
            PolarClient::from_lookup(env(&[
                ("POLAR_ACCESS_TOKEN", "t"),
                ("POLAR_SERVER", "staging")
            ])),
            Err(PolarError::Config(_))
        ));
    }

    #[test]
    fn debug_never_shows_the_token() {
        let c = PolarClient::builder("https://api.polar.sh", "polar_oat_SECRET123")
            .build()
            .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("SECRET123"), "{shown}");
    }

    #[test]
    fn collection_paths_keep_the_trailing_slash_and_ids_are_escaped() {
        let c = PolarClient::builder("http://h/prefix/", "t")
            .build()
            .unwrap();
        assert_eq!(
            c.url(&["v1", "checkouts", ""], &[]).as_str(),
            "http://h/prefix/v1/checkouts/"
        );
        assert_eq!(
            c.url(&["v1", "customers", "external", "a/b c", "state"], &[])
                .as_str(),
            "http://h/prefix/v1/customers/external/a%2Fb%20c/state"
        );
    }

    #[test]
    fn error_bodies_are_parsed() {
        let e = PolarError::from_response(
            401,
            r#"{"error": "invalid_token", "error_description": "The access token provided is expired, revoked, malformed, or invalid for other reasons."}"#.into(),
        );
        match &e {
            PolarError::Api {
                status,
                error,
                detail,
                ..
            } => {
                assert_eq!(*status, 401);
                assert_eq!(error.as_deref(), Some("invalid_token"));
                assert!(detail.as_deref().unwrap().starts_with("The access token"));
            }
            other => panic!("{other:?}"),
        }
        let e = PolarError::from_response(
            422,
            r#"{"error":"PolarRequestValidationError","detail":[{"type":"value_error","loc":["body","products",0],"msg":"Product does not exist.","input":"x"}]}"#.into(),
        );
        assert_eq!(
            e.to_string(),
            "Polar answered HTTP 422 PolarRequestValidationError: body.products.0: Product does not exist."
        );
        let e = PolarError::from_response(429, String::new());
        assert_eq!(e.to_string(), "Polar answered HTTP 429");
    }
}
