//! The engine end to end against the demo server on 127.0.0.1: what issue 2 promises a
//! user (every image saved whole and decodable, faults survived, re-runs skip, cancel
//! leaves nothing half-written, the archive keeps count).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use galley::archive::Archive;
use galley::demo::{DEMO_CLIENT_ID, DemoConfig, DemoEntry, DemoServer};
use galley::engine::{ClientId, Ending, EventSink, Job, JobInput, RunEvent, RunReport, Source, Tally, run_job};
use tokio::sync::mpsc::Receiver;
use tokio_util::sync::CancellationToken;

/// Generous bound on any one run, so a hang fails the test instead of stalling CI.
const RUN_BOUND: Duration = Duration::from_secs(240);

fn demo_job(server: &DemoServer, out_dir: &Path, concurrency: usize) -> Job {
    let input = JobInput::Imgur {
        api_base: server.base_url(),
        client_id: ClientId::new(DEMO_CLIENT_ID),
        source: Source::default(),
        pages: None,
    };
    let mut job = Job::new(input, out_dir.to_owned());
    job.concurrency = concurrency;
    job
}

/// Runs `job` to the end, collecting its events alongside.
async fn run(job: Job) -> (RunReport, Vec<RunEvent>) {
    let (events, receiver) = EventSink::channel();
    let collector = tokio::spawn(collect(receiver));
    let report = tokio::time::timeout(RUN_BOUND, run_job(1, job, events, CancellationToken::new()))
        .await
        .expect("the run finishes in bounded time");
    let events = collector.await.expect("collector ends");
    (report, events)
}

async fn collect(mut receiver: Receiver<RunEvent>) -> Vec<RunEvent> {
    let mut events = Vec::new();
    while let Some(event) = receiver.recv().await {
        events.push(event);
    }
    events
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).expect("folder readable").map(|entry| entry.expect("entry").path()).collect();
    files.sort();
    files
}

fn temporary_files(dir: &Path) -> Vec<PathBuf> {
    files_in(dir)
        .into_iter()
        .filter(|path| path.file_name().is_some_and(|name| name.to_string_lossy().starts_with(".galley-")))
        .collect()
}

/// The names the demo gallery promises: `<id>.<ext>` for every downloadable image.
fn expected_names(server: &DemoServer) -> HashSet<String> {
    server.gallery().images().map(|image| format!("{}.{}", image.id, image.kind.extension())).collect()
}

