//! Decode and downscale: thumbnails for the grid and previews, made on a blocking thread
//! (never on an async worker, never on the UI thread).
//!
//! Decoding is the one place where a small hostile file can cost a lot, so every decode is
//! bounded in memory and time before it starts. The file's structure is walked first
//! (`whole`): that refuses a cut or malformed file, and a progressive JPEG of more scans
//! than `whole::MAX_JPEG_SCANS` (each scan is a pass over the whole image). The size the
//! header announces then sets the decode's memory budget: a "decompression bomb" (tiny
//! file, huge dimensions, such as a GIF whose screen is 9000x9000) is refused before any
//! pixel buffer is allocated, and the decoder may allocate only what those pixels need
//! plus `METADATA_ALLOWANCE`, so a PNG whose colour profile inflates to a gigabyte costs
//! no more than that (the decoder drops a profile past its budget). GIFs are decoded to their first frame only.
//!
//! JPEGs, most of what Imgur serves, take a faster path through libjpeg-turbo (the `mozjpeg`
//! crate, SIMD when `nasm` is present at build time): the decoder scales while it decodes
//! (an IDCT of n/8 the size), so a 1600x1200 photo becomes 400x300 pixels without ever
//! existing at full size. Every byte of entropy-coded data is still read, and a libjpeg
//! warning (premature end of file, corrupt data) fails the decode, so a damaged file is an
//! error rather than a picture with a grey bottom.

use std::cell::Cell;
use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, Instant};

use fast_image_resize::images::ImageRef;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::metadata::Orientation;
use image::{DynamicImage, ImageReader, Limits};

use super::Pixels;
use super::sniff::{self, MediaKind};
use super::whole::{self, Shape};

/// The grid's thumbnails fit in this square.
pub const THUMBNAIL_SIDE: u32 = 256;
/// Widest or tallest image galley will decode.
pub const MAX_DIMENSION: u32 = 16_384;
/// Most memory one decode may allocate.
pub const MAX_DECODE_ALLOC: u64 = 384 * 1024 * 1024;
/// Room a decode has beyond its pixels: palettes, colour profiles, text chunks.
pub const METADATA_ALLOWANCE: u64 = 16 * 1024 * 1024;
/// Largest file read for a thumbnail.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Longest a JPEG decode may take. Valid files within the other limits take up to about
/// 4 s (8000 x 8000 pixels in 100 scans, on a loaded 2-core machine); one past this fails
/// as too slow and frees its worker thread for the other images.
pub const MAX_DECODE_TIME: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    #[error("cannot read {0}")]
    Read(#[from] std::io::Error),
    #[error("{0}")]
    Decode(String),
    #[error("resize: {0}")]
    Resize(String),
    /// Valid as far as it was read, but slower to decode than galley allows.
    #[error("over the {} s a decode may take", .0.as_secs_f32())]
    TooSlow(Duration),
}

/// A decoded image, downscaled, with the full image's dimensions.
#[derive(Debug)]
pub struct Decoded {
    pub width: u32,
    pub height: u32,
    pub pixels: Pixels,
}

/// Thumbnail of the file at `path`, fitting `max_side` x `max_side`.
pub fn thumbnail_file(path: &Path, max_side: u32) -> Result<Decoded, ThumbnailError> {
    thumbnail_bytes(&read_bounded(path)?, max_side)
}

/// The bytes of the file at `path`, or an error if it is over `MAX_FILE_BYTES`.
pub(super) fn read_bounded(path: &Path) -> Result<Vec<u8>, ThumbnailError> {
    use std::io::Read;
    let mut bytes = Vec::new();
    // Only a regular file: an image swapped for a FIFO after the folder was listed would
    // block this worker (and the files queued behind it) in `open` for good.
    crate::files::open_regular(path)?.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ThumbnailError::Decode(format!("the file is over {} MB", MAX_FILE_BYTES >> 20)));
    }
    Ok(bytes)
}

/// Thumbnail of an encoded image held in memory.
pub fn thumbnail_bytes(bytes: &[u8], max_side: u32) -> Result<Decoded, ThumbnailError> {
    thumbnail_bytes_within(bytes, max_side, MAX_DECODE_TIME)
}

