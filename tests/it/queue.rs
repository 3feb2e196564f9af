//! Several sources in one run (a queue), against the demo server on 127.0.0.1: listed in
//! order, downloaded from one shared pool, a source that fails failing alone, and the
//! command line's SOURCE arguments, repeated `--source` and mixed `--urls` files.

use crate::support as common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use galley::demo::{DEMO_CLIENT_ID, DemoConfig, DemoServer};
use galley::engine::{ClientId, Ending, Job, JobInput, RunEvent, RunOptions, Source, SourceStage, Tally};
use tokio_util::sync::CancellationToken;

const RUN_BOUND: Duration = Duration::from_secs(120);

fn imgur(server: &DemoServer, source: Source) -> JobInput {
    JobInput::Imgur { api_base: server.base_url(), client_id: ClientId::new(DEMO_CLIENT_ID), source, pages: None }
}

/// The demo's albums' ids, and how many images a default fetch saves of each.
fn albums(server: &DemoServer) -> Vec<(String, usize)> {
    let gallery = server.gallery();
    gallery
        .albums()
        .map(|album| (album.id.clone(), album.images.iter().filter(|image| image.kind.downloadable()).count()))
        .collect()
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|entries| entries.count()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sources_are_listed_in_order_and_share_one_pool_of_downloads() {
    let config = DemoConfig { images: 30, latency: Duration::from_millis(20), ..DemoConfig::default() };
    let server = DemoServer::start(config, 0).await.expect("demo server");
    let albums = albums(&server);
    assert!(albums.len() >= 2, "the demo has albums");
    let out = tempfile::tempdir().expect("tempdir");
    let sources = vec![
        imgur(&server, Source::Album { id: albums[0].0.clone() }),
        imgur(&server, Source::Album { id: "nOsUcHa".into() }),
        imgur(&server, Source::Album { id: albums[1].0.clone() }),
    ];
    let mut job = Job::queue(sources, out.path().to_owned());
    job.concurrency = 2;

    let (report, events) =
        common::run_collecting(job, RunOptions::default(), CancellationToken::new(), RUN_BOUND).await;

    assert_eq!(report.ending, Ending::Done, "one source failing does not stop the others");
    let expected = (albums[0].1 + albums[1].1) as u64;
    assert_eq!((report.summary.listed, report.summary.downloaded), (expected, expected));
    let [first, missing, last] = report.sources.as_slice() else { panic!("three sources: {:?}", report.sources) };
    assert_eq!((first.stage.clone(), first.downloaded), (SourceStage::Done, albums[0].1 as u64));
    assert_eq!((last.stage.clone(), last.downloaded), (SourceStage::Done, albums[1].1 as u64));
    let error = missing.error().expect("the missing album failed");
    assert_eq!(error.kind, galley::engine::FatalKind::NotFound);
    assert_eq!(missing.label, "album/nOsUcHa");

    // One pool: never more than `concurrency` bodies arriving at once, whatever the source.
    let mut tally = Tally::default();
    let mut most = 0;
    for event in &events {
        tally.apply(event);
        most = most.max(tally.in_flight());
    }
    assert!((1..=2).contains(&most), "{most} downloads at once");
    // In order: the second album's listing starts after the first one's ends.
    let listing = |wanted: usize| {
        events.iter().position(
            |event| matches!(event, RunEvent::Source { index, report, .. } if *index == wanted && report.stage == SourceStage::Listing),
        )
    };
    let first_listed = events
        .iter()
        .position(|event| matches!(event, RunEvent::Source { index: 0, report, .. } if report.listing_done));
    assert!(first_listed < listing(2), "listed one after another");
    assert_eq!(files_in(out.path()), expected as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_counts_across_the_sources() {
    let server = DemoServer::start(DemoConfig { images: 20, ..DemoConfig::default() }, 0).await.expect("demo server");
    let albums = albums(&server);
    let out = tempfile::tempdir().expect("tempdir");
    let sources = vec![imgur(&server, Source::Album { id: albums[0].0.clone() }), imgur(&server, Source::default())];
    let mut job = Job::queue(sources, out.path().to_owned());
    job.limit = Some(albums[0].1 + 3);

    let (report, _) = common::run_collecting(job, RunOptions::default(), CancellationToken::new(), RUN_BOUND).await;

    assert_eq!(report.summary.downloaded as usize, albums[0].1 + 3);
    assert_eq!(report.sources[1].downloaded, 3);
}

fn galley() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_galley"));
    command.env_remove("IMGUR_CLIENT_ID").env("RUST_LOG", "warn").stdin(Stdio::null());
    command
}

fn json_summary(output: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line =
        stdout.lines().last().unwrap_or_else(|| panic!("no summary: {}", String::from_utf8_lossy(&output.stderr)));
    serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"))
}

/// `galley fetch` against `server`, into `out`, with a JSON summary and no archive.
fn fetch(server: &DemoServer, out: &Path) -> Command {
    let mut command = galley();
    command
        .args(["fetch", "--json", "--no-archive", "--client-id", "demo", "--api-base", server.base_url().as_str()])
        .arg("--out")
        .arg(out);
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_takes_sources_as_arguments_and_repeated_options_with_a_breakdown() {
    let server = DemoServer::start(DemoConfig::default(), 0).await.expect("demo server");
    let albums = albums(&server);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let first = format!("https://imgur.com/a/{}", albums[0].0);
    let second = format!("album/{}", albums[1].0);

    let mut command = fetch(&server, &out);
    command.args([first.as_str(), "album/gOnEaWy", "--source", &second]);
    let output = tokio::task::spawn_blocking(move || command.output().expect("galley runs")).await.expect("ran");

    assert_eq!(
        output.status.code(),
        Some(1),
        "a failed source is a failure: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = json_summary(&output);
    let expected = albums[0].1 + albums[1].1;
    assert_eq!(summary["downloaded"], expected as u64);
    let sources = summary["sources"].as_array().expect("a per-source breakdown");
    let labels: Vec<&str> = sources.iter().map(|source| source["source"].as_str().unwrap_or("")).collect();
    assert_eq!(labels, [format!("album/{}", albums[0].0).as_str(), "album/gOnEaWy", second.as_str()]);
    assert_eq!(sources[0]["downloaded"], albums[0].1 as u64);
    assert_eq!(sources[0]["error"], serde_json::Value::Null);
    assert!(sources[1]["error"].as_str().is_some_and(|error| error.contains("no such")), "{}", sources[1]);
    assert_eq!(sources[2]["listed"], albums[1].1 as u64);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("could not list album/gOnEaWy"), "{stderr}");
    assert_eq!(files_in(&out), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_list_mixes_imgur_pages_listed_by_the_api_with_direct_links() {
    let server = DemoServer::start(DemoConfig { images: 20, ..DemoConfig::default() }, 0).await.expect("demo server");
    let albums = albums(&server);
    let album_ids: Vec<String> =
        server.gallery().albums().flat_map(|album| album.images.iter().map(|image| image.id.clone())).collect();
    let singles: Vec<String> = server
        .gallery()
        .images()
        .filter(|image| !album_ids.contains(&image.id))
        .take(3)
        .map(|image| format!("{}{}", server.base_url(), image.link_path().trim_start_matches('/')))
        .collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let list = dir.path().join("links.txt");
    let lines =
        [singles[0].clone(), format!("https://imgur.com/a/{}", albums[0].0), singles[1].clone(), singles[2].clone()];
    std::fs::write(&list, lines.join("\n")).expect("write the list");
    let out = dir.path().join("out");

    let mut command = fetch(&server, &out);
    command.arg("--urls").arg(&list);
    let output = tokio::task::spawn_blocking(move || command.output().expect("galley runs")).await.expect("ran");

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary = json_summary(&output);
    assert_eq!(summary["downloaded"], (3 + albums[0].1) as u64);
    let sources = summary["sources"].as_array().expect("breakdown");
    let labels: Vec<&str> = sources.iter().map(|source| source["source"].as_str().unwrap_or("")).collect();
    let album = format!("album/{}", albums[0].0);
    assert_eq!(labels, ["1 links", album.as_str(), "2 links"], "in the file's order");
    assert_eq!(files_in(&out), 3 + albums[0].1);

    // Without a Client-ID, the page link cannot be listed: said before anything is fetched.
    let mut command = galley();
    command.args(["fetch", "--json", "--no-archive", "--urls"]).arg(&list).arg("--out").arg(dir.path().join("none"));
    let output = tokio::task::spawn_blocking(move || command.output().expect("galley runs")).await.expect("ran");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no Client-ID"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
