//! What the actions of one step share: the step's execution context ([`Exec`]: the
//! browser, the run, the folder, the vars), the error an action ends with, and the URL rule.
//! [`super::actions`] runs the actions; the `http:` and `verify_config` actions
//! ([`super::http_call`], [`super::verify`]) use this and nothing of `actions`.

use std::path::Path;

use crate::browser::{Browser, BrowserError};
use crate::outcome::NamedShot;
use crate::run_folder::RunFolder;
use crate::scenario::{Location, Template, Vars};

use super::RunContext;

/// Why an action did not do what it says; `Display` is the step's error message.
#[derive(Debug, thiserror::Error)]
pub(super) enum ActionError {
    /// A template could not be rendered (unknown or oversized variable).
    #[error("{0}")]
    Vars(String),
    /// The browser could not do it: `what` names the action and its locator.
    #[error("{what}: {source}")]
    Browser { what: String, source: BrowserError },
    /// An expectation was not met, or the action's own check failed.
    #[error("{0}")]
    Unmet(String),
}

impl ActionError {
    pub(super) fn browser(what: impl Into<String>) -> impl FnOnce(BrowserError) -> ActionError {
        let what = what.into();
        move |source| ActionError::Browser { what, source }
    }
}

pub(super) enum Failure {
    Failed(String, Location),
    Interrupted(Location),
}

pub(super) struct Exec<'a> {
    pub browser: &'a Browser,
    pub ctx: &'a RunContext,
    pub folder: &'a RunFolder,
    pub vars: &'a mut Vars,
    pub shots: Vec<NamedShot>,
    pub shot_dir: &'a Path,
    pub step_index: usize,
    pub step_name: &'a str,
}

impl Exec<'_> {
    pub(super) fn render(&self, template: &Template) -> Result<String, ActionError> {
        self.vars.render(template).map_err(ActionError::Vars)
    }
}

/// An absolute URL as it is; anything else is joined to the app URL.
pub(super) fn resolve_url(app: &url::Url, raw: &str) -> Result<url::Url, ActionError> {
    match url::Url::parse(raw) {
        Ok(u) => Ok(u),
        Err(url::ParseError::RelativeUrlWithoutBase) => app
            .join(raw)
            .map_err(|e| ActionError::Unmet(format!("{raw:?} is not a usable path: {e}"))),
        Err(e) => Err(ActionError::Unmet(format!(
            "{raw:?} is not a valid URL: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_join_the_app_url() {
        let app = url::Url::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(
            resolve_url(&app, "/new?billing=success").unwrap().as_str(),
            "http://127.0.0.1:8080/new?billing=success"
        );
        assert_eq!(
            resolve_url(&app, "https://example.test/x")
                .unwrap()
                .as_str(),
            "https://example.test/x"
        );
    }
}
