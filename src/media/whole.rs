//! Whether a file is whole: its structure walked from the first byte to its end marker.
//!
//! Magic bytes say what a file is; they say nothing of whether it is all there. A body with
//! no Content-Length cut short by a clean close, or a saved file truncated later, still
//! starts right. So every saved file is walked: each JPEG segment and scan to the
//! end-of-image marker, each PNG chunk (with its CRC) to IEND, each GIF block of every
//! frame to the trailer, and each MP4 box to the exact end of the file. The walk reads
//! sequentially and holds no more than one box header, so it costs little next to a decode.

use std::io::{self, BufRead, Read};

use super::sniff::MediaKind;

/// A progressive JPEG with more scans than this is refused: each scan is a pass over the
/// whole image, so thousands of them cost minutes of CPU (ordinary encoders write 1 to 20).
pub const MAX_JPEG_SCANS: u32 = 100;
/// The largest MP4 `moov` box whose children are walked (it holds only the index).
const MAX_MOOV_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file is not whole.
#[derive(Debug, thiserror::Error)]
pub enum NotWhole {
    /// The bytes end before the structure does: a body or file cut short.
    #[error("the {kind} ends before its {missing}")]
    CutShort { kind: &'static str, missing: &'static str },
    /// The structure is wrong, not merely short.
    #[error("the {kind} is malformed: {reason}")]
    Malformed { kind: &'static str, reason: String },
    /// Valid, but costlier to decode than galley allows.
    #[error("the {kind} has {scans} scans, over the limit of {MAX_JPEG_SCANS}")]
    TooManyScans { kind: &'static str, scans: u32 },
    #[error("reading it: {0}")]
    Read(io::Error),
}

/// What the walk learned on the way: the image's size when the format says it up front.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    pub width: u32,
    pub height: u32,
}

/// Walks `reader` as a `kind` file to its end.
pub fn check(kind: MediaKind, reader: impl BufRead) -> Result<Shape, NotWhole> {
    let mut walk = Walk { reader, kind: kind_name(kind) };
    match kind {
        MediaKind::Jpeg => walk.jpeg(),
        MediaKind::Png => walk.png(),
        MediaKind::Gif => walk.gif(),
        MediaKind::Mp4 => walk.mp4(),
    }
}

/// `check` over bytes in memory.
pub fn check_bytes(kind: MediaKind, bytes: &[u8]) -> Result<Shape, NotWhole> {
    check(kind, bytes)
}

fn kind_name(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Jpeg => "JPEG",
        MediaKind::Png => "PNG",
        MediaKind::Gif => "GIF",
        MediaKind::Mp4 => "MP4",
    }
}

struct Walk<R> {
    reader: R,
    kind: &'static str,
}

impl<R: BufRead> Walk<R> {
    fn cut(&self, missing: &'static str) -> NotWhole {
        NotWhole::CutShort { kind: self.kind, missing }
    }

    fn malformed(&self, reason: impl Into<String>) -> NotWhole {
        NotWhole::Malformed { kind: self.kind, reason: reason.into() }
    }

    fn exact<const N: usize>(&mut self, missing: &'static str) -> Result<[u8; N], NotWhole> {
        let mut bytes = [0u8; N];
        match self.reader.read_exact(&mut bytes) {
            Ok(()) => Ok(bytes),
            Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Err(self.cut(missing)),
            Err(error) => Err(NotWhole::Read(error)),
        }
    }

    fn byte(&mut self, missing: &'static str) -> Result<u8, NotWhole> {
        self.exact::<1>(missing).map(|[byte]| byte)
    }

    /// Passes over `count` bytes, feeding them to `seen`.
    fn skip(&mut self, mut count: u64, missing: &'static str, mut seen: impl FnMut(&[u8])) -> Result<(), NotWhole> {
        while count > 0 {
            let buffer = self.reader.fill_buf().map_err(NotWhole::Read)?;
            if buffer.is_empty() {
                return Err(self.cut(missing));
            }
            let take = buffer.len().min(usize::try_from(count).unwrap_or(usize::MAX));
            seen(&buffer[..take]);
            self.reader.consume(take);
            count -= take as u64;
        }
        Ok(())
    }

    /// Whether nothing is left to read.
    fn at_end(&mut self) -> Result<bool, NotWhole> {
        Ok(self.reader.fill_buf().map_err(NotWhole::Read)?.is_empty())
    }

    // ---- JPEG: segments, then each scan's entropy-coded data up to the next marker ----

