//! A Matroska stream of still images (JPEG or PNG), each with its exact timestamp: the
//! container that carries per-frame times through a pipe into ffmpeg. Only what ffmpeg's
//! demuxer needs is written: the EBML header, a segment of unknown size, a microsecond
//! timestamp scale, one video track, and one cluster per image. Pure bytes, no I/O.

/// The kind of still image a frame log holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Still {
    /// DevTools screencast frames.
    Jpeg,
    /// WebDriver screenshots.
    Png,
}

/// Timestamps are in microseconds.
const TIMESTAMP_SCALE_NS: u64 = 1_000;

/// The stream header: EBML header, segment start, info and the one video track, whose
/// images are `width`x`height` and last `frame_ns` nanoseconds each unless told otherwise.
pub fn header(still: Still, width: u32, height: u32, frame_ns: u64) -> Vec<u8> {
    let mut ebml = Vec::new();
    uint(&mut ebml, &[0x42, 0x86], 1); // EBMLVersion
    uint(&mut ebml, &[0x42, 0xF7], 1); // EBMLReadVersion
    uint(&mut ebml, &[0x42, 0xF2], 4); // EBMLMaxIDLength
    uint(&mut ebml, &[0x42, 0xF3], 8); // EBMLMaxSizeLength
    element(&mut ebml, &[0x42, 0x82], b"matroska"); // DocType
    uint(&mut ebml, &[0x42, 0x87], 4); // DocTypeVersion
    uint(&mut ebml, &[0x42, 0x85], 2); // DocTypeReadVersion
    let mut out = Vec::new();
    element(&mut out, &[0x1A, 0x45, 0xDF, 0xA3], &ebml);
    // Segment of unknown size: the stream ends when the pipe closes.
    out.extend_from_slice(&[
        0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ]);
    let mut info = Vec::new();
    uint(&mut info, &[0x2A, 0xD7, 0xB1], TIMESTAMP_SCALE_NS);
    element(&mut info, &[0x4D, 0x80], b"walkthrough"); // MuxingApp
    element(&mut info, &[0x57, 0x41], b"walkthrough"); // WritingApp
    element(&mut out, &[0x15, 0x49, 0xA9, 0x66], &info);
    let mut video = Vec::new();
    uint(&mut video, &[0xB0], width.into()); // PixelWidth
    uint(&mut video, &[0xBA], height.into()); // PixelHeight
    let mut track = Vec::new();
    uint(&mut track, &[0xD7], 1); // TrackNumber
    uint(&mut track, &[0x73, 0xC5], 1); // TrackUID
    uint(&mut track, &[0x83], 1); // TrackType: video
    match still {
        Still::Jpeg => element(&mut track, &[0x86], b"V_MJPEG"),
        Still::Png => {
            element(&mut track, &[0x86], b"V_MS/VFW/FOURCC");
            element(
                &mut track,
                &[0x63, 0xA2],
                &bitmap_info(width, height, b"MPNG"),
            );
        }
    }
    uint(&mut track, &[0x23, 0xE3, 0x83], frame_ns); // DefaultDuration
    element(&mut track, &[0xE0], &video);
    let mut tracks = Vec::new();
    element(&mut tracks, &[0xAE], &track);
    element(&mut out, &[0x16, 0x54, 0xAE, 0x6B], &tracks);
    out
}

/// One image shown from `pts_us` microseconds: a cluster holding a single key frame.
pub fn frame(pts_us: u64, image: &[u8]) -> Vec<u8> {
    let mut block = Vec::with_capacity(image.len() + 4);
    // Track 1, timestamp 0 relative to the cluster, key frame.
    block.extend_from_slice(&[0x81, 0x00, 0x00, 0x80]);
    block.extend_from_slice(image);
    let mut cluster = Vec::with_capacity(block.len() + 32);
    uint(&mut cluster, &[0xE7], pts_us); // Timestamp
    element(&mut cluster, &[0xA3], &block); // SimpleBlock
    let mut out = Vec::with_capacity(cluster.len() + 12);
    element(&mut out, &[0x1F, 0x43, 0xB6, 0x75], &cluster);
    out
}

/// A BITMAPINFOHEADER naming the codec by FourCC (how Matroska carries PNG).
fn bitmap_info(width: u32, height: u32, fourcc: &[u8; 4]) -> Vec<u8> {
    let mut out = Vec::with_capacity(40);
    out.extend_from_slice(&40u32.to_le_bytes());
    out.extend_from_slice(&width.to_le_bytes());
    out.extend_from_slice(&height.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // planes
    out.extend_from_slice(&24u16.to_le_bytes()); // bits per pixel
    out.extend_from_slice(fourcc);
    out.extend_from_slice(&[0; 20]);
    out
}

/// An element: its id, its size as an 8-byte EBML number, its body.
fn element(out: &mut Vec<u8>, id: &[u8], body: &[u8]) {
    out.extend_from_slice(id);
    let size = body.len() as u64;
    out.push(0x01);
    out.extend_from_slice(&size.to_be_bytes()[1..]);
    out.extend_from_slice(body);
}

/// An unsigned integer element, big-endian in as few bytes as it needs.
fn uint(out: &mut Vec<u8>, id: &[u8], value: u64) {
    let bytes = value.to_be_bytes();
    let skip = (value.leading_zeros() / 8).min(7) as usize;
    element(out, id, &bytes[skip..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_carry_their_size_and_minimal_integers() {
        let mut out = Vec::new();
        uint(&mut out, &[0xE7], 0x0102);
        assert_eq!(out, [0xE7, 0x01, 0, 0, 0, 0, 0, 0, 2, 0x01, 0x02]);
        let mut zero = Vec::new();
        uint(&mut zero, &[0xE7], 0);
        assert_eq!(zero, [0xE7, 0x01, 0, 0, 0, 0, 0, 0, 1, 0]);
    }

    #[test]
    fn a_frame_is_a_cluster_with_one_key_frame_at_its_timestamp() {
        let out = frame(66_667, b"JPEG");
        assert_eq!(&out[..4], [0x1F, 0x43, 0xB6, 0x75]);
        let body_len =
            u64::from_be_bytes([0, out[5], out[6], out[7], out[8], out[9], out[10], out[11]]);
        assert_eq!(body_len as usize, out.len() - 12);
        // Timestamp 66667 = 0x01046B in three bytes.
        assert_eq!(
            &out[12..24],
            [0xE7, 0x01, 0, 0, 0, 0, 0, 0, 3, 0x01, 0x04, 0x6B]
        );
        assert_eq!(out[24], 0xA3);
        assert!(out.ends_with(&[0x81, 0x00, 0x00, 0x80, b'J', b'P', b'E', b'G']));
    }

    #[test]
    fn the_header_names_the_codec_and_the_size() {
        let jpeg = header(Still::Jpeg, 1280, 800, 66_666_667);
        assert!(jpeg.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]));
        assert!(jpeg.windows(7).any(|w| w == b"V_MJPEG"));
        let png = header(Still::Png, 1280, 800, 66_666_667);
        assert!(png.windows(15).any(|w| w == b"V_MS/VFW/FOURCC"));
        assert!(png.windows(4).any(|w| w == b"MPNG"));
    }
}
