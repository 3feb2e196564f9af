//! Any bytes as a cached thumbnail (the shared cache is written by every file manager):
//! read as the cache reads one, it is a thumbnail whose pixels fill its size, or nothing;
//! never a panic, never more than the reader's memory bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Some(thumbnail) = galley::library::parse_thumbnail(bytes, "file:///pictures/a.jpg", 42) {
        assert!(thumbnail.width > 0 && thumbnail.height > 0);
        assert_eq!(thumbnail.rgba.len(), thumbnail.width as usize * thumbnail.height as usize * 4);
    }
});
