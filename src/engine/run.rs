//! One run, start to finish: check the folder, list the gallery, download many images at
//! once, count what happened, record it.
//!
//! Concurrency: the lister runs as its own task and feeds items through a bounded channel,
//! so downloads start while later pages are still being listed. Each download task holds
//! one semaphore permit while its body arrives, which bounds how many are in flight; it
//! then trades it for a place among the bodies being checked (a second semaphore of the
//! same size), so decoding never holds up the next request. The run waits for the last
//! task before it reports `Finished`. Cancellation is one token raced against every task.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::download::{Disk, Downloader, LocalDisk, Outcome};
use super::error::{ApiError, EngineError, describe_reqwest};
use super::events::EventSink;
use super::imgur::{ImageItem, ImgurClient, Listed};
use super::naming;
use super::types::{CONCURRENCY_RANGE, Event, Fatal, FatalKind, Job, JobInput, RunId, Summary, images_per_second};
use super::workers::Workers;
use crate::archive::Archive;

/// Connection and read timeouts of the HTTP client.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// Longest silence while waiting for a response or the next part of a body.
    pub read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { connect: Duration::from_secs(10), read: Duration::from_secs(30) }
    }
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub summary: Summary,
    pub cancelled: bool,
    pub fatal: Option<Fatal>,
}

/// Knobs a front end rarely touches; tests use them to inject faults.
#[derive(Clone)]
pub struct RunOptions {
    pub timeouts: Timeouts,
    pub disk: Arc<dyn Disk>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self { timeouts: Timeouts::default(), disk: Arc::new(LocalDisk) }
    }
}

