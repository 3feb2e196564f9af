//! A fake Imgur (API v3 and image host) on 127.0.0.1, so that galley can be tried,
//! tested and benchmarked without an account, without the internet and without being
//! rate limited.
//!
//! It serves one deterministic gallery ([`demo_gallery`]) under every gallery endpoint,
//! with albums (some listing their images inline, some not), video-only entries a client
//! must skip, real decodable pictures with distinct bytes per id, Imgur's auth and
//! rate-limit headers, and optional latency, bandwidth limits and injected faults
//! (500, 429, reset or truncated bodies, HTML instead of an image).
//!
//! Used by the tests, by `galley demo-server` ([`run_until_stopped`]), by
//! `galley fetch --demo` and by the app's demo mode ([`DemoServer`]).
//!
//! Layout: [`gallery`](demo_gallery) says what exists, `pictures` makes the bytes,
//! `api` answers `/3/...`, `host` serves `/i/...` with faults and pacing, and `server`
//! ties them into an axum router and a server that can be started and stopped.

mod api;
mod gallery;
mod host;
mod paint;
mod pictures;
mod rng;
mod server;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use gallery::{DemoAlbum, DemoEntry, DemoGallery, DemoImage, DemoKind, demo_gallery};
pub use pictures::PictureError;
pub use server::{DemoServer, DemoStats, router, run_until_stopped};

/// A Client-ID the demo accepts (any non-empty id except [`REFUSED_CLIENT_ID`] is).
pub const DEMO_CLIENT_ID: &str = "demo";
/// The Client-ID the demo refuses with 403, like Imgur refusing a bad id.
pub const REFUSED_CLIENT_ID: &str = "bad";

/// What the demo serves and how it behaves.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Downloadable images in the gallery, album members included (videos not counted).
    pub images: usize,
    /// Added before every response, API and images alike.
    pub latency: Duration,
    /// Fraction (0.0..=1.0) of image requests answered with a fault (NaN counts as 0).
    pub fail_rate: f64,
    /// Same seed, same gallery, same bytes.
    pub seed: u64,
    /// Bytes per second per response body; `None` (or `Some(0)`) is unlimited.
    pub bandwidth: Option<u64>,
    /// Top-level entries per gallery page (albums count as one; 0 counts as 1).
    pub page_size: usize,
    /// `None`: the mixed gallery (single images, a few albums, a few videos). `Some(n)`:
    /// every entry is an album of `n` images (0 counts as 1) whose listing carries no
    /// inline `images`, the shape Imgur's gallery listings take for albums, so a client
    /// must ask `/3/album/{id}/images` for each.
    pub album_size: Option<usize>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            images: 40,
            latency: Duration::ZERO,
            fail_rate: 0.0,
            seed: 1,
            bandwidth: None,
            page_size: 60,
            album_size: None,
        }
    }
}
