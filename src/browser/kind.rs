//! Which browser a run drives: Chromium (through chromedriver) or Firefox (through
//! geckodriver), by name on the command line and in the project file, and by the
//! `browserName` a session reports.

use super::Browser;

/// The browsers the tool drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BrowserKind {
    #[default]
    Chromium,
    Firefox,
}

impl BrowserKind {
    /// The name on the command line, in the project file and in the report's words.
    pub fn as_str(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "chromium",
            BrowserKind::Firefox => "firefox",
        }
    }

    /// The W3C `browserName` a driver (or a Grid's slot) knows the browser by.
    pub fn w3c_name(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "chrome",
            BrowserKind::Firefox => "firefox",
        }
    }

    /// The driver program that starts this browser.
    pub fn driver_name(self) -> &'static str {
        match self {
            BrowserKind::Chromium => "chromedriver",
            BrowserKind::Firefox => "geckodriver",
        }
    }

    /// From a W3C `browserName` (`chrome`, `chromium`, `MicrosoftEdge`… count as Chromium).
    pub fn from_w3c_name(name: &str) -> BrowserKind {
        if name.eq_ignore_ascii_case("firefox") {
            BrowserKind::Firefox
        } else {
            BrowserKind::Chromium
        }
    }
}

impl std::str::FromStr for BrowserKind {
    type Err = UnknownBrowser;

    fn from_str(name: &str) -> Result<BrowserKind, UnknownBrowser> {
        match name {
            "chromium" => Ok(BrowserKind::Chromium),
            "firefox" => Ok(BrowserKind::Firefox),
            other => Err(UnknownBrowser(other.to_string())),
        }
    }
}

/// A browser name the tool does not drive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown browser {0:?}: use chromium or firefox")]
pub struct UnknownBrowser(pub String);

impl Browser {
    /// Which browser this session is, by the `browserName` it reported.
    pub fn kind(&self) -> BrowserKind {
        BrowserKind::from_w3c_name(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_sessions_are_told_apart_by_browser_name() {
        for kind in [BrowserKind::Chromium, BrowserKind::Firefox] {
            assert_eq!(kind.as_str().parse::<BrowserKind>(), Ok(kind));
            assert_eq!(BrowserKind::from_w3c_name(kind.w3c_name()), kind);
        }
        assert!("safari".parse::<BrowserKind>().is_err());
        assert_eq!(BrowserKind::from_w3c_name("chrome"), BrowserKind::Chromium);
    }
}
