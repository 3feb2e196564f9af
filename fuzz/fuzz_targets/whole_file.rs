//! Any bytes as a saved file of each kind: the structure walk ends (never a panic, never a
//! loop), reading the bytes in one piece or a few at a time gives the same verdict, and
//! whatever it passes as a picture decodes into a thumbnail or fails cleanly, under the
//! decode budget.
#![no_main]

use std::io::BufRead;

use libfuzzer_sys::fuzz_target;

use galley::engine::{MediaKind, check_whole, thumbnail_bytes};

/// Hands the walk at most a few bytes at a time, as a network might.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let take = available.len().min(buffer.len());
        buffer[..take].copy_from_slice(&available[..take]);
        self.consume(take);
        Ok(take)
    }
}

impl BufRead for Trickle<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        Ok(&self.bytes[..self.bytes.len().min(self.step)])
    }

    fn consume(&mut self, amount: usize) {
        self.bytes = &self.bytes[amount..];
    }
}

fuzz_target!(|bytes: &[u8]| {
    for kind in MediaKind::ALL {
        let at_once = check_whole(kind, bytes);
        let trickled = check_whole(kind, Trickle { bytes, step: 1 + bytes.len() % 7 });
        assert_eq!(at_once.as_ref().ok(), trickled.as_ref().ok(), "{kind:?}: {at_once:?} vs {trickled:?}");
    }
    let _ = thumbnail_bytes(bytes, 64);
});
