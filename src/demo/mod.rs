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
mod control;
mod feeds;
mod gallery;
mod host;
mod kinds;
mod paint;
mod pictures;
mod rng;
mod server;
mod state;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use gallery::{DemoAlbum, DemoEntry, DemoGallery, DemoImage, DemoKind, demo_gallery};
pub use pictures::PictureError;
pub use server::{DemoServer, DemoStats, router, run_until_stopped};

/// A picture in the demo gallery's style (plasma through a cosine palette, a few discs,
/// light noise); `style` picks which. Different styles are different pictures that look
/// alike: what a test or benchmark of repost finding needs many of.
pub fn painting(width: u32, height: u32, style: u64) -> image::RgbImage {
    let rgb = paint::Painter::new(&paint::spec(width, height, 2), style, 0).rgb(1);
    image::RgbImage::from_raw(width, height, rgb).unwrap_or_else(|| image::RgbImage::new(width, height))
}

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
    /// The ways the real API differs from its documentation, each off by default.
    pub quirks: DemoQuirks,
}

/// The real Imgur's habits, for tests of how galley copes with each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoQuirks {
    /// Gallery listings carry only an album's first image inline (its `images_count`
    /// says how many it holds), as Imgur's do.
    pub partial_albums: bool,
    /// Animated GIFs are "over 20 MB": their `link` is the `h` thumbnail
    /// (`/i/{id}h.gif`, served and counted), the original and the mp4 as usual.
    pub big_gifs: bool,
    /// The first N still images are deleted: their links redirect to `/removed.png`, a
    /// real PNG, as i.imgur.com's do.
    pub deleted: usize,
    /// The first N API requests answer 403 "Imgur is temporarily over capacity".
    pub over_capacity: u64,
    /// API requests an hour for this address (`X-RateLimit-UserRemaining` counts down
    /// from it).
    pub user_quota: u64,
    /// Every API request answers HTTP 451: Imgur unavailable in this region.
    pub region_blocked: bool,
}

/// Imgur's hourly quota of requests for one address.
pub const USER_QUOTA: u64 = 2_000;

impl Default for DemoQuirks {
    fn default() -> Self {
        Self {
            partial_albums: false,
            big_gifs: false,
            deleted: 0,
            over_capacity: 0,
            user_quota: USER_QUOTA,
            region_blocked: false,
        }
    }
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
            quirks: DemoQuirks::default(),
        }
    }
}
