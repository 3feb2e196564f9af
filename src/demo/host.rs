//! The demo's image host (`/i/{id}.{ext}`, like i.imgur.com): serves the pictures as
//! streamed bodies, paced to the configured bandwidth, and injects the faults a real
//! download meets.
//!
//! Whether request number n is faulty is a pure function of the seed and n, so a run is
//! reproducible, and a retry (a later n) can succeed where the first try failed.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::gallery::{DemoImage, DemoKind, Rendition};
use super::pictures::{self, DemoFile};
use super::rng;
use super::state::DemoState;

/// Body pieces when the bandwidth is unlimited.
const CHUNK: usize = 32 * 1024;
/// Pieces per second when pacing, so a limited body flows rather than lurches.
const PACED_CHUNKS_PER_SECOND: u64 = 20;
/// Decorrelates the fault stream from the gallery layout under the same seed.
const FAULT_STREAM: u64 = 0xFA17;

/// The ways an image request can go wrong on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Fault {
    /// 500 with a short text body.
    ServerError,
    /// 429 with `Retry-After: 1`.
    TooManyRequests,
    /// Full `Content-Length`, half the body, then the connection is aborted.
    Reset,
    /// Full `Content-Length`, then the body stops short and the connection closes.
    Truncated,
    /// 200 with an HTML error page instead of the image.
    HtmlPage,
}

impl Fault {
    const ALL: [Fault; 5] =
        [Fault::ServerError, Fault::TooManyRequests, Fault::Reset, Fault::Truncated, Fault::HtmlPage];

    /// The fault (if any) for image request number `request`.
    pub(crate) fn for_request(seed: u64, request: u64, fail_rate: f64) -> Option<Fault> {
        let bits = rng::mix(rng::mix(seed, FAULT_STREAM), request);
        // Written so that a NaN rate injects nothing.
        let faulty = rng::unit(bits) < fail_rate;
        if !faulty {
            return None;
        }
        Fault::ALL.get((rng::mix(bits, 1) % Fault::ALL.len() as u64) as usize).copied()
    }
}

/// How a streamed body ends after its last piece.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Normally (if pieces are missing, hyper sees the short body and closes).
    Quietly,
    /// With an error, which makes hyper abort the connection.
    WithError,
}

/// Answers `GET /i/{file}`.
pub(crate) async fn image(State(state): State<Arc<DemoState>>, Path(name): Path<String>) -> Response {
    if let Some(image) = small_of(&state, &name) {
        return small(&state, image).await;
    }
    let Some((image, rendition)) = state.file(&name).or_else(|| big_gif_thumbnail(&state, &name)) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    if state.is_deleted(&image.id) {
        return (StatusCode::FOUND, [(header::LOCATION, "/removed.png")]).into_response();
    }
    let request = state.count_image_request();
    let mime = match (image.kind, rendition) {
        (DemoKind::Video, _) | (_, Rendition::Mp4) => "video/mp4",
        (kind, Rendition::Original) => kind.mime(),
    };
    let file = match make(image.clone(), rendition).await {
        Ok(file) => file,
        Err(reason) => return (StatusCode::INTERNAL_SERVER_ERROR, reason).into_response(),
    };
    let fault = Fault::for_request(state.config.seed, request, state.config.fail_rate);
    if fault.is_some() {
        state.count_fault();
    }
    respond(&state, fault, mime, &file)
}

/// With the big-GIF quirk on, `{id}h.gif` names the 'h' thumbnail of an animated GIF: it
/// is served (its original's bytes will do) and counted, so a test can prove galley never
/// asks for it.
fn big_gif_thumbnail(state: &DemoState, name: &str) -> Option<(DemoImage, Rendition)> {
    let id = name.strip_suffix("h.gif").filter(|_| state.config.quirks.big_gifs)?;
    let (image, rendition) = state.gallery.file(&format!("{id}.gif"))?;
    (image.kind == DemoKind::AnimatedGif).then(|| {
        state.count_thumbnail_request();
        (image.clone(), rendition)
    })
}

/// The image whose small rendition `{id}m.jpg` names, as i.imgur.com serves one for
/// every image and video (about 320 px, a JPEG).
fn small_of(state: &DemoState, name: &str) -> Option<DemoImage> {
    let id = name.strip_suffix("m.jpg")?;
    let kinds = [DemoKind::Jpeg, DemoKind::Png, DemoKind::Gif, DemoKind::Video];
    kinds.iter().find_map(|kind| state.file(&format!("{id}.{}", kind.extension()))).map(|(image, _)| image)
}

