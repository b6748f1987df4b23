//! How much loading and running scenarios may read, expand and report, so that a
//! mistake (or a hostile file) ends in a diagnostic instead of gigabytes or minutes.
//! Pure constants and their wording: imports nothing.

/// The largest scenario or flow file read, in bytes (1 MiB). Real scenarios are a few
/// KiB; anything near this is not a hand-written scenario.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// How many diagnostics [`super::Diagnostics::render`] shows before "and N more".
pub const MAX_RENDERED: usize = 50;

/// A byte count as people read it: `64 KiB`, `1 MiB`, `300 bytes`.
pub(crate) fn human_bytes(n: u64) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n % (1 << 10) == 0 {
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
        assert_eq!(human_bytes(64 << 10), "64 KiB");
        assert_eq!(human_bytes(1500), "1500 bytes");
    }
}
