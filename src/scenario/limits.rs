//! How much loading and running scenarios may read, expand and report, so that a
//! mistake (or a hostile file) ends in a diagnostic instead of gigabytes or minutes.
//! Pure constants and their wording: imports nothing.

/// The largest scenario or flow file read, in bytes (1 MiB). Real scenarios are a few
/// KiB; anything near this is not a hand-written scenario.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// The longest value a template may become, in bytes (64 KiB): at `check` time after flow
/// params are filled in (and, for `vars`, as far as their sizes are known), and when the
/// runner renders `${…}`. Values in scenarios are URLs, emails, names and short texts.
pub const MAX_VALUE_BYTES: usize = 64 << 10;

/// How many steps, actions and `use:`s one scenario may expand to (10,000). The
/// scenarios here expand to under a hundred.
pub const MAX_EXPANDED_ITEMS: usize = 10_000;

/// How deep flows may nest through `use:` (32). Each level keeps the chain of `use:` sites
/// that led to it for diagnostics, so depth costs memory as its square: 3,000 nested flows
/// took 600 MB before this limit; the scenarios here nest two deep.
pub const MAX_USE_DEPTH: usize = 32;

/// How much text (templates, names, JSON bodies) one scenario may expand to (16 MiB): a
/// flow can only be used so often, however it is nested.
pub const MAX_EXPANDED_BYTES: usize = 16 << 20;

/// How many diagnostics [`super::Diagnostics::render`] shows before "and N more".
pub const MAX_RENDERED: usize = 50;

/// A byte count as people read it: `64 KiB`, `1 MiB`, `300 bytes`.
pub(crate) fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_written() {
        assert_eq!(human_bytes(MAX_FILE_BYTES), "1 MiB");
        assert_eq!(human_bytes(MAX_VALUE_BYTES as u64), "64 KiB");
        assert_eq!(human_bytes(MAX_EXPANDED_BYTES as u64), "16 MiB");
        assert_eq!(human_bytes(1500), "1500 bytes");
    }
}