/// [`thumbnail_bytes`] with a JPEG decode given up on after `time`.
pub fn thumbnail_bytes_within(bytes: &[u8], max_side: u32, time: Duration) -> Result<Decoded, ThumbnailError> {
    let decoded = decode_within(bytes, max_side, time)?;
    // A phone photo is stored sideways with its EXIF orientation saying how to turn it.
    Ok(match jpeg_orientation(bytes) {
        Some(orientation) if orientation != Orientation::NoTransforms => oriented(decoded, orientation),
        _ => decoded,
    })
}

fn decode_within(bytes: &[u8], max_side: u32, time: Duration) -> Result<Decoded, ThumbnailError> {
    let kind = sniff::sniff(bytes)
        .filter(|kind| kind.is_image())
        .ok_or_else(|| ThumbnailError::Decode(format!("not a picture: {}", sniff::non_media(bytes))))?;
    let shape = whole::check_bytes(kind, bytes).map_err(|error| ThumbnailError::Decode(error.to_string()))?;
    if kind == MediaKind::Jpeg
        && let Some(decoded) = thumbnail_jpeg(bytes, max_side, time)?
    {
        return Ok(decoded);
    }
    let image = decode(bytes, decode_budget(kind, shape)?)?;
    let (width, height) = (image.width(), image.height());
    let (target_width, target_height) = fit(width, height, max_side);
    let small = downscale(image, target_width, target_height)?;
    Ok(Decoded { width, height, pixels: to_pixels(small) })
}

/// The EXIF orientation a JPEG carries (its APP1 `Exif` segment), if any. Only the
/// segments before the first scan are read.
pub(super) fn jpeg_orientation(bytes: &[u8]) -> Option<Orientation> {
    let mut at = 2; // after SOI
    while at + 4 <= bytes.len() {
        let (marker, kind) = (bytes[at], bytes[at + 1]);
        if marker != 0xFF || kind == 0xDA || kind == 0xD9 {
            return None;
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        let segment = bytes.get(at + 4..at + 2 + length)?;
        if kind == 0xE1
            && let Some(exif) = segment.strip_prefix(b"Exif\0\0")
        {
            return Orientation::from_exif_chunk(exif);
        }
        at += 2 + length;
    }
    None
}

/// `decoded` turned as `orientation` says; the image's dimensions as it is shown.
fn oriented(decoded: Decoded, orientation: Orientation) -> Decoded {
    let Decoded { width, height, pixels } = decoded;
    let Some(image) = image::RgbaImage::from_raw(pixels.width, pixels.height, pixels.rgba) else {
        // Cannot happen (the pixels fill their size); then nothing is shown turned.
        return Decoded { width, height, pixels: Pixels { width: 0, height: 0, rgba: Vec::new() } };
    };
    let mut image = DynamicImage::ImageRgba8(image);
    image.apply_orientation(orientation);
    let turned = matches!(
        orientation,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    );
    let (width, height) = if turned { (height, width) } else { (width, height) };
    Decoded { width, height, pixels: to_pixels(image) }
}

/// The memory a decode of an image of `shape` may use, or why it is not decoded at all.
pub(super) fn decode_budget(kind: MediaKind, shape: Shape) -> Result<u64, ThumbnailError> {
    let pixels = u64::from(shape.width) * u64::from(shape.height);
    // A GIF decode holds the whole screen and the frame; other formats one RGBA image,
    // twice that at 16 bits a channel.
    let needed = if kind == MediaKind::Gif { pixels * 8 } else { pixels * 4 };
    if needed > MAX_DECODE_ALLOC {
        return Err(ThumbnailError::Decode(format!(
            "{}x{} pixels would need {} MB to decode, over the limit of {} MB",
            shape.width,
            shape.height,
            needed >> 20,
            MAX_DECODE_ALLOC >> 20
        )));
    }
    Ok((pixels * 8 + METADATA_ALLOWANCE).min(MAX_DECODE_ALLOC))
}
/// A thread keeps its JPEG buffer between images up to this size.
const KEPT_BUFFER: usize = 16 * 1024 * 1024;

thread_local! {
    static JPEG_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    /// When this thread's JPEG decode is to be given up on (see `fail_on_warning`).
    static JPEG_DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// What a JPEG decode unwinds with when its time is up.
struct PastDeadline;

/// The DCT-scaled JPEG path. `None` for what it leaves to `image` (CMYK, and images so large
/// that a progressive decode's coefficients would pass the memory limit), whose decode is
/// bounded by its pixel budget alone.
fn thumbnail_jpeg(bytes: &[u8], max_side: u32, time: Duration) -> Result<Option<Decoded>, ThumbnailError> {
    JPEG_DEADLINE.set(Instant::now().checked_add(time));
    // libjpeg reports errors by unwinding out of the C code (see `strict_jpeg_errors`).
    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode_scaled_jpeg(bytes, max_side)));
    JPEG_DEADLINE.set(None);
    decoded.unwrap_or_else(|payload| {
        if payload.is::<PastDeadline>() {
            return Err(ThumbnailError::TooSlow(time));
        }
        let reason = payload.downcast_ref::<String>().map_or("unreadable JPEG", String::as_str);
        Err(ThumbnailError::Decode(format!("JPEG: {reason}")))
    })
}

