//! Polar: API types, the HTTP client for sandbox and production, webhook signing, and
//! Polar's email rule (which addresses it refuses, without the network).
//! Must not import the mock, the demo app, the browser or the runner.

pub mod cleanup;
pub mod client;
pub mod email;
pub mod types;
pub mod verify;
pub mod webhook;

pub use client::{PolarClient, PolarClientBuilder, PolarError, PolarServer, RetryPolicy};
