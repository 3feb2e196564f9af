//! What every handler of the demo server shares: the gallery, the counters, the growing
//! feeds and the token that stops it all.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio_util::sync::CancellationToken;

use super::DemoConfig;
use super::feeds::Feeds;
use super::gallery::{DemoGallery, DemoImage, Rendition, demo_gallery};
use super::pictures;

/// Counters since the server started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoStats {
    /// Requests to `/3/...`, refused ones included.
    pub api_requests: u64,
    /// Requests for files that exist under `/i/...`.
    pub image_requests: u64,
    /// Image requests answered with an injected fault.
    pub faults_injected: u64,
    /// The most requests to `/3/...` that were open at once (latency included).
    pub api_in_flight_peak: u64,
    /// Requests for the 'h' thumbnails of big GIFs (the big-GIF quirk).
    pub thumbnail_requests: u64,
    /// Requests for small renditions (`{id}m.jpg`, Imgur's `m` suffix): a preview's.
    pub small_requests: u64,
}

/// Everything the handlers share.
pub(crate) struct DemoState {
    pub(crate) config: DemoConfig,
    pub(crate) gallery: DemoGallery,
    pub(crate) cancel: CancellationToken,
    api_requests: AtomicU64,
    image_requests: AtomicU64,
    faults_injected: AtomicU64,
    api_in_flight: AtomicU64,
    api_in_flight_peak: AtomicU64,
    thumbnail_requests: AtomicU64,
    small_requests: AtomicU64,
    /// The ids the deleted quirk deletes.
    deleted: HashSet<String>,
    /// Posts and album images added while running, requests by path, quota set low.
    pub(crate) feeds: Feeds,
}

/// Counts one open API request from arrival to answer; dropping it counts it closed.
pub(crate) struct OpenApiRequest<'a>(&'a DemoState);

impl<'a> OpenApiRequest<'a> {
    pub(crate) fn new(state: &'a DemoState) -> Self {
        let open = state.api_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        state.api_in_flight_peak.fetch_max(open, Ordering::SeqCst);
        Self(state)
    }
}

impl Drop for OpenApiRequest<'_> {
    fn drop(&mut self) {
        self.0.api_in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl DemoState {
    pub(crate) fn new(config: DemoConfig) -> Self {
        let gallery = demo_gallery(&config);
        let deleted = gallery.images().take(config.quirks.deleted).map(|image| image.id.clone()).collect();
        let feeds = Feeds::new(&gallery, config.seed);
        Self {
            deleted,
            feeds,
            thumbnail_requests: AtomicU64::new(0),
            small_requests: AtomicU64::new(0),
            gallery,
            config,
            cancel: CancellationToken::new(),
            api_requests: AtomicU64::new(0),
            image_requests: AtomicU64::new(0),
            faults_injected: AtomicU64::new(0),
            api_in_flight: AtomicU64::new(0),
            api_in_flight_peak: AtomicU64::new(0),
        }
    }

    /// Counts an API request; returns how many there have been, this one included.
    pub(crate) fn count_api_request(&self) -> u64 {
        self.api_requests.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Counts an image request; returns its 0-based number (which decides its fault).
    /// API requests so far.
    pub(crate) fn stats_api_requests(&self) -> u64 {
        self.api_requests.load(Ordering::Relaxed)
    }

    /// The image host's file `name`: the gallery's, or one added while running.
    pub(crate) fn file(&self, name: &str) -> Option<(DemoImage, Rendition)> {
        let file = self.gallery.file(name).map(|(image, rendition)| (image.clone(), rendition));
        file.or_else(|| self.feeds.file(name))
    }

    pub(crate) fn count_image_request(&self) -> u64 {
        self.image_requests.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn count_thumbnail_request(&self) {
        self.thumbnail_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_small_request(&self) {
        self.small_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether the deleted quirk deleted this image.
    pub(crate) fn is_deleted(&self, id: &str) -> bool {
        self.deleted.contains(id)
    }

    pub(crate) fn count_fault(&self) {
        self.faults_injected.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stats(&self) -> DemoStats {
        DemoStats {
            api_requests: self.api_requests.load(Ordering::Relaxed),
            image_requests: self.image_requests.load(Ordering::Relaxed),
            faults_injected: self.faults_injected.load(Ordering::Relaxed),
            api_in_flight_peak: self.api_in_flight_peak.load(Ordering::SeqCst),
            thumbnail_requests: self.thumbnail_requests.load(Ordering::Relaxed),
            small_requests: self.small_requests.load(Ordering::Relaxed),
        }
    }

    /// Makes the gallery's base pictures on one blocking thread, in listing order, so
    /// the first requests find most of them ready. A request that needs one first makes
    /// it itself (the `OnceLock` lets only one thread paint each).
    pub(crate) fn warm_up(self: &Arc<Self>) {
        let state = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let mut done = HashSet::new();
            for image in state.gallery.images() {
                if state.cancel.is_cancelled() {
                    return;
                }
                if done.insert((image.kind, image.variant)) {
                    // An error here is met again, and reported, by the request that needs it.
                    let _ = pictures::file(image, Rendition::Original);
                }
            }
        });
    }
}
