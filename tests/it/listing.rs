//! Listing through the API as fast as downloading (issue 16) and as safely (issue 14's
//! listing classes): albums expanded many at once within the run's concurrency, images in
//! listing order whatever order the answers come in, one bad album failing alone, 429s
//! paced with a growing floor, and API bodies capped as they arrive.

use crate::support as common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::StreamExt;
use galley::demo::{DEMO_CLIENT_ID, DemoConfig, DemoServer};
use galley::engine::RunReport;
use galley::engine::{ClientId, FatalKind, Job, JobInput, Pace, RunEvent, RunOptions, Source};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Generous bound on any one run, so a hang fails the test instead of stalling CI.
const RUN_BOUND: Duration = Duration::from_secs(120);

async fn run(job: Job) -> (RunReport, Vec<RunEvent>) {
    common::run_collecting(job, RunOptions::default(), CancellationToken::new(), RUN_BOUND).await
}

fn api_job(base: &str, out: &std::path::Path, concurrency: usize) -> Job {
    let input = JobInput::Imgur {
        api_base: base.parse().expect("base url"),
        client_id: ClientId::new(DEMO_CLIENT_ID),
        source: Source::default(),
        pages: Some(1),
    };
    let mut job = Job::new(input, out.to_owned());
    job.concurrency = concurrency;
    job.thumbnails = false;
    job
}

fn json_response(value: &serde_json::Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], value.to_string()).into_response()
}

