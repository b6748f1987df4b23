//! MP4 files, read and written through `mp4-atom` (no other module uses that crate):
//!
//! - **The probe** of a clip ([`probe_file`]): walks the MP4's top-level boxes (each must
//!   fit in the file, so a cut-off file is caught), and reads the movie duration (`mvhd`)
//!   and the video track's sample count (`stsz`) from `moov`. No decoding and no process:
//!   the frames themselves are counted where they are fed to the encoder.
//! - **The join** of a scenario's step clips into one MP4 ([`join`]), in process, by stream
//!   copy: the clips' samples are copied as they are (each clip starts on a key frame, and
//!   the clips of one recorder share their sample description), their sample tables are
//!   laid end to end, and each clip becomes a chapter — a Nero `chpl` list and a QuickTime
//!   chapter text track, as ffmpeg writes them — under the scenario's title
//!   (`udta/meta/ilst`). The movie box goes first (fast start). Clips it cannot join
//!   exactly (another sample description or time scale, composition offsets, an edit that
//!   skips media, a sample description with a box mp4-atom does not know) are
//!   refused with the reason; the caller then joins with ffmpeg. No process: a join is
//!   about a millisecond of work, where starting ffmpeg alone takes ~40 ms of CPU.
//!
//! mp4-atom reads and writes the box headers, `ftyp`, `mvhd`, each clip's video `trak`
//! (decoded whole: `tkhd`, `edts/elst`, `mdia/mdhd/hdlr/minf/vmhd/dinf`, `stbl` with the
//! `avc1` sample description, `stts`, `stss`, `stsc`, `stsz`, `stco`/`co64`), the joined
//! video `trak` with its `tref/chap`, the chapter track's headers and tables, `udta` with
//! `chpl` and `meta`, and the `mdat` header. Kept here, and why:
//! - the chapter track's `text` sample entry and its `gmhd` header are QuickTime's, as
//!   ffmpeg writes them, and mp4-atom 0.17 has neither (its `Stsd` refuses to write an
//!   entry it does not know, its `Minf` has no place for `gmhd`): those two are constants,
//!   and that track's `trak/mdia/minf/stbl/stsd` are framed with mp4-atom's `encode_atom`
//!   (so is `moov`, which holds that track);
//! - the title item `ilst/©nam/data`: mp4-atom's `Ilst` writes `name`, not iTunes' `©nam`
//!   that ffmpeg writes and players show; it goes into mp4-atom's `meta` as a raw box;
//! - where each sample of a clip lies (from `stsc`, `stsz` and `stco`): mp4-atom decodes
//!   the tables but does not resolve them;
//! - the probe's frame count, from `stsz`'s count field: the typed `stsz` reads every
//!   sample's size, and the probe needs the number only.
//!
//! mp4-atom skips boxes it does not know as it decodes, so a clip's sample description is
//! joined only when mp4-atom encodes it back to its length (not byte for byte: it orders an
//! entry's boxes its own way, `btrt` before `pasp` where ffmpeg writes `pasp` first). Other
//! differences from ffmpeg's bytes: mp4-atom orders a track's boxes as `tkhd, mdia, edts,
//! tref` (and `vmhd` after `stbl`; ISO/IEC 14496-12 recommends an order, it does not
//! require one), writes `mvhd`, `tkhd` and `mdhd` in their 64-bit version 1, sets the
//! track headers' `in_preview` flag with `in_movie` (as its §8.3.2.3 asks), and the
//! title's `meta/hdlr` has no `appl` maker code: 60 bytes more on a 7-step scenario.
//! ffmpeg decodes the same pictures and reads the same chapters and title (the tests
//! below), and the scenario video plays in Chromium (`tests/evidence_report.rs`).
//!
//! Imports nothing of the project but [`VideoError`] and [`ClipProbe`].

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use mp4_atom::{
    Any, Atom, BufMut, Chpl, ChplEntry, Codec, Decode, DecodeMaybe, Dinf, Dref, Edts, Elst,
    ElstEntry, Encode, FourCC, Ftyp, Hdlr, Header, Mdhd, Mdia, Meta, Minf, Mvhd, ReadFrom, Stbl,
    Stco, Stsc, StscEntry, Stsd, Stss, Stsz, StszSamples, Stts, SttsEntry, Tkhd,
    TrackReferenceTypeBox, Trak, Tref, Udta, Url,
};

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
                "the file is cut short: its `{kind}` box ends at byte {} but the file has {len} bytes",
                pos + size
            )));
        }
        if kind == FourCC::new(b"moov") && size - header <= MAX_MOOV {
            let mut body = vec![0; (size - header) as usize];
            file.seek(SeekFrom::Start(pos + header))
                .and_then(|_| file.read_exact(&mut body))
                .map_err(|e| VideoError::Files(format!("cannot read the moov box: {e}")))?;
            moov = Some(body);
        }
        mdat |= kind == FourCC::new(b"mdat");
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
) -> Result<(FourCC, u64, u64), VideoError> {
    let cut = || {
        VideoError::Files(format!(
            "the file is cut short: a box header at byte {pos} does not fit in its {len} bytes"
        ))
    };
    if len - pos < 8 {
        return Err(cut());
    }
    file.seek(SeekFrom::Start(pos)).map_err(|_| cut())?;
    let header = match Header::read_from(file) {
        Ok(header) => header,
        Err(mp4_atom::Error::InvalidSize) => {
            return Err(VideoError::Files(format!(
                "the file is malformed: the box at byte {pos} is shorter than its header"
            )))
        }
        Err(_) => return Err(cut()),
    };
    let header_len = file.stream_position().map_err(|_| cut())? - pos;
    let size = header
        .size
        .map_or(len - pos, |body| header_len + body as u64);
    Ok((header.kind, header_len, size))
}

