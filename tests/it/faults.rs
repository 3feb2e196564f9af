//! Nothing lost, nothing let in: the engine against purpose-built hostile servers on
//! 127.0.0.1. Every case asserts that each image is either saved whole or reported failed
//! with a reason, and that nothing half-written or outside the folder remains.

use crate::support as common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use galley::engine::{ClientId, FatalKind, Job, JobInput, RunEvent, Source};
use galley::engine::{Disk, RunOptions, RunReport, Timeouts};
use tokio_util::sync::CancellationToken;

const RUN_BOUND: Duration = Duration::from_secs(120);

/// Counts requests per path, so a handler can fail the first attempts and then succeed.
#[derive(Clone, Default)]
struct Hits(Arc<std::sync::Mutex<HashMap<String, usize>>>);

impl Hits {
    fn bump(&self, key: &str) -> usize {
        let mut hits = self.0.lock().expect("lock");
        let count = hits.entry(key.to_owned()).or_default();
        *count += 1;
        *count
    }
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}")
}

fn jpeg(seed: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([seed, x as u8 * 4, y as u8 * 5]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Jpeg).expect("encode jpeg");
    bytes.into_inner()
}

fn png(seed: u8) -> Vec<u8> {
    let image = image::RgbaImage::from_pixel(40, 30, image::Rgba([seed, 10, 200, 255]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).expect("encode png");
    bytes.into_inner()
}

/// Serves `body` a byte at a time, one every `every`: never silent for long.
fn dripping(body: Vec<u8>, every: Duration) -> Response {
    let stream = futures_util::stream::unfold(0usize, move |sent| {
        let byte = body.get(sent).copied();
        async move {
            tokio::time::sleep(every).await;
            byte.map(|byte| (Ok::<_, std::io::Error>(vec![byte]), sent + 1))
        }
    });
    Response::builder().header(header::CONTENT_TYPE, "image/jpeg").body(Body::from_stream(stream)).expect("response")
}

/// Keeps the connection open and never answers.
async fn silent() -> Response {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    StatusCode::OK.into_response()
}

/// `/<n>.jpg` is a distinct JPEG for each number.
fn numbered_jpegs() -> Router {
    Router::new().route(
        "/{n}",
        get(|UrlPath(n): UrlPath<String>| async move {
            let seed = n.trim_end_matches(".jpg").parse::<u8>().unwrap_or(0);
            ([(header::CONTENT_TYPE, "image/jpeg")], jpeg(seed))
        }),
    )
}

fn fast_options() -> RunOptions {
    RunOptions {
        timeouts: Timeouts { connect: Duration::from_secs(2), read: Duration::from_millis(800), ..Timeouts::default() },
        ..RunOptions::default()
    }
}

async fn fetch_links(base: &str, paths: &[&str], out: &Path, options: RunOptions) -> (RunReport, Vec<RunEvent>) {
    let links = paths.iter().map(|path| format!("{base}{path}")).collect();
    let mut job = Job::new(JobInput::Urls(links), out.to_owned());
    job.concurrency = 8;
    run(job, options).await
}

async fn run(job: Job, options: RunOptions) -> (RunReport, Vec<RunEvent>) {
    run_until(job, options, CancellationToken::new()).await
}

/// `run`, with a token that cancels it.
async fn run_until(job: Job, options: RunOptions, cancel: CancellationToken) -> (RunReport, Vec<RunEvent>) {
    common::run_collecting(job, options, cancel, RUN_BOUND).await
}

fn failures(events: &[RunEvent]) -> Vec<(String, String)> {
    events
        .iter()
        .filter_map(|event| match event {
            RunEvent::Failed { id, reason, .. } => Some((id.clone(), reason.to_string())),
            _ => None,
        })
        .collect()
}

fn saved_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|entry| entry.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

fn temporary_files_left(dir: &Path) -> Vec<String> {
    saved_names(dir).into_iter().filter(|name| name.starts_with(".galley-")).collect()
}

/// Every file left is a whole, decodable image; no temporary file remains.
fn assert_only_whole_images(dir: &Path) {
    for name in saved_names(dir) {
        assert!(!name.starts_with(".galley-"), "temporary file left: {name}");
        let path = dir.join(&name);
        image::open(&path).unwrap_or_else(|error| panic!("{name} is not a whole image: {error}"));
    }
}

// ---- transient faults are survived ----

/// Fails each path's first two requests with the fault named in the path, then serves it.
async fn flaky(State(hits): State<Hits>, UrlPath(name): UrlPath<String>) -> Response {
    let attempt = hits.bump(&name);
    // Distinct bytes per name: identical images would be saved once, as duplicates.
    let seed = name.bytes().fold(0u8, |acc, byte| acc.wrapping_mul(31).wrapping_add(byte));
    let body = jpeg(seed);
    if attempt > 2 {
        return ([(header::CONTENT_TYPE, "image/jpeg")], body).into_response();
    }
    match name.split('.').next().unwrap_or_default() {
        "e500" => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        "e502" => StatusCode::BAD_GATEWAY.into_response(),
        "e503" => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        "e408" => StatusCode::REQUEST_TIMEOUT.into_response(),
        "retry_after" => (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")]).into_response(),
        "no_retry_after" => StatusCode::TOO_MANY_REQUESTS.into_response(),
        // Announces the whole length, sends half: the client sees a short body.
        "short" => {
            let half = body[..body.len() / 2].to_vec();
            let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(half)]);
            Response::builder()
                .header(header::CONTENT_TYPE, "image/jpeg")
                .header(header::CONTENT_LENGTH, body.len())
                .body(Body::from_stream(stream))
                .expect("response")
        }
        // Sends half, then the connection breaks mid-body.
        "reset" => {
            let half = body[..body.len() / 2].to_vec();
            let stream = futures_util::stream::iter([
                Ok::<_, std::io::Error>(half),
                Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset")),
            ]);
            Response::builder()
                .header(header::CONTENT_TYPE, "image/jpeg")
                .body(Body::from_stream(stream))
                .expect("response")
        }
        // An error page that claims to be the image.
        "html" => ([(header::CONTENT_TYPE, "image/jpeg")], "<html><body>Oops</body></html>").into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_faults_are_retried_until_each_image_arrives_whole() {
    let base = serve(Router::new().route("/{name}", get(flaky)).with_state(Hits::default())).await;
    let out = tempfile::tempdir().expect("tempdir");
    let paths = [
        "/e500.jpg",
        "/e502.jpg",
        "/e503.jpg",
        "/e408.jpg",
        "/retry_after.jpg",
        "/no_retry_after.jpg",
        "/short.jpg",
        "/reset.jpg",
        "/html.jpg",
    ];

    let (report, events) = fetch_links(&base, &paths, out.path(), fast_options()).await;

    assert_eq!(failures(&events), Vec::new());
    assert_eq!(report.summary.downloaded, paths.len() as u64);
    let retries = events.iter().filter(|event| matches!(event, RunEvent::Retrying { .. })).count();
    assert_eq!(retries, 2 * paths.len(), "two retries per image");
    assert_only_whole_images(out.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_errors_fail_at_once_with_the_reason() {
    let app = Router::new()
        .route("/missing.jpg", get(|| async { StatusCode::NOT_FOUND }))
        .route("/forbidden.jpg", get(|| async { StatusCode::FORBIDDEN }));
    let base = serve(app).await;
    let out = tempfile::tempdir().expect("tempdir");

    let (report, events) = fetch_links(&base, &["/missing.jpg", "/forbidden.jpg"], out.path(), fast_options()).await;

    assert_eq!(report.summary.failed, 2);
    assert!(events.iter().all(|event| !matches!(event, RunEvent::Retrying { .. })), "4xx is not retried");
    let reasons: Vec<String> = failures(&events).into_iter().map(|(_, reason)| reason).collect();
    assert!(reasons.iter().any(|reason| reason.contains("404")), "{reasons:?}");
    assert!(reasons.iter().any(|reason| reason.contains("403")), "{reasons:?}");
    assert_eq!(saved_names(out.path()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_drips_or_never_answers_times_out_and_leaves_nothing() {
    let drip = || async { dripping(vec![0xFF; 30], Duration::from_secs(1)) };
    let base = serve(Router::new().route("/drip.jpg", get(drip)).route("/silent.jpg", get(silent))).await;
    let out = tempfile::tempdir().expect("tempdir");
    let mut options = fast_options();
    options.timeouts.read = Duration::from_millis(300);

    let started = std::time::Instant::now();
    let (report, events) = fetch_links(&base, &["/drip.jpg", "/silent.jpg"], out.path(), options).await;

    assert_eq!(report.summary.failed, 2, "{:?}", failures(&events));
    assert!(started.elapsed() < RUN_BOUND);
    assert_eq!(saved_names(out.path()), Vec::<String>::new(), "no partial file");
}

/// One image may not hold a download slot for minutes: a huge `Retry-After` is cut short
/// and the image given up within its budget, and a body that drips is tried twice, not ten
/// times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limited_or_dripping_image_gives_up_within_its_budget() {
    let hits = Hits::default();
    let app = Router::new()
        .route(
            "/limited.jpg",
            get(|State(hits): State<Hits>| async move {
                hits.bump("limited");
                (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "100000")]).into_response()
            }),
        )
        .route(
            "/drip.jpg",
            get(|State(hits): State<Hits>| async move {
                hits.bump("drip");
                dripping(jpeg(3), Duration::from_millis(400))
            }),
        )
        .with_state(hits.clone());
    let base = serve(app).await;
    let out = tempfile::tempdir().expect("tempdir");
    let mut options = fast_options();
    // A drip of 2.5 bytes a second is under 100 B/s over each 1 s window.
    options.timeouts.pace =
        galley::engine::Pace { min_bytes_per_second: 100, window: Duration::from_secs(1), ..Default::default() };
    options.timeouts.image_budget = Duration::from_secs(20);

    let (report, events) = fetch_links(&base, &["/limited.jpg", "/drip.jpg"], out.path(), options).await;

    assert_eq!(report.summary.failed, 2, "{:?}", failures(&events));
    let count = |key: &str| hits.0.lock().expect("lock").get(key).copied().unwrap_or(0);
    // The 429 asks for 28 hours; galley waits at most 30 s a time, which is past the budget.
    assert_eq!(count("limited"), 1, "no second attempt past the budget");
    assert_eq!(count("drip"), 2, "a dripping body is worth one more try, not nine");
    assert_eq!(saved_names(out.path()), Vec::<String>::new(), "no partial file");
}

/// A link the HTTP layer cannot even send (a 70 KB path) is refused once, not retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_that_cannot_be_sent_fails_at_once() {
    let hits = Hits::default();
    let app = Router::new().fallback(|State(hits): State<Hits>| async move {
        hits.bump("any");
        StatusCode::NOT_FOUND
    });
    let base = serve(app.with_state(hits.clone())).await;
    let out = tempfile::tempdir().expect("tempdir");
    let long = format!("/{}.jpg", "a".repeat(70_000));

    let (report, events) = fetch_links(&base, &[long.as_str()], out.path(), fast_options()).await;

    assert_eq!(report.summary.failed, 1, "{:?}", failures(&events));
    let retries = events.iter().filter(|event| matches!(event, RunEvent::Retrying { .. })).count();
    assert_eq!(retries, 0, "a permanent error is not retried: {:?}", failures(&events));
    assert_eq!(hits.0.lock().expect("lock").get("any"), None, "it never reached the server");
    assert!(failures(&events)[0].1.starts_with("refused link"), "{:?}", failures(&events));
}

// ---- lies are refused ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lies_about_content_are_refused_or_corrected() {
    fn bomb() -> Vec<u8> {
        // A valid PNG header claiming 100,000 x 100,000 pixels, in a few hundred bytes.
        let mut encoder_out = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut encoder_out, 100_000, 100_000);
            encoder.set_color(png::ColorType::Grayscale);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().expect("header");
            let _ = writer.write_image_data(&[]);
        }
        encoder_out
    }
    let png_bytes = png(3);
    let app = Router::new()
        .route("/json.jpg", get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], "{\"error\":\"nope\"}") }))
        .route("/html.jpg", get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], "<!DOCTYPE html><p>hi</p>") }))
        .route("/really-png.jpg", get(move || async move { ([(header::CONTENT_TYPE, "image/jpeg")], png_bytes) }))
        .route("/bomb.png", get(|| async { ([(header::CONTENT_TYPE, "image/png")], bomb()) }))
        .route(
            "/endless.jpg",
            get(|| async {
                let chunk = {
                    let mut chunk = jpeg(9);
                    chunk.resize(64 * 1024, 0);
                    chunk
                };
                let stream = futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk.clone()));
                Response::builder()
                    .header(header::CONTENT_TYPE, "image/jpeg")
                    .body(Body::from_stream(stream))
                    .expect("response")
            }),
        );
    let base = serve(app).await;
    let out = tempfile::tempdir().expect("tempdir");
    let links = ["/json.jpg", "/html.jpg", "/really-png.jpg", "/bomb.png", "/endless.jpg"];
    let mut job =
        Job::new(JobInput::Urls(links.iter().map(|path| format!("{base}{path}")).collect()), out.path().to_owned());
    job.max_image_bytes = 2 * 1024 * 1024;

    let (report, events) = run(job, fast_options()).await;

    let failed: HashMap<String, String> = failures(&events).into_iter().collect();
    assert_eq!(report.summary.failed, 4, "{failed:?}");
    assert!(failed.keys().any(|id| id.contains("endless")), "size cap: {failed:?}");
    assert!(
        failed.values().any(|reason| reason.contains("limit") || reason.contains("cap") || reason.contains("larger")),
        "{failed:?}"
    );
    // The PNG served as a JPEG is saved under its real extension, never mislabelled.
    assert_eq!(saved_names(out.path()), ["really-png.png"]);
    assert_only_whole_images(out.path());
}

