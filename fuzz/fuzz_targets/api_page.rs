//! Any bytes as an API page: the parser answers items or an error, never panics, and every
//! item it keeps has an id and a link.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    for include_animated in [false, true] {
        if let Ok(items) = galley::engine::parse_page(body, "/3/gallery/hot/viral/day/0", include_animated) {
            for item in items {
                assert!(!item.id.is_empty());
                assert!(!item.link.is_empty());
            }
        }
    }
});
