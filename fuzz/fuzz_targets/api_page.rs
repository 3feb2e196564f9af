//! Any bytes as an API page: the parser answers items or an error, never panics, and every
//! item it keeps has an id and a link.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    for (videos, gifs_as_mp4) in [(false, false), (true, true)] {
        let moving = galley::engine::MovingPictures { videos, gifs_as_mp4 };
        if let Ok(items) = galley::engine::parse_page(body, "/3/gallery/hot/viral/day/0", moving) {
            for item in items {
                assert!(!item.id.is_empty());
                assert!(!item.link.is_empty());
            }
        }
    }
});