/// A box inside a buffer: its type, the whole box and its body.
#[derive(Clone, Copy)]
struct Boxed<'a> {
    kind: FourCC,
    whole: &'a [u8],
    body: &'a [u8],
}

/// The boxes laid end to end in `bytes`, up to the first that does not fit.
fn boxes(bytes: &[u8]) -> Vec<Boxed<'_>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    loop {
        let start = bytes.len() - rest.len();
        let Ok(Some(header)) = Header::decode_maybe(&mut rest) else {
            break;
        };
        let size = header.size.unwrap_or(rest.len());
        if size > rest.len() {
            break;
        }
        let end = bytes.len() - rest.len() + size;
        out.push(Boxed {
            kind: header.kind,
            whole: &bytes[start..end],
            body: &bytes[end - size..end],
        });
        rest = &rest[size..];
    }
    out
}

/// The first box of type `kind` in `bytes`.
fn child<'a>(bytes: &'a [u8], kind: &[u8; 4]) -> Option<Boxed<'a>> {
    boxes(bytes)
        .into_iter()
        .find(|b| b.kind == FourCC::new(kind))
}

/// The box at the end of `path`, each one inside the one before, from `bytes`.
fn descend<'a>(bytes: &'a [u8], path: &[&[u8; 4]]) -> Option<Boxed<'a>> {
    let (last, within) = path.split_last()?;
    let body = within
        .iter()
        .try_fold(bytes, |body, kind| child(body, kind).map(|b| b.body))?;
    child(body, last)
}

/// Movie duration from `mvhd`, frames from the first video track's `stsz` count.
fn parse_moov(moov: &[u8]) -> Result<ClipProbe, VideoError> {
    let unreadable = |what: &str| VideoError::Files(format!("the file's {what} cannot be read"));
    let mvhd = child(moov, b"mvhd")
        .and_then(|b| Mvhd::decode(&mut { b.whole }).ok())
        .filter(|m| m.timescale > 0)
        .ok_or_else(|| unreadable("movie header"))?;
    let frames = boxes(moov)
        .into_iter()
        .filter(|b| b.kind == Trak::KIND)
        .filter_map(|trak| child(trak.body, b"mdia"))
        .find(|mdia| child(mdia.body, b"hdlr").and_then(|h| h.body.get(8..12)) == Some(b"vide"))
        .and_then(|mdia| descend(mdia.body, &[b"minf", b"stbl"]))
        .and_then(|stbl| child(stbl.body, b"stsz").or_else(|| child(stbl.body, b"stz2")))
        .and_then(|stsz| stsz.body.get(8..12))
        .map(|count| u64::from(u32::from_be_bytes([count[0], count[1], count[2], count[3]])))
        .ok_or_else(|| unreadable("video track"))?;
    Ok(ClipProbe {
        duration: mvhd.duration as f64 / f64::from(mvhd.timescale),
        frames,
    })
}

/// One clip to join and its chapter title.
pub struct JoinClip<'a> {
    pub path: &'a Path,
    pub title: &'a str,
}

