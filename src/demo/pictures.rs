//! The bytes the demo image host serves: real, decodable JPEG, PNG and GIF files (and
//! mp4-shaped blobs), cheap enough to serve thousands of while a client downloads them
//! on the same two cores.
//!
//! Painting and encoding a picture costs tens of milliseconds, so only a few *base*
//! pictures exist per kind, each made once per process on first use and kept in a
//! `OnceLock`. Every id still gets its own bytes (clients dedupe by sha256): its file is
//! the base with a small comment naming the id spliced in (a JPEG `COM` segment after the
//! JFIF header, a PNG `tEXt` chunk before `IEND`, a GIF comment extension before the
//! trailer). A [`DemoFile`] holds the three pieces (head, stamp, tail) as `Bytes` slices
//! of the shared base, so serving one copies nothing and keeps no per-id buffer: a
//! 5000-image gallery costs the bases' few megabytes, not a gigabyte.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use bytes::Bytes;
use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{Delay, ExtendedColorType, Frame, ImageEncoder, RgbaImage};

use super::gallery::DemoImage;
use super::kinds::{ANIMATED_SPECS, DemoKind, GIF_SPECS, JPEG_SPECS, PNG_SPECS, Rendition, dimensions, spec_of};
use super::paint::{Painter, Spec, spec};
use super::rng::{self, SplitMix};

/// A base picture could not be encoded. Not expected to happen (the inputs are ours),
/// but reported as a 500 rather than a panic if it ever does.
#[derive(Debug, Clone, thiserror::Error)]
#[error("could not make the demo {kind} picture: {reason}")]
pub struct PictureError {
    kind: &'static str,
    reason: String,
}

const ANIMATION_FRAMES: u32 = 4;
const FRAME_DELAY_MS: u32 = 200;
const JPEG_QUALITY: u8 = 85;
/// PNG pictures use one palette colour in this many, giving flat bands.
const PNG_BAND: u8 = 8;

/// A base picture, made on first use (or the reason it could not be).
type Base = OnceLock<Result<Bytes, PictureError>>;

static JPEG_BASES: [Base; JPEG_SPECS.len()] = [const { OnceLock::new() }; JPEG_SPECS.len()];
static PNG_BASES: [Base; PNG_SPECS.len()] = [const { OnceLock::new() }; PNG_SPECS.len()];
static GIF_BASES: [Base; GIF_SPECS.len()] = [const { OnceLock::new() }; GIF_SPECS.len()];
static ANIMATED_BASES: [Base; ANIMATED_SPECS.len()] = [const { OnceLock::new() }; ANIMATED_SPECS.len()];

fn bases(kind: DemoKind) -> &'static [Base] {
    match kind {
        DemoKind::Jpeg => &JPEG_BASES,
        DemoKind::Png => &PNG_BASES,
        DemoKind::Gif => &GIF_BASES,
        DemoKind::AnimatedGif => &ANIMATED_BASES,
        DemoKind::Video => &[],
    }
}

/// Whether `file` can answer for `image` in `rendition` without making anything.
pub(crate) fn is_ready(image: &DemoImage, rendition: Rendition) -> bool {
    match (image.kind, rendition) {
        (DemoKind::Video, _) | (_, Rendition::Mp4) => MP4_NOISE.get().is_some(),
        _ => bases(image.kind).get(image.variant).is_none_or(|cell| cell.get().is_some()),
    }
}

/// The file served for `image` in `rendition`. Blocking the first time a base picture is
/// needed; call it from a blocking thread in async code.
pub(crate) fn file(image: &DemoImage, rendition: Rendition) -> Result<DemoFile, PictureError> {
    let stamp = format!("galley demo {}", image.id);
    match (image.kind, rendition) {
        (DemoKind::Video, _) | (_, Rendition::Mp4) => Ok(mp4(&image.id)),
        (DemoKind::Jpeg, Rendition::Original) => Ok(stamp_jpeg(&base(image.kind, image.variant)?, &stamp)),
        (DemoKind::Png, Rendition::Original) => Ok(stamp_png(&base(image.kind, image.variant)?, &stamp)),
        (DemoKind::Gif | DemoKind::AnimatedGif, Rendition::Original) => {
            Ok(stamp_gif(&base(image.kind, image.variant)?, &stamp))
        }
    }
}

