//! The demo server's shared state, its axum router and the [`DemoServer`] handle that
//! binds, runs and stops it.
//!
//! Ownership: one `Arc<DemoState>` is shared by every handler. It holds the (immutable)
//! gallery, atomic counters, and the cancellation token that stops everything: the
//! accept loop (graceful shutdown), latency sleeps and paced bodies all race it, so a
//! stop is prompt even mid-download.

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::signals::StopSignals;

use super::feeds::{self, Feeds};
use super::gallery::{DemoGallery, DemoImage, Rendition, demo_gallery};
use super::{DemoConfig, api, host, pictures};

/// How long [`DemoServer::shutdown`] lets open connections finish before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

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
struct OpenApiRequest<'a>(&'a DemoState);

impl<'a> OpenApiRequest<'a> {
    fn new(state: &'a DemoState) -> Self {
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
    fn new(config: DemoConfig) -> Self {
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

    fn stats(&self) -> DemoStats {
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
    fn warm_up(self: &Arc<Self>) {
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

/// The demo as an axum router, to mount on a listener of your own. It is never stopped
/// by a token; use [`DemoServer`] for that.
pub fn router(config: DemoConfig) -> Router {
    app(Arc::new(DemoState::new(config)))
}

fn app(state: Arc<DemoState>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/urls.txt", get(urls))
        .route("/i/{file}", get(host::image))
        .route("/removed.png", get(host::removed))
        .route("/3/{*path}", get(api::api))
        .route("/demo/post", post(feeds::post))
        .route("/demo/grow", post(feeds::grow))
        .route("/demo/quota", post(feeds::quota))
        .route("/demo/requests", get(feeds::requests))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), add_latency))
        .with_state(state)
}

/// A running demo server on 127.0.0.1. Dropping it stops it.
pub struct DemoServer {
    addr: SocketAddr,
    base_url: Url,
    state: Arc<DemoState>,
    task: Option<JoinHandle<()>>,
}

impl DemoServer {
    /// Binds 127.0.0.1:`port` (0 picks a free port) and serves until shut down or
    /// dropped. Starts making the pictures in the background.
    pub async fn start(config: DemoConfig, port: u16) -> io::Result<DemoServer> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
        let addr = listener.local_addr()?;
        let base_url = Url::parse(&format!("http://{addr}/")).map_err(io::Error::other)?;
        let state = Arc::new(DemoState::new(config));
        state.warm_up();
        let stop = state.cancel.clone();
        let app = app(Arc::clone(&state));
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned());
            if let Err(error) = serving.await {
                tracing::warn!("demo server stopped: {error}");
            }
        });
        Ok(DemoServer { addr, base_url, state, task: Some(task) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/`: the API root and the image host at once.
    pub fn base_url(&self) -> Url {
        self.base_url.clone()
    }

    /// The ids of every image a default fetch saves, in listing order.
    pub fn image_ids(&self) -> Vec<String> {
        self.state.gallery.image_ids()
    }

    /// The gallery it serves.
    pub fn gallery(&self) -> &DemoGallery {
        &self.state.gallery
    }

    pub fn config(&self) -> &DemoConfig {
        &self.state.config
    }

    pub fn stats(&self) -> DemoStats {
        self.state.stats()
    }

    /// Posts `count` new images to a user (`user/NAME`, `user/NAME/favorites`), a tag
    /// (`t/TAG`) or a subreddit (`r/NAME`): they are listed first there from now on.
    /// Returns their ids, newest last; `None` for a source that is none of these.
    pub fn post(&self, to: &str, count: usize) -> Option<Vec<String>> {
        Some(self.state.feeds.post(&feeds::feed_key(to)?, count))
    }

    /// Adds `count` new images to album `id` of the gallery; `None` if there is no such album.
    pub fn grow_album(&self, id: &str, count: usize) -> Option<Vec<String>> {
        self.state.feeds.grow_album(&self.state.gallery, id, count)
    }

    /// From now on the quota headers say `client` and `user` requests are left, counting
    /// down with each request (`None`: that one as before).
    pub fn set_quota(&self, client: Option<u64>, user: Option<u64>) {
        self.state.feeds.set_quota(client, user, self.state.stats_api_requests());
    }

    /// API requests so far, by path (`/3/account/ana/submissions/0`).
    pub fn api_requests_by_path(&self) -> std::collections::BTreeMap<String, u64> {
        self.state.feeds.requests()
    }

    /// Stops accepting, lets open requests finish for a few seconds, then cuts them.
    pub async fn shutdown(mut self) {
        self.state.cancel.cancel();
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(SHUTDOWN_GRACE, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl std::fmt::Debug for DemoServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoServer")
            .field("addr", &self.addr)
            .field("config", &self.state.config)
            .finish_non_exhaustive()
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.state.cancel.cancel();
    }
}

/// Runs a demo server on 127.0.0.1:`port` until ctrl-c, SIGTERM or SIGHUP, for `galley
/// demo-server`; then shuts it down cleanly. Prints nothing itself: `on_ready` gets the
/// bound address (to print) once listening.
pub async fn run_until_stopped(config: DemoConfig, port: u16, on_ready: impl FnOnce(SocketAddr)) -> io::Result<()> {
    let mut signals = StopSignals::listen()?;
    let server = DemoServer::start(config, port).await?;
    on_ready(server.addr());
    if let Some(signal) = signals.first().await {
        tracing::debug!("signal {signal}: the demo server stops");
    }
    server.shutdown().await;
    Ok(())
}

/// Sleeps `config.latency` before every response (or answers 503 if stopping meanwhile).
async fn add_latency(State(state): State<Arc<DemoState>>, request: Request, next: Next) -> Response {
    let _open = request.uri().path().starts_with("/3/").then(|| OpenApiRequest::new(&state));
    let latency = state.config.latency;
    if !latency.is_zero() {
        tokio::select! {
            _ = tokio::time::sleep(latency) => {}
            _ = state.cancel.cancelled() => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        }
    }
    next.run(request).await
}

async fn index(State(state): State<Arc<DemoState>>) -> Response {
    let images = state.gallery.images().count();
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>galley demo server</title></head>\n\
         <body><h1>galley demo server</h1>\n\
         <p>A fake Imgur API and image host for trying galley: {images} images, seed {seed}.</p>\n\
         <p>Gallery: <code>/3/gallery/hot/viral/day/0</code> (header <code>Authorization: Client-ID demo</code>);\n\
         every image link: <a href=\"/urls.txt\">/urls.txt</a>.</p></body></html>\n",
        seed = state.config.seed,
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// Every downloadable image link, one a line, built on the request's host.
async fn urls(State(state): State<Arc<DemoState>>, headers: HeaderMap) -> Response {
    let Some(host) = api::request_host(&headers) else {
        return (StatusCode::BAD_REQUEST, "missing or invalid Host header\n").into_response();
    };
    let text: String = state.gallery.images().map(|image| format!("http://{host}{}\n", image.link_path())).collect();
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "not found\n").into_response()
}