/// Why a clip cannot be joined exactly; the caller then joins with ffmpeg.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("it has no moov box")]
    NoMovie,
    #[error("it has no video track")]
    NoVideo,
    #[error("its boxes cannot be read: {0}")]
    Boxes(#[from] mp4_atom::Error),
    #[error("its edit list skips or repeats media")]
    Edited,
    #[error("its samples have composition offsets")]
    Reordered,
    #[error("it has no media time scale")]
    NoTimeScale,
    #[error("its sample description holds boxes mp4-atom does not know")]
    Description,
    #[error("its sample tables disagree: {0}")]
    Tables(&'static str),
    #[error("it is cut short: a sample lies past its end")]
    CutShort,
    #[error("its sample description differs from the first clip's")]
    Differs,
}

/// The video track of one clip, as far as a join needs it.
struct Clip {
    /// Decoded by mp4-atom; its sample description without `btrt` (see [`without_bitrate`]).
    trak: Trak,
    /// (offset in the file, size) per sample.
    samples: Vec<(u64, u32)>,
}

impl Clip {
    fn timescale(&self) -> u32 {
        self.trak.mdia.mdhd.timescale
    }

    fn stbl(&self) -> &Stbl {
        &self.trak.mdia.minf.stbl
    }

    fn duration(&self) -> u64 {
        self.stbl()
            .stts
            .entries
            .iter()
            .map(|e| u64::from(e.sample_count) * u64::from(e.sample_delta))
            .sum()
    }

    fn media_bytes(&self) -> u64 {
        self.samples.iter().map(|(_, s)| u64::from(*s)).sum()
    }
}

fn refuse(path: &Path, why: impl std::fmt::Display) -> VideoError {
    VideoError::Files(format!(
        "{} cannot be joined in process: {why}",
        path.display()
    ))
}

/// Joins `clips` into `out`, with `title` and one chapter per clip; see the module doc.
pub fn join(clips: &[JoinClip<'_>], title: &str, out: &Path) -> Result<(), VideoError> {
    let mut files = Vec::with_capacity(clips.len());
    let mut tracks: Vec<Clip> = Vec::with_capacity(clips.len());
    for clip in clips {
        let bytes = std::fs::read(clip.path)
            .map_err(|e| VideoError::Files(format!("cannot read {}: {e}", clip.path.display())))?;
        let track = read_clip(&bytes).map_err(|why| refuse(clip.path, why))?;
        if let Some(first) = tracks.first() {
            if track.stbl().stsd != first.stbl().stsd || track.timescale() != first.timescale() {
                return Err(refuse(clip.path, Refusal::Differs));
            }
        }
        files.push(bytes);
        tracks.push(track);
    }
    if tracks.is_empty() {
        return Err(VideoError::Files("there is no clip to join".into()));
    }
    let chapters = chapter_samples(clips);
    let layout = Layout {
        clips: &tracks,
        ends: tracks
            .iter()
            .scan(0, |elapsed, track| {
                *elapsed += track.duration();
                Some(*elapsed)
            })
            .collect(),
        titles: clips.iter().map(|c| c.title).collect(),
        title,
        chapters: &chapters,
    };
    // The movie box's size does not depend on the offsets it holds: build it once to learn
    // where the media starts, then again with the real offsets.
    let mut head = Vec::new();
    ftyp().encode(&mut head).map_err(unwritable)?;
    let probe = layout.moov(0)?;
    let media: u64 = tracks.iter().map(Clip::media_bytes).sum::<u64>()
        + chapters.iter().map(|c| c.len() as u64).sum::<u64>();
    let media_at = (head.len() + probe.len() + 8) as u64;
    let moov = layout.moov(media_at)?;
    debug_assert_eq!(moov.len(), probe.len());
    if media + 8 > u64::from(u32::MAX) {
        return Err(VideoError::Files(
            "the joined video would exceed 4 GiB".into(),
        ));
    }
    let mut bytes = Vec::with_capacity(media_at as usize + media as usize);
    bytes.extend_from_slice(&head);
    bytes.extend_from_slice(&moov);
    Header {
        kind: FourCC::new(b"mdat"),
        size: Some(media as usize),
    }
    .encode(&mut bytes)
    .map_err(unwritable)?;
    for (file, track) in files.iter().zip(&tracks) {
        for (offset, size) in &track.samples {
            let (from, to) = (*offset as usize, *offset as usize + *size as usize);
            // In the file: checked by `read_clip`.
            bytes.extend_from_slice(&file[from..to]);
        }
    }
    for chapter in &chapters {
        bytes.extend_from_slice(chapter);
    }
    write(out, &bytes)
}

/// Writes `bytes` to `out` through a partial file, so `out` is whole or absent.
fn write(out: &Path, bytes: &[u8]) -> Result<(), VideoError> {
    let partial = out.with_extension("mp4.part");
    std::fs::write(&partial, bytes)
        .and_then(|_| std::fs::rename(&partial, out))
        .map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            VideoError::Files(format!("cannot write {}: {e}", out.display()))
        })
}

fn unwritable(e: mp4_atom::Error) -> VideoError {
    VideoError::Files(format!("the joined video's boxes cannot be written: {e}"))
}