/// Longest side of a small rendition, as Imgur's `m` thumbnails are.
pub(crate) const SMALL_SIDE: u32 = 320;

/// Small renditions made so far, by (kind, variant): every id of a base looks the same.
static SMALLS: OnceLock<Mutex<HashMap<(DemoKind, usize), Bytes>>> = OnceLock::new();

/// `image`'s small rendition (Imgur's `m` suffix): a JPEG at most [`SMALL_SIDE`] a side,
/// a video's a still of its size. Blocking the first time per base picture.
pub(crate) fn small(image: &DemoImage) -> Result<Bytes, PictureError> {
    let key = (image.kind, image.variant);
    let smalls = SMALLS.get_or_init(Mutex::default);
    let made = smalls.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key).cloned();
    if let Some(bytes) = made {
        return Ok(bytes);
    }
    let failed = |reason: String| PictureError { kind: "image/jpeg", reason };
    let picture = match image.kind {
        DemoKind::Video => {
            let (width, height) = dimensions(image.kind, image.variant);
            let spec = spec(width, height, 0);
            let rgb = Painter::new(&spec, rng::mix(DemoKind::Video as u64, image.variant as u64), 0).rgb(PNG_BAND);
            image::RgbImage::from_raw(width, height, rgb).map(image::DynamicImage::ImageRgb8)
        }
        kind => Some(image::load_from_memory(&base(kind, image.variant)?).map_err(|e| failed(e.to_string()))?),
    }
    .ok_or_else(|| failed("the painted picture has the wrong size".into()))?;
    let small = picture.thumbnail(SMALL_SIDE, SMALL_SIDE).into_rgb8();
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .write_image(small.as_raw(), small.width(), small.height(), ExtendedColorType::Rgb8)
        .map_err(|e| failed(e.to_string()))?;
    let bytes = Bytes::from(out);
    smalls.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key, bytes.clone());
    Ok(bytes)
}

/// Base picture `variant` of `kind`, painted and encoded on first use.
fn base(kind: DemoKind, variant: usize) -> Result<Bytes, PictureError> {
    let cells = bases(kind);
    let cell = cells.get(variant).or(cells.first()).ok_or(PictureError { kind: "video", reason: "no base".into() })?;
    cell.get_or_init(|| encode_base(kind, variant)).clone()
}

fn encode_base(kind: DemoKind, variant: usize) -> Result<Bytes, PictureError> {
    let spec = spec_of(kind, variant);
    let style = rng::mix(kind as u64, variant as u64);
    let failed = |reason: image::ImageError| PictureError { kind: kind.mime(), reason: reason.to_string() };
    let bytes = match kind {
        DemoKind::Jpeg => encode_jpeg(&Painter::new(spec, style, 0).rgb(1), spec),
        // PNGs are usually graphics: flat bands compress the way they do.
        DemoKind::Png => encode_png(&Painter::new(spec, style, 0).rgb(PNG_BAND), spec),
        DemoKind::Gif => encode_gif(spec, style, 1),
        DemoKind::AnimatedGif => encode_gif(spec, style, ANIMATION_FRAMES),
        DemoKind::Video => Ok(Vec::new()),
    }
    .map_err(failed)?;
    Ok(Bytes::from(bytes))
}

fn encode_jpeg(rgb: &[u8], spec: &Spec) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY).write_image(
        rgb,
        spec.width,
        spec.height,
        ExtendedColorType::Rgb8,
    )?;
    Ok(out)
}

fn encode_png(rgb: &[u8], spec: &Spec) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out).write_image(rgb, spec.width, spec.height, ExtendedColorType::Rgb8)?;
    Ok(out)
}

