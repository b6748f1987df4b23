//! How much loading and running scenarios may read, expand and report, so that a
//! mistake (or a hostile file) ends in a diagnostic instead of gigabytes or minutes.
//! Pure constants and their wording: imports nothing.

/// How many diagnostics [`super::Diagnostics::render`] shows before "and N more".
pub const MAX_RENDERED: usize = 50;