fn listed_ids(events: &[RunEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| match event {
            RunEvent::Listed { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn listing_requests_in_flight_reach_the_concurrency_limit_and_keep_listing_order() {
    // 12 albums of 4 with no inline images, 100 ms on every request: a lister that asks
    // for one album at a time never has more than one API request open.
    let config =
        DemoConfig { images: 48, album_size: Some(4), latency: Duration::from_millis(100), ..DemoConfig::default() };
    let server = DemoServer::start(config, 0).await.expect("demo server starts");
    let out = tempfile::tempdir().expect("tempdir");
    let mut job = api_job(server.base_url().as_str(), out.path(), 8);
    // Every page: past the last, the demo repeats page 0, as Imgur does.
    if let JobInput::Imgur { pages, .. } = &mut job.sources[0] {
        *pages = None;
    }

    let (report, events) = run(job).await;

    assert!(report.fatal().is_none(), "{:?}", report.fatal());
    assert_eq!(report.summary.downloaded, 48);
    let stats = server.stats();
    // The page, the 12 albums once each, and at most 3 pages asked for ahead (repeats of
    // page 0, whose albums are not asked for again).
    assert!((13..=16).contains(&stats.api_requests), "{} API requests", stats.api_requests);
    assert_eq!(stats.api_in_flight_peak, 8, "as many API requests at once as the run's concurrency (8), no more");
    assert_eq!(listed_ids(&events), server.image_ids(), "images come out in listing order");
    let most_open = events
        .iter()
        .filter_map(|event| match event {
            RunEvent::ListingRequests { in_flight, .. } => Some(*in_flight),
            _ => None,
        })
        .max();
    assert_eq!(most_open, Some(8), "the engine reports its open listing requests for the live plot");
}

/// A gallery page of albums without inline images, whose lists answer after a delay
/// each; `/3/album/bad/images` answers 404.
#[derive(Clone)]
struct Albums {
    base: Arc<std::sync::OnceLock<String>>,
    page: Vec<(&'static str, u64)>,
    /// Album lists being answered now, and the most at once.
    open: Arc<AtomicUsize>,
    most_open: Arc<AtomicUsize>,
}

async fn album_page(State(albums): State<Albums>) -> Response {
    let data: Vec<_> =
        albums.page.iter().map(|(id, _)| json!({"id": id, "is_album": true, "images_count": 2})).collect();
    json_response(&json!({"data": data, "success": true, "status": 200}))
}

async fn album_images(State(albums): State<Albums>, UrlPath(id): UrlPath<String>) -> Response {
    let Some((_, delay_ms)) = albums.page.iter().find(|(album, _)| *album == id) else {
        return (StatusCode::NOT_FOUND, "{\"data\":{\"error\":\"gone\"},\"success\":false,\"status\":404}")
            .into_response();
    };
    if id == "bad" {
        return (
            StatusCode::NOT_FOUND,
            "{\"data\":{\"error\":\"Unable to find an album\"},\"success\":false,\"status\":404}",
        )
            .into_response();
    }
    let open = albums.open.fetch_add(1, Ordering::SeqCst) + 1;
    albums.most_open.fetch_max(open, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
    albums.open.fetch_sub(1, Ordering::SeqCst);
    let base = albums.base.get().cloned().unwrap_or_default();
    let data: Vec<_> = (1..=2)
        .map(|n| json!({"id": format!("{id}{n}"), "type": "image/png", "link": format!("{base}/i/{id}{n}.png")}))
        .collect();
    json_response(&json!({"data": data, "success": true, "status": 200}))
}

async fn picture(UrlPath(name): UrlPath<String>) -> Response {
    let seed = name.bytes().fold(0u8, |sum, byte| sum.wrapping_add(byte));
    let image = image::RgbaImage::from_pixel(20, 10, image::Rgba([seed, 10, 200, 255]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).expect("encode png");
    ([(header::CONTENT_TYPE, "image/png")], bytes.into_inner()).into_response()
}

async fn serve_albums(page: Vec<(&'static str, u64)>) -> (String, Albums) {
    let albums =
        Albums { base: Arc::new(std::sync::OnceLock::new()), page, open: Arc::default(), most_open: Arc::default() };
    let app = Router::new()
        .route("/3/gallery/{section}/{sort}/{window}/{page}", get(album_page))
        .route("/3/album/{id}/images", get(album_images))
        .route("/i/{name}", get(picture))
        .with_state(albums.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    albums.base.set(base.clone()).expect("set once");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, albums)
}

#[tokio::test]
async fn images_of_an_album_that_answers_late_still_come_out_in_listing_order() {
    // The first album answers last and the last first.
    let (base, albums) = serve_albums(vec![("first", 400), ("second", 200), ("third", 0)]).await;
    let out = tempfile::tempdir().expect("tempdir");
    let (report, events) = run(api_job(&base, out.path(), 8)).await;

    assert!(report.fatal().is_none(), "{:?}", report.fatal());
    assert_eq!(listed_ids(&events), ["first1", "first2", "second1", "second2", "third1", "third2"]);
    assert_eq!(report.summary.downloaded, 6);
    // Asked one after another, no two album lists would be open at once.
    assert!(albums.most_open.load(Ordering::SeqCst) >= 2, "albums were expanded one at a time");
}

#[tokio::test]
async fn one_album_that_cannot_be_listed_fails_alone_and_the_rest_arrive() {
    let (base, _) = serve_albums(vec![("first", 0), ("bad", 0), ("third", 0)]).await;
    let out = tempfile::tempdir().expect("tempdir");
    let (report, events) = run(api_job(&base, out.path(), 4)).await;

    assert!(report.fatal().is_none(), "one bad album must not end the listing: {:?}", report.fatal());
    assert_eq!(report.summary.downloaded, 4);
    assert_eq!(report.summary.failed, 1, "the album counts as one failure");
    let failed: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            RunEvent::Failed { id, reason, .. } => Some((id.clone(), reason.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "bad");
    assert!(failed[0].1.contains("could not list the album"), "{}", failed[0].1);
}

/// A gallery of `PAGES` pages, each one album `a{page}` without inline images (2 images),
/// then empty pages. Page requests take 50 ms; the first page's album holds its answer
/// until an album of a later page is asked for (or 5 s pass), and says whether one was.
#[derive(Clone, Default)]
struct Pipelined {
    base: Arc<std::sync::OnceLock<String>>,
    pages_open: Arc<AtomicUsize>,
    pages_open_peak: Arc<AtomicUsize>,
    later_album_asked: Arc<tokio::sync::Notify>,
    first_album_overlapped: Arc<std::sync::atomic::AtomicBool>,
}

const PIPELINED_PAGES: usize = 6;

async fn pipelined_page(
    State(gallery): State<Pipelined>,
    UrlPath((_, _, _, page)): UrlPath<(String, String, String, String)>,
) -> Response {
    let open = gallery.pages_open.fetch_add(1, Ordering::SeqCst) + 1;
    gallery.pages_open_peak.fetch_max(open, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    gallery.pages_open.fetch_sub(1, Ordering::SeqCst);
    let page: usize = page.parse().unwrap_or(usize::MAX);
    let data: Vec<_> = (page < PIPELINED_PAGES)
        .then(|| json!({"id": format!("a{page}"), "is_album": true, "images_count": 2}))
        .into_iter()
        .collect();
    json_response(&json!({"data": data, "success": true, "status": 200}))
}

async fn pipelined_album(State(gallery): State<Pipelined>, UrlPath(id): UrlPath<String>) -> Response {
    if id == "a0" {
        let asked = tokio::time::timeout(Duration::from_secs(5), gallery.later_album_asked.notified()).await;
        gallery.first_album_overlapped.store(asked.is_ok(), Ordering::SeqCst);
    } else {
        gallery.later_album_asked.notify_one();
    }
    let base = gallery.base.get().cloned().unwrap_or_default();
    let data: Vec<_> = (1..=2)
        .map(|n| json!({"id": format!("{id}i{n}"), "type": "image/png", "link": format!("{base}/i/{id}i{n}.png")}))
        .collect();
    json_response(&json!({"data": data, "success": true, "status": 200}))
}

#[tokio::test]
async fn a_later_pages_albums_are_asked_for_before_the_first_pages_answer_and_pages_are_listed_ahead() {
    let gallery = Pipelined::default();
    let app = Router::new()
        .route("/3/gallery/{section}/{sort}/{window}/{page}", get(pipelined_page))
        .route("/3/album/{id}/images", get(pipelined_album))
        .route("/i/{name}", get(picture))
        .with_state(gallery.clone());
    let base = serve(app).await;
    gallery.base.set(base.clone()).expect("set once");
    let out = tempfile::tempdir().expect("tempdir");
    let mut job = api_job(&base, out.path(), 64);
    if let JobInput::Imgur { pages, .. } = &mut job.sources[0] {
        *pages = None;
    }

    let (report, events) = run(job).await;

    assert!(report.fatal().is_none(), "{:?}", report.fatal());
    assert!(
        gallery.first_album_overlapped.load(Ordering::SeqCst),
        "page 1's album must be asked for while page 0's album is still unanswered"
    );
    // At concurrency 64: 64 / 16 = 4 pages in hand.
    assert_eq!(gallery.pages_open_peak.load(Ordering::SeqCst), 4, "pages asked for at once");
    let expected: Vec<String> =
        (0..PIPELINED_PAGES).flat_map(|page| (1..=2).map(move |n| format!("a{page}i{n}"))).collect();
    assert_eq!(listed_ids(&events), expected, "listing order, whatever order the albums answered in");
    // The test's pictures repeat (their colour is a sum of the name's bytes): a repeat is
    // skipped as a copy, so saved and skipped together make every image.
    let summary = &report.summary;
    assert_eq!((summary.downloaded + summary.skipped, summary.failed), (2 * PIPELINED_PAGES as u64, 0));
}

/// A page of an album without inline images, then three lone images; the album holds
/// `held1`, `held2` and `lone2` too. It holds its answer until `awaited` files are all in
/// the folder (or `hold` passes), and notes whether they were and how many lone pictures
/// had been asked for by then.
#[derive(Clone)]
struct Held {
    base: Arc<std::sync::OnceLock<String>>,
    awaited: Arc<Vec<std::path::PathBuf>>,
    hold: Duration,
    lone_served: Arc<AtomicUsize>,
    at_answer: Arc<std::sync::Mutex<Option<(bool, usize)>>>,
}

impl Held {
    fn new(awaited: Vec<std::path::PathBuf>, hold: Duration) -> Self {
        let (base, lone_served, at_answer) = Default::default();
        Self { base, awaited: Arc::new(awaited), hold, lone_served, at_answer }
    }
}

async fn held_page(State(held): State<Held>) -> Response {
    let base = held.base.get().cloned().unwrap_or_default();
    let lone = (1..=3)
        .map(|n| json!({"id": format!("lone{n}"), "type": "image/png", "link": format!("{base}/i/lone{n}.png")}));
    let album = json!({"id": "held", "is_album": true, "images_count": 2});
    let data: Vec<_> = std::iter::once(album).chain(lone).collect();
    json_response(&json!({"data": data, "success": true, "status": 200}))
}

async fn held_album(State(held): State<Held>) -> Response {
    let started = Instant::now();
    let all_saved = || held.awaited.iter().all(|path| path.is_file());
    while !all_saved() && started.elapsed() < held.hold {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    *held.at_answer.lock().expect("lock") = Some((all_saved(), held.lone_served.load(Ordering::SeqCst)));
    let base = held.base.get().cloned().unwrap_or_default();
    let data: Vec<_> = ["held1", "held2", "lone2"]
        .map(|id| json!({"id": id, "type": "image/png", "link": format!("{base}/i/{id}.png")}))
        .into();
    json_response(&json!({"data": data, "success": true, "status": 200}))
}

async fn held_picture(State(held): State<Held>, UrlPath(name): UrlPath<String>) -> Response {
    if name.starts_with("lone") {
        held.lone_served.fetch_add(1, Ordering::SeqCst);
    }
    picture(UrlPath(name)).await
}

/// Lists the held page with `template`; returns what the album saw when it answered
/// (lone files all saved, lone pictures asked for), the ids listed and the files saved.
async fn list_held_page(template: &str, awaited: &[&str], hold: Duration) -> ((bool, usize), Vec<String>, Vec<String>) {
    let out = tempfile::tempdir().expect("tempdir");
    let held = Held::new(awaited.iter().map(|name| out.path().join(name)).collect(), hold);
    let app = Router::new()
        .route("/3/gallery/{section}/{sort}/{window}/{page}", get(held_page))
        .route("/3/album/{id}/images", get(held_album))
        .route("/i/{name}", get(held_picture))
        .with_state(held.clone());
    let base = serve(app).await;
    held.base.set(base.clone()).expect("set once");
    let mut job = api_job(&base, out.path(), 8);
    job.naming = template.parse().expect("a template");

    let (report, events) = run(job).await;

    assert!(report.fatal().is_none(), "{:?}", report.fatal());
    assert_eq!((report.summary.downloaded, report.summary.failed), (5, 0));
    assert_eq!(report.sources[0].found, 5);
    let at_answer = held.at_answer.lock().expect("lock").expect("the album was asked for");
    let mut files: Vec<String> = std::fs::read_dir(out.path())
        .expect("the folder")
        .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    (at_answer, listed_ids(&events), files)
}

#[tokio::test]
async fn without_num_in_the_names_images_after_an_unanswered_album_are_saved_before_it_answers() {
    // Default names: a lone image's name does not depend on how many images the album
    // before it holds, so it need not wait for the album's answer.
    let awaited = ["lone1.png", "lone2.png", "lone3.png"];
    let ((all_saved, lone_served), listed, files) =
        list_held_page("{id}.{ext}", &awaited, Duration::from_secs(5)).await;
    assert!(all_saved, "the lone images were saved while the album was still unanswered");
    assert_eq!(lone_served, 3);
    // lone2, handed over already, is not handed over again as the album's.
    assert_eq!(listed, ["lone1", "lone2", "lone3", "held1", "held2"], "handed over as they became known");
    assert_eq!(files, ["held1.png", "held2.png", "lone1.png", "lone2.png", "lone3.png"]);

    // With {num} a lone image's number counts the album's images: it waits for the
    // album, and every image is numbered in listing order (lone2 is the album's).
    let ((all_saved, lone_served), listed, files) =
        list_held_page("{num}-{id}.{ext}", &["004-lone1.png"], Duration::from_millis(500)).await;
    assert_eq!((all_saved, lone_served), (false, 0), "no lone image is asked for before the album answers");
    assert_eq!(listed, ["held1", "held2", "lone2", "lone1", "lone3"], "listing order");
    assert_eq!(files, ["004-lone1.png", "005-lone3.png", "01-held1.png", "02-held2.png", "03-lone2.png"]);
}

/// Answers 429 with `Retry-After: 0` to the first `throttled` requests, then a page of
/// nothing.
async fn throttling(State((hits, throttled)): State<(Arc<AtomicUsize>, usize)>) -> Response {
    if hits.fetch_add(1, Ordering::SeqCst) < throttled {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, "0".parse().expect("header"));
        headers.insert("x-ratelimit-userreset", "1".parse().expect("header"));
        return (StatusCode::TOO_MANY_REQUESTS, headers, "{}").into_response();
    }
    json_response(&json!({"data": [], "success": true, "status": 200}))
}

#[tokio::test]
async fn a_429_asking_for_no_wait_is_paced_by_a_growing_floor_not_stormed() {
    let hits = Arc::new(AtomicUsize::new(0));
    let app = Router::new().route("/3/{*path}", get(throttling)).with_state((hits.clone(), 3));
    let base = serve(app).await;
    let out = tempfile::tempdir().expect("tempdir");

    let started = Instant::now();
    let (report, events) = run(api_job(&base, out.path(), 4)).await;

    assert!(report.fatal().is_none(), "{:?}", report.fatal());
    assert_eq!(hits.load(Ordering::SeqCst), 4, "three 429s, then the answer: no storm");
    // Floors of 250, 500 and 1,000 ms, whatever the server asked for.
    assert!(started.elapsed() >= Duration::from_millis(1750), "{:?}", started.elapsed());
    let waits: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            RunEvent::RateLimited { wait, .. } => Some(wait.as_millis()),
            _ => None,
        })
        .collect();
    assert_eq!(waits, [250, 500, 1000]);
}

/// Serves `app` on a free loopback port; returns its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// A JSON page that never ends.
async fn endless() -> Response {
    let head = futures_util::stream::once(async { Ok::<_, std::io::Error>(Bytes::from_static(b"{\"data\":[")) });
    let items = futures_util::stream::repeat_with(|| Ok(Bytes::from_static(&[b' '; 64 * 1024])));
    Response::new(Body::from_stream(futures_util::StreamExt::chain(head, items)))
}

#[tokio::test]
async fn an_endless_api_answer_is_refused_at_the_cap_not_held_in_memory() {
    let app = Router::new().route("/3/{*path}", get(endless));
    let base = serve(app).await;
    let out = tempfile::tempdir().expect("tempdir");

    let (report, _) = run(api_job(&base, out.path(), 4)).await;

    let fatal = report.fatal().cloned().expect("the listing fails");
    assert_eq!(fatal.kind, FatalKind::Api);
    assert!(fatal.to_string().contains("larger than 8 MiB"), "{fatal}");
}

/// Lists `source` from a demo gallery of `images` and returns the ids listed, in order.
async fn listed_from_demo(source: &str, images: usize) -> (Vec<String>, DemoServer) {
    let server = DemoServer::start(DemoConfig { images, page_size: 10, ..DemoConfig::default() }, 0)
        .await
        .expect("demo server starts");
    let out = tempfile::tempdir().expect("tempdir");
    let mut job = api_job(server.base_url().as_str(), out.path(), 8);
    // With {num} in the names every image is handed over in listing order (without it, the
    // images a page lists itself go ahead of its albums still being asked for).
    job.naming = "{num}-{id}.{ext}".parse().expect("a template");
    if let JobInput::Imgur { source: job_source, pages, .. } = &mut job.sources[0] {
        *job_source = source.parse().expect("a source galley accepts");
        *pages = None;
    }
    let (report, events) = run(job).await;
    assert!(report.fatal().is_none(), "{source}: {:?}", report.fatal());
    assert_eq!(report.summary.failed, 0, "{source}");
    (listed_ids(&events), server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn user_submissions_favorites_and_tags_list_every_page_of_their_gallery() {
    for source in [
        "https://imgur.com/user/someone",
        "imgur.com/user/someone/favorites?sort=newest",
        "https://m.imgur.com/t/cats#top",
        "t/cats/top/all",
        "user/someone",
    ] {
        let (listed, server) = listed_from_demo(source, 25).await;
        assert_eq!(listed, server.image_ids(), "{source}");
    }
}

#[tokio::test]
async fn an_image_page_or_a_direct_link_saves_the_original_even_from_a_thumbnail_link() {
    let server = DemoServer::start(DemoConfig { images: 12, ..DemoConfig::default() }, 0).await.expect("demo starts");
    let image = server.gallery().images().nth(3).expect("an image").clone();
    for link in [
        format!("https://imgur.com/{}", image.id),
        format!("https://i.imgur.com/{}.{}", image.id, image.kind.extension()),
        format!("https://i.imgur.com/{}m.jpg", image.id),
        format!("i.imgur.com/{}h.{}?1", image.id, image.kind.extension()),
    ] {
        let out = tempfile::tempdir().expect("tempdir");
        let mut job = api_job(server.base_url().as_str(), out.path(), 4);
        if let JobInput::Imgur { source, .. } = &mut job.sources[0] {
            *source = link.parse().expect("a source galley accepts");
        }
        let (report, events) = run(job).await;
        assert!(report.fatal().is_none(), "{link}: {:?}", report.fatal());
        assert_eq!(listed_ids(&events), vec![image.id.clone()], "{link}");
        let saved = out.path().join(format!("{}.{}", image.id, image.kind.extension()));
        let (width, height) = image::image_dimensions(&saved).expect("the original is saved whole");
        assert_eq!((width, height), (image.width, image.height), "{link}: the original, not a thumbnail");
    }
}

/// A JSON page that comes a byte every 100 ms: never silent for the read timeout, and
/// a minute for the whole page.
async fn dripping_page() -> Response {
    let page = format!("{{\"data\":[{}],\"success\":true}}", " ".repeat(600)).into_bytes();
    let bytes = futures_util::stream::iter(page).then(|byte| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok::<_, std::io::Error>(Bytes::from(vec![byte]))
    });
    ([(header::CONTENT_TYPE, "application/json")], Body::from_stream(bytes)).into_response()
}

#[tokio::test]
async fn an_api_that_drips_its_answer_is_given_up_on_at_the_minimum_rate() {
    let app = Router::new().route("/3/{*path}", get(dripping_page));
    let base = serve(app).await;
    let out = tempfile::tempdir().expect("tempdir");
    let mut options = RunOptions::default();
    // The same floor image bodies keep, in a test's time: 100 bytes a second over 300 ms.
    options.timeouts.pace =
        Pace { min_bytes_per_second: 100, window: Duration::from_millis(300), deadline: Duration::from_secs(60) };

    let started = Instant::now();
    let (report, _) = common::run_collecting(
        api_job(&base, out.path(), 4),
        options,
        CancellationToken::new(),
        Duration::from_secs(30),
    )
    .await;

    // Five attempts of one slow window each, with backoff between them (before: 30 s an
    // attempt, two and a half minutes in all).
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    let fatal = report.fatal().cloned().expect("the listing fails");
    assert_eq!(fatal.kind, FatalKind::Offline);
    assert!(fatal.to_string().contains("bytes a second"), "{fatal}");
}

/// An API that quotes the request's `Authorization` header back in its errors: a page of
/// two albums whose second answers 400 with the header in its error, and (asked for the
/// `top` section) a gallery page that answers 500 the same way.
async fn echoing(UrlPath(path): UrlPath<String>, headers: HeaderMap) -> Response {
    let sent = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let error = |status| {
        let body = json!({"data": {"error": format!("bad request; you sent Authorization: {sent}")}, "success": false});
        (status, body.to_string()).into_response()
    };
    match path.as_str() {
        "gallery/top/viral/day/0" => error(StatusCode::INTERNAL_SERVER_ERROR),
        "album/echo/images" => error(StatusCode::BAD_REQUEST),
        "album/fine/images" => json_response(&json!({"data": [], "success": true})),
        _ => json_response(&json!({"data": [
            {"id": "fine", "is_album": true}, {"id": "echo", "is_album": true}
        ], "success": true})),
    }
}

#[tokio::test]
async fn a_client_id_echoed_in_an_api_error_is_redacted_from_events_reports_and_the_archive() {
    const SECRET: &str = "galley-test-secret-7f3a9c";
    let base = serve(Router::new().route("/3/{*path}", get(echoing))).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("archive.sqlite");
    for section in ["hot", "top"] {
        let mut job = api_job(&base, &dir.path().join(section), 4);
        job.archive = Some(archive.clone());
        if let JobInput::Imgur { client_id, source, .. } = &mut job.sources[0] {
            *client_id = ClientId::new(SECRET);
            *source = format!("{section}/viral/day").parse().expect("a source");
        }

        let (report, events) = run(job).await;

        // What the app's window, the terminal and the JSON summary are made of.
        let everything = format!("{report:?} {events:?}");
        assert!(!everything.contains(SECRET), "{section}: the id leaked: {everything}");
        let quoted = match report.fatal() {
            Some(fatal) => fatal.to_string(),
            None => events
                .iter()
                .find_map(|event| match event {
                    RunEvent::Failed { reason, .. } => Some(reason.to_string()),
                    _ => None,
                })
                .expect("the echoing album fails"),
        };
        assert!(quoted.contains("Authorization: Client-ID <redacted>"), "{section}: {quoted}");
    }
    // The runs table reads the archive: neither run's row holds the id.
    for file in ["archive.sqlite", "archive.sqlite-wal"] {
        let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
        assert!(!bytes.windows(SECRET.len()).any(|window| window == SECRET.as_bytes()), "{file}");
    }
}