// ---- hostile names and links ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_loops_and_scheme_changes_are_refused() {
    let app = Router::new()
        .route("/loop.jpg", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/loop.jpg")]) }))
        .route("/to-file.jpg", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "file:///etc/passwd")]) }))
        .route("/ok.jpg", get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], jpeg(1)) }))
        .route("/to-ok.jpg", get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/ok.jpg")]) }));
    let base = serve(app).await;
    let out = tempfile::tempdir().expect("tempdir");

    let (report, events) =
        fetch_links(&base, &["/loop.jpg", "/to-file.jpg", "/to-ok.jpg"], out.path(), fast_options()).await;

    assert_eq!(report.summary.failed, 2, "{:?}", failures(&events));
    assert_eq!(report.summary.downloaded, 1, "an ordinary redirect is followed");
    assert_eq!(saved_names(out.path()), ["to-ok.jpg"]);
}

/// An album whose image list redirects to itself fails alone, as a 404 album does: the
/// entries around it are all listed and saved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_album_whose_list_is_a_redirect_loop_fails_alone() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let entry = |id: &str| serde_json::json!({"id": id, "type": "image/jpeg", "link": format!("{base}/img/{id}")});
    let album = |id: &str| serde_json::json!({"id": id, "is_album": true, "images_count": 2});
    let page = serde_json::json!({"success": true, "status": 200, "data": [
        entry("before1"), album("Looping"), entry("after01"), album("GoodOne"), entry("after02"),
    ]})
    .to_string();
    let good = serde_json::json!({"success": true, "status": 200, "data": [entry("member1"), entry("member2")]});
    let app = Router::new()
        .route(
            "/img/{id}",
            get(|UrlPath(id): UrlPath<String>| async move {
                let seed =
                    ["before1", "after01", "after02", "member1", "member2"].iter().position(|known| *known == id);
                ([(header::CONTENT_TYPE, "image/jpeg")], jpeg(seed.unwrap_or(9) as u8 * 20))
            }),
        )
        .route(
            "/3/album/Looping/images",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/3/album/Looping/images")]) }),
        )
        .route(
            "/3/album/GoodOne/images",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], good.to_string()) }),
        )
        .fallback(move |uri: axum::http::Uri| {
            let page = page.clone();
            async move {
                let body =
                    if uri.path().ends_with("/0") { page } else { r#"{"data": [], "success": true}"#.to_owned() };
                ([(header::CONTENT_TYPE, "application/json")], body)
            }
        });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let out = tempfile::tempdir().expect("tempdir");

    let (report, events) = run(gallery_job(&base, out.path()), fast_options()).await;

    assert_eq!(report.ending, galley::engine::Ending::Done, "the run goes on: {:?}", report.ending);
    assert_eq!(report.summary.downloaded, 5, "every entry but the looping album: {:?}", failures(&events));
    let failed = failures(&events);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "Looping");
    assert!(failed[0].1.contains("redirect"), "the reason says why: {}", failed[0].1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_ids_from_the_api_stay_inside_the_folder() {
    let ids =
        ["../../escape", "..", "a/b", "a\\b", "%2e%2e%2fx", "nul\u{0}byte", "ctrl\u{7}\u{1b}", "CON", "NUL", "com1"];
    let long = "x".repeat(1000);
    let mut all: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    all.push(long);
    let gallery_ids = all.clone();
    let app = Router::new()
        .route(
            "/3/gallery/hot/viral/day/{page}",
            get(move |UrlPath(page): UrlPath<u32>, headers: HeaderMap| {
                let ids = gallery_ids.clone();
                async move {
                    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_owned();
                    let data: Vec<serde_json::Value> = if page == 0 {
                        ids.iter()
                            .enumerate()
                            .map(|(n, id)| {
                                serde_json::json!({"id": id, "type": "image/jpeg", "link": format!("http://{host}/img/{n}.jpg"), "animated": false})
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    let body = serde_json::json!({"data": data, "success": true, "status": 200}).to_string();
                    ([(header::CONTENT_TYPE, "application/json")], body)
                }
            }),
        )
        .route(
            "/img/{n}",
            get(|UrlPath(n): UrlPath<String>| async move {
                let seed = n.trim_end_matches(".jpg").parse::<u8>().unwrap_or(0);
                ([(header::CONTENT_TYPE, "image/jpeg")], jpeg(seed.wrapping_mul(17)))
            }),
        );
    let base = serve(app).await;
    let root = tempfile::tempdir().expect("tempdir");
    let out = root.path().join("inside");
    let input = JobInput::Imgur {
        api_base: base.parse().expect("url"),
        client_id: ClientId::new("test"),
        source: Source::default(),
        pages: None,
    };
    let (report, events) = run(Job::new(input, out.clone()), fast_options()).await;

    assert_eq!(report.summary.downloaded, all.len() as u64, "{:?}", failures(&events));
    assert_eq!(saved_names(root.path()), ["inside"], "nothing beside the folder");
    let names = saved_names(&out);
    assert_eq!(names.len(), all.len(), "distinct ids get distinct files: {names:?}");
    for name in &names {
        assert!(name.len() <= 255, "name too long: {} bytes", name.len());
        assert!(!name.contains(['/', '\\', '\0']) && !name.chars().any(char::is_control), "{name:?}");
        assert!(!name.starts_with('.'), "{name:?}");
        let stem = name.split('.').next().unwrap_or_default().to_ascii_uppercase();
        assert!(!["CON", "NUL", "COM1"].contains(&stem.as_str()), "reserved device name: {name}");
    }
    assert_only_whole_images(&out);
}

// ---- malformed API answers ----

async fn api_run(body: &'static str, status: StatusCode) -> RunReport {
    let app =
        Router::new().fallback(move || async move { (status, [(header::CONTENT_TYPE, "application/json")], body) });
    let base = serve(app).await;
    let out = tempfile::tempdir().expect("tempdir");
    let input = JobInput::Imgur {
        api_base: base.parse().expect("url"),
        client_id: ClientId::new("test"),
        source: Source::default(),
        pages: Some(1),
    };
    run(Job::new(input, out.path().to_owned()), fast_options()).await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_api_answers_give_clear_errors_not_panics() {
    let cases: [(&str, &str, StatusCode); 4] = [
        ("invalid JSON", "{\"data\": [", StatusCode::OK),
        ("wrong types", "{\"data\": \"not a list\", \"success\": true}", StatusCode::OK),
        (
            "success false",
            "{\"data\": {\"error\": \"Imgur is sad\"}, \"success\": false, \"status\": 400}",
            StatusCode::BAD_REQUEST,
        ),
        ("not JSON at all", "<html>maintenance</html>", StatusCode::OK),
    ];
    for (name, body, status) in cases {
        let report = api_run(body, status).await;
        let fatal = report.fatal().cloned().unwrap_or_else(|| panic!("{name}: expected an error"));
        assert_eq!(fatal.kind, FatalKind::Api, "{name}: {fatal}");
        assert!(
            fatal.to_string().contains("/3/gallery/hot/viral/day/0"),
            "{name}: the error names the endpoint: {fatal}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_with_missing_fields_and_empty_albums_are_skipped_cleanly() {
    let body = r#"{"success": true, "status": 200, "data": [
        {"id": "noLink", "type": "image/jpeg"},
        {"type": "image/jpeg", "link": "http://127.0.0.1:9/x.jpg"},
        {"id": "nullType", "type": null, "link": "http://127.0.0.1:9/y.jpg"},
        {"id": "emptyAlbum", "is_album": true, "images": []},
        {"id": "video", "type": "video/mp4", "link": "http://127.0.0.1:9/v.mp4"}
    ]}"#;
    let report = api_run(body, StatusCode::OK).await;
    assert!(report.fatal().is_none(), "{:?}", report.fatal());
    assert_eq!(report.summary.listed, 0);
    // A page whose data is null is an empty page, not a crash.
    let report = api_run("{\"data\": null, \"success\": true}", StatusCode::OK).await;
    assert!(report.fatal().is_none(), "{:?}", report.fatal());
    assert_eq!(report.summary.listed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_items_in_one_page_are_listed_without_trouble() {
    let items: Vec<serde_json::Value> = (0..10_000)
        .map(|n| serde_json::json!({"id": format!("id{n}"), "type": "image/gif", "link": format!("{{HOST}}/gone/{n}.gif")}))
        .collect();
    let page = serde_json::json!({"data": items, "success": true, "status": 200}).to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let page = page.replace("{HOST}", &base);
    let app = Router::new().route("/gone/{n}", get(|| async { StatusCode::NOT_FOUND })).fallback(move || {
        let page = page.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], page) }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let out = tempfile::tempdir().expect("tempdir");
    let input = JobInput::Imgur {
        api_base: base.parse().expect("url"),
        client_id: ClientId::new("test"),
        source: Source::default(),
        pages: Some(1),
    };
    let mut job = Job::new(input, out.path().to_owned());
    job.limit = Some(10_000);
    job.concurrency = 64;
    let (report, _) = run(job, fast_options()).await;
    assert_eq!(report.summary.listed, 10_000);
    // Every image is gone (404): each fails cleanly at once, none is left half-written.
    assert_eq!(report.summary.failed, 10_000);
    assert_eq!(saved_names(out.path()), Vec::<String>::new());
}

// ---- bodies too big to hold in memory ----

/// A noisy PNG of about 1.2 MB: more than a body held in memory, so it streams to its
/// temporary file as it arrives and is checked from there.
fn big_png() -> Vec<u8> {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let image = image::RgbImage::from_fn(640, 640, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        image::Rgb([state as u8, (state >> 8) as u8, (state >> 16) as u8])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).expect("encode png");
    bytes.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_body_streams_to_disk_and_is_checked_there_with_and_without_thumbnails() {
    let whole = big_png();
    assert!(whole.len() > 1_000_000, "{} bytes", whole.len());
    let mut broken = whole.clone();
    // Same length, so only decoding can tell: the pixel data is scrambled mid-file.
    broken[whole.len() / 2..whole.len() / 2 + 4096].fill(0xA5);
    let size = whole.len() as u64;
    let (whole, broken) = (Bytes::from(whole), Bytes::from(broken));
    let app = Router::new()
        .route("/whole.png", get(move || std::future::ready(([(header::CONTENT_TYPE, "image/png")], whole.clone()))))
        .route("/broken.png", get(move || std::future::ready(([(header::CONTENT_TYPE, "image/png")], broken.clone()))));
    let base = serve(app).await;

    for thumbnails in [true, false] {
        let out = tempfile::tempdir().expect("tempdir");
        let links = vec![format!("{base}/whole.png"), format!("{base}/broken.png")];
        let mut job = Job::new(JobInput::Urls(links), out.path().to_owned());
        job.thumbnails = thumbnails;
        let (report, events) = run(job, fast_options()).await;

        let thumbnail = events.iter().find_map(|event| match event {
            RunEvent::Thumbnail { thumbnail, .. } => Some(thumbnail),
            _ => None,
        });
        assert_eq!(thumbnail.map(|t| (t.width, t.height)), thumbnails.then_some((640, 640)));
        assert!(temporary_files_left(out.path()).is_empty());
        // The structure walk finds the scrambled chunk by its CRC, thumbnails or not.
        assert_eq!((report.summary.downloaded, report.summary.failed), (1, 1));
        assert_eq!(saved_names(out.path()), vec!["whole.png".to_owned()]);
        assert_eq!(std::fs::metadata(out.path().join("whole.png")).map(|m| m.len()).ok(), Some(size));
        assert_only_whole_images(out.path());
    }
}

// ---- disk trouble ----

/// A disk that accepts `budget` bytes across all files, then fails every write with ENOSPC.
struct FillingDisk {
    written: Arc<AtomicUsize>,
    budget: usize,
}

struct FillingFile {
    inner: std::fs::File,
    written: Arc<AtomicUsize>,
    budget: usize,
}

impl Disk for FillingDisk {
    fn create(&self, path: &Path) -> std::io::Result<Box<dyn std::io::Write + Send>> {
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
        Ok(Box::new(FillingFile { inner: file, written: self.written.clone(), budget: self.budget }))
    }
}

impl std::io::Write for FillingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.written.load(Ordering::SeqCst) + buf.len() > self.budget {
            return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
        }
        let written = self.inner.write(buf)?;
        self.written.fetch_add(written, Ordering::SeqCst);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_that_fills_stops_the_run_with_a_clear_error_and_no_partial_file() {
    let base = serve(numbered_jpegs()).await;
    let out = tempfile::tempdir().expect("tempdir");
    let paths: Vec<String> = (0..40).map(|n| format!("/{n}.jpg")).collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let options = RunOptions {
        disk: Arc::new(FillingDisk { written: Arc::default(), budget: 3 * jpeg(0).len() }),
        ..fast_options()
    };

    let (report, _) = fetch_links(&base, &paths, out.path(), options).await;

    let fatal = report.fatal().cloned().expect("a full disk stops the run");
    assert_eq!(fatal.kind, FatalKind::Destination);
    assert!(fatal.message.contains("full"), "{fatal}");
    assert!(report.summary.downloaded < 40);
    assert_only_whole_images(out.path());
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_destination_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().expect("tempdir");
    let folder = root.path().join("read-only");
    std::fs::create_dir(&folder).expect("mkdir");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    // Root ignores permissions; the case is only meaningful for ordinary users.
    let probe = folder.join("probe");
    if std::fs::write(&probe, b"x").is_ok() {
        let _ = std::fs::remove_file(&probe);
        eprintln!("running as a user who can write anywhere: checking a file-as-folder instead");
        let file = root.path().join("file");
        std::fs::write(&file, b"x").expect("write");
        let (report, _) = fetch_links("http://127.0.0.1:9", &["/x.jpg"], &file, fast_options()).await;
        assert_eq!(report.fatal().map(|fatal| fatal.kind), Some(FatalKind::Destination));
        return;
    }
    let (report, _) = fetch_links("http://127.0.0.1:9", &["/x.jpg"], &folder, fast_options()).await;
    let fatal = report.fatal().cloned().expect("refused");
    assert_eq!(fatal.kind, FatalKind::Destination);
    assert!(fatal.message.contains("not writable"), "{fatal}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_thumbnails_a_body_cut_short_is_still_caught() {
    // No Content-Length (a streamed body), cut short on the first two requests.
    async fn cut(State(hits): State<Hits>, UrlPath(name): UrlPath<String>) -> Response {
        let body = if name.ends_with(".png") { png(5) } else { jpeg(5) };
        let kind = if name.ends_with(".png") { "image/png" } else { "image/jpeg" };
        let sent = if hits.bump(&name) > 2 { body.clone() } else { body[..body.len() - 40].to_vec() };
        let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(sent)]);
        Response::builder().header(header::CONTENT_TYPE, kind).body(Body::from_stream(stream)).expect("response")
    }
    let base = serve(Router::new().route("/{name}", get(cut)).with_state(Hits::default())).await;
    let out = tempfile::tempdir().expect("tempdir");
    let links = ["/cut.jpg", "/cut.png"].iter().map(|path| format!("{base}{path}")).collect();
    let mut job = Job::new(JobInput::Urls(links), out.path().to_owned());
    job.thumbnails = false;

    let (report, events) = run(job, fast_options()).await;

    assert_eq!(report.summary.downloaded, 2, "{:?}", failures(&events));
    let retried_for_early_end = events
        .iter()
        .filter(|event| matches!(event, RunEvent::Retrying { reason, .. } if reason.to_string().contains("cut short")))
        .count();
    assert_eq!(retried_for_early_end, 4, "each cut body was refused, twice per image");
    assert_only_whole_images(out.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_length_smaller_than_the_body_never_leaves_a_partial_file() {
    // The header promises less than is sent: whatever the client makes of it, the image is
    // either saved whole and valid or reported failed, and nothing half-written remains.
    async fn liar() -> Response {
        let body = jpeg(77);
        let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(body.clone())]);
        Response::builder()
            .header(header::CONTENT_TYPE, "image/jpeg")
            .header(header::CONTENT_LENGTH, body.len() / 2)
            .body(Body::from_stream(stream))
            .expect("response")
    }
    let base = serve(Router::new().route("/liar.jpg", get(liar))).await;
    let out = tempfile::tempdir().expect("tempdir");
    let mut options = fast_options();
    options.timeouts.read = Duration::from_millis(300);

    let (report, events) = fetch_links(&base, &["/liar.jpg"], out.path(), options).await;

    assert_eq!(report.summary.downloaded + report.summary.failed, 1);
    if report.summary.failed == 1 {
        assert!(!failures(&events)[0].1.is_empty(), "the failure has a reason");
    }
    assert_only_whole_images(out.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_animated_gif_of_thousands_of_frames_is_saved_from_its_first_frame() {
    fn many_frames() -> Vec<u8> {
        let mut bytes = Vec::new();
        {
            let mut encoder = image::codecs::gif::GifEncoder::new(&mut bytes);
            for n in 0..3_000u32 {
                let frame = image::RgbaImage::from_pixel(16, 16, image::Rgba([(n % 256) as u8, 0, 0, 255]));
                encoder.encode_frame(image::Frame::new(frame)).expect("frame");
            }
        }
        bytes
    }
    let gif = many_frames();
    let base = serve(Router::new().route(
        "/many.gif",
        get(move || {
            let gif = gif.clone();
            async move { ([(header::CONTENT_TYPE, "image/gif")], gif) }
        }),
    ))
    .await;
    let out = tempfile::tempdir().expect("tempdir");

    let (report, events) = fetch_links(&base, &["/many.gif"], out.path(), fast_options()).await;

    assert_eq!(report.summary.downloaded, 1, "{:?}", failures(&events));
    let thumbnail = events.iter().find_map(|event| match event {
        RunEvent::Thumbnail { thumbnail, .. } => Some((thumbnail.width, thumbnail.height)),
        _ => None,
    });
    assert_eq!(thumbnail, Some((16, 16)), "the thumbnail is made from the first frame");
    assert_only_whole_images(out.path());
}

// ---- never overwrite what is not ours ----

/// An Imgur-shaped API listing `items` (id and image bytes) on one page, and the images.
async fn gallery(items: Vec<(&'static str, Vec<u8>)>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let data: Vec<serde_json::Value> = items
        .iter()
        .enumerate()
        .map(|(n, (id, _))| serde_json::json!({"id": id, "type": "image/jpeg", "link": format!("{base}/img/{n}")}))
        .collect();
    let page = serde_json::json!({"data": data, "success": true, "status": 200}).to_string();
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(items.into_iter().map(|(_, bytes)| bytes).collect());
    let app = Router::new()
        .route(
            "/img/{n}",
            get(move |UrlPath(n): UrlPath<usize>| {
                let bodies = bodies.clone();
                async move { ([(header::CONTENT_TYPE, "image/jpeg")], bodies.get(n).cloned().unwrap_or_default()) }
            }),
        )
        .fallback(move |uri: axum::http::Uri| {
            let page = page.clone();
            async move {
                let first = uri.path().ends_with("/0");
                let body = if first { page } else { r#"{"data": [], "success": true}"#.to_owned() };
                ([(header::CONTENT_TYPE, "application/json")], body)
            }
        });
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

fn gallery_job(base: &str, out: &Path) -> Job {
    let input = JobInput::Imgur {
        api_base: base.parse().expect("url"),
        client_id: ClientId::new("test"),
        source: Source::default(),
        pages: None,
    };
    Job::new(input, out.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_galley_did_not_write_keep_their_names_and_bytes() {
    let served = [("notes", jpeg(1)), ("photo", jpeg(2)), ("mine", jpeg(3))];
    let base = serve(served.iter().fold(Router::new(), |app, (name, bytes)| {
        let bytes = Bytes::from(bytes.clone());
        app.route(
            &format!("/{name}.jpg"),
            get(move || std::future::ready(([(header::CONTENT_TYPE, "image/jpeg")], bytes.clone()))),
        )
    }))
    .await;
    let theirs: [(&str, Vec<u8>); 3] = [
        ("notes.jpg", b"my notes, not a picture".to_vec()),
        ("photo.jpg", b"RIFF\x24\0\0\0WEBPVP8 a WebP of the user's".to_vec()),
        // A whole, valid JPEG of the user's own under the very name galley wants.
        ("mine.jpg", jpeg(200)),
    ];
    for archived in [false, true] {
        let out = tempfile::tempdir().expect("tempdir");
        for (name, bytes) in &theirs {
            std::fs::write(out.path().join(name), bytes).expect("the user's file");
        }
        let links: Vec<String> = served.iter().map(|(name, _)| format!("{base}/{name}.jpg")).collect();
        let mut job = Job::new(JobInput::Urls(links), out.path().to_owned());
        let archive_dir = tempfile::tempdir().expect("tempdir");
        job.archive = archived.then(|| archive_dir.path().join("archive.sqlite"));

        for round in 0..2 {
            let (report, events) = run(job.clone(), fast_options()).await;
            assert_eq!(failures(&events), Vec::new());
            let expected = if round == 0 { (3, 0) } else { (0, 3) };
            assert_eq!(
                (report.summary.downloaded, report.summary.skipped),
                expected,
                "round {round}, archive {archived}"
            );
            for (name, bytes) in &theirs {
                assert_eq!(&std::fs::read(out.path().join(name)).expect("still there"), bytes, "{name} untouched");
            }
            for (name, bytes) in &served {
                assert_eq!(&std::fs::read(out.path().join(format!("{name}-2.jpg"))).expect("saved"), bytes);
            }
            assert_eq!(saved_names(out.path()).len(), 6, "round {round}: {:?}", saved_names(out.path()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_differing_only_in_case_get_names_a_case_insensitive_disk_keeps_apart() {
    let base = gallery(vec![("abcD1", jpeg(10)), ("ABCd1", jpeg(20)), ("Other", jpeg(30))]).await;
    let out = tempfile::tempdir().expect("tempdir");
    let mut job = gallery_job(&base, out.path());
    job.archive = Some(out.path().join(".archive.sqlite"));
    let pictures =
        |dir: &Path| -> Vec<String> { saved_names(dir).into_iter().filter(|name| !name.starts_with('.')).collect() };

    let (first, events) = run(job.clone(), fast_options()).await;
    assert_eq!(first.summary.downloaded, 3, "{:?}", failures(&events));
    let names = pictures(out.path());
    let folded: std::collections::HashSet<String> = names.iter().map(|name| name.to_lowercase()).collect();
    assert_eq!(folded.len(), 3, "names equal but for case would be one file on exFAT: {names:?}");
    // Each run after keeps the same names and writes nothing, with the archive or without.
    for archived in [true, false] {
        let mut again = job.clone();
        again.archive = archived.then(|| out.path().join(".archive.sqlite"));
        let (report, _) = run(again, fast_options()).await;
        assert_eq!((report.summary.downloaded, report.summary.skipped), (0, 3), "archive {archived}");
        assert_eq!(pictures(out.path()), names);
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_planted_where_galley_writes_is_never_followed() {
    let base = serve(numbered_jpegs()).await;
    let root = tempfile::tempdir().expect("tempdir");
    let victim = root.path().join("victim.txt");
    std::fs::write(&victim, b"precious").expect("victim");
    let out = root.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    // Links under every name the folder check and the first downloads used to create.
    let pid = std::process::id();
    let planted = [format!(".galley-{pid}-18446744073709551615-write-check.part"), format!(".galley-{pid}-0-4.part")];
    for name in &planted {
        std::os::unix::fs::symlink(&victim, out.join(name)).expect("plant a link");
    }

    let (report, events) = fetch_links(&base, &["/4.jpg"], &out, fast_options()).await;

    assert_eq!(report.summary.downloaded, 1, "{:?}", failures(&events));
    assert_eq!(std::fs::read(&victim).expect("victim"), b"precious", "the link was followed");
}

// ---- saved means whole ----

/// A GIF of `frames` frames.
fn animated_gif(frames: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut bytes);
        for n in 0..frames {
            let frame =
                image::RgbaImage::from_fn(32, 32, |x, y| image::Rgba([(n * 30) as u8, x as u8 * 8, y as u8 * 8, 255]));
            encoder.encode_frame(image::Frame::new(frame)).expect("frame");
        }
    }
    bytes
}

/// An MP4 as most cameras write it: `ftyp`, then `mdat` of `payload` bytes of media, then
/// the `moov` index at the end (so a cut loses the index).
fn mp4(payload: usize) -> Vec<u8> {
    let mut file = Vec::new();
    for (name, body) in [
        (b"ftyp", b"mp42\0\0\0\0mp42isom".to_vec()),
        (b"mdat", vec![7; payload]),
        (b"moov", [&[0, 0, 0, 108][..], b"mvhd", &[0; 100]].concat()),
    ] {
        file.extend_from_slice(&(body.len() as u32 + 8).to_be_bytes());
        file.extend_from_slice(name);
        file.extend_from_slice(&body);
    }
    file
}

/// Serves `body` with no Content-Length, the connection closed cleanly at its end.
fn streamed(kind: &'static str, body: Vec<u8>) -> Response {
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(body)]);
    Response::builder().header(header::CONTENT_TYPE, kind).body(Body::from_stream(stream)).expect("response")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_animation_or_video_is_never_saved_as_whole() {
    let gif = animated_gif(6);
    // Cut after the first frames, with a stray trailer byte at the end, as a clean close leaves it.
    let mut cut_gif = gif[..gif.len() * 2 / 3].to_vec();
    cut_gif.push(0x3B);
    let video = mp4(300_000);
    let cut_video = video[..video.len() - 50].to_vec();
    let app = Router::new()
        .route("/anim.gif", get(move || std::future::ready(streamed("image/gif", gif.clone()))))
        .route("/cut-anim.gif", get(move || std::future::ready(streamed("image/gif", cut_gif.clone()))))
        .route("/video.mp4", get(move || std::future::ready(streamed("video/mp4", video.clone()))))
        .route("/cut-video.mp4", get(move || std::future::ready(streamed("video/mp4", cut_video.clone()))));
    let base = serve(app).await;

    for thumbnails in [true, false] {
        let out = tempfile::tempdir().expect("tempdir");
        let links = ["/anim.gif", "/cut-anim.gif", "/video.mp4", "/cut-video.mp4"]
            .iter()
            .map(|path| format!("{base}{path}"))
            .collect();
        let mut job = Job::new(JobInput::Urls(links), out.path().to_owned());
        job.thumbnails = thumbnails;
        let (report, events) = run(job, fast_options()).await;

        let failed: HashMap<String, String> = failures(&events).into_iter().collect();
        assert_eq!(saved_names(out.path()), ["anim.gif", "video.mp4"], "thumbnails {thumbnails}: {failed:?}");
        assert_eq!(report.summary.failed, 2);
        assert!(failed.values().all(|reason| reason.contains("cut short")), "{failed:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_avif_claimed_as_a_jpeg_is_not_saved_as_a_video() {
    fn avif() -> Vec<u8> {
        let mut bytes = 28u32.to_be_bytes().to_vec();
        bytes.extend_from_slice(b"ftypavif\0\0\0\0avifmif1miaf");
        bytes.extend_from_slice(&1024u32.to_be_bytes());
        bytes.extend_from_slice(b"mdat");
        bytes.extend_from_slice(&[9; 1016]);
        bytes
    }
    let base =
        serve(Router::new().route("/pic.jpg", get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], avif()) })))
            .await;
    let out = tempfile::tempdir().expect("tempdir");

    let (report, events) = fetch_links(&base, &["/pic.jpg"], out.path(), fast_options()).await;

    assert_eq!(report.summary.failed, 1);
    assert!(failures(&events)[0].1.contains("AVIF"), "{:?}", failures(&events));
    assert_eq!(saved_names(out.path()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_archive_a_file_truncated_since_is_fetched_again() {
    let whole = jpeg(42);
    let served = whole.clone();
    let base =
        serve(Router::new().route(
            "/pic.jpg",
            get(move || std::future::ready(([(header::CONTENT_TYPE, "image/jpeg")], served.clone()))),
        ))
        .await;
    let out = tempfile::tempdir().expect("tempdir");
    let (first, _) = fetch_links(&base, &["/pic.jpg"], out.path(), fast_options()).await;
    assert_eq!(first.summary.downloaded, 1);
    let saved = out.path().join("pic.jpg");
    std::fs::write(&saved, &whole[..whole.len() / 2]).expect("truncate");

    let (second, events) = fetch_links(&base, &["/pic.jpg"], out.path(), fast_options()).await;

    assert_eq!(second.summary.downloaded, 1, "{events:?}");
    assert_eq!(std::fs::read(&saved).expect("read"), whole, "whole again, under its own name");
    assert_eq!(saved_names(out.path()), ["pic.jpg"]);
}

// ---- de-duplication never points at nothing ----

/// Fails the first file it is asked to create, after a pause, as a disk error would.
struct FirstCreateFails {
    failed: std::sync::atomic::AtomicBool,
}

impl Disk for FirstCreateFails {
    fn create(&self, path: &Path) -> std::io::Result<Box<dyn std::io::Write + Send>> {
        if !self.failed.swap(true, Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(300));
            return Err(std::io::Error::other("injected write failure"));
        }
        Ok(Box::new(std::fs::OpenOptions::new().write(true).create_new(true).open(path)?))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_of_a_copy_that_failed_to_save_is_saved_itself() {
    let bytes = Bytes::from(jpeg(50));
    let app = Router::new()
        .route("/{name}", get(move || std::future::ready(([(header::CONTENT_TYPE, "image/jpeg")], bytes.clone()))));
    let base = serve(app).await;
    let out = tempfile::tempdir().expect("tempdir");
    let options = RunOptions { disk: Arc::new(FirstCreateFails { failed: Default::default() }), ..fast_options() };

    let (report, events) = fetch_links(&base, &["/first.jpg", "/second.jpg"], out.path(), options).await;

    assert_eq!((report.summary.downloaded, report.summary.failed), (1, 1), "{events:?}");
    let saved = saved_names(out.path());
    assert_eq!(saved.len(), 1, "the picture is somewhere: {saved:?}");
    for event in &events {
        if let RunEvent::Skipped { reason: galley::engine::SkipReason::Duplicate(original), .. } = event {
            assert!(original.is_file(), "a duplicate of a file that does not exist: {original:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_of_a_file_edited_since_is_saved_itself() {
    let base = gallery(vec![("first", jpeg(60))]).await;
    let later = gallery(vec![("second", jpeg(60))]).await;
    let out = tempfile::tempdir().expect("tempdir");
    let archive = out.path().join(".archive.sqlite");
    let mut job = gallery_job(&base, out.path());
    job.archive = Some(archive.clone());
    run(job, fast_options()).await;
    std::fs::write(out.path().join("first.jpg"), jpeg(61)).expect("the user edits the picture");

    let mut job = gallery_job(&later, out.path());
    job.archive = Some(archive);
    let (report, events) = run(job, fast_options()).await;

    assert_eq!(report.summary.downloaded, 1, "{events:?}");
    assert_eq!(std::fs::read(out.path().join("second.jpg")).expect("saved"), jpeg(60));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_link_lists_ending_in_the_same_name_keep_both_pictures() {
    let app = Router::new()
        .route("/a/image.jpg", get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], jpeg(70)) }))
        .route("/b/image.jpg", get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], jpeg(71)) }));
    let base = serve(app).await;
    for archived in [false, true] {
        let out = tempfile::tempdir().expect("tempdir");
        let with_archive = |mut job: Job| {
            job.archive = archived.then(|| out.path().join(".archive.sqlite"));
            job
        };
        for list in ["/a/image.jpg", "/b/image.jpg"] {
            let job = with_archive(Job::new(JobInput::Urls(vec![format!("{base}{list}")]), out.path().to_owned()));
            let (report, events) = run(job, fast_options()).await;
            assert_eq!(report.summary.downloaded, 1, "{list}, archive {archived}: {events:?}");
        }
        let kept: Vec<Vec<u8>> = saved_names(out.path())
            .into_iter()
            .filter(|name| name.ends_with(".jpg"))
            .map(|name| std::fs::read(out.path().join(name)).expect("read"))
            .collect();
        assert!(kept.contains(&jpeg(70)) && kept.contains(&jpeg(71)), "archive {archived}: both pictures kept");
    }
}

// ---- never hang ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_drips_faster_than_the_read_timeout_is_given_up_on() {
    // A byte every 100 ms: never silent for the 800 ms read timeout, and a 20 KB image
    // would take half an hour.
    let drip = || async { dripping(jpeg(90), Duration::from_millis(100)) };
    // Headers that never come, while the connection stays open.
    let base = serve(Router::new().route("/drip.jpg", get(drip)).route("/late.jpg", get(silent))).await;
    let out = tempfile::tempdir().expect("tempdir");
    let mut options = fast_options();
    options.timeouts.read = Duration::from_secs(5);
    options.timeouts.pace = galley::engine::Pace {
        min_bytes_per_second: 100,
        window: Duration::from_millis(600),
        deadline: Duration::from_secs(60),
    };

    let started = std::time::Instant::now();
    let (report, events) = fetch_links(&base, &["/drip.jpg", "/late.jpg"], out.path(), options).await;

    assert_eq!(report.summary.failed, 2, "{:?}", failures(&events));
    assert!(failures(&events).iter().all(|(_, reason)| reason.contains("too slow")), "{:?}", failures(&events));
    // Two attempts of at most two windows each (before: ten; before that the drip alone
    // took over three minutes, the silent one an hour).
    assert!(started.elapsed() < Duration::from_secs(45), "{:?}", started.elapsed());
    assert_eq!(saved_names(out.path()), Vec::<String>::new(), "no partial file");
}

// ---- neighbours and stopping ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_file_another_process_holds_is_not_taken_for_an_orphan() {
    let base = serve(numbered_jpegs()).await;
    let out = tempfile::tempdir().expect("tempdir");
    // Named by a process id that is no process here, as one in another PID namespace (a
    // container) or on another host sharing the folder would be; it holds the file locked.
    let live = out.path().join(".galley-4194000-0123456789abcdef-other.part");
    let held = std::fs::File::create(&live).expect("create");
    std::io::Write::write_all(&mut &held, b"half an image").expect("write");
    held.lock().expect("lock");
    let orphan = out.path().join(".galley-4194001-fedcba9876543210-gone.part");
    std::fs::write(&orphan, b"left by a crash").expect("orphan");

    let (report, _) = fetch_links(&base, &["/80.jpg"], out.path(), fast_options()).await;

    assert_eq!(report.summary.downloaded, 1);
    assert!(live.exists(), "a live process's temporary file was removed");
    assert!(!orphan.exists(), "an unheld temporary file is an orphan");
    drop(held);
    fetch_links(&base, &["/80.jpg"], out.path(), fast_options()).await;
    assert!(!live.exists(), "once its writer is gone it is an orphan");
}

/// Cancels the run as the first body is written, then lets the write go on.
struct CancelWhileWriting {
    cancel: CancellationToken,
}

impl Disk for CancelWhileWriting {
    fn create(&self, path: &Path) -> std::io::Result<Box<dyn std::io::Write + Send>> {
        self.cancel.cancel();
        std::thread::sleep(Duration::from_millis(200));
        Ok(Box::new(std::fs::OpenOptions::new().write(true).create_new(true).open(path)?))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_land_while_a_run_stops_are_in_its_report_and_archive() {
    let base = serve(numbered_jpegs()).await;
    let out = tempfile::tempdir().expect("tempdir");
    let archive_dir = tempfile::tempdir().expect("tempdir");
    let archive = archive_dir.path().join("archive.sqlite");
    let links = (0..8).map(|n| format!("{base}/{n}.jpg")).collect();
    let mut job = Job::new(JobInput::Urls(links), out.path().to_owned());
    job.archive = Some(archive.clone());
    let cancel = CancellationToken::new();
    let options = RunOptions { disk: Arc::new(CancelWhileWriting { cancel: cancel.clone() }), ..fast_options() };

    let (report, events) = run_until(job, options, cancel).await;

    assert!(report.cancelled());
    let on_disk = saved_names(out.path());
    assert!(!on_disk.is_empty(), "the write went on after cancel");
    assert_only_whole_images(out.path());
    let announced = events.iter().filter(|event| matches!(event, RunEvent::Saved { .. })).count();
    assert_eq!(announced, on_disk.len(), "every file on disk was announced: {on_disk:?}");
    assert_eq!(report.summary.downloaded, on_disk.len() as u64);
    let archive = galley::archive::Archive::open(&archive).expect("archive");
    for name in &on_disk {
        assert!(archive.image_at(&out.path().join(name)).expect("lookup").is_some(), "{name} is not in the archive");
    }
}
