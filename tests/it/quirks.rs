//! The real Imgur API's habits, each served by the demo server (`DemoQuirks`) and met the
//! way a user needs: albums listed in part are fetched whole, a big GIF's thumbnail link
//! is never saved, deleted images are counted as deleted, "over capacity" is waited out
//! with a line saying so, a quota near its end stops the run cleanly (and a later run
//! goes on where it stopped), and a region Imgur refuses is said as such.

use crate::support as common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use galley::demo::{DEMO_CLIENT_ID, DemoConfig, DemoKind, DemoQuirks, DemoServer};
use galley::engine::{ClientId, Ending, FatalKind, Job, JobInput, RunEvent, RunOptions, RunReport, Source};
use tokio_util::sync::CancellationToken;

const RUN_BOUND: Duration = Duration::from_secs(120);

async fn serve(images: usize, quirks: DemoQuirks) -> DemoServer {
    DemoServer::start(DemoConfig { images, quirks, ..DemoConfig::default() }, 0).await.expect("demo server")
}

fn job(server: &DemoServer, out: &Path) -> Job {
    let input = JobInput::Imgur {
        api_base: server.base_url(),
        client_id: ClientId::new(DEMO_CLIENT_ID),
        source: Source::default(),
        pages: None,
    };
    Job::new(input, out.to_owned())
}

