//! Any bytes as a saved file of each kind: the structure walk ends (never a panic, never a
//! loop), reading the bytes in one piece or a few at a time gives the same verdict, and
//! whatever it passes as a picture decodes into a thumbnail or fails cleanly, under the
//! decode budget.
#![no_main]

use libfuzzer_sys::fuzz_target;

use galley::media::{MediaKind, check_whole, thumbnail_bytes};

fuzz_target!(|bytes: &[u8]| {
    for kind in MediaKind::ALL {
        let at_once = check_whole(kind, bytes);
        // A buffer of a few bytes hands the walk a few bytes at a time.
        let trickled = check_whole(kind, std::io::BufReader::with_capacity(1 + bytes.len() % 7, bytes));
        assert_eq!(at_once.as_ref().ok(), trickled.as_ref().ok(), "{kind:?}: {at_once:?} vs {trickled:?}");
    }
    let _ = thumbnail_bytes(bytes, 64);
});