    fn jpeg(&mut self) -> Result<Shape, NotWhole> {
        if self.exact::<2>("start of image")? != [0xFF, 0xD8] {
            return Err(self.malformed("no start-of-image marker"));
        }
        let (mut shape, mut scans) = (Shape::default(), 0u32);
        let mut marker = self.jpeg_marker()?;
        loop {
            match marker {
                0xD9 if scans == 0 => return Err(self.malformed("an end-of-image marker before any scan")),
                0xD9 => return Ok(shape),
                // Markers without a length.
                0x01 | 0xD0..=0xD7 => marker = self.jpeg_marker()?,
                _ => {
                    let length = u16::from_be_bytes(self.exact::<2>("segment length")?);
                    let body =
                        u64::from(length).checked_sub(2).ok_or_else(|| self.malformed("segment length under 2"))?;
                    if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) && body >= 5 {
                        let [_, h1, h0, w1, w0] = self.exact::<5>("frame header")?;
                        shape = Shape {
                            width: u16::from_be_bytes([w1, w0]).into(),
                            height: u16::from_be_bytes([h1, h0]).into(),
                        };
                        self.skip(body - 5, "frame header", |_| {})?;
                    } else {
                        self.skip(body, "segment", |_| {})?;
                    }
                    marker = match marker {
                        0xDA => {
                            scans += 1;
                            if scans > MAX_JPEG_SCANS {
                                return Err(NotWhole::TooManyScans { kind: self.kind, scans });
                            }
                            self.jpeg_entropy_data()?
                        }
                        _ => self.jpeg_marker()?,
                    };
                }
            }
        }
    }

    /// The code of the marker that comes next (fill bytes skipped).
    fn jpeg_marker(&mut self) -> Result<u8, NotWhole> {
        if self.byte("next marker")? != 0xFF {
            return Err(self.malformed("bytes where a marker should be"));
        }
        loop {
            match self.byte("next marker")? {
                0xFF => {}
                code => return Ok(code),
            }
        }
    }

    /// Reads past a scan's entropy-coded data; returns the code of the marker ending it.
    fn jpeg_entropy_data(&mut self) -> Result<u8, NotWhole> {
        loop {
            let buffer = self.reader.fill_buf().map_err(NotWhole::Read)?;
            if buffer.is_empty() {
                return Err(self.cut("end-of-image marker"));
            }
            let Some(at) = buffer.iter().position(|&byte| byte == 0xFF) else {
                let all = buffer.len();
                self.reader.consume(all);
                continue;
            };
            self.reader.consume(at + 1);
            let mut code = self.byte("end-of-image marker")?;
            while code == 0xFF {
                code = self.byte("end-of-image marker")?;
            }
            // 0xFF00 is an escaped data byte; restart markers sit inside the data.
            if code != 0x00 && !(0xD0..=0xD7).contains(&code) {
                return Ok(code);
            }
        }
    }

    // ---- PNG: chunks with their CRCs, IHDR first, IEND last ----

    fn png(&mut self) -> Result<Shape, NotWhole> {
        if &self.exact::<8>("signature")? != b"\x89PNG\r\n\x1a\n" {
            return Err(self.malformed("no PNG signature"));
        }
        let mut shape = None;
        loop {
            let length = u32::from_be_bytes(self.exact::<4>("IEND chunk")?);
            if length > i32::MAX as u32 {
                return Err(self.malformed("a chunk length over 2^31"));
            }
            let name = self.exact::<4>("chunk type")?;
            let mut crc = crc32fast::Hasher::new();
            crc.update(&name);
            match (&name, shape) {
                (b"IHDR", None) if length == 13 => {
                    let header = self.exact::<13>("image header")?;
                    crc.update(&header);
                    let width = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
                    let height = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
                    shape = Some(Shape { width, height });
                }
                (_, None) => return Err(self.malformed("the first chunk is not IHDR")),
                _ => self.skip(length.into(), "chunk data", |bytes| crc.update(bytes))?,
            }
            if u32::from_be_bytes(self.exact::<4>("chunk CRC")?) != crc.finalize() {
                return Err(self.malformed(format!("a CRC mismatch in chunk {}", String::from_utf8_lossy(&name))));
            }
            if &name == b"IEND" {
                return shape.ok_or_else(|| self.malformed("no IHDR"));
            }
        }
    }

    // ---- GIF: every block of every frame, to the trailer ----

    fn gif(&mut self) -> Result<Shape, NotWhole> {
        let header = self.exact::<13>("logical screen descriptor")?;
        if !matches!(&header[..6], b"GIF87a" | b"GIF89a") {
            return Err(self.malformed("no GIF signature"));
        }
        let shape = Shape {
            width: u16::from_le_bytes([header[6], header[7]]).into(),
            height: u16::from_le_bytes([header[8], header[9]]).into(),
        };
        self.skip(color_table_len(header[10]), "global color table", |_| {})?;
        let mut frames = 0u64;
        loop {
            match self.byte("trailer")? {
                0x3B if frames == 0 => return Err(self.malformed("no frame")),
                0x3B => return Ok(shape),
                0x21 => {
                    self.byte("extension label")?;
                    self.gif_sub_blocks()?;
                }
                0x2C => {
                    let descriptor = self.exact::<9>("image descriptor")?;
                    self.skip(color_table_len(descriptor[8]), "local color table", |_| {})?;
                    self.byte("LZW code size")?;
                    self.gif_sub_blocks()?;
                    frames += 1;
                }
                other => return Err(self.malformed(format!("an unknown block 0x{other:02X}"))),
            }
        }
    }

    fn gif_sub_blocks(&mut self) -> Result<(), NotWhole> {
        loop {
            match self.byte("data sub-block")? {
                0 => return Ok(()),
                length => self.skip(length.into(), "data sub-block", |_| {})?,
            }
        }
    }

    // ---- MP4: boxes back to back to the exact end, with a movie header ----

    fn mp4(&mut self) -> Result<Shape, NotWhole> {
        let mut index = 0u32;
        let mut movie = false;
        loop {
            if self.at_end()? {
                return match (index, movie) {
                    (0, _) => Err(self.cut("first box")),
                    (_, false) => Err(self.malformed("no movie header (moov box)")),
                    _ => Ok(Shape::default()),
                };
            }
            let header = self.exact::<8>("box header")?;
            let name = [header[4], header[5], header[6], header[7]];
            if index == 0 && &name != b"ftyp" {
                return Err(self.malformed("the first box is not ftyp"));
            }
            index += 1;
            let size = match u32::from_be_bytes([header[0], header[1], header[2], header[3]]) {
                // A last box that runs to the end of the file: nothing after it to check.
                0 if movie => return Ok(Shape::default()),
                0 => return Err(self.malformed("a box without size before the movie header")),
                1 => u64::from_be_bytes(self.exact::<8>("box size")?).checked_sub(16),
                size => u64::from(size).checked_sub(8),
            };
            let body = size.ok_or_else(|| self.malformed("a box smaller than its header"))?;
            if &name == b"moov" {
                movie = true;
                self.mp4_movie(body)?;
            } else {
                self.skip(body, "box data", |_| {})?;
            }
        }
    }

    /// The movie box's children must fill it exactly.
    fn mp4_movie(&mut self, size: u64) -> Result<(), NotWhole> {
        if size > MAX_MOOV_BYTES {
            return Err(self.malformed("a movie header over 64 MB"));
        }
        let mut movie = Vec::with_capacity(size as usize);
        self.skip(size, "movie header", |bytes| movie.extend_from_slice(bytes))?;
        let mut rest = &movie[..];
        while !rest.is_empty() {
            let declared = rest.get(..4).map(|size| u32::from_be_bytes([size[0], size[1], size[2], size[3]]) as usize);
            match declared {
                Some(child) if child >= 8 && child <= rest.len() => rest = &rest[child..],
                _ => return Err(self.malformed("a box inside the movie header does not fit it")),
            }
        }
        Ok(())
    }
}