/// A GIF of `frames` frames. Each frame uses at most 256 colours, so the encoder takes
/// them as its palette directly instead of quantizing (which would be slow).
fn encode_gif(spec: &Spec, style: u64, frames: u32) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        if frames > 1 {
            encoder.set_repeat(Repeat::Infinite)?;
        }
        for frame in 0..frames {
            let phase = (frame * 256 / frames.max(1)) as u8;
            let rgba = Painter::new(spec, style, phase).indexed_rgba();
            let Some(image) = RgbaImage::from_raw(spec.width, spec.height, rgba) else {
                return Err(image::ImageError::Parameter(image::error::ParameterError::from_kind(
                    image::error::ParameterErrorKind::DimensionMismatch,
                )));
            };
            let delay = Delay::from_numer_denom_ms(FRAME_DELAY_MS, 1);
            encoder.encode_frame(Frame::from_parts(image, 0, 0, delay))?;
        }
        // Dropping the encoder writes the GIF trailer.
    }
    Ok(out)
}

/// A served file in three pieces that share memory with the base picture.
#[derive(Debug, Clone)]
pub(crate) struct DemoFile {
    parts: [Bytes; 3],
}

impl DemoFile {
    /// A file in one piece, such as a JSON body.
    pub(crate) fn whole(bytes: Bytes) -> Self {
        Self { parts: [bytes, Bytes::new(), Bytes::new()] }
    }

    fn spliced(base: &Bytes, at: usize, stamp: Vec<u8>) -> Self {
        let at = at.min(base.len());
        Self { parts: [base.slice(..at), Bytes::from(stamp), base.slice(at..)] }
    }

    pub(crate) fn len(&self) -> u64 {
        self.parts.iter().map(|part| part.len() as u64).sum()
    }

    /// The whole file in one buffer (copies; for tests and small callers).
    pub(crate) fn to_bytes(&self) -> Bytes {
        let mut out = Vec::with_capacity(self.len() as usize);
        for part in &self.parts {
            out.extend_from_slice(part);
        }
        Bytes::from(out)
    }

    /// The first `limit` bytes as pieces of at most `max` bytes each, without copying.
    pub(crate) fn chunks(&self, max: usize, limit: u64) -> Vec<Bytes> {
        let max = max.max(1);
        let mut left = limit;
        let mut out = Vec::new();
        for part in &self.parts {
            let mut start = 0;
            while start < part.len() && left > 0 {
                let end = (start + max).min(part.len()).min(start + left as usize);
                out.push(part.slice(start..end));
                left -= (end - start) as u64;
                start = end;
            }
        }
        out
    }
}

/// Puts a `COM` segment after the JFIF `APP0` segment (or right after `SOI`).
fn stamp_jpeg(base: &Bytes, text: &str) -> DemoFile {
    let at = match base.get(2..6) {
        Some([0xFF, 0xE0, high, low]) => 4 + u16::from_be_bytes([*high, *low]) as usize,
        _ => 2,
    };
    let text = &text.as_bytes()[..text.len().min(u16::MAX as usize - 2)];
    let mut segment = vec![0xFF, 0xFE];
    segment.extend_from_slice(&(text.len() as u16 + 2).to_be_bytes());
    segment.extend_from_slice(text);
    DemoFile::spliced(base, at, segment)
}

