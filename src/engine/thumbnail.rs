//! Decode and downscale: thumbnails for the grid and previews, made on a blocking thread
//! (never on an async worker, never on the UI thread).
//!
//! Decoding is the one place where a small hostile file can cost a lot, so the decoder runs
//! under limits: a "decompression bomb" (tiny file, huge dimensions) is refused before any
//! pixel buffer is allocated. GIFs are decoded to their first frame only.

use std::io::Cursor;
use std::path::Path;

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, ImageReader, Limits};

use super::types::Pixels;

/// The grid's thumbnails fit in this square.
pub const THUMBNAIL_SIDE: u32 = 256;
/// Widest or tallest image galley will decode.
pub const MAX_DIMENSION: u32 = 16_384;
/// Most memory one decode may allocate.
pub const MAX_DECODE_ALLOC: u64 = 384 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    #[error("cannot read {0}")]
    Read(#[from] std::io::Error),
    #[error("{0}")]
    Decode(String),
    #[error("resize: {0}")]
    Resize(String),
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
    let bytes = std::fs::read(path)?;
    thumbnail_bytes(&bytes, max_side)
}

/// Thumbnail of an encoded image held in memory.
pub fn thumbnail_bytes(bytes: &[u8], max_side: u32) -> Result<Decoded, ThumbnailError> {
    let image = decode(bytes)?;
    let (width, height) = (image.width(), image.height());
    let small = downscale(image, max_side)?;
    Ok(Decoded { width, height, pixels: to_pixels(small) })
}

fn decode(bytes: &[u8]) -> Result<DynamicImage, ThumbnailError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| ThumbnailError::Decode(error.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
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

fn downscale(image: DynamicImage, max_side: u32) -> Result<DynamicImage, ThumbnailError> {
    let (width, height) = fit(image.width(), image.height(), max_side);
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

fn to_pixels(image: DynamicImage) -> Pixels {
    let rgba = image.into_rgba8();
    Pixels { width: rgba.width(), height: rgba.height(), rgba: rgba.into_raw() }
}

#[cfg(test)]
mod tests {
    use super::*;

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
