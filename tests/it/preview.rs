//! Preview and pick, in the engine, against the demo server on 127.0.0.1: a preview lists
//! a source and shows its pictures from their small variants without fetching a single
//! original or making the folder, and a run of the picked items saves exactly those.

use std::path::Path;
use std::time::Duration;

use galley::demo::{DEMO_CLIENT_ID, DemoConfig, DemoServer};
use galley::engine::{
    ClientId, Ending, EventSink, ImageItem, Job, JobInput, PREVIEW_SIDE, PlannedFile, RunEvent, Source, preview,
    run_job,
};
use tokio_util::sync::CancellationToken;

const BOUND: Duration = Duration::from_secs(120);

fn demo_job(server: &DemoServer, out_dir: &Path) -> Job {
    let input = JobInput::Imgur {
        api_base: server.base_url(),
        client_id: ClientId::new(DEMO_CLIENT_ID),
        source: Source::default(),
        pages: None,
    };
    Job::new(input, out_dir.to_owned())
}

/// What a preview of `job` sent: the items with their planned files, the pictures that
/// came (id, width, height), and how its listing ended.
struct Previewed {
    items: Vec<(PlannedFile, ImageItem)>,
    pictures: Vec<(String, u32, u32)>,
    ending: Ending,
}

async fn run_preview(job: Job) -> Previewed {
    let (events, mut receiver) = EventSink::channel();
    let task = tokio::spawn(preview(7, job, events, CancellationToken::new()));
    let mut previewed = Previewed { items: Vec::new(), pictures: Vec::new(), ending: Ending::Cancelled };
    let collect = async {
        while let Some(event) = receiver.recv().await {
            match event {
                RunEvent::PreviewListed { preview, file, item } => {
                    assert_eq!(preview, 7);
                    previewed.items.push((file, *item));
                }
                RunEvent::PreviewThumbnail { id, result, .. } => {
                    let pixels = result.unwrap_or_else(|error| panic!("no picture for {id}: {error}"));
                    previewed.pictures.push((id, pixels.width, pixels.height));
                }
                RunEvent::PreviewDone { report, .. } => previewed.ending = report.ending,
                other => panic!("a preview sends only preview events, not {other:?}"),
            }
        }
    };
    tokio::time::timeout(BOUND, collect).await.expect("the preview ends in bounded time");
    task.await.expect("the preview task ends");
    previewed
}

#[tokio::test]
async fn a_preview_shows_small_pictures_and_fetches_no_original() {
    let server = DemoServer::start(DemoConfig { images: 24, ..DemoConfig::default() }, 0).await.expect("demo");
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("not-made");

    let previewed = run_preview(demo_job(&server, &folder)).await;

    assert_eq!(previewed.ending, Ending::Done);
    assert_eq!(previewed.items.len(), 24, "every image of the gallery is listed");
    assert_eq!(previewed.pictures.len(), 24, "each has its picture");
    for (id, width, height) in &previewed.pictures {
        assert!(width.max(height) <= &PREVIEW_SIDE && *width > 0 && *height > 0, "{id}: {width}x{height}");
    }
    let stats = server.stats();
    assert_eq!(stats.image_requests, 0, "no original was downloaded");
    assert_eq!(stats.small_requests, 24, "the small variants were");
    assert!(!folder.exists(), "a preview makes no folder");
    assert!(previewed.items.iter().all(|(file, _)| !file.present));
}

#[tokio::test]
async fn a_run_of_the_picked_items_saves_exactly_those_and_a_new_preview_marks_them_present() {
    let server = DemoServer::start(DemoConfig { images: 20, ..DemoConfig::default() }, 0).await.expect("demo");
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("pictures");
    let previewed = run_preview(demo_job(&server, &folder)).await;
    let picked: Vec<ImageItem> = previewed.items.iter().step_by(6).map(|(_, item)| item.clone()).collect();
    let names: Vec<String> =
        previewed.items.iter().step_by(6).map(|(file, _)| file.file.display().to_string()).collect();
    assert_eq!(picked.len(), 4);

    let job = Job::queue(vec![JobInput::Items { label: "hot/viral/day".into(), items: picked }], folder.clone());
    let (events, mut receiver) = EventSink::channel();
    let drain = tokio::spawn(async move { while receiver.recv().await.is_some() {} });
    let report = tokio::time::timeout(BOUND, run_job(1, job, events, CancellationToken::new())).await.expect("bound");
    drain.await.expect("drain");

    assert_eq!(report.ending, Ending::Done);
    assert_eq!(report.summary.downloaded, 4);
    let mut saved: Vec<String> = std::fs::read_dir(&folder)
        .expect("folder")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    saved.sort();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(saved, expected, "exactly the picked images, under the names the preview said");
    assert_eq!(server.stats().image_requests, 4);

    let again = run_preview(demo_job(&server, &folder)).await;
    let present: Vec<String> =
        again.items.iter().filter(|(file, _)| file.present).map(|(file, _)| file.file.display().to_string()).collect();
    assert_eq!(present.len(), 4, "the saved ones are marked as in the folder: {present:?}");
    assert!(present.iter().all(|name| names.contains(name)));
}

#[tokio::test]
async fn a_source_keeps_its_own_limit_within_the_jobs() {
    let server = DemoServer::start(DemoConfig { images: 30, ..DemoConfig::default() }, 0).await.expect("demo");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut job = demo_job(&server, dir.path());
    job.source_limits = vec![Some(3)];
    assert_eq!(run_preview(job.clone()).await.items.len(), 3, "the source's own limit");
    job.limit = Some(2);
    assert_eq!(run_preview(job).await.items.len(), 2, "the job's, when smaller");
}