fn decode_scaled_jpeg(bytes: &[u8], max_side: u32) -> Result<Option<Decoded>, ThumbnailError> {
    let mut decompress = mozjpeg::Decompress::with_err(strict_jpeg_errors()).from_mem(bytes)?;
    let (width, height) = decompress.size();
    let (width, height) = (u32::try_from(width).unwrap_or(u32::MAX), u32::try_from(height).unwrap_or(u32::MAX));
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(ThumbnailError::Decode(format!(
            "{width}x{height} pixels is over the limit of {MAX_DIMENSION} a side"
        )));
    }
    // A progressive JPEG keeps every DCT coefficient (2 bytes a sample) until its last scan.
    let coefficient_bytes = u64::from(width) * u64::from(height) * 3 * 2;
    let layout_is_simple = matches!(
        decompress.color_space(),
        mozjpeg::ColorSpace::JCS_YCbCr | mozjpeg::ColorSpace::JCS_GRAYSCALE | mozjpeg::ColorSpace::JCS_RGB
    );
    if coefficient_bytes > MAX_DECODE_ALLOC || !layout_is_simple {
        return Ok(None);
    }
    let (target_width, target_height) = fit(width, height, max_side);
    decompress.scale(dct_scale(width, height, target_width, target_height));
    let mut started = decompress.rgb()?;
    let (scaled_width, scaled_height) = (started.width() as u32, started.height() as u32);
    let pixels = JPEG_BUFFER.with_borrow_mut(|buffer| {
        buffer.resize(started.min_flat_buffer_size(), 0);
        let result = started.read_scanlines_into::<u8>(buffer).map_err(ThumbnailError::from).and_then(|rgb| {
            let scaled = ImageRef::new(scaled_width, scaled_height, rgb, PixelType::U8x3)
                .map_err(|error| ThumbnailError::Decode(error.to_string()))?;
            resize_to_rgba(&scaled, target_width, target_height)
        });
        if buffer.capacity() > KEPT_BUFFER {
            *buffer = Vec::new();
        }
        result
    })?;
    // Reads on to the end-of-image marker, so trailing damage is caught too.
    started.finish()?;
    Ok(Some(Decoded { width, height, pixels }))
}

/// The smallest n (of n/8) whose scaled image still covers the target, so the resize
/// after it only ever shrinks.
fn dct_scale(width: u32, height: u32, target_width: u32, target_height: u32) -> u8 {
    let scaled = |side: u32, numerator: u32| (side * numerator).div_ceil(8);
    (1..8u8)
        .find(|&numerator| {
            scaled(width, numerator.into()) >= target_width && scaled(height, numerator.into()) >= target_height
        })
        .unwrap_or(8)
}

/// libjpeg's error manager, made strict: where libjpeg would warn and paint the rest grey
/// (premature end of file, corrupt data), the decode unwinds like on an error.
fn strict_jpeg_errors() -> mozjpeg_sys::jpeg_error_mgr {
    // SAFETY: `jpeg_error_mgr` is a plain C struct (function pointers, integers, pointers)
    // for which all zeros is a valid value, and `jpeg_std_error` initialises every field.
    let mut manager: mozjpeg_sys::jpeg_error_mgr = unsafe { std::mem::zeroed() };
    unsafe { mozjpeg_sys::jpeg_std_error(&mut manager) };
    manager.error_exit = Some(unwind_with_message);
    manager.emit_message = Some(fail_on_warning);
    manager
}

