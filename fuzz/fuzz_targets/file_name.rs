//! Any text as an Imgur id or a link's last segment: the file name made from it is never
//! empty, never hidden, never holds a separator, NUL or control character, never is `..`,
//! and fits a file system's 255-byte limit with its extension.
#![no_main]

use libfuzzer_sys::fuzz_target;

use galley::engine::{stem_for_id, stem_for_link};

fn check(stem: &str) {
    assert!(!stem.is_empty());
    assert!(!stem.starts_with('.'), "{stem:?}");
    assert!(stem != "..");
    assert!(!stem.contains(['/', '\\', '\0']), "{stem:?}");
    assert!(!stem.chars().any(char::is_control), "{stem:?}");
    assert!(stem.len() + ".jpeg".len() <= 255, "{} bytes", stem.len());
}

fuzz_target!(|text: &str| {
    check(&stem_for_id(text));
    let link = format!("http://127.0.0.1/i/{}", text.replace(['?', '#'], "_"));
    if let Ok(url) = url::Url::parse(&link) {
        check(&stem_for_link(&url).0);
    }
});
