//! The `/new` page: chat, account menu, billing dialog and workspace members, as one static
//! HTML document whose script talks to the JSON API. Every element a scenario touches has a
//! stable `data-testid` (listed in docs/demo-app.md). The page holds no secret.

/// The page, kept as an HTML file beside this one so it reads and lints as HTML.
pub const PAGE: &str = include_str!("page.html");