extern "C-unwind" fn fail_on_warning(cinfo: &mut mozjpeg_sys::jpeg_common_struct, level: std::os::raw::c_int) {
    // Level -1 is a warning; higher levels are trace messages.
    if level < 0 {
        unwind_with_message(cinfo);
    }
    // libjpeg traces every marker it reads (each scan's start, each restart marker), so
    // this is where a decode's clock is looked at: between scans, never mid-row.
    if JPEG_DEADLINE.get().is_some_and(|deadline| Instant::now() >= deadline) {
        std::panic::resume_unwind(Box::new(PastDeadline));
    }
}

extern "C-unwind" fn unwind_with_message(cinfo: &mut mozjpeg_sys::jpeg_common_struct) {
    let mut message = [0u8; 80];
    // SAFETY: libjpeg keeps `cinfo.err` pointing at the manager made above for the life of
    // the decompressor, and `format_message` writes at most 80 bytes, NUL-terminated, into
    // the buffer. The binding declares that buffer `&[u8; 80]`; the function is called as
    // taking `&mut`, which has the same ABI and says truthfully that it is written.
    type Declared = unsafe extern "C-unwind" fn(&mut mozjpeg_sys::jpeg_common_struct, &[u8; 80]);
    type FormatMessage = unsafe extern "C-unwind" fn(&mut mozjpeg_sys::jpeg_common_struct, &mut [u8; 80]);
    unsafe {
        if let Some(format) = cinfo.err.as_ref().and_then(|err| err.format_message) {
            let format = std::mem::transmute::<Declared, FormatMessage>(format);
            format(cinfo, &mut message);
        }
    }
    let text = message.split(|&byte| byte == 0).next().unwrap_or_default();
    std::panic::resume_unwind(Box::new(String::from_utf8_lossy(text).into_owned()));
}

/// Resizes an 8-bit RGB image (SIMD) and widens the small result to RGBA.
fn resize_to_rgba(full: &ImageRef<'_>, width: u32, height: u32) -> Result<Pixels, ThumbnailError> {
    let mut small = fast_image_resize::images::Image::new(width, height, full.pixel_type());
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    Resizer::new().resize(full, &mut small, &options).map_err(|error| ThumbnailError::Resize(error.to_string()))?;
    let rgba = small.buffer().chunks_exact(3).flat_map(|rgb| [rgb[0], rgb[1], rgb[2], 255]).collect();
    Ok(Pixels { width, height, rgba })
}

/// Memory a header read may take: enough for any header and a colour profile, while a
/// PNG whose iCCP chunk inflates to hundreds of megabytes is refused at this bound.
const HEADER_BUDGET: u64 = 16 << 20;

/// An image's dimensions from its header (no pixels decoded), within [`HEADER_BUDGET`]:
/// how a download is proved an image when no thumbnail is made.
pub fn header_dimensions(reader: impl std::io::BufRead + std::io::Seek) -> image::ImageResult<(u32, u32)> {
    let mut reader = ImageReader::new(reader).with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(HEADER_BUDGET);
    reader.limits(limits);
    reader.into_dimensions()
}

fn decode(bytes: &[u8], budget: u64) -> Result<DynamicImage, ThumbnailError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| ThumbnailError::Decode(error.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(budget);
    reader.limits(limits);
    reader.decode().map_err(|error| ThumbnailError::Decode(error.to_string()))
}

/// The size that fits `max_side` with the aspect kept (never upscales, never zero).
pub fn fit(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    if width <= max_side && height <= max_side {
        return (width.max(1), height.max(1));
    }
    let scale = max_side as f64 / width.max(height) as f64;
    let scaled = |side: u32| ((side as f64 * scale).round() as u32).clamp(1, max_side);
    (scaled(width), scaled(height))
}

pub(super) fn downscale(image: DynamicImage, width: u32, height: u32) -> Result<DynamicImage, ThumbnailError> {
    if (width, height) == (image.width(), image.height()) {
        return Ok(image);
    }
    // SIMD resizing works on 8-bit layouts; anything else is converted first.
    let source = match image {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) | DynamicImage::ImageLuma8(_) => image,
        other => DynamicImage::ImageRgba8(other.to_rgba8()),
    };
    let mut target = DynamicImage::new(width, height, source.color());
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
    Resizer::new().resize(&source, &mut target, &options).map_err(|error| ThumbnailError::Resize(error.to_string()))?;
    Ok(target)
}