/// Puts a `tEXt` chunk (keyword `Comment`) just before the 12-byte `IEND` chunk.
fn stamp_png(base: &Bytes, text: &str) -> DemoFile {
    let at = base.len().saturating_sub(12);
    let mut data = b"tEXt".to_vec();
    data.extend_from_slice(b"Comment\0");
    data.extend_from_slice(text.as_bytes());
    let mut chunk = ((data.len() - 4) as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(&data);
    chunk.extend_from_slice(&crc32(&data).to_be_bytes());
    DemoFile::spliced(base, at, chunk)
}

/// Puts a comment extension (`0x21 0xFE`, then sub-blocks) before the trailer byte.
fn stamp_gif(base: &Bytes, text: &str) -> DemoFile {
    let at = base.len().saturating_sub(1);
    let mut extension = vec![0x21, 0xFE];
    for block in text.as_bytes().chunks(255) {
        extension.push(block.len() as u8);
        extension.extend_from_slice(block);
    }
    extension.push(0);
    DemoFile::spliced(base, at, extension)
}

/// CRC-32 as PNG wants it (ISO 3309, reflected, polynomial 0xEDB88320).
fn crc32(data: &[u8]) -> u32 {
    static TABLE: OnceLock<[u32; 256]> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        std::array::from_fn(|n| (0..8).fold(n as u32, |c, _| if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 }))
    });
    !data.iter().fold(!0u32, |c, &byte| table[((c ^ byte as u32) & 0xFF) as usize] ^ (c >> 8))
}

/// The length of the mp4 served for `id`: 150 KB to 600 KB, fixed by the id.
pub(crate) fn mp4_len(id: &str) -> u64 {
    150_000 + hash(id) % 450_000
}

/// Payload shared by every mp4, each taking a slice at its own offset.
static MP4_NOISE: OnceLock<Bytes> = OnceLock::new();
const MP4_NOISE_LEN: usize = 1 << 20;

/// An mp4-shaped file: `ftyp`, a `free` box naming the id (so bytes differ per id), a
/// `moov` box holding an empty `mvhd`, and an `mdat` box of noise. Its boxes are whole
/// (galley walks them); players would still refuse it.
fn mp4(id: &str) -> DemoFile {
    let noise = MP4_NOISE.get_or_init(|| {
        let mut rng = SplitMix::new(0x6D70_3400);
        Bytes::from((0..MP4_NOISE_LEN / 8).flat_map(|_| rng.next_u64().to_le_bytes()).collect::<Vec<u8>>())
    });
    let mut head = Vec::with_capacity(256);
    head.extend_from_slice(&24u32.to_be_bytes());
    head.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
    let note = format!("galley demo {id}");
    head.extend_from_slice(&(8 + note.len() as u32).to_be_bytes());
    head.extend_from_slice(b"free");
    head.extend_from_slice(note.as_bytes());
    head.extend_from_slice(&(8 + 8 + 100u32).to_be_bytes());
    head.extend_from_slice(b"moov");
    head.extend_from_slice(&(8 + 100u32).to_be_bytes());
    head.extend_from_slice(b"mvhd");
    head.extend_from_slice(&[0; 100]);
    let total = mp4_len(id) as usize;
    let payload = total.saturating_sub(head.len() + 8).min(MP4_NOISE_LEN);
    head.extend_from_slice(&(8 + payload as u32).to_be_bytes());
    head.extend_from_slice(b"mdat");
    let offset = hash(id) as usize % (MP4_NOISE_LEN - payload + 1);
    DemoFile { parts: [Bytes::from(head), Bytes::new(), noise.slice(offset..offset + payload)] }
}

fn hash(text: &str) -> u64 {
    text.bytes().fold(0x5EED, |h, byte| rng::mix(h, byte as u64))
}

impl DemoImage {
    /// The bytes served at its link. Blocking: the first call for a given picture
    /// generates it (tens of milliseconds), later calls are cheap.
    pub fn bytes(&self) -> Result<Bytes, PictureError> {
        Ok(file(self, Rendition::Original)?.to_bytes())
    }

    /// The length of [`DemoImage::bytes`], as listed in `size`. Blocking like `bytes`.
    pub fn size(&self) -> Result<u64, PictureError> {
        Ok(file(self, Rendition::Original)?.len())
    }