fn names(paths: &[PathBuf]) -> HashSet<String> {
    paths.iter().filter_map(|path| path.file_name()).map(|name| name.to_string_lossy().into_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_images_behind_latency_all_arrive_and_decode() {
    let config = DemoConfig { images: 200, latency: Duration::from_millis(50), ..DemoConfig::default() };
    let server = DemoServer::start(config, 0).await.expect("demo server starts");
    let out = tempfile::tempdir().expect("tempdir");
    let archive = out.path().join("archive.sqlite");
    let folder = out.path().join("gallery");
    let mut job = demo_job(&server, &folder, 32);
    job.archive = Some(archive.clone());

    let (report, events) = run(job).await;

    assert_eq!(report.ending, Ending::Done);
    assert_eq!(report.summary.listed, 200);
    assert_eq!(report.summary.downloaded, 200);
    assert_eq!(report.summary.failed, 0);
    assert_eq!(report.summary.concurrency, 32);
    let files = files_in(&folder);
    assert_eq!(names(&files), expected_names(&server));
    for file in &files {
        let image = image::open(file).unwrap_or_else(|error| panic!("{} does not decode: {error}", file.display()));
        assert!(image.width() > 0 && image.height() > 0);
    }
    let thumbnails = events.iter().filter(|event| matches!(event, RunEvent::Thumbnail { .. })).count();
    assert_eq!(thumbnails, 200, "one thumbnail per saved image");
    let saved_bytes: u64 = events
        .iter()
        .filter_map(|event| match event {
            RunEvent::Saved { bytes, path, .. } => {
                assert_eq!(std::fs::metadata(path).expect("saved file exists").len(), *bytes);
                Some(*bytes)
            }
            _ => None,
        })
        .sum();
    assert_eq!(saved_bytes, report.summary.bytes);
    assert!(matches!(events.last(), Some(RunEvent::Finished { report: RunReport { ending: Ending::Done, .. }, .. })));

    let archive = Archive::open(&archive).expect("archive opens");
    let runs = archive.runs(10).expect("runs readable");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].counts.downloaded, 200);
    assert!(archive.integrity_ok().expect("integrity check runs"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn at_fail_rate_one_in_five_every_image_still_arrives() {
    let config = DemoConfig { images: 80, fail_rate: 0.2, seed: 7, ..DemoConfig::default() };
    let server = DemoServer::start(config, 0).await.expect("demo server starts");
    let out = tempfile::tempdir().expect("tempdir");

    let (report, events) = run(demo_job(&server, out.path(), 16)).await;

    assert_eq!(report.ending, Ending::Done);
    assert_eq!(report.summary.failed, 0, "failures: {:?}", failures(&events));
    assert_eq!(report.summary.downloaded, 80);
    assert_eq!(names(&files_in(out.path())), expected_names(&server));
    assert!(server.stats().faults_injected > 0, "the demo really injected faults");
    assert!(events.iter().any(|event| matches!(event, RunEvent::Retrying { .. })), "faults were retried");
    for file in files_in(out.path()) {
        image::open(&file).unwrap_or_else(|error| panic!("{} does not decode: {error}", file.display()));
    }
}

fn failures(events: &[RunEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| match event {
            RunEvent::Failed { id, reason, .. } => Some(format!("{id}: {reason}")),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_run_skips_everything_already_there() {
    let server = DemoServer::start(DemoConfig { images: 30, ..DemoConfig::default() }, 0).await.expect("demo");
    let out = tempfile::tempdir().expect("tempdir");
    let folder = out.path().join("g");
    let mut job = demo_job(&server, &folder, 8);
    job.archive = Some(out.path().join("archive.sqlite"));

    let (first, _) = run(job.clone()).await;
    let requests_after_first = server.stats().image_requests;
    let (second, events) = run(job).await;

    assert_eq!(first.summary.downloaded, 30);
    assert_eq!(second.summary.downloaded, 0);
    assert_eq!(second.summary.skipped, 30);
    assert_eq!(server.stats().image_requests, requests_after_first, "nothing downloaded again");
    assert!(events.iter().all(|event| !matches!(event, RunEvent::Saved { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_damaged_file_is_fetched_again_not_skipped() {
    let server = DemoServer::start(DemoConfig { images: 5, ..DemoConfig::default() }, 0).await.expect("demo");
    let out = tempfile::tempdir().expect("tempdir");
    let mut job = demo_job(&server, out.path(), 4);
    job.archive = Some(out.path().join("archive.sqlite"));
    run(job.clone()).await;
    let victim = files_in(out.path())
        .into_iter()
        .find(|path| path.extension().is_some_and(|ext| ext != "sqlite"))
        .expect("a saved image");
    let whole = std::fs::read(&victim).expect("read");
    std::fs::write(&victim, &whole[..whole.len() / 2]).expect("truncate");

    let (report, _) = run(job).await;

    assert_eq!(report.summary.downloaded, 1, "the truncated file is replaced");
    assert_eq!(report.summary.skipped, 4);
    assert_eq!(std::fs::read(&victim).expect("read"), whole);
}

/// Cancels a run of slow downloads once `ready` holds, and checks that nothing but whole
/// images is left. Slow responses and a trickle of bandwidth keep many downloads mid-body
/// when cancel lands.
async fn cancel_mid_body(bandwidth: u64, ready: impl Fn(&[RunEvent], &Path) -> bool) {
    let config = DemoConfig {
        images: 120,
        latency: Duration::from_millis(100),
        bandwidth: Some(bandwidth),
        ..DemoConfig::default()
    };
    let server = DemoServer::start(config, 0).await.expect("demo server starts");
    let out = tempfile::tempdir().expect("tempdir");
    let (events, mut receiver) = EventSink::channel();
    let cancel = CancellationToken::new();
    let run = tokio::spawn(run_job(1, demo_job(&server, out.path(), 32), events, cancel.clone()));

    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + RUN_BOUND;
    while !ready(&seen, out.path()) {
        match tokio::time::timeout_at(deadline, receiver.recv()).await.expect("the run gets there") {
            Some(event) => seen.push(event),
            None => panic!("the run ended before cancel"),
        }
    }
    cancel.cancel();
    let drained = tokio::spawn(collect(receiver));
    let report = tokio::time::timeout(RUN_BOUND, run).await.expect("cancel is prompt").expect("run task");
    let events = drained.await.expect("drained");

    assert_eq!(report.ending, Ending::Cancelled);
    assert!(report.summary.downloaded < 120, "cancel stopped the run early");
    assert_eq!(temporary_files(out.path()), Vec::<PathBuf>::new());
    for file in files_in(out.path()) {
        image::open(&file).unwrap_or_else(|error| panic!("{} is not whole: {error}", file.display()));
    }
    assert!(matches!(
        events.last(),
        Some(RunEvent::Finished { report: RunReport { ending: Ending::Cancelled, .. }, .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_while_bodies_arrive_in_memory_leaves_only_whole_images() {
    // 10 KB pieces: a body stays in memory until it is whole.
    cancel_mid_body(200_000, |events, _| {
        events.iter().filter(|e| matches!(e, RunEvent::Progress { .. })).count() >= 20
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_while_bodies_stream_to_temporary_files_leaves_none() {
    // 1 KB pieces: a body arriving in that many pieces goes to its temporary file as it comes.
    cancel_mid_body(20_000, |_, out| temporary_files(out).len() >= 4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_client_id_stops_the_run_with_a_plain_message() {
    let server = DemoServer::start(DemoConfig::default(), 0).await.expect("demo server starts");
    let out = tempfile::tempdir().expect("tempdir");
    let mut job = demo_job(&server, out.path(), 4);
    job.sources = vec![JobInput::Imgur {
        api_base: server.base_url(),
        client_id: ClientId::new(galley::demo::REFUSED_CLIENT_ID),
        source: Source::default(),
        pages: None,
    }];

    let (report, _) = run(job).await;

    let fatal = report.fatal().cloned().expect("the run is refused");
    assert_eq!(fatal.kind, galley::engine::FatalKind::Auth);
    assert!(fatal.message.contains("Client-ID was refused"), "{}", fatal.message);
    assert_eq!(server.stats().image_requests, 0);
    assert_eq!(report.summary.downloaded, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_that_cannot_be_created_is_a_destination_error() {
    let server = DemoServer::start(DemoConfig::default(), 0).await.expect("demo server starts");
    let out = tempfile::tempdir().expect("tempdir");
    let blocker = out.path().join("a-file");
    std::fs::write(&blocker, b"not a folder").expect("write");

    let (report, _) = run(demo_job(&server, &blocker.join("inside"), 4)).await;

    let fatal = report.fatal().cloned().expect("the run is refused");
    assert_eq!(fatal.kind, galley::engine::FatalKind::Destination);
    assert!(fatal.message.contains("Cannot create the folder"), "{}", fatal.message);
    assert_eq!(server.stats().image_requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limit_and_pages_bound_what_is_listed() {
    let config = DemoConfig { images: 50, page_size: 10, ..DemoConfig::default() };
    let server = DemoServer::start(config, 0).await.expect("demo server starts");
    let out = tempfile::tempdir().expect("tempdir");
    let mut job = demo_job(&server, out.path(), 4);
    job.limit = Some(7);
    let (limited, _) = run(job).await;
    assert_eq!(limited.summary.listed, 7);
    assert_eq!(limited.summary.downloaded, 7);

    let one_page = tempfile::tempdir().expect("tempdir");
    let mut job = demo_job(&server, one_page.path(), 4);
    job.sources = vec![JobInput::Imgur {
        api_base: server.base_url(),
        client_id: ClientId::new(DEMO_CLIENT_ID),
        source: Source::default(),
        pages: Some(1),
    }];
    let first_page_images: usize = server
        .gallery()
        .page(0)
        .iter()
        .map(|entry| entry.images().iter().filter(|image| image.kind.downloadable()).count())
        .sum();
    let (paged, _) = run(job).await;
    assert_eq!(paged.summary.listed as usize, first_page_images);
    assert!(paged.summary.listed < 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_lists_download_without_the_api() {
    let server = DemoServer::start(DemoConfig { images: 12, ..DemoConfig::default() }, 0).await.expect("demo");
    let base = server.base_url();
    let links: Vec<String> =
        server.gallery().images().map(|image| base.join(&image.link_path()).expect("link").to_string()).collect();
    let out = tempfile::tempdir().expect("tempdir");
    let mut job = Job::new(JobInput::Urls(links), out.path().to_owned());
    job.concurrency = 4;

    let (report, _) = run(job).await;

    assert_eq!(report.summary.downloaded, 12);
    assert_eq!(server.stats().api_requests, 0, "no API call for a link list");
    assert_eq!(names(&files_in(out.path())), expected_names(&server));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_runs_each_level_into_a_scratch_folder_and_reports_its_time() {
    let server = DemoServer::start(DemoConfig { images: 8, ..DemoConfig::default() }, 0).await.expect("demo");
    let out = tempfile::tempdir().expect("tempdir");
    let job = demo_job(&server, out.path(), 1);
    let (events, receiver) = EventSink::channel();
    let collector = tokio::spawn(collect(receiver));

    tokio::time::timeout(RUN_BOUND, galley::engine::compare(10, job, vec![1, 4], events, CancellationToken::new()))
        .await
        .expect("compare ends");
    let events = collector.await.expect("collector");

    let steps: Vec<(usize, u64)> = events
        .iter()
        .filter_map(|event| match event {
            RunEvent::CompareStep { concurrency, saved, seconds } => {
                assert!(*seconds > 0.0);
                Some((*concurrency, *saved))
            }
            _ => None,
        })
        .collect();
    assert_eq!(steps, [(1, 8), (4, 8)], "each level downloads the whole gallery afresh");
    assert!(files_in(out.path()).is_empty(), "the user's folder is untouched");
    let scratch_left = std::fs::read_dir(std::env::temp_dir())
        .expect("temp dir")
        .flatten()
        .filter(|entry| {
            entry.file_name().to_string_lossy().starts_with(&format!("galley-compare-{}-", std::process::id()))
        })
        .count();
    assert_eq!(scratch_left, 0, "scratch folders are removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gallery_post_url_lists_its_album_or_its_single_image() {
    let server = DemoServer::start(DemoConfig { images: 40, ..DemoConfig::default() }, 0).await.expect("demo starts");
    let gallery = server.gallery();
    let album = gallery.albums().find(|album| album.images.len() > 1).expect("the demo has an album");
    let image = gallery
        .entries()
        .iter()
        .find_map(|entry| match entry {
            DemoEntry::Image(image) if image.kind.downloadable() => Some(image.clone()),
            _ => None,
        })
        .expect("the demo has a single-image post");

    for (url, expected) in [
        (format!("https://imgur.com/gallery/a-title-{}", album.id), album.images.len()),
        (format!("imgur.com/gallery/{}", image.id), 1),
    ] {
        let out = tempfile::tempdir().expect("tempdir");
        let mut job = demo_job(&server, out.path(), 8);
        let source: Source = url.parse().expect("a gallery URL parses");
        if let JobInput::Imgur { source: job_source, .. } = &mut job.sources[0] {
            *job_source = source;
        }
        let (report, _) = run(job).await;
        assert_eq!(report.ending, Ending::Done, "{url}");
        assert_eq!(report.summary.downloaded as usize, expected, "{url}");
        assert_eq!(files_in(out.path()).len(), expected, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_concurrency_one_never_more_than_one_download_is_in_flight() {
    let config = DemoConfig { images: 8, latency: Duration::from_millis(20), ..DemoConfig::default() };
    let server = DemoServer::start(config, 0).await.expect("demo server starts");
    let out = tempfile::tempdir().expect("tempdir");
    let (report, events) = run(demo_job(&server, out.path(), 1)).await;
    assert_eq!(report.summary.downloaded, 8);
    // Fold the events as both front ends do: the count never passes the concurrency,
    // even while a body that arrived is still being checked and the next one starts.
    let mut tally = Tally::default();
    let mut most = 0;
    for event in &events {
        tally.apply(event);
        most = most.max(tally.in_flight());
    }
    assert_eq!(most, 1);
    assert_eq!((tally.saved, tally.listed), (8, 8));
}
