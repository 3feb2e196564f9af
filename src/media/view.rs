//! Images for the viewer: one picture at up to screen size, or every frame of an animated
//! GIF with its delay, decoded (on the engine's blocking pool).
//!
//! What to decode and when is [`super::viewing`]'s.
//!
//! Every decode keeps the thumbnailer's bounds (file size, dimensions, memory per decode);
//! an animation is further bounded in frames and in total bytes, past which only its first
//! frame is kept and the viewer says so.

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use image::codecs::gif::GifDecoder;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, Limits};

use super::Pixels;
use super::sniff::{self, MediaKind};
use super::thumbnail::{self, MAX_DIMENSION, ThumbnailError};
use super::whole;

/// Longest side an image is decoded at for the viewer: a large screen's worth. Larger
/// images are scaled down to it (and scaled up again past it at 1:1 and beyond).
pub const VIEW_SIDE: u32 = 4096;
/// Most frames of an animation kept; past this, the first frame only.
pub const MAX_FRAMES: usize = 1000;
/// Most bytes of decoded frames one animation may hold; past this, the first frame only.
pub const MAX_ANIMATION_BYTES: u64 = 256 * 1024 * 1024;
/// Frames asking for less than this are shown for `DEFAULT_FRAME_DELAY`, as browsers do
/// (many GIFs say 0 and mean "as fast as is sensible").
const SHORTEST_FRAME_DELAY: Duration = Duration::from_millis(20);
const DEFAULT_FRAME_DELAY: Duration = Duration::from_millis(100);

/// One frame of a picture: its pixels and how long it stays (ignored for a still).
#[derive(Debug, Clone)]
pub struct ViewFrame {
    pub pixels: Arc<Pixels>,
    pub delay: Duration,
}

/// An image decoded for the viewer.
#[derive(Debug, Clone)]
pub struct ViewImage {
    /// Size of the file on disk.
    pub bytes: u64,
    /// Dimensions of the full image (the frames may be smaller, see `VIEW_SIDE`).
    pub width: u32,
    pub height: u32,
    /// One frame for a still; every frame for an animation.
    pub frames: Vec<ViewFrame>,
    /// An animation too long to keep (over `MAX_FRAMES` or `MAX_ANIMATION_BYTES`): only
    /// its first frame is in `frames`.
    pub animation_too_long: bool,
}

/// Why an image cannot be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// The file could not be read (gone, or no permission).
    #[error("cannot read the file: {0}")]
    Unreadable(String),
    /// The bytes are not a picture galley decodes, are damaged, or are over its limits.
    #[error("{0}")]
    Undecodable(String),
    /// A video (MP4): galley shows it in the grid but plays it in the system's player.
    #[error("a video, not a picture")]
    Video,
}

impl From<ThumbnailError> for ViewError {
    fn from(error: ThumbnailError) -> Self {
        match error {
            ThumbnailError::Read(error) => ViewError::Unreadable(error.to_string()),
            other => ViewError::Undecodable(other.to_string()),
        }
    }
}

/// The file at `path` decoded for the viewer, fitting `max_side` x `max_side`.
pub fn view_file(path: &Path, max_side: u32) -> Result<ViewImage, ViewError> {
    let bytes = thumbnail::read_bounded(path)?;
    view_bytes(&bytes, max_side)
}

/// An encoded image held in memory, decoded for the viewer.
pub fn view_bytes(bytes: &[u8], max_side: u32) -> Result<ViewImage, ViewError> {
    let file_bytes = bytes.len() as u64;
    match sniff::sniff(bytes) {
        Some(MediaKind::Gif) => return Ok(gif_frames(bytes, max_side)?),
        Some(MediaKind::Mp4) => return Err(ViewError::Video),
        _ => {}
    }
    let decoded = thumbnail::thumbnail_bytes(bytes, max_side)?;
    let frame = ViewFrame { pixels: Arc::new(decoded.pixels), delay: Duration::ZERO };
    Ok(ViewImage {
        bytes: file_bytes,
        width: decoded.width,
        height: decoded.height,
        frames: vec![frame],
        animation_too_long: false,
    })
}

