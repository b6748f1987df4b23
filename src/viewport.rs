//! [`Viewport`]: a size in CSS pixels (`1280x800`), valid once and for all: both numbers even
//! (video encoders need even sizes) and between 200 and 7680. Used for the browser viewport
//! and the video size, from the command line and the project file alike.
//! Pure: imports nothing of the crate.

use std::fmt;
use std::str::FromStr;

const MIN: u32 = 200;
const MAX: u32 = 7680;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Viewport {
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewportError {
    #[error("`{0}` is not a size like 1280x800")]
    Malformed(String),
    #[error("`{0}`: width and height must be even and between {MIN} and {MAX} (video encoders need even sizes)")]
    OutOfRange(String),
}

impl Viewport {
    /// The default: 1280×800.
    pub const DEFAULT: Viewport = Viewport {
        width: 1280,
        height: 800,
    };

    pub fn new(width: u32, height: u32) -> Result<Viewport, ViewportError> {
        let ok = |n: u32| n.is_multiple_of(2) && (MIN..=MAX).contains(&n);
        if ok(width) && ok(height) {
            Ok(Viewport { width, height })
        } else {
            Err(ViewportError::OutOfRange(format!("{width}x{height}")))
        }
    }
}

impl Default for Viewport {
    fn default() -> Self {
        Viewport::DEFAULT
    }
}

impl FromStr for Viewport {
    type Err = ViewportError;

    fn from_str(text: &str) -> Result<Viewport, ViewportError> {
        let t = text.trim();
        let malformed = || ViewportError::Malformed(t.to_string());
        let (w, h) = t.split_once(['x', 'X']).ok_or_else(malformed)?;
        let w: u32 = w.trim().parse().map_err(|_| malformed())?;
        let h: u32 = h.trim().parse().map_err(|_| malformed())?;
        Viewport::new(w, h).map_err(|_| ViewportError::OutOfRange(t.to_string()))
    }
}

impl fmt::Display for Viewport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_validates_once() {
        assert_eq!("1280x800".parse::<Viewport>().unwrap(), Viewport::DEFAULT);
        assert_eq!(
            "640X400".parse::<Viewport>().unwrap(),
            Viewport::new(640, 400).unwrap()
        );
        assert_eq!(Viewport::DEFAULT.to_string(), "1280x800");
        let err = |t: &str| t.parse::<Viewport>().unwrap_err().to_string();
        assert_eq!(err("big"), "`big` is not a size like 1280x800");
        assert!(err("1280x657").contains("must be even"));
        assert!(err("100x100").contains("between 200 and 7680"));
        assert!(err("99999999999x800").contains("not a size"));
    }
}
