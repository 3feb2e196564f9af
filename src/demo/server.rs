//! The demo server's axum router and the [`DemoServer`] handle that binds, runs and
//! stops it.
//!
//! Ownership: one `Arc<DemoState>` (`state.rs`) is shared by every handler. It holds the (immutable)
//! gallery, atomic counters, and the cancellation token that stops everything: the
//! accept loop (graceful shutdown), latency sleeps and paced bodies all race it, so a
//! stop is prompt even mid-download.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use url::Url;

use crate::signals::StopSignals;

use super::feeds;
use super::gallery::DemoGallery;
pub use super::state::DemoStats;
use super::state::{DemoState, OpenApiRequest};
use super::{DemoConfig, api, control, host};

/// How long [`DemoServer::shutdown`] lets open connections finish before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

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
        .route("/demo/post", post(control::post))
        .route("/demo/grow", post(control::grow))
        .route("/demo/quota", post(control::quota))
        .route("/demo/requests", get(control::requests))
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