    /// The length of its mp4 rendition (`mp4_size`), for animated items. Cheap.
    pub fn mp4_size(&self) -> Option<u64> {
        self.kind.animated().then(|| mp4_len(&self.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::kinds::variants;

    fn image(kind: DemoKind, variant: usize, id: &str) -> DemoImage {
        let (width, height) = dimensions(kind, variant);
        DemoImage { id: id.into(), title: String::new(), kind, width, height, album: None, variant }
    }

    #[test]
    fn every_base_decodes_to_its_listed_size_after_stamping() {
        for kind in [DemoKind::Jpeg, DemoKind::Png, DemoKind::Gif, DemoKind::AnimatedGif] {
            for variant in 0..variants(kind) {
                let image = image(kind, variant, "aB3dE9x");
                let bytes = file(&image, Rendition::Original).unwrap().to_bytes();
                let decoded = image::load_from_memory(&bytes).unwrap_or_else(|e| panic!("{kind:?} {variant}: {e}"));
                assert_eq!((decoded.width(), decoded.height()), (image.width, image.height), "{kind:?} {variant}");
                let text = b"galley demo aB3dE9x";
                assert!(bytes.windows(text.len()).any(|w| w == text), "{kind:?} {variant} lacks its stamp");
            }
        }
    }

    #[test]
    fn stamps_make_bytes_differ_per_id() {
        let a = file(&image(DemoKind::Png, 1, "aaaaaaa"), Rendition::Original).unwrap();
        let b = file(&image(DemoKind::Png, 1, "bbbbbbb"), Rendition::Original).unwrap();
        assert_eq!(a.len(), b.len());
        assert_ne!(a.to_bytes(), b.to_bytes());
    }

    #[test]
    fn animated_gifs_have_several_frames() {
        use image::AnimationDecoder;
        let bytes = file(&image(DemoKind::AnimatedGif, 0, "anim123"), Rendition::Original).unwrap().to_bytes();
        let decoder = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes)).unwrap();
        let frames = decoder.into_frames().collect_frames().unwrap();
        assert_eq!(frames.len(), ANIMATION_FRAMES as usize);
    }

    #[test]
    fn mp4s_look_like_mp4s_and_have_their_listed_length() {
        for id in ["vid0001", "vid0002", "x"] {
            let bytes = mp4(id).to_bytes();
            assert_eq!(&bytes[4..12], b"ftypisom");
            assert_eq!(bytes.len() as u64, mp4_len(id));
        }
        assert_ne!(mp4("vid0001").to_bytes(), mp4("vid0002").to_bytes());
    }

    #[test]
    fn chunks_cover_the_requested_prefix() {
        let file = mp4("chunky1");
        let whole = file.to_bytes();
        for (max, limit) in [(1000, file.len()), (4096, file.len() / 2), (7, 10), (1000, 0)] {
            let chunks = file.chunks(max, limit);
            assert!(chunks.iter().all(|chunk| chunk.len() <= max && !chunk.is_empty()));
            let joined: Vec<u8> = chunks.concat();
            assert_eq!(joined, whole[..limit as usize]);
        }
    }

    #[test]
    fn crc32_matches_the_reference_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn a_typical_gallery_averages_about_170_kb() {
        let gallery = crate::demo::demo_gallery(&crate::demo::DemoConfig { images: 2000, ..Default::default() });
        let sizes: Vec<u64> = gallery.images().map(|image| image.size().unwrap()).collect();
        let average = sizes.iter().sum::<u64>() / sizes.len() as u64;
        assert!((155_000..=185_000).contains(&average), "{average}");
        assert!(sizes.iter().all(|size| (100_000..=1_000_000).contains(size)));
    }

    /// Prints every base's size and how long it took: `cargo test --lib demo::pictures -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn print_base_sizes() {
        for kind in [DemoKind::Jpeg, DemoKind::Png, DemoKind::Gif, DemoKind::AnimatedGif] {
            for variant in 0..variants(kind) {
                let started = std::time::Instant::now();
                let size = base(kind, variant).unwrap().len();
                let (w, h) = dimensions(kind, variant);
                println!("{kind:?} {variant}: {w}x{h} {} KB in {:?}", size / 1000, started.elapsed());
            }
        }
    }
}
