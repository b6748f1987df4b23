//! `walkthrough` proves with video that a product's Polar billing lifecycle works end to end.
//!
//! Module map and the path of data:
//!
//! - [`cli`] parses the command line and is the one place that wires modules together.
//! - [`scenario`] loads YAML scenario files into a model whose every step and action knows
//!   its `file:line:col`, or returns every diagnostic at once (nothing runs then).
//! - [`browser`] owns WebDriver: the driver process, the session, locators, actions, waits.
//! - [`capture`] turns what the browser shows into evidence files (screenshots, video).
//! - [`runner`] walks scenarios step by step through the browser and emits events.
//! - [`evidence`] folds runner events into the run outcome and writes the run folder.
//! - [`polar`] holds Polar API types, the HTTP client and webhook signing.
//! - [`polar_mock`] is the stateful local mock of Polar.
//! - [`demo_app`] is the app under test for local runs.
//! - [`static_site`] serves the fixture pages on loopback.
//! - [`process`] starts child processes in their own group and guarantees they are gone.

pub mod browser;
pub mod capture;
pub mod cli;
pub mod demo_app;
pub mod duration;
pub mod evidence;
pub mod harness;
pub mod http_client;
pub mod outcome;
pub mod polar;
pub mod polar_mock;
pub mod process;
pub mod project;
pub mod redact;
pub mod run_folder;
pub mod runner;
pub mod scenario;
pub mod starter;
pub mod target;
pub mod viewport;
