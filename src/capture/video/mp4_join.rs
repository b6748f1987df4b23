//! Joining a scenario's step clips into one MP4 in process, by stream copy: the clips'
//! samples are copied as they are (each clip starts on a key frame, and the clips of one
//! recorder share their sample description), their sample tables are laid end to end, and
//! each clip becomes a chapter — a Nero `chpl` list and a QuickTime chapter text track, as
//! ffmpeg writes them — under the scenario's title (`udta/meta/ilst`). The movie box goes
//! first (fast start). Clips it cannot join exactly (another sample description or time
//! scale, composition offsets, an edit that skips media) are refused with the reason; the
//! caller then joins with ffmpeg. No process: a join is about a millisecond of work, where
//! starting ffmpeg alone takes ~40 ms of CPU.

use std::path::Path;

use super::mp4::{be32, be64, child, children};
use super::VideoError;

/// One clip to join and its chapter title.
pub struct JoinClip<'a> {
    pub path: &'a Path,
    pub title: &'a str,
}

/// The video track of one clip, as far as a join needs it.
struct Track {
    timescale: u32,
    tkhd: Vec<u8>,
    hdlr: Vec<u8>,
    vmhd: Vec<u8>,
    dinf: Vec<u8>,
    stsd: Vec<u8>,
    /// [count, delta] runs.
    stts: Vec<[u32; 2]>,
    /// 1-based sync sample numbers; `None`: every sample is one.
    stss: Option<Vec<u32>>,
    /// (offset in the file, size) per sample.
    samples: Vec<(u64, u32)>,
}