pub(super) fn to_pixels(image: DynamicImage) -> Pixels {
    let rgba = image.into_rgba8();
    Pixels { width: rgba.width(), height: rgba.height(), rgba: rgba.into_raw() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 4x2 JPEG (wider than tall) carrying EXIF orientation `value`.
    fn jpeg_with_orientation(value: u16) -> Vec<u8> {
        let image =
            image::RgbImage::from_fn(
                40,
                20,
                |x, _| if x < 20 { image::Rgb([255, 0, 0]) } else { image::Rgb([0, 0, 255]) },
            );
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 95).encode_image(&image).unwrap();
        // A little-endian TIFF holding one IFD entry: Orientation (0x0112), SHORT, 1 value.
        let mut tiff = b"II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0".to_vec();
        tiff.extend_from_slice(&value.to_le_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        let mut segment = b"Exif\0\0".to_vec();
        segment.extend_from_slice(&tiff);
        let mut jpeg = plain[..2].to_vec();
        jpeg.extend_from_slice(&[0xFF, 0xE1]);
        jpeg.extend_from_slice(&(segment.len() as u16 + 2).to_be_bytes());
        jpeg.extend_from_slice(&segment);
        jpeg.extend_from_slice(&plain[2..]);
        jpeg
    }

    #[test]
    fn a_phone_photo_is_turned_as_its_exif_orientation_says() {
        let upright = thumbnail_bytes(&jpeg_with_orientation(1), 256).unwrap();
        assert_eq!((upright.width, upright.height), (40, 20));
        let phone = jpeg_with_orientation(6);
        assert_eq!(jpeg_orientation(&phone), Some(Orientation::Rotate90));
        let turned = thumbnail_bytes(&phone, 256).unwrap();
        assert_eq!((turned.width, turned.height), (20, 40), "portrait, as the phone held it");
        assert_eq!((turned.pixels.width, turned.pixels.height), (20, 40));
        // Turned clockwise: the left half (red) is now on top.
        let top = &turned.pixels.rgba[..4];
        assert!(top[0] > 200 && top[2] < 60, "red on top: {top:?}");
        let viewed = crate::media::view::view_bytes(&phone, 4096).unwrap();
        assert_eq!((viewed.width, viewed.height), (20, 40), "the viewer too");
    }

    fn encode(image: &DynamicImage, format: image::ImageFormat) -> Vec<u8> {
        let mut bytes = Cursor::new(Vec::new());
        image.write_to(&mut bytes, format).unwrap();
        bytes.into_inner()
    }

    #[test]
    fn fits_inside_the_square_keeping_aspect() {
        assert_eq!(fit(1600, 1200, 256), (256, 192));
        assert_eq!(fit(400, 1600, 256), (64, 256));
        assert_eq!(fit(100, 50, 256), (100, 50));
        assert_eq!(fit(10_000, 1, 256), (256, 1));
    }

    #[test]
    fn thumbnails_each_format() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_fn(800, 600, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }));
        for format in [image::ImageFormat::Jpeg, image::ImageFormat::Png, image::ImageFormat::Gif] {
            let decoded = thumbnail_bytes(&encode(&image, format), THUMBNAIL_SIDE).unwrap();
            assert_eq!((decoded.width, decoded.height), (800, 600), "{format:?}");
            assert_eq!((decoded.pixels.width, decoded.pixels.height), (256, 192));
            assert_eq!(decoded.pixels.rgba.len(), 256 * 192 * 4);
        }
    }

    fn gradient(width: u32, height: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, ((x + y) % 256) as u8])
        }))
    }

    /// Mean absolute difference per channel between two RGBA buffers of one size.
    fn mean_difference(a: &[u8], b: &[u8]) -> f64 {
        assert_eq!(a.len(), b.len());
        a.iter().zip(b).map(|(x, y)| x.abs_diff(*y) as f64).sum::<f64>() / a.len() as f64
    }

    #[test]
    fn dct_scale_is_the_smallest_that_still_covers_the_target() {
        assert_eq!(dct_scale(1600, 1200, 256, 192), 2); // 400x300
        assert_eq!(dct_scale(1200, 800, 256, 171), 2); // 300x200
        assert_eq!(dct_scale(2048, 1536, 256, 192), 1); // 256x192 exactly
        assert_eq!(dct_scale(300, 200, 256, 171), 7); // 263x175
        assert_eq!(dct_scale(200, 100, 200, 100), 8); // small images are not scaled
    }

    #[test]
    fn scaled_jpeg_decode_matches_a_full_decode() {
        let jpeg = encode(&gradient(1600, 1200), image::ImageFormat::Jpeg);
        let fast = thumbnail_bytes(&jpeg, THUMBNAIL_SIDE).unwrap();
        let full = image::load_from_memory(&jpeg).unwrap();
        let reference = downscale(full, 256, 192).unwrap().into_rgba8().into_raw();
        assert_eq!((fast.width, fast.height), (1600, 1200));
        assert_eq!((fast.pixels.width, fast.pixels.height), (256, 192));
        let difference = mean_difference(&fast.pixels.rgba, &reference);
        assert!(difference < 3.0, "mean difference {difference}");
    }

    #[test]
    fn greyscale_and_progressive_jpegs_decode() {
        let grey = DynamicImage::ImageLuma8(gradient(900, 600).to_luma8());
        let decoded = thumbnail_bytes(&encode(&grey, image::ImageFormat::Jpeg), THUMBNAIL_SIDE).unwrap();
        assert_eq!((decoded.pixels.width, decoded.pixels.height), (256, 171));
        let rgba = &decoded.pixels.rgba;
        assert!(rgba.chunks_exact(4).all(|pixel| pixel[0] == pixel[1] && pixel[1] == pixel[2] && pixel[3] == 255));

        let progressive = progressive_jpeg(640, 480);
        let decoded = thumbnail_bytes(&progressive, THUMBNAIL_SIDE).unwrap();
        assert_eq!((decoded.width, decoded.height), (640, 480));
    }

    fn progressive_jpeg(width: u32, height: u32) -> Vec<u8> {
        let mut compress = mozjpeg::Compress::new(mozjpeg::ColorSpace::JCS_RGB);
        compress.set_size(width as usize, height as usize);
        compress.set_progressive_mode();
        let mut started = compress.start_compress(Vec::new()).unwrap();
        started.write_scanlines(gradient(width, height).as_bytes()).unwrap();
        started.finish().unwrap()
    }

    #[test]
    fn a_jpeg_decode_past_its_deadline_fails_as_too_slow_and_frees_its_thread() {
        let progressive = progressive_jpeg(1200, 900);
        let baseline = encode(&gradient(1200, 900), image::ImageFormat::Jpeg);

        for jpeg in [&progressive, &baseline] {
            let error = thumbnail_bytes_within(jpeg, THUMBNAIL_SIDE, Duration::ZERO).expect_err("past its deadline");
            assert!(matches!(error, ThumbnailError::TooSlow(_)), "{error}");
            // The thread's next decode has its own clock.
            assert!(thumbnail_bytes_within(jpeg, THUMBNAIL_SIDE, MAX_DECODE_TIME).is_ok());
        }
    }

    #[test]
    fn a_damaged_jpeg_is_an_error_not_a_grey_picture() {
        let jpeg = encode(&gradient(800, 600), image::ImageFormat::Jpeg);
        for cut in [jpeg.len() / 2, jpeg.len() - 2] {
            let error = thumbnail_bytes(&jpeg[..cut], THUMBNAIL_SIDE).unwrap_err().to_string();
            assert!(error.contains("ends before"), "cut at {cut}: {error}");
        }
        // A run of garbage in the middle of the entropy-coded data.
        let mut corrupt = jpeg.clone();
        let middle = corrupt.len() / 2;
        corrupt[middle..middle + 64].fill(0xFF);
        assert!(thumbnail_bytes(&corrupt, THUMBNAIL_SIDE).is_err());
        // Bytes after the end marker are harmless and ignored, as every viewer does.
        let mut padded = jpeg;
        padded.extend_from_slice(&[0; 16]);
        assert!(thumbnail_bytes(&padded, THUMBNAIL_SIDE).is_ok());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(thumbnail_bytes(b"<!DOCTYPE html><html></html>", 256).is_err());
        assert!(thumbnail_bytes(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 1, 2, 3], 256).is_err());
        assert!(thumbnail_bytes(b"", 256).is_err());
    }

    #[test]
    fn decompression_bomb_is_refused() {
        // A valid PNG header claiming 100,000 x 100,000 pixels, in a few dozen bytes.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&100_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        png.extend_from_slice(&0u32.to_be_bytes());
        png.extend_from_slice(b"IEND");
        png.extend_from_slice(&crc32(b"IEND").to_be_bytes());
        let error = thumbnail_bytes(&png, 256).unwrap_err();
        assert!(error.to_string().to_lowercase().contains("limit"), "{error}");
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in bytes {
            crc ^= byte as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
}