/// The chapter text samples: a 16-bit length, the title, an `encd` box saying UTF-8.
fn chapter_samples(clips: &[JoinClip<'_>]) -> Vec<Vec<u8>> {
    clips
        .iter()
        .map(|clip| {
            let title = truncate(clip.title, 255);
            let mut sample = (title.len() as u16).to_be_bytes().to_vec();
            sample.extend_from_slice(title.as_bytes());
            sample.extend_from_slice(&[0, 0, 0, 12, b'e', b'n', b'c', b'd', 0, 0, 1, 0]);
            sample
        })
        .collect()
}

/// `text` cut to at most `max` bytes on a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Reads the video track of a clip (the whole file in `bytes`).
fn read_clip(bytes: &[u8]) -> Result<Clip, Refusal> {
    let moov = child(bytes, b"moov").ok_or(Refusal::NoMovie)?;
    let mut video = None;
    for raw in boxes(moov.body)
        .into_iter()
        .filter(|b| b.kind == Trak::KIND)
    {
        let trak = Trak::decode(&mut { raw.whole })?;
        if trak.mdia.hdlr.handler == FourCC::new(b"vide") {
            video = Some((trak, raw));
            break;
        }
    }
    let (mut trak, raw) = video.ok_or(Refusal::NoVideo)?;
    // The sample description goes into the joined file as mp4-atom writes it: only when
    // that is as long as what the clip holds, so mp4-atom skipped no box it does not know
    // (it may order the boxes its own way: ffmpeg writes `pasp` before `btrt`).
    let stsd = descend(raw.body, &[b"mdia", b"minf", b"stbl", b"stsd"]);
    let mut again = Vec::new();
    trak.mdia.minf.stbl.stsd.encode(&mut again)?;
    if stsd.map(|b| b.whole.len()) != Some(again.len()) {
        return Err(Refusal::Description);
    }
    if let Some(elst) = trak.edts.as_ref().and_then(|e| e.elst.as_ref()) {
        // One edit from the media's start (or none) is the whole track as it is.
        if elst.entries.len() > 1 || elst.entries.iter().any(|e| e.media_time != Some(0)) {
            return Err(Refusal::Edited);
        }
    }
    if trak.mdia.mdhd.timescale == 0 {
        return Err(Refusal::NoTimeScale);
    }
    let stbl = &mut trak.mdia.minf.stbl;
    if stbl.ctts.is_some() {
        return Err(Refusal::Reordered);
    }
    without_bitrate(&mut stbl.stsd);
    let samples = locate(stbl)?;
    if samples
        .iter()
        .any(|(at, size)| at + u64::from(*size) > bytes.len() as u64)
    {
        return Err(Refusal::CutShort);
    }
    let timed: u64 = stbl
        .stts
        .entries
        .iter()
        .map(|e| u64::from(e.sample_count))
        .sum();
    if timed != samples.len() as u64 {
        return Err(Refusal::Tables("more or fewer samples timed than sized"));
    }
    Ok(Clip { trak, samples })
}

/// Drops the `btrt` of an H.264 sample description: the bit rates of one clip, which
/// differ from clip to clip and do not hold for the joined video.
fn without_bitrate(stsd: &mut Stsd) {
    for codec in &mut stsd.codecs {
        match codec {
            Codec::Avc1(avc) => avc.btrt = None,
            Codec::Avc3(avc) => avc.btrt = None,
            _ => {}
        }
    }
}

/// Each sample's (file offset, size), from the chunk offsets and the sample-to-chunk map
/// (`(first chunk, samples per chunk, description)` runs, chunks counted from 1).
fn locate(stbl: &Stbl) -> Result<Vec<(u64, u32)>, Refusal> {
    let sizes: Vec<u32> = match &stbl.stsz.samples {
        StszSamples::Identical { count, size } => vec![*size; *count as usize],
        StszSamples::Different { sizes } => sizes.clone(),
    };
    let offsets: Vec<u64> = match (&stbl.stco, &stbl.co64) {
        (Some(stco), _) => stco.entries.iter().copied().map(u64::from).collect(),
        (None, Some(co64)) => co64.entries.clone(),
        (None, None) => return Err(Refusal::Tables("no chunk offsets")),
    };
    let mut out = Vec::with_capacity(sizes.len());
    let mut sizes_left = sizes.iter();
    for (chunk, offset) in offsets.iter().enumerate() {
        let number = chunk as u32 + 1;
        let per_chunk = stbl
            .stsc
            .entries
            .iter()
            .rev()
            .find(|e| e.first_chunk <= number)
            .map(|e| e.samples_per_chunk)
            .ok_or(Refusal::Tables("a chunk outside the chunk map"))?;
        let mut at = *offset;
        for _ in 0..per_chunk {
            let size = *sizes_left
                .next()
                .ok_or(Refusal::Tables("more samples mapped than sized"))?;
            out.push((at, size));
            at += u64::from(size);
        }
    }
    if sizes_left.next().is_some() {
        return Err(Refusal::Tables("samples outside every chunk"));
    }
    Ok(out)
}

fn ftyp() -> Ftyp {
    Ftyp {
        major_brand: b"isom".into(),
        minor_version: 512,
        compatible_brands: [b"isom", b"iso2", b"avc1", b"mp41"]
            .into_iter()
            .map(FourCC::from)
            .collect(),
    }
}

/// The joined file's movie box.
struct Layout<'a> {
    /// At least one; the first one's sample description and time scale hold for all.
    clips: &'a [Clip],
    /// Where each clip (chapter) ends, in the media time scale, from the start.
    ends: Vec<u64>,
    titles: Vec<&'a str>,
    title: &'a str,
    chapters: &'a [Vec<u8>],
}

