//! `walkthrough` proves with video that a product's Polar billing lifecycle works end to end.
//!
//! Module map and the path of data: [`cli`] parses options into a plan →
//! [`harness`] loads the [`scenario`]s (and the [`project`] file), prepares the
//! [`run_folder`], starts the [`testbed`] (the app and Polar) and the browser sessions →
//! [`runner`] walks each step through the [`browser`], with [`capture`] recording video →
//! its events become the [`outcome`] that [`evidence`] writes, redacted by [`redact`].
//!
//! - [`cli`] — clap; each command turns its options into one library call.
//! - [`harness`] — one run from plan to verdict; owns the exit codes and cleanup order.
//! - [`project`] — `walkthrough.yaml`: finding, reading and checking it.
//! - [`scenario`] — YAML scenarios and flows into a model with `file:line:col` everywhere.
//! - [`testbed`] — where the app and Polar come from: start, readiness, variables,
//!   observer, stop.
//! - [`runner`] — sessions, steps, actions, waits; reports through events.
//! - [`browser`] — WebDriver (fantoccini): driver process, session, locators, actions.
//! - [`capture`] — video (screencast, x11grab, sampling), clips, scenario videos.
//! - [`outcome`] — the one model of step, scenario, run and slot outcomes.
//! - [`evidence`] — console, report.json, index.html, junit.xml, summary.md, manifest; the merge of run folders.
//! - [`run_folder`] — the run folder's layout and writes; [`redact`] — the one redactor.
//! - [`polar`] — Polar API types, the client, webhook signing, the config verifier.
//! - [`polar_mock`] — the stateful mock of Polar (wiremock).
//! - [`demo_app`] — the built-in app under test and the fixture pages (axum, SQLite).
//! - [`intercept`] — Polar's own hostnames for a run: a per-run CA (rcgen) and a loopback
//!   TLS proxy (tokio-rustls) in front of the mock.
//! - [`http_client`] — the one HTTP client (reqwest); [`process`] — child processes that
//!   never outlive the run; [`duration`], [`viewport`] — values parsed once;
//!   [`starter`] — the files `walkthrough init` writes; [`template`] — HTML from templates,
//!   the one HTML escaper (minijinja); [`percent`] — the one percent coder
//!   (percent-encoding).

// No function of the tool itself is longer than clippy.toml's limit (tests tell their story
// in order and may be longer).
#![warn(clippy::too_many_lines)]

pub mod browser;
pub mod capture;
pub mod cli;
pub mod demo_app;
pub mod duration;
pub mod evidence;
pub mod harness;
pub mod http_client;
pub mod intercept;
pub mod outcome;
pub mod percent;
pub mod polar;
pub mod polar_mock;
pub mod process;
pub mod project;
pub mod redact;
pub mod run_folder;
pub mod runner;
pub mod scenario;
pub mod starter;
pub mod template;
pub mod testbed;
pub mod viewport;

#[cfg(test)]
mod module_rules;
