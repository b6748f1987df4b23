//! The cheap container probe of a clip: walks the MP4's top-level boxes (each must fit in
//! the file, so a cut-off file is caught), and reads the movie duration (`mvhd`) and the
//! video track's sample count (`stsz`) from `moov`. No decoding and no process: the
//! frames themselves are counted where they are fed to the encoder.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::plan::ClipProbe;
use super::VideoError;

/// `moov` bigger than this is not a clip of ours.
const MAX_MOOV: u64 = 64 << 20;

/// Probes the clip at `path`; see the module doc.
pub fn probe_file(path: &Path) -> Result<ClipProbe, VideoError> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| VideoError::Files(format!("cannot open {}: {e}", path.display())))?;
    let len = file
        .metadata()
        .map_err(|e| VideoError::Files(format!("cannot read {}: {e}", path.display())))?
        .len();
    probe(&mut file, len)
}

/// Probes an MP4 of `len` bytes read from `file`.
pub fn probe(file: &mut (impl Read + Seek), len: u64) -> Result<ClipProbe, VideoError> {
    if len == 0 {
        return Err(VideoError::Files("the file is empty".into()));
    }
    let mut pos = 0u64;
    let mut moov = None;
    let mut mdat = false;
    while pos < len {
        let (kind, header, size) = box_header(file, pos, len)?;
        if pos + size > len {
            return Err(VideoError::Files(format!(
                "the file is cut short: its `{}` box ends at byte {} but the file has {len} bytes",
                String::from_utf8_lossy(&kind),
                pos + size
            )));
        }
        match &kind {
            b"moov" if size - header <= MAX_MOOV => {
                let mut body = vec![0; (size - header) as usize];
                file.seek(SeekFrom::Start(pos + header))
                    .and_then(|_| file.read_exact(&mut body))
                    .map_err(|e| VideoError::Files(format!("cannot read the moov box: {e}")))?;
                moov = Some(body);
            }
            b"mdat" => mdat = true,
            _ => {}
        }
        pos += size;
    }
    let moov = moov.ok_or_else(|| VideoError::Files("the file has no moov box".into()))?;
    if !mdat {
        return Err(VideoError::Files("the file has no media data".into()));
    }
    parse_moov(&moov)
}

/// Reads the header of the box at `pos`: its type, header length and whole size.
fn box_header(
    file: &mut (impl Read + Seek),
    pos: u64,
    len: u64,
) -> Result<([u8; 4], u64, u64), VideoError> {
    let cut = || {
        VideoError::Files(format!(
            "the file is cut short: a box header at byte {pos} does not fit in its {len} bytes"
        ))
    };
    if len - pos < 8 {
        return Err(cut());
    }
    let mut head = [0u8; 8];
    file.seek(SeekFrom::Start(pos))
        .and_then(|_| file.read_exact(&mut head))
        .map_err(|_| cut())?;
    let kind = [head[4], head[5], head[6], head[7]];
    let (header, size) = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
        0 => (8, len - pos),
        1 => {
            let mut large = [0u8; 8];
            file.read_exact(&mut large).map_err(|_| cut())?;
            (16, u64::from_be_bytes(large))
        }
        n => (8, u64::from(n)),
    };
    if size < header {
        return Err(VideoError::Files(format!(
            "the file is malformed: a box at byte {pos} is {size} bytes long"
        )));
    }
    Ok((kind, header, size))
}

/// The children of a box body: (type, body).
pub(super) fn children(body: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 8 <= body.len() {
        let size = u32::from_be_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
        let kind = [body[at + 4], body[at + 5], body[at + 6], body[at + 7]];
        let (header, size) = match size {
            0 => (8, body.len() - at),
            1 if at + 16 <= body.len() => {
                let mut large = [0u8; 8];
                large.copy_from_slice(&body[at + 8..at + 16]);
                (
                    16,
                    usize::try_from(u64::from_be_bytes(large)).unwrap_or(usize::MAX),
                )
            }
            n => (8, n as usize),
        };
        if size < header || at + size > body.len() {
            break;
        }
        out.push((kind, &body[at + header..at + size]));
        at += size;
    }
    out
}

pub(super) fn child<'a>(body: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    children(body)
        .into_iter()
        .find(|(k, _)| k == kind)
        .map(|(_, b)| b)
}

