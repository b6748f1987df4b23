//! Starting over as a new visitor. Chromium forgets the cookies of every site at once
//! through chromedriver's DevTools passthrough. WebDriver itself only reaches the cookies of
//! the current document, so elsewhere (Firefox, a node that refuses the passthrough) each
//! site the run knows of is opened and its cookies deleted there, once per scheme and host
//! (cookies ignore ports), and the tab is left on `about:blank`.

use std::collections::HashSet;

use serde_json::{json, Value};

use super::{Browser, BrowserError, BrowserKind};

impl Browser {
    /// Forgets the cookies of `sites` (base URLs: the app, the mock's hosted pages), so the
    /// next page sees a new visitor; in Chromium, of every site.
    pub async fn clear_cookies(&self, sites: &[url::Url]) -> Result<(), BrowserError> {
        if self.kind() == BrowserKind::Chromium {
            let cdp = CdpCommand {
                cmd: "Network.clearBrowserCookies",
                params: json!({}),
            };
            if self.client.issue_cmd(cdp).await.is_ok() {
                return Ok(());
            }
        }
        // The current document's first: it needs no navigation (about:blank has none).
        let _ = self.client.delete_all_cookies().await;
        let mut done = HashSet::new();
        for site in sites {
            let Some(host) = site.host_str() else {
                continue;
            };
            if !done.insert((site.scheme().to_string(), host.to_string())) {
                continue;
            }
            // Any document of the site will do; the favicon is the cheapest one to load.
            let page = site
                .join("/favicon.ico")
                .map_err(|e| BrowserError::Invalid(format!("{site} is not a base URL: {e}")))?;
            self.client.goto(page.as_str()).await?;
            self.client.delete_all_cookies().await?;
        }
        self.client.goto("about:blank").await?;
        Ok(())
    }
}

/// chromedriver's DevTools passthrough: `{"cmd": …, "params": …}`.
#[derive(Debug)]
struct CdpCommand {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for CdpCommand {
    fn endpoint(
        &self,
        base: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}