/// Bytes of a GIF color table announced by a descriptor's packed flags.
fn color_table_len(flags: u8) -> u64 {
    match flags & 0x80 {
        0 => 0,
        _ => 3 << ((flags & 0x07) + 1),
    }
}

/// `Read` is enough for callers holding a file: it is buffered here.
pub fn check_reader(kind: MediaKind, reader: impl Read) -> Result<Shape, NotWhole> {
    check(kind, io::BufReader::with_capacity(64 * 1024, reader))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(format: image::ImageFormat) -> Vec<u8> {
        let image = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 99]));
        let mut bytes = io::Cursor::new(Vec::new());
        image.write_to(&mut bytes, format).expect("encode");
        bytes.into_inner()
    }

    fn animated_gif(frames: u8) -> Vec<u8> {
        let mut bytes = Vec::new();
        {
            let mut encoder = image::codecs::gif::GifEncoder::new(&mut bytes);
            for n in 0..frames {
                let frame =
                    image::RgbaImage::from_fn(24, 24, |x, y| image::Rgba([n.wrapping_mul(40), x as u8, y as u8, 255]));
                encoder.encode_frame(image::Frame::new(frame)).expect("frame");
            }
        }
        bytes
    }

    /// A minimal MP4: ftyp, moov (with one child), mdat.
    fn mp4() -> Vec<u8> {
        let boxed = |name: &[u8; 4], body: &[u8]| {
            let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
            out.extend_from_slice(name);
            out.extend_from_slice(body);
            out
        };
        let mut file = boxed(b"ftyp", b"isom\0\0\x02\0isomiso2mp41");
        file.extend(boxed(b"moov", &boxed(b"mvhd", &[0; 100])));
        file.extend(boxed(b"mdat", &[7; 5000]));
        file
    }

    #[test]
    fn whole_files_of_each_kind_pass_and_every_cut_fails() {
        let cases = [
            (MediaKind::Jpeg, encode(image::ImageFormat::Jpeg)),
            (MediaKind::Png, encode(image::ImageFormat::Png)),
            (MediaKind::Gif, animated_gif(5)),
            (MediaKind::Mp4, mp4()),
        ];
        for (kind, bytes) in cases {
            let shape = check_bytes(kind, &bytes).unwrap_or_else(|error| panic!("{kind:?}: {error}"));
            if kind.is_image() {
                assert_ne!(shape, Shape::default(), "{kind:?}");
            }
            // Every cut, down to the first bytes, is told apart from a whole file.
            for cut in (1..bytes.len()).rev().step_by(7).chain([bytes.len() - 1]) {
                assert!(check_bytes(kind, &bytes[..cut]).is_err(), "{kind:?} cut at {cut} of {} passed", bytes.len());
            }
        }
    }

    #[test]
    fn a_multi_frame_gif_cut_after_a_stray_trailer_byte_fails() {
        // The old end check accepted any 0x3B in the last bytes.
        let gif = animated_gif(4);
        let mut cut = gif[..gif.len() * 2 / 3].to_vec();
        cut.push(0x3B);
        assert!(check_bytes(MediaKind::Gif, &cut).is_err());
    }

    #[test]
    fn a_jpeg_with_too_many_scans_is_refused() {
        let mut jpeg = vec![0xFF, 0xD8];
        for _ in 0..=MAX_JPEG_SCANS {
            jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 2, 1, 2, 3]);
        }
        jpeg.extend_from_slice(&[0xFF, 0xD9]);
        let error = check_bytes(MediaKind::Jpeg, &jpeg).expect_err("refused");
        assert!(matches!(error, NotWhole::TooManyScans { .. }), "{error}");
    }

    #[test]
    fn an_avif_is_not_a_whole_mp4() {
        let mut avif = 28u32.to_be_bytes().to_vec();
        avif.extend_from_slice(b"ftypavif\0\0\0\0avifmif1miaf");
        avif.extend_from_slice(&[0, 0, 0, 16]);
        avif.extend_from_slice(b"mdat01234567");
        assert!(check_bytes(MediaKind::Mp4, &avif).is_err());
    }

    #[test]
    fn damaged_files_end_the_walk_the_same_however_they_are_read() {
        // What the `whole_file` fuzz target checks, on a fixed budget of mutations.
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(14);
        let originals = [
            (MediaKind::Jpeg, encode(image::ImageFormat::Jpeg)),
            (MediaKind::Png, encode(image::ImageFormat::Png)),
            (MediaKind::Gif, animated_gif(3)),
            (MediaKind::Mp4, mp4()),
        ];
        for (kind, original) in &originals {
            for _ in 0..300 {
                let mut bytes = original.clone();
                for _ in 0..rng.random_range(1..4) {
                    let at = rng.random_range(0..bytes.len());
                    bytes[at] = rng.random();
                }
                bytes.truncate(rng.random_range(bytes.len() / 2..=bytes.len()));
                let at_once = check_bytes(*kind, &bytes);
                // A buffer of a few bytes hands the walk a few bytes at a time.
                let trickled = check(*kind, io::BufReader::with_capacity(rng.random_range(1..9), &bytes[..]));
                assert_eq!(at_once.as_ref().ok(), trickled.as_ref().ok(), "{kind:?}");
            }
        }
    }

    #[test]
    fn a_png_with_a_damaged_chunk_fails_its_crc() {
        let mut png = encode(image::ImageFormat::Png);
        let middle = png.len() / 2;
        png[middle] ^= 0x55;
        assert!(matches!(check_bytes(MediaKind::Png, &png), Err(NotWhole::Malformed { .. })));
    }
}
