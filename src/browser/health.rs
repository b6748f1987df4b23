//! Whether a session still answers. A session whose Selenium Grid node or driver died
//! answers every command with an error at once; the runner gives it no more scenarios.

use std::time::Duration;

use super::Browser;

impl Browser {
    /// Whether the session answers a harmless command (its window handles) within 5 s.
    pub async fn is_alive(&self) -> bool {
        matches!(
            tokio::time::timeout(Duration::from_secs(5), self.client.windows()).await,
            Ok(Ok(_))
        )
    }
}