impl Track {
    fn duration(&self) -> u64 {
        self.stts
            .iter()
            .map(|[n, d]| u64::from(*n) * u64::from(*d))
            .sum()
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
    let mut tracks: Vec<Track> = Vec::with_capacity(clips.len());
    for clip in clips {
        let bytes = std::fs::read(clip.path)
            .map_err(|e| VideoError::Files(format!("cannot read {}: {e}", clip.path.display())))?;
        let track = read_track(&bytes).map_err(|why| refuse(clip.path, why))?;
        if let Some(first) = tracks.first() {
            if track.stsd != first.stsd || track.timescale != first.timescale {
                return Err(refuse(
                    clip.path,
                    "its sample description differs from the first clip's",
                ));
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
        tracks: &tracks,
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
    let ftyp = ftyp();
    let probe = layout.moov(0)?;
    let media_at = (ftyp.len() + probe.len() + 8) as u64;
    let moov = layout.moov(media_at)?;
    debug_assert_eq!(moov.len(), probe.len());
    let media: u64 = tracks
        .iter()
        .flat_map(|t| &t.samples)
        .map(|(_, size)| u64::from(*size))
        .sum::<u64>()
        + chapters.iter().map(|c| c.len() as u64).sum::<u64>();
    let mdat_size = u32::try_from(media + 8)
        .map_err(|_| VideoError::Files("the joined video would exceed 4 GiB".into()))?;
    let mut bytes = Vec::with_capacity(media_at as usize + media as usize);
    bytes.extend_from_slice(&ftyp);
    bytes.extend_from_slice(&moov);
    bytes.extend_from_slice(&mdat_size.to_be_bytes());
    bytes.extend_from_slice(b"mdat");
    for (file, track) in files.iter().zip(&tracks) {
        for (offset, size) in &track.samples {
            let (from, to) = (*offset as usize, *offset as usize + *size as usize);
            // In the file: checked by `read_track`.
            bytes.extend_from_slice(&file[from..to]);
        }
    }
    for chapter in &chapters {
        bytes.extend_from_slice(chapter);
    }
    let partial = out.with_extension("mp4.part");
    std::fs::write(&partial, &bytes)
        .and_then(|_| std::fs::rename(&partial, out))
        .map_err(|e| {
            let _ = std::fs::remove_file(&partial);
            VideoError::Files(format!("cannot write {}: {e}", out.display()))
        })
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
fn read_track(bytes: &[u8]) -> Result<Track, String> {
    let moov = children(bytes)
        .into_iter()
        .find(|(kind, _)| kind == b"moov")
        .map(|(_, body)| body)
        .ok_or("it has no moov box")?;
    let trak = children(moov)
        .into_iter()
        .filter(|(kind, _)| kind == b"trak")
        .map(|(_, body)| body)
        .find(|trak| {
            child(trak, b"mdia")
                .and_then(|mdia| child(mdia, b"hdlr"))
                .and_then(|h| h.get(8..12))
                == Some(b"vide")
        })
        .ok_or("it has no video track")?;
    if let Some(elst) = child(trak, b"edts").and_then(|e| child(e, b"elst")) {
        // One edit from the media's start (or none) is the whole track as it is.
        let entries = be32(elst, 4).unwrap_or(0);
        let media_time = match elst.first() {
            Some(1) => be64(elst, 16),
            _ => be32(elst, 12).map(|t| t as u32 as i32 as i64 as u64),
        };
        if entries > 1 || (entries == 1 && media_time != Some(0)) {
            return Err("its edit list skips or repeats media".into());
        }
    }
    let tkhd = child(trak, b"tkhd").ok_or("no track header")?;
    let mdia = child(trak, b"mdia").ok_or("no media box")?;
    let mdhd = child(mdia, b"mdhd").ok_or("no media header")?;
    let timescale = match mdhd.first() {
        Some(1) => be32(mdhd, 20),
        _ => be32(mdhd, 12),
    }
    .filter(|t| *t > 0)
    .ok_or("no media time scale")? as u32;
    let hdlr = child(mdia, b"hdlr").ok_or("no handler")?;
    let minf = child(mdia, b"minf").ok_or("no media information")?;
    let vmhd = child(minf, b"vmhd").ok_or("no video header")?;
    let dinf = child(minf, b"dinf").ok_or("no data information")?;
    let stbl = child(minf, b"stbl").ok_or("no sample table")?;
    if child(stbl, b"ctts").is_some() {
        return Err("its samples have composition offsets".into());
    }
    let stsd = without_bitrate(child(stbl, b"stsd").ok_or("no sample description")?)?;
    let stts = entries::<2>(child(stbl, b"stts").ok_or("no sample times")?)?;
    let stss = match child(stbl, b"stss") {
        Some(stss) => Some(singles(stss)?),
        None => None,
    };
    let sizes = sample_sizes(child(stbl, b"stsz").ok_or("no sample sizes")?)?;
    let offsets = match (child(stbl, b"stco"), child(stbl, b"co64")) {
        (Some(stco), _) => singles(stco)?.into_iter().map(u64::from).collect(),
        (None, Some(co64)) => {
            let n = be32(co64, 4).ok_or("a cut chunk table")? as usize;
            (0..n)
                .map(|i| be64(co64, 8 + 8 * i).ok_or("a cut chunk table"))
                .collect::<Result<Vec<u64>, _>>()?
        }
        (None, None) => return Err("no chunk offsets".into()),
    };
    let stsc = entries::<3>(child(stbl, b"stsc").ok_or("no chunk map")?)?;
    let samples = locate(&sizes, &offsets, &stsc)?;
    if samples
        .iter()
        .any(|(at, size)| at + u64::from(*size) > bytes.len() as u64)
    {
        return Err("it is cut short: a sample lies past its end".into());
    }
    let timed: u64 = stts.iter().map(|[n, _]| u64::from(*n)).sum();
    if timed != samples.len() as u64 {
        return Err("its sample tables disagree".into());
    }
    Ok(Track {
        timescale,
        tkhd: tkhd.to_vec(),
        hdlr: hdlr.to_vec(),
        vmhd: vmhd.to_vec(),
        dinf: dinf.to_vec(),
        stsd,
        stts,
        stss,
        samples,
    })
}

/// A video sample description without its `btrt` boxes: the bit rates of one clip, which
/// differ from clip to clip and do not hold for the joined video.
fn without_bitrate(stsd: &[u8]) -> Result<Vec<u8>, String> {
    /// A visual sample entry's fields before its child boxes.
    const VISUAL_FIELDS: usize = 8 + 78;
    let mut out = stsd.get(..8).ok_or("a cut sample description")?.to_vec();
    for (kind, entry) in children(&stsd[8..]) {
        let fields = entry
            .get(..VISUAL_FIELDS - 8)
            .ok_or("a cut sample description")?;
        let mut body = fields.to_vec();
        for (inner, data) in children(&entry[fields.len()..]) {
            if &inner != b"btrt" {
                body.extend(mp4_box(&inner, data));
            }
        }
        out.extend(mp4_box(&kind, &body));
    }
    Ok(out)
}

/// A full box's table: its entry count, then `N` 32-bit numbers per entry.
fn entries<const N: usize>(body: &[u8]) -> Result<Vec<[u32; N]>, String> {
    let n = be32(body, 4).ok_or("a cut table")? as usize;
    (0..n)
        .map(|i| {
            let mut entry = [0u32; N];
            for (k, value) in entry.iter_mut().enumerate() {
                *value = be32(body, 8 + 4 * (N * i + k)).ok_or("a cut table")? as u32;
            }
            Ok(entry)
        })
        .collect()
}

/// A table of one number per entry.
fn singles(body: &[u8]) -> Result<Vec<u32>, String> {
    Ok(entries::<1>(body)?.into_iter().map(|[v]| v).collect())
}

fn sample_sizes(stsz: &[u8]) -> Result<Vec<u32>, String> {
    let fixed = be32(stsz, 4).ok_or("a cut size table")? as u32;
    let n = be32(stsz, 8).ok_or("a cut size table")? as usize;
    if fixed != 0 {
        return Ok(vec![fixed; n]);
    }
    (0..n)
        .map(|i| {
            be32(stsz, 12 + 4 * i)
                .map(|v| v as u32)
                .ok_or_else(|| "a cut size table".into())
        })
        .collect()
}

/// Each sample's (file offset, size), from the chunk offsets and the sample-to-chunk map
/// (`(first chunk, samples per chunk, description)` runs, chunks counted from 1).
fn locate(sizes: &[u32], offsets: &[u64], stsc: &[[u32; 3]]) -> Result<Vec<(u64, u32)>, String> {
    let mut out = Vec::with_capacity(sizes.len());
    let mut sizes_left = sizes.iter();
    for (chunk, offset) in offsets.iter().enumerate() {
        let number = chunk as u32 + 1;
        let per_chunk = stsc
            .iter()
            .rev()
            .find(|[first, _, _]| *first <= number)
            .map(|[_, n, _]| *n)
            .ok_or("a chunk outside the chunk map")?;
        let mut at = *offset;
        for _ in 0..per_chunk {
            let size = *sizes_left.next().ok_or("more samples mapped than sized")?;
            out.push((at, size));
            at += u64::from(size);
        }
    }
    if sizes_left.next().is_some() {
        return Err("samples outside every chunk".into());
    }
    Ok(out)
}

/// A box: size, type, body.
fn mp4_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&((body.len() + 8) as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// A full box (version 0, flags `flags`).
fn full_box(kind: &[u8; 4], flags: u32, body: &[u8]) -> Vec<u8> {
    let mut with = (flags & 0x00FF_FFFF).to_be_bytes().to_vec();
    with.extend_from_slice(body);
    mp4_box(kind, &with)
}

fn ftyp() -> Vec<u8> {
    let mut body = b"isom".to_vec();
    body.extend_from_slice(&512u32.to_be_bytes());
    for brand in [b"isom", b"iso2", b"avc1", b"mp41"] {
        body.extend_from_slice(brand);
    }
    mp4_box(b"ftyp", &body)
}

/// The joined file's movie box.
struct Layout<'a> {
    /// At least one; the first one's sample description and time scale hold for all.
    tracks: &'a [Track],
    /// Where each clip (chapter) ends, in the media time scale, from the start.
    ends: Vec<u64>,
    titles: Vec<&'a str>,
    title: &'a str,
    chapters: &'a [Vec<u8>],
}

/// The movie's time scale (milliseconds, as ffmpeg writes it).
const MOVIE_SCALE: u64 = 1000;
/// The chapter track's time scale.
const CHAPTER_SCALE: u64 = 1000;

impl Layout<'_> {
    fn first(&self) -> &Track {
        &self.tracks[0]
    }

    fn scale(&self) -> u64 {
        u64::from(self.first().timescale)
    }

    /// The movie box with the media starting at file offset `media_at` (the video samples,
    /// clip by clip, one chunk per clip; then the chapter texts, one chunk).
    fn moov(&self, media_at: u64) -> Result<Vec<u8>, VideoError> {
        let media_total = self.ends.last().copied().unwrap_or(0);
        let movie_duration = to_scale(media_total, self.scale(), MOVIE_SCALE);
        let mut chunk_offsets = Vec::with_capacity(self.tracks.len());
        let mut at = media_at;
        for track in self.tracks {
            chunk_offsets.push(at);
            at += track
                .samples
                .iter()
                .map(|(_, s)| u64::from(*s))
                .sum::<u64>();
        }
        let chapters_at = at;
        let video = self.video_trak(movie_duration, media_total, &chunk_offsets)?;
        let text = self.chapter_trak(movie_duration, media_total, chapters_at)?;
        let body = [mvhd(movie_duration), video, text, self.udta()].concat();
        Ok(mp4_box(b"moov", &body))
    }

    fn video_trak(
        &self,
        movie_duration: u64,
        media_duration: u64,
        chunk_offsets: &[u64],
    ) -> Result<Vec<u8>, VideoError> {
        let first = self.first();
        let mut tkhd = first.tkhd.clone();
        set_track_duration(&mut tkhd, movie_duration);
        let mut stts: Vec<[u32; 2]> = Vec::new();
        let mut sync: Vec<[u32; 1]> = Vec::new();
        let mut samples_before = 0u32;
        let mut stsc: Vec<[u32; 3]> = Vec::new();
        for (chunk, track) in self.tracks.iter().enumerate() {
            for &[count, delta] in &track.stts {
                match stts.last_mut() {
                    Some([n, d]) if *d == delta => *n += count,
                    _ => stts.push([count, delta]),
                }
            }
            match &track.stss {
                Some(list) => sync.extend(list.iter().map(|s| [s + samples_before])),
                None => sync.extend((1..=track.samples.len() as u32).map(|s| [s + samples_before])),
            }
            let n = track.samples.len() as u32;
            if stsc.last().map(|[_, per, _]| *per) != Some(n) {
                stsc.push([chunk as u32 + 1, n, 1]);
            }
            samples_before += n;
        }
        let all_sync = self.tracks.iter().all(|t| t.stss.is_none());
        let sizes: Vec<u32> = self
            .tracks
            .iter()
            .flat_map(|t| t.samples.iter().map(|(_, s)| *s))
            .collect();
        let mut stbl = mp4_box(b"stsd", &first.stsd);
        stbl.extend(table(b"stts", &stts));
        if !all_sync {
            stbl.extend(table(b"stss", &sync));
        }
        stbl.extend(table(b"stsc", &stsc));
        stbl.extend(stsz(&sizes));
        stbl.extend(chunk_table(chunk_offsets)?);
        let minf = [
            mp4_box(b"vmhd", &first.vmhd),
            mp4_box(b"dinf", &first.dinf),
            mp4_box(b"stbl", &stbl),
        ]
        .concat();
        let mdia = [
            mdhd(u64::from(first.timescale), media_duration),
            mp4_box(b"hdlr", &first.hdlr),
            mp4_box(b"minf", &minf),
        ]
        .concat();
        // The chapter track is track 2.
        let tref = mp4_box(b"tref", &mp4_box(b"chap", &2u32.to_be_bytes()));
        let body = [
            mp4_box(b"tkhd", &tkhd),
            edts(movie_duration),
            tref,
            mp4_box(b"mdia", &mdia),
        ]
        .concat();
        Ok(mp4_box(b"trak", &body))
    }

    /// The QuickTime chapter track: one text sample per clip, as long as the clip.
    fn chapter_trak(
        &self,
        movie_duration: u64,
        media_total: u64,
        chapters_at: u64,
    ) -> Result<Vec<u8>, VideoError> {
        // Chapter durations from the ends, so rounding never drifts.
        let mut stts: Vec<[u32; 2]> = Vec::new();
        let mut previous = 0u64;
        for end in &self.ends {
            let end = to_scale(*end, self.scale(), CHAPTER_SCALE);
            stts.push([1, (end - previous) as u32]);
            previous = end;
        }
        let text_duration = to_scale(media_total, self.scale(), CHAPTER_SCALE);
        let sizes: Vec<u32> = self.chapters.iter().map(|c| c.len() as u32).collect();
        let mut stbl = mp4_box(
            b"stsd",
            &[&[0u8, 0, 0, 0, 0, 0, 0, 1][..], TEXT_ENTRY].concat(),
        );
        stbl.extend(table(b"stts", &stts));
        stbl.extend(table(b"stsc", &[[1, self.chapters.len() as u32, 1]]));
        stbl.extend(stsz(&sizes));
        stbl.extend(chunk_table(&[chapters_at])?);
        let minf = [
            GMHD.to_vec(),
            mp4_box(
                b"dinf",
                &full_box(
                    b"dref",
                    0,
                    &[0, 0, 0, 1, 0, 0, 0, 12, b'u', b'r', b'l', b' ', 0, 0, 0, 1],
                ),
            ),
            mp4_box(b"stbl", &stbl),
        ]
        .concat();
        let mut hdlr = vec![0u8; 4];
        hdlr.extend_from_slice(b"text");
        hdlr.extend_from_slice(&[0; 12]);
        hdlr.extend_from_slice(b"SubtitleHandler\0");
        let mdia = [
            mdhd(CHAPTER_SCALE, text_duration),
            full_box(b"hdlr", 0, &hdlr),
            mp4_box(b"minf", &minf),
        ]
        .concat();
        // Track 2, in the movie but not enabled (flags 2, as ffmpeg writes it): players
        // show it as chapters, not as text.
        let mut tkhd = vec![0u8; 80];
        tkhd[8..12].copy_from_slice(&2u32.to_be_bytes());
        tkhd[16..20].copy_from_slice(&(movie_duration as u32).to_be_bytes());
        tkhd[36..72].copy_from_slice(&IDENTITY);
        let body = [
            full_box(b"tkhd", 2, &tkhd),
            edts(movie_duration),
            mp4_box(b"mdia", &mdia),
        ]
        .concat();
        Ok(mp4_box(b"trak", &body))
    }

    /// The title (`meta/ilst/©nam`) and the Nero chapter list (`chpl`, 100 ns units).
    fn udta(&self) -> Vec<u8> {
        let mut hdlr = vec![0u8; 4];
        hdlr.extend_from_slice(b"mdir");
        hdlr.extend_from_slice(b"appl");
        hdlr.extend_from_slice(&[0; 9]);
        let mut data = vec![0, 0, 0, 1, 0, 0, 0, 0];
        data.extend_from_slice(self.title.as_bytes());
        let ilst = mp4_box(b"ilst", &mp4_box(b"\xa9nam", &mp4_box(b"data", &data)));
        let meta = full_box(b"meta", 0, &[full_box(b"hdlr", 0, &hdlr), ilst].concat());
        let count = self.titles.len().min(255);
        let mut chpl = vec![0u8; 4]; // reserved
        chpl.push(count as u8);
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        for (title, start) in self.titles.iter().zip(starts).take(count) {
            let title = truncate(title, 255);
            chpl.extend_from_slice(&to_scale(start, self.scale(), 10_000_000).to_be_bytes());
            chpl.push(title.len() as u8);
            chpl.extend_from_slice(title.as_bytes());
        }
        let mut chpl_box = (1u32 << 24).to_be_bytes().to_vec(); // version 1
        chpl_box.extend_from_slice(&chpl);
        mp4_box(b"udta", &[meta, mp4_box(b"chpl", &chpl_box)].concat())
    }
}

/// `value` in time scale `from`, rounded to time scale `to`.
fn to_scale(value: u64, from: u64, to: u64) -> u64 {
    ((u128::from(value) * u128::from(to) + u128::from(from) / 2) / u128::from(from)) as u64
}

/// The unity matrix of movie and track headers.
const IDENTITY: [u8; 36] = [
    0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0x40, 0, 0, 0,
];

/// The chapter track's sample entry, as ffmpeg writes it (`text`, with its font table).
const TEXT_ENTRY: &[u8] = b"\x00\x00\x00;text\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0dftab\x00\x01\x00\x01\x00";

/// The chapter track's generic media header, as ffmpeg writes it.
const GMHD: &[u8] = b"\x00\x00\x00Lgmhd\x00\x00\x00\x18gmin\x00\x00\x00\x00\x00@\x80\x00\x80\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00,text\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00@\x00\x00\x00";

fn mvhd(duration: u64) -> Vec<u8> {
    let mut body = vec![0u8; 96];
    body[8..12].copy_from_slice(&(MOVIE_SCALE as u32).to_be_bytes());
    body[12..16].copy_from_slice(&(duration as u32).to_be_bytes());
    body[16..20].copy_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
    body[20..22].copy_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
    body[32..68].copy_from_slice(&IDENTITY);
    body[92..96].copy_from_slice(&3u32.to_be_bytes()); // next track id
    full_box(b"mvhd", 0, &body)
}

fn mdhd(scale: u64, duration: u64) -> Vec<u8> {
    let mut body = vec![0u8; 20];
    body[8..12].copy_from_slice(&(scale as u32).to_be_bytes());
    body[12..16].copy_from_slice(&(duration as u32).to_be_bytes());
    body[16..18].copy_from_slice(&0x55c4u16.to_be_bytes()); // language "und"
    full_box(b"mdhd", 0, &body)
}

/// One edit: the whole media from its start.
fn edts(movie_duration: u64) -> Vec<u8> {
    let mut elst = 1u32.to_be_bytes().to_vec();
    elst.extend_from_slice(&(movie_duration as u32).to_be_bytes());
    elst.extend_from_slice(&0u32.to_be_bytes());
    elst.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    mp4_box(b"edts", &full_box(b"elst", 0, &elst))
}

/// Sets a track header's duration (movie time scale).
fn set_track_duration(tkhd: &mut [u8], duration: u64) {
    match tkhd.first() {
        Some(1) if tkhd.len() >= 36 => tkhd[28..36].copy_from_slice(&duration.to_be_bytes()),
        _ if tkhd.len() >= 24 => tkhd[20..24].copy_from_slice(&(duration as u32).to_be_bytes()),
        _ => {}
    }
}

/// A full box's table of `N` numbers per entry (see [`entries`]).
fn table<const N: usize>(kind: &[u8; 4], values: &[[u32; N]]) -> Vec<u8> {
    let mut body = (values.len() as u32).to_be_bytes().to_vec();
    for v in values.iter().flatten() {
        body.extend_from_slice(&v.to_be_bytes());
    }
    full_box(kind, 0, &body)
}

fn stsz(sizes: &[u32]) -> Vec<u8> {
    let mut body = 0u32.to_be_bytes().to_vec();
    body.extend_from_slice(&(sizes.len() as u32).to_be_bytes());
    for s in sizes {
        body.extend_from_slice(&s.to_be_bytes());
    }
    full_box(b"stsz", 0, &body)
}

/// `stco` (32-bit offsets); offsets past 4 GiB are refused (a scenario video never is).
fn chunk_table(offsets: &[u64]) -> Result<Vec<u8>, VideoError> {
    let offsets = offsets
        .iter()
        .map(|o| u32::try_from(*o).map(|o| [o]))
        .collect::<Result<Vec<[u32; 1]>, _>>()
        .map_err(|_| VideoError::Files("the joined video would exceed 4 GiB".into()))?;
    Ok(table(b"stco", &offsets))
}

#[cfg(test)]
mod tests {
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
}