/// Every frame of a GIF (one for a still GIF), each the whole screen as it is shown.
fn gif_frames(bytes: &[u8], max_side: u32) -> Result<ViewImage, ThumbnailError> {
    let decode_error = |error: image::ImageError| ThumbnailError::Decode(error.to_string());
    let shape = whole::check_bytes(MediaKind::Gif, bytes).map_err(|error| ThumbnailError::Decode(error.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(thumbnail::decode_budget(MediaKind::Gif, shape)?);
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(decode_error)?;
    decoder.set_limits(limits).map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    let (target_width, target_height) = thumbnail::fit(width, height, max_side);
    let frame_bytes = u64::from(target_width) * u64::from(target_height) * 4;
    let mut frames = Vec::new();
    let mut animation_too_long = false;
    for frame in decoder.into_frames() {
        let frame = match frame {
            Ok(frame) => frame,
            // A damaged later frame leaves the ones before it to show.
            Err(error) if !frames.is_empty() => {
                tracing::warn!("an animation stops early at frame {}: {error}", frames.len());
                break;
            }
            Err(error) => return Err(decode_error(error)),
        };
        if frames.len() == MAX_FRAMES || (frames.len() as u64 + 1) * frame_bytes > MAX_ANIMATION_BYTES {
            animation_too_long = true;
            frames.truncate(1);
            break;
        }
        let (numerator, denominator) = frame.delay().numer_denom_ms();
        let delay = Duration::from_millis(u64::from(numerator / denominator.max(1)));
        let delay = if delay < SHORTEST_FRAME_DELAY { DEFAULT_FRAME_DELAY } else { delay };
        let full = DynamicImage::ImageRgba8(frame.into_buffer());
        let pixels = thumbnail::to_pixels(thumbnail::downscale(full, target_width, target_height)?);
        frames.push(ViewFrame { pixels: Arc::new(pixels), delay });
    }
    if frames.is_empty() {
        return Err(ThumbnailError::Decode("the GIF has no frames".to_owned()));
    }
    Ok(ViewImage { bytes: bytes.len() as u64, width, height, frames, animation_too_long })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Delay, Frame, RgbaImage};

    pub(crate) fn animated_gif(width: u32, height: u32, frames: u32, delay_ms: u32) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = GifEncoder::new(&mut out);
            encoder.set_repeat(Repeat::Infinite).unwrap();
            for n in 0..frames {
                let image = RgbaImage::from_pixel(width, height, image::Rgba([(n * 60) as u8, 0, 0, 255]));
                let frame = Frame::from_parts(image, 0, 0, Delay::from_numer_denom_ms(delay_ms, 1));
                encoder.encode_frame(frame).unwrap();
            }
        }
        out
    }

    #[test]
    fn an_animated_gif_keeps_every_frame_and_its_delay() {
        let decoded = view_bytes(&animated_gif(64, 48, 4, 200), VIEW_SIDE).unwrap();
        assert_eq!((decoded.width, decoded.height), (64, 48));
        assert_eq!(decoded.frames.len(), 4);
        assert!(decoded.frames.iter().all(|frame| frame.delay == Duration::from_millis(200)));
        assert_eq!(decoded.frames[1].pixels.rgba[0], 60, "each frame is its own picture");
        assert!(!decoded.animation_too_long);
    }

    #[test]
    fn a_gif_asking_for_no_delay_gets_the_usual_one() {
        let decoded = view_bytes(&animated_gif(8, 8, 2, 0), VIEW_SIDE).unwrap();
        assert!(decoded.frames.iter().all(|frame| frame.delay == DEFAULT_FRAME_DELAY));
    }

    #[test]
    fn an_animation_over_the_frame_bound_keeps_its_first_frame_and_says_so() {
        let decoded = view_bytes(&animated_gif(2, 2, MAX_FRAMES as u32 + 1, 100), VIEW_SIDE).unwrap();
        assert_eq!(decoded.frames.len(), 1);
        assert!(decoded.animation_too_long);
        let longest = view_bytes(&animated_gif(2, 2, MAX_FRAMES as u32, 100), VIEW_SIDE).unwrap();
        assert_eq!(longest.frames.len(), MAX_FRAMES);
        assert!(!longest.animation_too_long);
    }

    #[test]
    fn an_animation_over_the_byte_bound_keeps_its_first_frame_and_says_so() {
        // 2000x2000 RGBA is 16 MB a frame: 17 frames pass 256 MB.
        let decoded = view_bytes(&animated_gif(2000, 2000, 17, 100), VIEW_SIDE).unwrap();
        assert_eq!(decoded.frames.len(), 1);
        assert!(decoded.animation_too_long);
    }

    #[test]
    fn a_large_still_is_scaled_to_the_bound_with_its_full_size_kept() {
        let image = DynamicImage::ImageRgb8(image::RgbImage::new(3000, 1500));
        let mut png = Cursor::new(Vec::new());
        image.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let decoded = view_bytes(png.get_ref(), 1000).unwrap();
        assert_eq!((decoded.width, decoded.height), (3000, 1500));
        assert_eq!((decoded.frames[0].pixels.width, decoded.frames[0].pixels.height), (1000, 500));
        assert_eq!(decoded.bytes, png.get_ref().len() as u64);
    }

    #[test]
    fn a_missing_file_is_unreadable_garbage_undecodable_and_a_video_a_video() {
        let missing = view_file(Path::new("/nonexistent/galley/missing.png"), VIEW_SIDE).unwrap_err();
        assert!(matches!(missing, ViewError::Unreadable(_)), "{missing:?}");
        let garbage = view_bytes(b"<!DOCTYPE html>", VIEW_SIDE).unwrap_err();
        assert!(matches!(garbage, ViewError::Undecodable(_)), "{garbage:?}");
        let mut mp4 = 24u32.to_be_bytes().to_vec();
        mp4.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
        assert_eq!(view_bytes(&mp4, VIEW_SIDE).unwrap_err(), ViewError::Video);
    }

    #[cfg(unix)]
    #[test]
    fn an_image_swapped_for_a_fifo_fails_at_once_in_the_viewer_and_the_thumbnailer() {
        use crate::files::planted::{fifo, within_10s};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.gif");
        fifo(&path);
        let (viewed, thumbnailed) = within_10s(move || {
            (view_file(&path, VIEW_SIDE).map(|_| ()), thumbnail::thumbnail_file(&path, 256).map(|_| ()))
        });
        assert!(matches!(viewed, Err(ViewError::Unreadable(_))), "{viewed:?}");
        assert!(matches!(thumbnailed, Err(thumbnail::ThumbnailError::Read(_))), "{thumbnailed:?}");
    }
}
