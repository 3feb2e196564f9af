//! Memory one decode may take, measured: this test binary counts every allocation, so a
//! hostile image's cost is a number, not a guess. Each case ran to hundreds of megabytes
//! before decoding was bounded (issue 14).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use galley::media::{THUMBNAIL_SIDE, header_dimensions, thumbnail_bytes};

/// The system allocator, keeping the peak of bytes in use.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// One test at a time, setup included: the counters are process-wide.
static ALONE: Mutex<()> = Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ALONE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

// SAFETY: every call is passed on to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Megabytes allocated at the peak of `work`, above what was in use before it.
fn peak_megabytes<T>(work: impl FnOnce() -> T) -> (T, usize) {
    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let result = work();
    (result, (PEAK.load(Ordering::Relaxed) - before) >> 20)
}

/// A 1 x 1 PNG whose iCCP chunk is a quarter of a megabyte and inflates to 256 MB.
fn iccp_bomb() -> Vec<u8> {
    let mut info = png::Info::with_size(1, 1);
    info.color_type = png::ColorType::Rgba;
    info.bit_depth = png::BitDepth::Eight;
    info.icc_profile = Some(std::borrow::Cow::Owned(vec![0; 256 << 20]));
    let mut bytes = Vec::new();
    {
        let mut writer = png::Encoder::with_info(&mut bytes, info).expect("info").write_header().expect("header");
        writer.write_image_data(&[1, 2, 3, 255]).expect("pixel");
    }
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    bytes
}

#[test]
fn a_colour_profile_that_inflates_to_256_mb_costs_a_bounded_decode() {
    let _alone = alone();
    let bytes = iccp_bomb();

    let (decoded, megabytes) = peak_megabytes(|| thumbnail_bytes(&bytes, THUMBNAIL_SIDE));

    eprintln!("1 x 1 PNG, iCCP inflating to 256 MB ({} bytes): {megabytes} MB allocated at the peak", bytes.len());
    // The picture itself is fine; the profile past the budget is dropped, not inflated.
    assert_eq!(decoded.map(|decoded| (decoded.width, decoded.height)).ok(), Some((1, 1)));
    assert!(megabytes <= 40, "{megabytes} MB for a 1 x 1 picture");
}

/// Without thumbnails (`--no-thumbnails`) a download is proved an image by its header:
/// that read is bounded too (it inflated the whole profile: 536 MB for a 1 MB file).
#[test]
fn a_colour_profile_that_inflates_to_256_mb_costs_a_bounded_header_read() {
    let _alone = alone();
    let bytes = iccp_bomb();

    let (read, megabytes) = peak_megabytes(|| header_dimensions(std::io::Cursor::new(&bytes)));

    eprintln!("1 x 1 PNG, iCCP inflating to 256 MB: header read {read:?}, {megabytes} MB allocated at the peak");
    assert!(megabytes <= 40, "{megabytes} MB to read a header");
}

#[test]
fn a_35_byte_gif_with_a_9000_pixel_screen_costs_nothing() {
    let _alone = alone();
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&9000u16.to_le_bytes());
    gif.extend_from_slice(&9000u16.to_le_bytes());
    gif.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
    gif.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B]);
    assert_eq!(gif.len(), 35);

    let (decoded, megabytes) = peak_megabytes(|| thumbnail_bytes(&gif, THUMBNAIL_SIDE));

    eprintln!("35-byte GIF, 9000 x 9000 screen: {megabytes} MB allocated at the peak");
    assert!(megabytes <= 1, "{megabytes} MB for 35 bytes");
    let error = decoded.expect_err("refused").to_string();
    assert!(error.contains("9000x9000") && error.contains("limit"), "{error}");
}