/// Serves `image`'s small rendition (counted apart from the originals), never faulty:
/// a preview's pictures are not what the fault injection tests.
async fn small(state: &DemoState, image: DemoImage) -> Response {
    state.count_small_request();
    if state.is_deleted(&image.id) {
        return (StatusCode::FOUND, [(header::LOCATION, "/removed.png")]).into_response();
    }
    match tokio::task::spawn_blocking(move || pictures::small(&image)).await {
        Ok(Ok(bytes)) => ([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response(),
        Ok(Err(error)) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}

/// Answers `GET /removed.png`: the picture i.imgur.com shows for a deleted image, a real
/// PNG (161x81, grey).
pub(crate) async fn removed() -> Response {
    static REMOVED: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    let png = REMOVED.get_or_init(|| {
        let picture = image::RgbaImage::from_pixel(161, 81, image::Rgba([200, 200, 200, 255]));
        let mut bytes = io::Cursor::new(Vec::new());
        // Encoding a small in-memory picture cannot fail short of memory running out.
        if let Err(error) = picture.write_to(&mut bytes, image::ImageFormat::Png) {
            tracing::error!("cannot make removed.png: {error}");
        }
        Bytes::from(bytes.into_inner())
    });
    ([(header::CONTENT_TYPE, "image/png")], png.clone()).into_response()
}

/// The file to serve, made on a blocking thread if its picture does not exist yet.
async fn make(image: DemoImage, rendition: Rendition) -> Result<DemoFile, String> {
    if pictures::is_ready(&image, rendition) {
        return pictures::file(&image, rendition).map_err(|error| error.to_string());
    }
    match tokio::task::spawn_blocking(move || pictures::file(&image, rendition)).await {
        Ok(made) => made.map_err(|error| error.to_string()),
        Err(error) => Err(error.to_string()),
    }
}

/// Serves `file`, or the fault instead.
fn respond(state: &DemoState, fault: Option<Fault>, mime: &str, file: &DemoFile) -> Response {
    let (ok, length) = (StatusCode::OK, file.len());
    match fault {
        None => send(state, ok, mime, file),
        Some(Fault::Reset) => send_part(state, ok, mime, file, length / 2, Ending::WithError),
        Some(Fault::Truncated) => send_part(state, ok, mime, file, length * 3 / 4, Ending::Quietly),
        Some(Fault::ServerError) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error (galley demo fault)\n").into_response()
        }
        Some(Fault::TooManyRequests) => {
            (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], "Too Many Requests (galley demo fault)\n")
                .into_response()
        }
        Some(Fault::HtmlPage) => html_page(state),
    }
}

/// A 200 whose body is an error page, as captive portals and CDNs sometimes send.
fn html_page(state: &DemoState) -> Response {
    let page = "<!DOCTYPE html>\n<html><head><title>Imgur: The magic of the Internet</title></head>\n\
                <body><h1>Something went wrong</h1><p>galley demo fault: this is not an image.</p></body></html>\n";
    let file = DemoFile::whole(Bytes::from_static(page.as_bytes()));
    send(state, StatusCode::OK, "text/html; charset=utf-8", &file)
}

/// Streams all of `file`, paced to the configured bandwidth.
pub(crate) fn send(state: &DemoState, status: StatusCode, mime: &str, file: &DemoFile) -> Response {
    send_part(state, status, mime, file, file.len(), Ending::Quietly)
}

/// Streams the first `limit` bytes of `file` with the full `Content-Length`, paced to
/// the configured bandwidth, ending as `ending` says.
fn send_part(
    state: &DemoState,
    status: StatusCode,
    mime: &str,
    file: &DemoFile,
    limit: u64,
    ending: Ending,
) -> Response {
    let bandwidth = state.config.bandwidth.filter(|&rate| rate > 0);
    let piece = match bandwidth {
        Some(rate) => (rate / PACED_CHUNKS_PER_SECOND).clamp(1024, CHUNK as u64) as usize,
        None => CHUNK,
    };
    let stream = Stream {
        pieces: file.chunks(piece, limit).into(),
        ending,
        bandwidth,
        started: Instant::now(),
        sent: 0,
        cancel: state.cancel.clone(),
    };
    let body = Body::from_stream(futures_util::stream::unfold(stream, Stream::next));
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(file.len()));
    if let Ok(mime) = HeaderValue::from_str(mime) {
        headers.insert(header::CONTENT_TYPE, mime);
    }
    response
}

/// The state of one streamed body.
struct Stream {
    pieces: VecDeque<Bytes>,
    ending: Ending,
    bandwidth: Option<u64>,
    started: Instant,
    sent: u64,
    cancel: CancellationToken,
}

impl Stream {
    /// The next piece, once the bandwidth allows it; or the ending.
    async fn next(mut self) -> Option<(io::Result<Bytes>, Stream)> {
        let Some(piece) = self.pieces.pop_front() else {
            return match self.ending {
                Ending::Quietly => None,
                Ending::WithError => {
                    self.ending = Ending::Quietly;
                    Some((Err(io::Error::new(io::ErrorKind::ConnectionReset, "galley demo fault: reset")), self))
                }
            };
        };
        if self.cancel.is_cancelled() {
            return Some((Err(io::Error::other("demo server stopping")), self.finished()));
        }
        self.sent += piece.len() as u64;
        if let Some(rate) = self.bandwidth {
            let due = self.started + Duration::from_secs_f64(self.sent as f64 / rate as f64);
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = self.cancel.cancelled() => {
                    return Some((Err(io::Error::other("demo server stopping")), self.finished()));
                }
            }
        }
        Some((Ok(piece), self))
    }

    /// This stream with nothing left to send.
    fn finished(mut self) -> Self {
        self.pieces.clear();
        self.ending = Ending::Quietly;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_rate_bounds_are_exact() {
        for request in 0..10_000 {
            assert_eq!(Fault::for_request(1, request, 0.0), None);
            assert_eq!(Fault::for_request(1, request, f64::NAN), None);
            assert!(Fault::for_request(1, request, 1.0).is_some());
        }
    }

    #[test]
    fn faults_follow_the_rate_and_cover_every_kind() {
        let faults: Vec<Fault> = (0..10_000).filter_map(|request| Fault::for_request(5, request, 0.3)).collect();
        assert!((2_700..3_300).contains(&faults.len()), "{}", faults.len());
        for kind in Fault::ALL {
            let count = faults.iter().filter(|&&fault| fault == kind).count();
            assert!((450..750).contains(&count), "{kind:?}: {count}");
        }
    }
}
