//! File names from a template, album subfolders and metadata beside each image, against
//! the demo server on 127.0.0.1: every name sanitized and inside the folder, two items
//! that would share a name told apart, and a second run with the same template skipping
//! what the first saved.

use crate::support as common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use galley::demo::{DEMO_CLIENT_ID, DemoConfig, DemoServer};
use galley::engine::{ClientId, Ending, Job, JobInput, RunOptions, RunReport, Source};
use tokio_util::sync::CancellationToken;

const RUN_BOUND: Duration = Duration::from_secs(120);

fn job(server: &DemoServer, out: &Path, archive: &Path, template: &str) -> Job {
    let input = JobInput::Imgur {
        api_base: server.base_url(),
        client_id: ClientId::new(DEMO_CLIENT_ID),
        source: Source::default(),
        pages: None,
    };
    let mut job = Job::new(input, out.to_owned());
    job.naming = template.parse().expect("a template");
    job.archive = Some(archive.to_owned());
    job.concurrency = 8;
    job
}

async fn run(job: Job) -> RunReport {
    let (report, _) = common::run_collecting(job, RunOptions::default(), CancellationToken::new(), RUN_BOUND).await;
    assert_eq!(report.ending, Ending::Done, "{report:?}");
    report
}

/// Every file under `dir`, one level of subfolders included, as paths inside it.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).expect("readable").flatten().map(|file| file.path()));
        } else {
            files.push(path);
        }
    }
    files.into_iter().map(|path| path.strip_prefix(dir).expect("inside").to_owned()).collect()
}

/// What the demo's sanitizer-free title would become: the test's own copy of the rule
/// (letters, digits, - and _ kept, every other run one `_`).
fn cleaned(text: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c);
        } else {
            gap = true;
        }
    }
    out.trim_matches(['_', '-']).to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn albums_get_folders_files_get_template_names_and_metadata_and_a_rerun_skips_them() {
    let server = DemoServer::start(DemoConfig { images: 24, ..DemoConfig::default() }, 0).await.expect("demo server");
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, archive) = (dir.path().join("out"), dir.path().join("archive.sqlite"));
    let mut first = job(&server, &out, &archive, "{num}-{title}.{ext}");
    first.album_folders = true;
    first.write_metadata = true;

    let report = run(first.clone()).await;

    assert_eq!(report.summary.downloaded, 24);
    let files: HashSet<PathBuf> = files_under(&out).into_iter().collect();
    let images: Vec<&PathBuf> = files.iter().filter(|path| path.extension().is_none_or(|ext| ext != "json")).collect();
    assert_eq!(images.len(), 24, "{files:?}");
    for album in server.gallery().albums() {
        let folder = PathBuf::from(cleaned(&album.title));
        let saved = album.images.iter().filter(|image| image.kind.downloadable());
        for (index, image) in saved.enumerate() {
            let count = album.images.iter().filter(|image| image.kind.downloadable()).count();
            assert!(count < 100);
            let name = format!("{:02}-{}.{}", index + 1, cleaned(&image.title), image.kind.extension());
            let path = folder.join(&name);
            assert!(files.contains(&path), "{} in {files:?}", path.display());
            let sidecar = out.join(format!("{}.json", path.display()));
            let said: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&sidecar).expect("metadata beside the image")).expect("JSON");
            assert_eq!(said["id"], image.id.as_str());
            assert_eq!(said["title"], image.title.as_str());
            assert_eq!(said["album_title"], album.title.as_str());
        }
    }
    let loose = files.iter().filter(|path| path.parent() == Some(Path::new(""))).count();
    assert!(loose > 0, "images in no album stay in the folder itself");
    assert!(files.iter().all(|path| !path.to_string_lossy().contains(".galley-")), "no temporary file left");

    let again = run(first).await;
    assert_eq!((again.summary.downloaded, again.summary.skipped), (0, 24), "the same template skips");
    assert_eq!(files_under(&out).len(), files.len(), "nothing new written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_that_would_share_a_name_are_told_apart_and_skipped_on_a_rerun() {
    let server = DemoServer::start(DemoConfig { images: 30, ..DemoConfig::default() }, 0).await.expect("demo server");
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, archive) = (dir.path().join("out"), dir.path().join("archive.sqlite"));
    // The demo has six accounts: thirty images share six names.
    let first = job(&server, &out, &archive, "{account}.{ext}");

    let report = run(first.clone()).await;

    assert_eq!(report.summary.downloaded, 30);
    let files = files_under(&out);
    assert_eq!(files.len(), 30, "one file each: {files:?}");
    assert!(files.iter().any(|path| path.to_string_lossy().contains("-2.")), "numbered apart: {files:?}");

    let again = run(first).await;
    assert_eq!((again.summary.downloaded, again.summary.skipped), (0, 30));
    assert_eq!(files_under(&out).len(), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_template_names_files_by_id_as_always() {
    let server = DemoServer::start(DemoConfig { images: 6, ..DemoConfig::default() }, 0).await.expect("demo server");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    run(job(&server, &out, &dir.path().join("archive.sqlite"), "{id}.{ext}")).await;
    let mut names: Vec<String> = files_under(&out).iter().map(|path| path.display().to_string()).collect();
    let mut expected: Vec<String> =
        server.gallery().images().map(|image| format!("{}.{}", image.id, image.kind.extension())).collect();
    names.sort();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn fetch_takes_a_file_name_template_album_folders_and_metadata() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_galley"))
        .args([
            "fetch",
            "--demo",
            "--demo-images",
            "12",
            "--no-archive",
            "--json",
            "--album-folders",
            "--write-metadata",
        ])
        .args(["--filename", "{album_title}-{num}.{ext}", "--out"])
        .arg(&out)
        .env("RUST_LOG", "warn")
        .output()
        .expect("galley runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let files = files_under(&out);
    let images = files.iter().filter(|path| path.extension().is_some_and(|ext| ext != "json")).count();
    let sidecars = files.iter().filter(|path| path.extension().is_some_and(|ext| ext == "json")).count();
    assert_eq!((images, sidecars), (12, 12), "{files:?}");
    assert!(files.iter().any(|path| path.components().count() == 2), "an album folder: {files:?}");

    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_galley"))
        .args(["fetch", "--demo", "--filename", "{nope}.{ext}"])
        .output()
        .expect("galley runs");
    assert_eq!(refused.status.code(), Some(2));
}
