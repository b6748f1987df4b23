//! A virtual X display for `--headed`: Xvfb on a display number it picks itself
//! (`-displayfd`), in its own process group through [`GroupChild`], gone when stopped or
//! dropped. Knows nothing of the browser session or of video.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::BrowserError;
use crate::process::GroupChild;
use crate::viewport::Viewport;

/// Pixels the screen of an own Xvfb has beyond the viewport, right and below.
const SCREEN_MARGIN: u32 = 64;

/// A running Xvfb and its display name (`:N`).
#[derive(Debug)]
pub struct VirtualDisplay {
    process: GroupChild,
    name: String,
}

impl VirtualDisplay {
    /// An Xvfb for a kiosk window of `viewport` at its top left. A screen exactly the
    /// window's size leaves the window 1 px short each way, and no resize can grow it
    /// (three tries of ~0.3 s each): a margin lets it take its size.
    pub async fn for_viewport(xvfb: &Path, viewport: Viewport) -> Result<Self, BrowserError> {
        let size = (
            viewport.width + SCREEN_MARGIN,
            viewport.height + SCREEN_MARGIN,
        );
        Self::start(xvfb, size).await
    }

    /// Starts `xvfb` with one screen of `width`x`height`x24, no TCP, on a free display
    /// (Xvfb writes the number it took to stdout, `-displayfd 1`).
    pub async fn start(xvfb: &Path, (width, height): (u32, u32)) -> Result<Self, BrowserError> {
        if !xvfb.is_file() {
            return Err(BrowserError::Setup {
                what: format!(
                    "the browser needs an X display of its own and Xvfb ({}) is missing",
                    xvfb.display()
                ),
                fix: "install it with `apt-get install xvfb` (scripts/setup.sh installs it), \
                      or run without --headed and --video-source x11grab"
                    .into(),
            });
        }
        let mut command = Command::new(xvfb);
        command
            .args(["-displayfd", "1", "-screen", "0"])
            .arg(format!("{width}x{height}x24"))
            .args(["-nolisten", "tcp", "-nocursor"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut process =
            GroupChild::spawn("Xvfb", &mut command).map_err(|e| BrowserError::Setup {
                what: format!("cannot start {}: {e}", xvfb.display()),
                fix: "check that Xvfb runs: `Xvfb -help`".into(),
            })?;
        let stdout = process.child_mut().stdout.take();
        let number = async {
            let mut line = String::new();
            let mut reader = BufReader::new(stdout?);
            reader.read_line(&mut line).await.ok()?;
            line.trim().parse::<u32>().ok()
        };
        match tokio::time::timeout(Duration::from_secs(10), number).await {
            Ok(Some(n)) => Ok(VirtualDisplay {
                process,
                name: format!(":{n}"),
            }),
            _ => {
                process.shutdown(Duration::from_millis(300)).await;
                Err(BrowserError::Setup {
                    what: "Xvfb did not report a display within 10 s".into(),
                    fix: "run `Xvfb -displayfd 1` by hand to see why it does not start".into(),
                })
            }
        }
    }

    /// The display name for `DISPLAY` and ffmpeg's x11grab (`:N`).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> i32 {
        self.process.pid()
    }

    /// Stops Xvfb (its whole process group).
    pub async fn stop(mut self) {
        self.process.shutdown(Duration::from_millis(500)).await;
    }
}