async fn run(job: Job) -> (RunReport, Vec<RunEvent>) {
    common::run_collecting(job, RunOptions::default(), CancellationToken::new(), RUN_BOUND).await
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|entries| entries.count()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_album_listed_in_part_is_fetched_whole() {
    let server = serve(40, DemoQuirks { partial_albums: true, ..DemoQuirks::default() }).await;
    assert!(server.gallery().albums().any(|album| album.inline_images && album.images.len() > 1));
    let out = tempfile::tempdir().expect("tempdir");

    let (report, _) = run(job(&server, out.path())).await;

    assert_eq!(report.ending, Ending::Done);
    assert_eq!(report.summary.downloaded, 40, "every member of every album");
    assert_eq!(files_in(out.path()), 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_gif_is_saved_from_its_original_never_its_thumbnail() {
    let server = serve(60, DemoQuirks { big_gifs: true, ..DemoQuirks::default() }).await;
    let animated: Vec<String> = server
        .gallery()
        .media()
        .filter(|image| image.kind == DemoKind::AnimatedGif)
        .map(|image| image.id.clone())
        .collect();
    assert!(!animated.is_empty(), "the demo has animated GIFs");

    // By default: the original GIF, as the seed script saved it.
    let out = tempfile::tempdir().expect("tempdir");
    let (report, _) = run(job(&server, out.path())).await;
    assert_eq!(report.ending, Ending::Done);
    for id in &animated {
        let saved = std::fs::read(out.path().join(format!("{id}.gif"))).expect("the original GIF is saved");
        assert!(saved.starts_with(b"GIF8"), "{id}.gif is a GIF");
    }

    // Animated GIFs as MP4: the mp4, never the 'h' thumbnail either.
    let out = tempfile::tempdir().expect("tempdir");
    let mut wanted = job(&server, out.path());
    wanted.moving.gifs_as_mp4 = true;
    let (report, events) = run(wanted).await;
    assert_eq!(report.ending, Ending::Done);
    let videos = events.iter().filter(|event| matches!(event, RunEvent::Video { .. })).count();
    assert!(videos >= animated.len(), "each big GIF saved as its mp4: {videos} of {}", animated.len());
    assert_eq!(server.stats().thumbnail_requests, 0, "no 'h' thumbnail was fetched");
}

/// `galley fetch` against `server` into `out`, with a JSON summary and no archive.
fn fetch(server: &DemoServer, out: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_galley"));
    command
        .env_remove("IMGUR_CLIENT_ID")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .args(["fetch", "--json", "--no-archive", "--client-id", "demo", "--api-base", server.base_url().as_str()])
        .arg("--out")
        .arg(out);
    command
}

async fn output_of(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("galley runs")).await.expect("ran")
}

fn summary(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line =
        stdout.lines().last().unwrap_or_else(|| panic!("no summary: {}", String::from_utf8_lossy(&output.stderr)));
    serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_images_are_counted_as_deleted_and_not_saved() {
    let server = serve(12, DemoQuirks { deleted: 3, ..DemoQuirks::default() }).await;
    let deleted: Vec<String> = server.gallery().images().take(3).map(|image| image.id.clone()).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");

    let output = output_of(fetch(&server, &out)).await;

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary = summary(&output);
    assert_eq!((summary["downloaded"].as_u64(), summary["skipped"].as_u64()), (Some(9), Some(3)));
    assert_eq!(summary["deleted"], 3);
    assert_eq!(summary["sources"][0]["deleted"], 3);
    let saved: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .flatten()
        .map(|entry| entry.path().file_stem().unwrap_or_default().to_string_lossy().into_owned())
        .collect();
    assert_eq!(saved.len(), 9);
    assert!(deleted.iter().all(|id| !saved.contains(id)), "no removed.png saved in their place");
    assert!(String::from_utf8_lossy(&output.stderr).contains("deleted on Imgur"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_capacity_is_waited_out_with_a_line_saying_so() {
    let server = serve(6, DemoQuirks { over_capacity: 2, ..DemoQuirks::default() }).await;
    let dir = tempfile::tempdir().expect("tempdir");

    let output = output_of(fetch(&server, &dir.path().join("out"))).await;

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(summary(&output)["downloaded"], 6);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("Imgur is over capacity (HTTP 403): waiting"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_near_its_end_stops_cleanly_and_a_later_run_goes_on_without_refetching() {
    // Sixty albums of one image each, every one its own API request.
    let config = |quirks| DemoConfig { images: 60, album_size: Some(1), quirks, ..DemoConfig::default() };
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, archive) = (dir.path().join("out"), dir.path().join("archive.sqlite"));
    let low = DemoServer::start(config(DemoQuirks { user_quota: 30, ..DemoQuirks::default() }), 0).await.expect("demo");
    let mut first = job(&low, &out);
    first.concurrency = 4;
    first.archive = Some(archive.clone());

    let (stopped, _) = run(first).await;

    let fatal = stopped.fatal().cloned().expect("stopped by the quota");
    assert_eq!(fatal.kind, FatalKind::Quota);
    assert!(fatal.message.contains("hourly request quota") && fatal.message.contains("resets at"), "{fatal}");
    let saved = stopped.summary.downloaded;
    assert!(saved > 0 && saved < 60, "{saved} saved before stopping");
    assert_eq!(stopped.summary.failed, 0, "nothing half-done");
    assert!(low.stats().api_requests < 30, "stopped before running out: {}", low.stats().api_requests);
    assert_eq!(files_in(&out) as u64, saved);

    // An hour later (a fresh quota): what was saved is skipped without a request for it.
    let fresh = DemoServer::start(config(DemoQuirks::default()), 0).await.expect("demo");
    let mut again = job(&fresh, &out);
    again.archive = Some(archive);
    let (resumed, _) = run(again).await;
    assert_eq!(resumed.ending, Ending::Done);
    assert_eq!((resumed.summary.skipped, resumed.summary.downloaded), (saved, 60 - saved));
    assert_eq!(fresh.stats().image_requests, 60 - saved, "nothing saved is fetched again");
    assert_eq!(files_in(&out), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_imgur_refuses_is_said_as_such() {
    let server = serve(4, DemoQuirks { region_blocked: true, ..DemoQuirks::default() }).await;
    let out = tempfile::tempdir().expect("tempdir");

    let (report, _) = run(job(&server, out.path())).await;

    let fatal = report.fatal().cloned().expect("refused");
    assert_eq!(fatal.kind, FatalKind::Region);
    assert!(fatal.message.contains("not available where you are"), "{}", fatal.message);
    assert!(!fatal.message.contains("HTTP"), "the status is the detail, not the message: {}", fatal.message);
    assert!(fatal.detail.contains("451"));
    assert_eq!(server.stats().image_requests, 0);
}