/// The one pooled HTTP client of a run: rustls, timeouts, and redirects limited to five
/// hops over http(s) only.
pub fn http_client(timeouts: Timeouts, pool_size: usize) -> Result<reqwest::Client, EngineError> {
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 5 {
            attempt.error("too many redirects")
        } else if !matches!(attempt.url().scheme(), "http" | "https") {
            attempt.error("redirect to a scheme other than http(s)")
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .user_agent(concat!("galley/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .pool_max_idle_per_host(pool_size)
        .tcp_nodelay(true)
        .redirect(redirects)
        .build()
        .map_err(|error| EngineError::Http(describe_reqwest(&error)))
}

/// Runs `job` to the end and reports `Finished`. The front end's handle on it is `cancel`.
pub async fn run_job(run: RunId, job: Job, events: EventSink, cancel: CancellationToken) -> RunReport {
    run_job_with(run, job, events, cancel, RunOptions::default()).await
}

/// `run_job` with explicit options.
pub async fn run_job_with(
    run: RunId,
    job: Job,
    events: EventSink,
    cancel: CancellationToken,
    options: RunOptions,
) -> RunReport {
    let started = Instant::now();
    let concurrency = job.concurrency.clamp(*CONCURRENCY_RANGE.start(), *CONCURRENCY_RANGE.end());
    let mut summary = Summary { concurrency: concurrency as u64, ..Summary::default() };
    let outcome = execute(run, &job, concurrency, &events, &cancel, &options, &mut summary, started).await;
    summary.seconds = started.elapsed().as_secs_f64();
    summary.images_per_second = images_per_second(summary.downloaded, summary.seconds);
    let (archive, fatal) = match outcome {
        Ok(archive) => (archive, None),
        Err((archive, fatal)) => (archive, Some(fatal)),
    };
    if let Some((archive, number)) = archive {
        let summary = summary.clone();
        let _ = tokio::task::spawn_blocking(move || {
            if let Ok(archive) = archive.lock()
                && let Err(error) = archive.finish_run(number, &summary)
            {
                tracing::warn!("could not record the run: {error}");
            }
        })
        .await;
    }
    let report = RunReport { summary, cancelled: cancel.is_cancelled(), fatal };
    events
        .send(Event::Finished {
            run,
            summary: report.summary.clone(),
            cancelled: report.cancelled,
            fatal: report.fatal.clone(),
        })
        .await;
    report
}

type OpenArchive = Option<(Arc<Mutex<Archive>>, i64)>;

#[allow(clippy::too_many_arguments)]
async fn execute(
    run: RunId,
    job: &Job,
    concurrency: usize,
    events: &EventSink,
    cancel: &CancellationToken,
    options: &RunOptions,
    summary: &mut Summary,
    started: Instant,
) -> Result<OpenArchive, (OpenArchive, Fatal)> {
    let no_archive = |fatal| (None, fatal);
    let existing = prepare_folder(&job.out_dir).await.map_err(no_archive)?;
    let archive = open_archive(job, concurrency).await.map_err(no_archive)?;
    let http = http_client(options.timeouts, concurrency)
        .map_err(|error| (archive.clone(), Fatal { kind: FatalKind::Usage, message: error.to_string() }))?;

    let workers = Workers::per_core("store").map_err(|error| {
        let message = format!("cannot start the worker threads: {error}");
        (archive.clone(), Fatal { kind: FatalKind::Usage, message })
    })?;

    // `concurrency` requests at once to each of Imgur's two hosts: downloads to the image
    // host, the listing's requests to the API. Apart, so finding work never queues
    // behind the downloads it feeds (the next page or album is on the critical path).
    let permits = Arc::new(Semaphore::new(concurrency));
    let api_requests = Arc::new(Semaphore::new(concurrency));
    let (items_tx, mut items_rx) = mpsc::channel::<ImageItem>(1024);
    let lister =
        tokio::spawn(list(run, job.clone(), http.clone(), events.clone(), cancel.clone(), api_requests, items_tx));

    let mut downloader = Downloader::new(
        http,
        job.out_dir.clone(),
        job.max_image_bytes,
        job.thumbnails,
        run,
        events.clone(),
        options.disk.clone(),
        workers,
    );
    downloader.archive = archive.as_ref().map(|(archive, _)| archive.clone());
    downloader.archive_run = archive.as_ref().map(|(_, number)| *number);
    downloader.source_label = job.label.clone();
    downloader.existing = existing;
    let downloader = Arc::new(downloader);

    let checks = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    let mut disk_full = None;
    // Hand out items while listing goes on; collect finished downloads as they come.
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                tally(done, summary, &mut disk_full, cancel);
            }
            item = items_rx.recv() => {
                let Some(item) = item else { break };
                summary.listed += 1;
                let permit = tokio::select! {
                    _ = cancel.cancelled() => break,
                    permit = permits.clone().acquire_owned() => permit,
                };
                let Ok(permit) = permit else { break };
                let (downloader, cancel, checks) = (downloader.clone(), cancel.clone(), checks.clone());
                tasks.spawn(async move {
                    tokio::select! {
                        _ = cancel.cancelled() => None,
                        outcome = downloader.fetch(item, permit, &checks) => Some(outcome),
                    }
                });
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        tally(done, summary, &mut disk_full, cancel);
    }
    drop(items_rx);
    let listing = match lister.await {
        Ok(listing) => listing,
        Err(error) => {
            tracing::error!("run {run}: the listing task panicked: {error}");
            Err(ApiError::Internal(error.to_string()))
        }
    };
    if let Ok(listed) = &listing {
        summary.failed += listed.failed_entries;
    }
    tracing::debug!("run {run}: {} listed in {:?}", summary.listed, started.elapsed());

    if let Some(message) = disk_full {
        let message = format!("the disk holding {} is full: {message}", job.out_dir.display());
        return Err((archive, Fatal { kind: FatalKind::Destination, message }));
    }
    match listing {
        Err(ApiError::Cancelled) | Ok(_) => Ok(archive),
        Err(error) => Err((archive, error.to_fatal())),
    }
}

fn tally(
    done: Result<Option<Outcome>, tokio::task::JoinError>,
    summary: &mut Summary,
    disk_full: &mut Option<String>,
    cancel: &CancellationToken,
) {
    match done {
        Ok(Some(Outcome::Saved { bytes })) => {
            summary.downloaded += 1;
            summary.bytes += bytes;
        }
        Ok(Some(Outcome::Skipped)) => summary.skipped += 1,
        Ok(Some(Outcome::Failed)) => summary.failed += 1,
        Ok(Some(Outcome::DiskFull(message))) => {
            summary.failed += 1;
            disk_full.get_or_insert(message);
            cancel.cancel();
        }
        Ok(None) => {}
        Err(error) => {
            tracing::error!("a download task panicked: {error}");
            summary.failed += 1;
        }
    }
}

/// Lists the job's items into `items`.
async fn list(
    run: RunId,
    job: Job,
    http: reqwest::Client,
    events: EventSink,
    cancel: CancellationToken,
    budget: Arc<Semaphore>,
    items: mpsc::Sender<ImageItem>,
) -> Result<Listed, ApiError> {
    let listed = match job.input {
        JobInput::Imgur { api_base, client_id, source, pages } => {
            let client = ImgurClient::new(http, api_base, client_id, run, events.clone(), cancel, budget);
            client.list(&source, pages, job.limit, job.include_animated, items).await?
        }
        JobInput::Urls(links) => {
            Listed { sent: list_links(run, links, job.limit, &events, items).await, failed_entries: 0 }
        }
    };
    events.send(Event::ListingDone { run, total: listed.sent }).await;
    Ok(listed)
}

async fn list_links(
    run: RunId,
    links: Vec<String>,
    limit: Option<usize>,
    events: &EventSink,
    items: mpsc::Sender<ImageItem>,
) -> u64 {
    let mut sent = 0;
    let mut seen = std::collections::HashSet::new();
    for link in links.into_iter().take(limit.unwrap_or(usize::MAX)) {
        let (id, claimed) = match url::Url::parse(link.trim()) {
            Ok(url) => naming::stem_for_link(&url),
            Err(_) => (link.trim().to_owned(), None),
        };
        // Two links may end in the same name (`a/1.jpg`, `b/1.jpg`): the second gets a
        // name of its own; only the very same link twice is dropped.
        let id = if seen.contains(&id) { naming::disambiguated(&id, link.trim()) } else { id };
        if !seen.insert(id.clone()) {
            continue;
        }
        sent += 1;
        events.send(Event::Listed { run, id: id.clone(), total: sent }).await;
        if items.send(ImageItem { id, link, claimed, size: None }).await.is_err() {
            break;
        }
    }
    sent
}

/// Creates the folder, proves it writable, removes temporary files that crashed galley
/// processes left behind, and returns the names of the files in it.
async fn prepare_folder(dir: &Path) -> Result<HashSet<OsString>, Fatal> {
    let dir = dir.to_owned();
    let checked = tokio::task::spawn_blocking(move || -> Result<HashSet<OsString>, String> {
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))?;
        let probe = naming::temp_path(&dir, "write-check", u64::MAX);
        std::fs::File::create(&probe)
            .and_then(|_| std::fs::remove_file(&probe))
            .map_err(|e| format!("the folder {} is not writable: {e}", dir.display()))?;
        remove_orphans(&dir);
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot list the folder {}: {e}", dir.display()))?;
        Ok(entries.flatten().map(|entry| entry.file_name()).collect())
    })
    .await;
    match checked {
        Ok(Ok(names)) => Ok(names),
        Ok(Err(message)) => Err(Fatal { kind: FatalKind::Destination, message }),
        Err(error) => Err(Fatal { kind: FatalKind::Destination, message: error.to_string() }),
    }
}