/// The movie's time scale (milliseconds, as ffmpeg writes it).
const MOVIE_SCALE: u32 = 1000;
/// The chapter track's time scale.
const CHAPTER_SCALE: u32 = 1000;
/// The chapter track's id (the video's is the first clip's, 1).
const CHAPTER_TRACK: u32 = 2;

impl Layout<'_> {
    fn first(&self) -> &Clip {
        &self.clips[0]
    }

    fn scale(&self) -> u64 {
        u64::from(self.first().timescale())
    }

    /// The movie box with the media starting at file offset `media_at` (the video samples,
    /// clip by clip, one chunk per clip; then the chapter texts, one chunk).
    fn moov(&self, media_at: u64) -> Result<Vec<u8>, VideoError> {
        let media_total = self.ends.last().copied().unwrap_or(0);
        let movie_duration = to_scale(media_total, self.scale(), MOVIE_SCALE.into());
        let mut chunk_offsets = Vec::with_capacity(self.clips.len() + 1);
        let mut at = media_at;
        for clip in self.clips {
            chunk_offsets.push(at);
            at += clip.media_bytes();
        }
        let chapters = chunk_table(&[at])?;
        let video = self.video_trak(movie_duration, media_total, chunk_table(&chunk_offsets)?);
        let mvhd = Mvhd {
            timescale: MOVIE_SCALE,
            duration: movie_duration,
            rate: 1.into(),
            volume: 1.into(),
            next_track_id: CHAPTER_TRACK + 1,
            ..Default::default()
        };
        let mut out = Vec::new();
        out.encode_atom(FourCC::new(b"moov"), |buf| {
            mvhd.encode(buf)?;
            video.encode(buf)?;
            self.chapter_trak(buf, movie_duration, media_total, chapters)?;
            self.udta()?.encode(buf)
        })
        .map_err(unwritable)?;
        Ok(out)
    }

    /// The video track: the first clip's headers, every clip's samples, one chunk a clip.
    fn video_trak(&self, movie_duration: u64, media_duration: u64, stco: Stco) -> Trak {
        let first = &self.first().trak;
        let mut stts: Vec<SttsEntry> = Vec::new();
        let mut sync: Vec<u32> = Vec::new();
        let mut samples_before = 0u32;
        let mut stsc: Vec<StscEntry> = Vec::new();
        for (chunk, clip) in self.clips.iter().enumerate() {
            for entry in &clip.stbl().stts.entries {
                match stts.last_mut() {
                    Some(last) if last.sample_delta == entry.sample_delta => {
                        last.sample_count += entry.sample_count;
                    }
                    _ => stts.push(entry.clone()),
                }
            }
            let n = clip.samples.len() as u32;
            match &clip.stbl().stss {
                Some(list) => sync.extend(list.entries.iter().map(|s| s + samples_before)),
                None => sync.extend((1..=n).map(|s| s + samples_before)),
            }
            if stsc.last().map(|e| e.samples_per_chunk) != Some(n) {
                stsc.push(StscEntry {
                    first_chunk: chunk as u32 + 1,
                    samples_per_chunk: n,
                    sample_description_index: 1,
                });
            }
            samples_before += n;
        }
        let all_sync = self.clips.iter().all(|c| c.stbl().stss.is_none());
        let sizes = self
            .clips
            .iter()
            .flat_map(|c| c.samples.iter().map(|(_, s)| *s))
            .collect();
        let stbl = Stbl {
            stsd: first.mdia.minf.stbl.stsd.clone(),
            stts: Stts { entries: stts },
            stss: (!all_sync).then_some(Stss { entries: sync }),
            stsc: Stsc { entries: stsc },
            stsz: Stsz {
                samples: StszSamples::Different { sizes },
            },
            stco: Some(stco),
            ..Default::default()
        };
        Trak {
            tkhd: Tkhd {
                duration: movie_duration,
                ..first.tkhd.clone()
            },
            edts: Some(edts(movie_duration)),
            tref: Some(Tref {
                track_reference_type_boxes: vec![TrackReferenceTypeBox {
                    reference_type: b"chap".into(),
                    track_ids: vec![CHAPTER_TRACK],
                }],
            }),
            mdia: Mdia {
                mdhd: mdhd(first.mdia.mdhd.timescale, media_duration),
                hdlr: first.mdia.hdlr.clone(),
                minf: Minf {
                    vmhd: first.mdia.minf.vmhd.clone(),
                    dinf: first.mdia.minf.dinf.clone(),
                    stbl,
                    ..Default::default()
                },
            },
            ..Default::default()
        }
    }

    /// The QuickTime chapter track: one text sample per clip, as long as the clip. Its
    /// sample entry and media header are kept by hand (see the module doc), so its
    /// containers are framed here.
    fn chapter_trak(
        &self,
        buf: &mut Vec<u8>,
        movie_duration: u64,
        media_total: u64,
        stco: Stco,
    ) -> mp4_atom::Result<()> {
        // Chapter durations from the ends, so rounding never drifts.
        let mut stts = Vec::with_capacity(self.ends.len());
        let mut previous = 0u64;
        for end in &self.ends {
            let end = to_scale(*end, self.scale(), CHAPTER_SCALE.into());
            stts.push(SttsEntry {
                sample_count: 1,
                sample_delta: (end - previous) as u32,
            });
            previous = end;
        }
        let text_duration = to_scale(media_total, self.scale(), CHAPTER_SCALE.into());
        let sizes = self.chapters.iter().map(|c| c.len() as u32).collect();
        // In the movie but not enabled (as ffmpeg writes it): players show it as
        // chapters, not as text.
        let tkhd = Tkhd {
            track_id: CHAPTER_TRACK,
            duration: movie_duration,
            enabled: false,
            in_movie: true,
            ..Default::default()
        };
        buf.encode_atom(FourCC::new(b"trak"), |buf| {
            tkhd.encode(buf)?;
            edts(movie_duration).encode(buf)?;
            buf.encode_atom(FourCC::new(b"mdia"), |buf| {
                mdhd(CHAPTER_SCALE, text_duration).encode(buf)?;
                Hdlr {
                    handler: b"text".into(),
                    name: "SubtitleHandler".into(),
                }
                .encode(buf)?;
                buf.encode_atom(FourCC::new(b"minf"), |buf| {
                    buf.append_slice(GMHD);
                    Dinf {
                        dref: Dref {
                            entries: vec![Url::default().into()],
                        },
                    }
                    .encode(buf)?;
                    buf.encode_atom(FourCC::new(b"stbl"), |buf| {
                        buf.encode_atom(FourCC::new(b"stsd"), |buf| {
                            0u32.encode(buf)?; // version and flags
                            1u32.encode(buf)?; // one entry
                            buf.append_slice(TEXT_ENTRY);
                            Ok(())
                        })?;
                        Stts { entries: stts }.encode(buf)?;
                        Stsc {
                            entries: vec![StscEntry {
                                first_chunk: 1,
                                samples_per_chunk: self.chapters.len() as u32,
                                sample_description_index: 1,
                            }],
                        }
                        .encode(buf)?;
                        Stsz {
                            samples: StszSamples::Different { sizes },
                        }
                        .encode(buf)?;
                        stco.encode(buf)
                    })
                })
            })
        })
    }

    /// The title (`meta/ilst/©nam`) and the Nero chapter list (`chpl`, 100 ns units).
    fn udta(&self) -> mp4_atom::Result<Udta> {
        let mut ilst = Vec::new();
        ilst.encode_atom(FourCC::new(b"\xa9nam"), |buf| {
            buf.encode_atom(FourCC::new(b"data"), |buf| {
                1u32.encode(buf)?; // UTF-8
                0u32.encode(buf)?; // any country and language
                buf.append_slice(self.title.as_bytes());
                Ok(())
            })
        })?;
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        let entries = self
            .titles
            .iter()
            .zip(starts)
            .take(255)
            .map(|(title, start)| ChplEntry {
                start: to_scale(start, self.scale(), 10_000_000),
                title: truncate(title, 255).to_string(),
            })
            .collect();
        Ok(Udta {
            meta: Some(Meta {
                hdlr: Hdlr {
                    handler: b"mdir".into(),
                    name: String::new(),
                },
                items: vec![Any::Unknown(FourCC::new(b"ilst"), ilst)],
            }),
            chpl: Some(Chpl { entries }),
            ..Default::default()
        })
    }
}