pub(super) fn be32(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 4)?;
    Some(u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
}

pub(super) fn be64(bytes: &[u8], at: usize) -> Option<u64> {
    let b = bytes.get(at..at + 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_be_bytes(a))
}

/// Movie duration from `mvhd`, frames from the first video track's `stsz`.
fn parse_moov(moov: &[u8]) -> Result<ClipProbe, VideoError> {
    let unreadable = |what: &str| VideoError::Files(format!("the file's {what} cannot be read"));
    let mvhd = child(moov, b"mvhd").ok_or_else(|| unreadable("movie header"))?;
    let (timescale, duration) = match mvhd.first() {
        Some(1) => (be32(mvhd, 20), be64(mvhd, 24)),
        _ => (be32(mvhd, 12), be32(mvhd, 16)),
    };
    let (timescale, duration) = timescale
        .zip(duration)
        .filter(|(t, _)| *t > 0)
        .ok_or_else(|| unreadable("movie header"))?;
    let frames = children(moov)
        .into_iter()
        .filter(|(kind, _)| kind == b"trak")
        .filter_map(|(_, trak)| child(trak, b"mdia"))
        .find(|mdia| child(mdia, b"hdlr").and_then(|h| h.get(8..12)) == Some(b"vide"))
        .and_then(|mdia| child(mdia, b"minf"))
        .and_then(|minf| child(minf, b"stbl"))
        .and_then(|stbl| child(stbl, b"stsz").or_else(|| child(stbl, b"stz2")))
        .and_then(|stsz| be32(stsz, 8))
        .ok_or_else(|| unreadable("video track"))?;
    Ok(ClipProbe {
        duration: duration as f64 / timescale as f64,
        frames,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn make(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    /// A minimal MP4: ftyp, moov (mvhd: 2000 at 1000/s; one video trak with 30 samples), mdat.
    fn clip() -> Vec<u8> {
        let mut mvhd = vec![0u8; 100];
        mvhd[12..16].copy_from_slice(&1000u32.to_be_bytes());
        mvhd[16..20].copy_from_slice(&2000u32.to_be_bytes());
        let mut hdlr = vec![0u8; 24];
        hdlr[8..12].copy_from_slice(b"vide");
        let mut stsz = vec![0u8; 12];
        stsz[8..12].copy_from_slice(&30u32.to_be_bytes());
        let stbl = make(b"stbl", &make(b"stsz", &stsz));
        let minf = make(b"minf", &stbl);
        let mdia = make(b"mdia", &[make(b"hdlr", &hdlr), minf].concat());
        let moov = make(
            b"moov",
            &[make(b"mvhd", &mvhd), make(b"trak", &mdia)].concat(),
        );
        [make(b"ftyp", b"isom"), moov, make(b"mdat", &[7; 500])].concat()
    }

    fn probe_bytes(bytes: &[u8]) -> Result<ClipProbe, VideoError> {
        probe(&mut Cursor::new(bytes), bytes.len() as u64)
    }

    #[test]
    fn reads_duration_and_frames_from_the_movie_box() {
        let probe = probe_bytes(&clip()).unwrap();
        assert_eq!(probe.frames, 30);
        assert!((probe.duration - 2.0).abs() < 1e-9);
    }

    #[test]
    fn a_file_cut_short_is_refused() {
        let whole = clip();
        let err = probe_bytes(&whole[..whole.len() - 100]).unwrap_err();
        assert!(err.to_string().contains("cut short"), "{err}");
        let err = probe_bytes(&whole[..whole.len() - 503]).unwrap_err();
        assert!(err.to_string().contains("cut short"), "{err}");
        assert!(probe_bytes(&[]).unwrap_err().to_string().contains("empty"));
    }

    #[test]
    fn a_file_without_movie_or_media_is_refused() {
        let only_data = [make(b"ftyp", b"isom"), make(b"mdat", &[0; 10])].concat();
        assert!(probe_bytes(&only_data)
            .unwrap_err()
            .to_string()
            .contains("moov"));
        let whole = clip();
        let no_data = &whole[..whole.len() - 508];
        assert!(probe_bytes(no_data)
            .unwrap_err()
            .to_string()
            .contains("media data"));
    }
}