/// Deletes `.galley-<pid>-*.part` files whose process is gone. Files of a live process
/// (another galley downloading into the same folder) are left alone.
pub fn remove_orphans(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name.to_str().and_then(naming::temp_owner) else { continue };
        if owner != std::process::id() && !process_alive(owner) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(not(target_os = "linux"))]
fn process_alive(_pid: u32) -> bool {
    // Without a cheap portable check, assume alive: a stray hidden file is better than
    // deleting another process's work.
    true
}

async fn open_archive(job: &Job, concurrency: usize) -> Result<OpenArchive, Fatal> {
    let Some(path) = job.archive.clone() else { return Ok(None) };
    let (label, out_dir) = (job.label.clone(), job.out_dir.clone());
    let opened = tokio::task::spawn_blocking(move || -> Result<(Archive, i64), String> {
        let archive = Archive::open(&path).map_err(|e| e.to_string())?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
        let out_dir = std::fs::canonicalize(&out_dir).unwrap_or(out_dir);
        let number = archive.begin_run(now, &label, &out_dir, concurrency).map_err(|e| e.to_string())?;
        Ok((archive, number))
    })
    .await;
    match opened {
        Ok(Ok((archive, number))) => Ok(Some((Arc::new(Mutex::new(archive)), number))),
        Ok(Err(message)) => Err(Fatal { kind: FatalKind::Archive, message }),
        Err(error) => Err(Fatal { kind: FatalKind::Archive, message: error.to_string() }),
    }
}

/// Runs `job` once per concurrency level, each into a fresh scratch folder that is removed
/// afterwards, and reports each level's time.
pub async fn compare(first_run: RunId, job: Job, levels: Vec<usize>, events: EventSink, cancel: CancellationToken) {
    for (offset, level) in levels.into_iter().enumerate() {
        if cancel.is_cancelled() {
            break;
        }
        let scratch = scratch_folder(first_run + offset as RunId);
        let mut step = job.clone();
        step.out_dir = scratch.clone();
        step.concurrency = level;
        step.label = format!("{} (compare)", job.label);
        let report = run_job(first_run + offset as RunId, step, events.clone(), cancel.clone()).await;
        let _ = tokio::fs::remove_dir_all(&scratch).await;
        if report.fatal.is_some() || report.cancelled {
            break;
        }
        events
            .send(Event::CompareStep {
                concurrency: level,
                seconds: report.summary.seconds,
                saved: report.summary.downloaded,
            })
            .await;
    }
}

fn scratch_folder(run: RunId) -> PathBuf {
    std::env::temp_dir().join(format!("galley-compare-{}-{run}", std::process::id()))
}