/// `value` in time scale `from`, rounded to time scale `to`.
fn to_scale(value: u64, from: u64, to: u64) -> u64 {
    ((u128::from(value) * u128::from(to) + u128::from(from) / 2) / u128::from(from)) as u64
}

/// The chapter track's sample entry, as ffmpeg writes it (`text`, with its font table).
const TEXT_ENTRY: &[u8] = b"\x00\x00\x00;text\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0dftab\x00\x01\x00\x01\x00";

/// The chapter track's generic media header, as ffmpeg writes it.
const GMHD: &[u8] = b"\x00\x00\x00Lgmhd\x00\x00\x00\x18gmin\x00\x00\x00\x00\x00@\x80\x00\x80\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00,text\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00";

fn mdhd(timescale: u32, duration: u64) -> Mdhd {
    Mdhd {
        timescale,
        duration,
        language: "und".into(),
        ..Default::default()
    }
}

/// One edit: the whole media from its start.
fn edts(movie_duration: u64) -> Edts {
    Edts {
        elst: Some(Elst {
            entries: vec![ElstEntry {
                segment_duration: movie_duration,
                media_time: Some(0),
                media_rate: 1.into(),
            }],
        }),
    }
}

/// `stco` (32-bit offsets); offsets past 4 GiB are refused (a scenario video never is).
fn chunk_table(offsets: &[u64]) -> Result<Stco, VideoError> {
    let entries = offsets
        .iter()
        .map(|o| u32::try_from(*o))
        .collect::<Result<Vec<u32>, _>>()
        .map_err(|_| VideoError::Files("the joined video would exceed 4 GiB".into()))?;
    Ok(Stco { entries })
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

#[cfg(test)]
mod join_tests {
    use super::super::encode::{probe_chapters, probe_with, x264_args};
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;

    fn ffmpeg() -> PathBuf {
        crate::browser::which("ffmpeg").expect("ffmpeg is installed")
    }

    /// Cuts `seconds` of a moving test picture of `size` into clips of `cut` seconds, each
    /// starting on a key frame, from one x264 stream: as the live encoder writes steps.
    fn clips(dir: &Path, size: &str, seconds: f64, cut: f64) -> Vec<PathBuf> {
        let made = Command::new(ffmpeg())
            .args(["-v", "error", "-f", "lavfi", "-i"])
            .arg(format!("testsrc2=size={size}:rate=15"))
            .args(["-t", &seconds.to_string()])
            .args(["-force_key_frames", &format!("expr:gte(t,n_forced*{cut})")])
            .args(&x264_args()[..10])
            .args(["-f", "segment", "-segment_time", &cut.to_string()])
            .args(["-reset_timestamps", "1", "-segment_format", "mp4"])
            .arg(dir.join(format!("{size}-%02d.mp4")))
            .status()
            .unwrap();
        assert!(made.success());
        let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(size))
            .collect();
        out.sort();
        out
    }

    /// The decoded pictures' checksum, and ffprobe's title tag.
    fn decoded(video: &Path) -> (String, String) {
        let md5 = Command::new(ffmpeg())
            .args(["-v", "error", "-i"])
            .arg(video)
            .args(["-map", "0:v", "-f", "md5", "-"])
            .output()
            .unwrap();
        assert!(md5.status.success(), "{md5:?}");
        let title = Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "format_tags=title", "-of"])
            .args(["default=nw=1:nk=1"])
            .arg(video)
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&md5.stdout).trim().to_string(),
            String::from_utf8_lossy(&title.stdout).trim().to_string(),
        )
    }

    #[tokio::test]
    async fn clips_of_one_encoder_become_one_video_with_a_chapter_each() {
        let dir = tempfile::tempdir().unwrap();
        let parts = clips(dir.path(), "160x96", 1.0, 0.4);
        assert_eq!(parts.len(), 3, "{parts:?}");
        let titles = ["01 Open the page", "02 Pay — ünïcode", "03 Done"];
        let joining: Vec<JoinClip<'_>> = parts
            .iter()
            .zip(titles)
            .map(|(path, title)| JoinClip { path, title })
            .collect();
        let out = dir.path().join("scenario.mp4");
        join(&joining, "Checkout", &out).unwrap();

        let ffprobe = PathBuf::from("ffprobe");
        let whole = probe_with(&ffprobe, &out).await.unwrap();
        assert_eq!(whole.frames, 15);
        assert!((whole.duration - 1.0).abs() < 0.001, "{whole:?}");
        assert_eq!(super::super::mp4::probe_file(&out).unwrap().frames, 15);
        let chapters = probe_chapters(&ffprobe, &out).await.unwrap();
        let got: Vec<&str> = chapters.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(got, titles);
        for (chapter, start) in chapters.iter().zip([0.0, 0.4, 0.8]) {
            assert!((chapter.0 - start).abs() < 0.001, "{chapters:?}");
        }
        // The same pictures as ffmpeg's own stream-copy join of the clips.
        let list = dir.path().join("list.txt");
        let lines: Vec<String> = parts
            .iter()
            .map(|p| format!("file '{}'\n", p.display()))
            .collect();
        std::fs::write(&list, lines.concat()).unwrap();
        let by_ffmpeg = dir.path().join("ffmpeg.mp4");
        let copied = Command::new(ffmpeg())
            .args(["-v", "error", "-f", "concat", "-safe", "0", "-i"])
            .arg(&list)
            .args(["-c", "copy"])
            .arg(&by_ffmpeg)
            .status()
            .unwrap();
        assert!(copied.success());
        let (ours, title) = decoded(&out);
        assert!(ours.starts_with("MD5="), "{ours}");
        assert_eq!(ours, decoded(&by_ffmpeg).0);
        assert_eq!(title, "Checkout");
    }

    /// Times the join of a real scenario's clips: `WALKTHROUGH_JOIN_CLIPS` names a
    /// scenario folder of a run (its step `NN-*.mp4`); prints the median of 20 joins.
    /// `cargo test --release --lib -- --ignored --nocapture join_timing`
    #[test]
    #[ignore = "a measurement, run by hand on a run folder"]
    fn join_timing() {
        let Some(dir) = std::env::var_os("WALKTHROUGH_JOIN_CLIPS").map(PathBuf::from) else {
            return;
        };
        let mut parts: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "mp4"))
            .filter(|p| p.file_name().unwrap().to_string_lossy().as_bytes()[0].is_ascii_digit())
            .collect();
        parts.sort();
        let names: Vec<String> = parts
            .iter()
            .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        let clips: Vec<JoinClip<'_>> = parts
            .iter()
            .zip(&names)
            .map(|(path, title)| JoinClip { path, title })
            .collect();
        let out = std::env::temp_dir().join("walkthrough-join-timing.mp4");
        let mut times: Vec<std::time::Duration> = (0..20)
            .map(|_| {
                let started = std::time::Instant::now();
                join(&clips, "Timing", &out).unwrap();
                started.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "join of {} clips ({} bytes): median {:?}, fastest {:?}, written to {}",
            clips.len(),
            std::fs::metadata(&out).unwrap().len(),
            times[times.len() / 2],
            times[0],
            out.display()
        );
    }

    #[test]
    fn clips_it_cannot_join_exactly_are_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let small = clips(dir.path(), "160x96", 0.4, 0.4);
        let large = clips(dir.path(), "320x192", 0.4, 0.4);
        let out = dir.path().join("scenario.mp4");
        let mixed = [
            JoinClip {
                path: &small[0],
                title: "a",
            },
            JoinClip {
                path: &large[0],
                title: "b",
            },
        ];
        let err = join(&mixed, "x", &out).unwrap_err().to_string();
        assert!(err.contains("sample description differs"), "{err}");
        // A clip cut short is no clip.
        let bytes = std::fs::read(&small[0]).unwrap();
        let cut = dir.path().join("cut.mp4");
        std::fs::write(&cut, &bytes[..bytes.len() / 3]).unwrap();
        let err = join(
            &[JoinClip {
                path: &cut,
                title: "a",
            }],
            "x",
            &out,
        )
        .unwrap_err();
        assert!(err.to_string().contains("cannot be joined"), "{err}");
        assert!(!out.exists());
        assert!(join(&[], "x", &out).is_err());
    }

    /// A copy of `clip` with an 8-byte box of a type mp4-atom does not know at the end of
    /// its sample entry (every box around it grown by 8; the movie box is after the media).
    fn with_an_unknown_box_in_the_sample_entry(clip: &Path, to: &Path) {
        let mut bytes = std::fs::read(clip).unwrap();
        let path: [&[u8; 4]; 7] = [
            b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1",
        ];
        let mut starts = Vec::new();
        let mut within: &[u8] = &bytes;
        for (depth, kind) in path.iter().enumerate() {
            // The sample entry is after stsd's version, flags and count.
            let skip = if depth == 6 { 8 } else { 0 };
            let found = child(&within[skip..], kind).expect("the box is there");
            starts.push(found.whole.as_ptr() as usize - bytes.as_ptr() as usize);
            within = found.body;
        }
        let entry_end = starts[6] + be_u32(&bytes, starts[6]) as usize;
        assert!(
            starts[0]
                > child(&bytes, b"mdat").unwrap().body.as_ptr() as usize - bytes.as_ptr() as usize
        );
        bytes.splice(entry_end..entry_end, *b"\0\0\0\x08uknw");
        for start in starts {
            let grown = be_u32(&bytes, start) + 8;
            bytes[start..start + 4].copy_from_slice(&grown.to_be_bytes());
        }
        std::fs::write(to, bytes).unwrap();
    }

    fn be_u32(bytes: &[u8], at: usize) -> u32 {
        u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn a_sample_description_with_a_box_mp4_atom_does_not_know_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let parts = clips(dir.path(), "160x96", 0.8, 0.4);
        let odd = dir.path().join("odd.mp4");
        with_an_unknown_box_in_the_sample_entry(&parts[1], &odd);
        // ffmpeg still reads the clip, so it would join it.
        assert_eq!(decoded(&odd).0, decoded(&parts[1]).0);
        let out = dir.path().join("scenario.mp4");
        let joining = [
            JoinClip {
                path: &parts[0],
                title: "a",
            },
            JoinClip {
                path: &odd,
                title: "b",
            },
        ];
        let err = join(&joining, "x", &out).unwrap_err().to_string();
        assert!(err.contains("boxes mp4-atom does not know"), "{err}");
        assert!(!out.exists());
        // The same clips without that box join.
        let plain = [
            JoinClip {
                path: &parts[0],
                title: "a",
            },
            JoinClip {
                path: &parts[1],
                title: "b",
            },
        ];
        join(&plain, "x", &out).unwrap();
        assert!(out.exists());
    }
}
