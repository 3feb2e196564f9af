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
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::download::{Disk, Downloader, LocalDisk, Outcome, RunSetup};
use super::error::{ApiError, EngineError, describe_reqwest};
use super::events::EventSink;
use super::events::RunEvent;
use super::imgur::{FollowListing, ImgurClient, ListRequest, Listed};
use super::item::{ImageItem, Position};
use super::job::{Job, JobInput, PlannedFile};
use super::limits;
use super::naming;
use super::per_source::SourceBook;
use super::redirects;
use super::transfer::Pace;
use super::types::{
    CONCURRENCY_RANGE, ClientId, Ending, Fatal, FatalKind, RunId, RunReport, SourceReport, SourceStage, Summary,
    images_per_second,
};
use super::workers::Workers;
use crate::archive::{Archive, ArchiveError, ImageMeta, RunEnding, RunStart};
use crate::lock::lock_or_recover;
use crate::media::sniff::MediaKind;

/// Connection and read timeouts of the HTTP client, and the pace a body must keep.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// Longest silence while waiting for a response or the next part of a body.
    pub read: Duration,
    /// Least rate and longest time for a body: a server that drips is not silent.
    pub pace: Pace,
    /// How long one image's attempts and the waits between them may take in all before no
    /// further attempt is started (see [`super::retry::IMAGE_BUDGET`]).
    pub image_budget: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            read: Duration::from_secs(30),
            pace: Pace::default(),
            image_budget: super::retry::IMAGE_BUDGET,
        }
    }
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
/// hops over http(s) only, never from a public address to a private one, nor to a public
/// name that resolves to one (`redirects`), except the hosts the user gave (`user_urls`).
pub fn http_client<'a>(
    timeouts: Timeouts,
    pool_size: usize,
    user_urls: impl IntoIterator<Item = &'a str>,
) -> Result<reqwest::Client, EngineError> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(redirects::GuardedResolver::system(user_urls)))
        .user_agent(concat!("galley/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .pool_max_idle_per_host(pool_size)
        .tcp_nodelay(true)
        .redirect(redirects::policy())
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
    let context = RunContext::new(run, job, events, cancel, options);
    let mut summary = Summary { concurrency: context.concurrency as u64, ..Summary::default() };
    let recorder = Recorder::begin(&context.job, context.concurrency).await;
    let outcome = match &recorder {
        Ok(recorder) => execute(&context, recorder, &mut summary).await,
        Err(fatal) => Err(fatal.clone()),
    };
    summary.seconds = context.started.elapsed().as_secs_f64();
    summary.images_per_second = images_per_second(summary.downloaded, summary.seconds);
    let ending = match outcome {
        Err(fatal) => Ending::Failed(without_client_id(fatal, &context.job)),
        Ok(()) if context.cancel.is_cancelled() => Ending::Cancelled,
        Ok(()) => Ending::Done,
    };
    let sources = context.sources.finish(match &ending {
        Ending::Failed(fatal) => Some(fatal),
        _ => None,
    });
    let sources = sources.into_iter().map(|report| without_client_id_in(report, &context.job)).collect();
    let report = RunReport { summary, ending, sources };
    if let Ok(recorder) = recorder {
        recorder.finish(&report).await;
    }
    context.events.send(RunEvent::Finished { run, report: report.clone() }).await;
    report
}

/// A server may echo the request's headers (the Client-ID among them) in an error body.
fn without_client_id(fatal: Fatal, job: &Job) -> Fatal {
    job.sources.iter().filter_map(JobInput::client_id).fold(fatal, |fatal, client_id| Fatal {
        message: client_id.redact(&fatal.message),
        detail: client_id.redact(&fatal.detail),
        ..fatal
    })
}

fn without_client_id_in(report: SourceReport, job: &Job) -> SourceReport {
    match report.stage {
        SourceStage::Failed(fatal) => {
            SourceReport { stage: SourceStage::Failed(without_client_id(fatal, job)), ..report }
        }
        _ => report,
    }
}

/// What every part of one run shares: which run, the job, and the run's handles.
struct RunContext {
    run: RunId,
    job: Job,
    /// The job's concurrency, clamped to `CONCURRENCY_RANGE`.
    concurrency: usize,
    events: EventSink,
    cancel: CancellationToken,
    options: RunOptions,
    started: Instant,
    /// Where each source of the job stands.
    sources: Arc<SourceBook>,
}

impl RunContext {
    fn new(run: RunId, job: Job, events: EventSink, cancel: CancellationToken, options: RunOptions) -> Self {
        let asked = job.concurrency.clamp(*CONCURRENCY_RANGE.start(), *CONCURRENCY_RANGE.end());
        let concurrency = limits::downloads_that_fit(asked);
        if concurrency < asked {
            tracing::warn!(
                "{concurrency} downloads at once instead of {asked}: the open-file limit leaves room for no more"
            );
        }
        let sources = Arc::new(SourceBook::new(run, &job, events.clone()));
        Self { run, job, concurrency, events, cancel, options, started: Instant::now(), sources }
    }
}

/// Owns the run's row in the archive: opens it when the run begins and writes how the
/// run ended into it. Without an archive (`--no-archive`) it records nothing.
struct Recorder {
    row: Option<(Arc<Mutex<Archive>>, i64)>,
}

impl Recorder {
    /// Opens the archive and adds the run's row. Runs before anything else, so that a run
    /// stopped at once (an unwritable folder) is in the history too, with its reason.
    async fn begin(job: &Job, concurrency: usize) -> Result<Recorder, Fatal> {
        let Some(path) = job.archive.clone() else { return Ok(Recorder { row: None }) };
        let (label, origin) = (job.label.clone(), job.origin);
        let out_dir = std::path::absolute(&job.out_dir).unwrap_or_else(|_| job.out_dir.clone());
        let opened = tokio::task::spawn_blocking(move || -> Result<(Archive, i64), ArchiveError> {
            let archive = Archive::open(&path)?;
            let started_at = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
            let start = RunStart { started_at, origin, source: &label, out_dir: &out_dir, concurrency };
            let number = archive.begin_run(&start)?;
            Ok((archive, number))
        })
        .await;
        let failed = |detail: String| Fatal::new(FatalKind::Archive, "The run history could not be opened", detail);
        match opened {
            Ok(Ok((archive, number))) => Ok(Recorder { row: Some((Arc::new(Mutex::new(archive)), number)) }),
            Ok(Err(error @ ArchiveError::Newer { .. })) => Err(Fatal::new(
                FatalKind::Archive,
                "The run history was written by a newer galley, so this one does not record into it. Use that galley, or give this one another history (--archive FILE, or --no-archive)",
                error.to_string(),
            )),
            Ok(Err(error)) => Err(failed(error.to_string())),
            Err(error) => Err(failed(error.to_string())),
        }
    }

    /// The archive, for the downloader to record and look up images.
    fn archive(&self) -> Option<(Arc<Mutex<Archive>>, i64)> {
        self.row.clone()
    }

    /// Writes the run's counts and ending into its row.
    async fn finish(self, report: &RunReport) {
        let Some((archive, number)) = self.row else { return };
        let counts = report.summary.clone();
        let ending = match &report.ending {
            Ending::Done => RunEnding::Done,
            Ending::Cancelled => RunEnding::Cancelled,
            Ending::Failed(fatal) => RunEnding::Failed(fatal.message.clone()),
        };
        let written = tokio::task::spawn_blocking(move || {
            lock_or_recover(&archive, "the archive").finish_run(number, &counts, &ending)
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!("could not record the run: {error}"),
            Err(error) => tracing::error!("recording the run stopped unexpectedly: {error}"),
        }
    }
}

/// Checks the folder, then lists and downloads until the listing ends, the run is
/// cancelled, or the disk fills.
async fn execute(context: &RunContext, recorder: &Recorder, summary: &mut Summary) -> Result<(), Fatal> {
    let RunContext { run, job, concurrency, events, cancel, options, started, sources } = context;
    if job.sources.is_empty() {
        return Err(Fatal::new(FatalKind::Usage, "There is nothing to download: the queue is empty", ""));
    }
    let mut existing = match (job.list_only, &job.follow) {
        (true, _) => files_already_in(&job.out_dir, job.album_folders).await,
        // A check's folders are each follow's own, made ready below: one that cannot be
        // fails its source alone.
        (false, Some(_)) => HashSet::new(),
        (false, None) => prepare_folder(&job.out_dir, job.album_folders).await?,
    };
    let user_urls = job.sources.iter().flat_map(|source| match source {
        JobInput::Imgur { api_base, .. } => vec![api_base.as_str()],
        JobInput::Urls(links) => links.iter().map(String::as_str).collect(),
        JobInput::Items { items, .. } => items.iter().map(|item| item.link.as_str()).collect(),
    });
    let http = http_client(options.timeouts, *concurrency, user_urls).map_err(|error| {
        Fatal::new(FatalKind::Internal, "galley could not start its HTTP client", error.to_string())
    })?;
    let workers = Workers::per_core("store").map_err(|error| {
        Fatal::new(FatalKind::Internal, "galley could not start its worker threads", error.to_string())
    })?;

    // `concurrency` requests at once to each of Imgur's two hosts: downloads to the image
    // host, the listing's requests to the API. Apart, so finding work never queues
    // behind the downloads it feeds (the next page or album is on the critical path).
    let budget = Arc::new(Semaphore::new(*concurrency));
    let api_requests = Arc::new(Semaphore::new(*concurrency));
    let (items_tx, items_rx) = mpsc::channel::<ImageItem>(1024);
    // Made before the listing starts, so a follow whose folder is unusable is not listed.
    let downloaders = match (&job.follow, job.list_only) {
        (_, true) => Downloaders { each: Vec::new(), by_source: Vec::new() },
        (None, false) => {
            let existing = std::mem::take(&mut existing);
            Downloaders::one(downloader_into(context, recorder, &http, &workers, job.out_dir.clone(), existing))
        }
        (Some(plan), false) => follow_downloaders(context, recorder, &http, &workers, plan).await,
    };
    let lister = Lister {
        run: *run,
        job: job.clone(),
        http: http.clone(),
        events: events.clone(),
        cancel: cancel.clone(),
        budget: api_requests,
        pace: options.timeouts.pace,
        sources: sources.clone(),
    };
    let lister = tokio::spawn(lister.list(items_tx));
    if job.list_only {
        say_what_would_be_saved(context, items_rx, &existing, summary).await;
        return listing_outcome(lister.await).map(|_| ());
    }

    let disk_full = download_all(context, &downloaders, budget, items_rx, summary).await;
    let listing = listing_outcome(lister.await);
    if let Ok(failed_entries) = &listing {
        summary.failed += failed_entries;
    }
    tracing::debug!("run {run}: {} listed in {:?}", summary.listed, started.elapsed());
    if let Some(detail) = disk_full {
        let message = format!("The disk holding {} is full", job.out_dir.display());
        return Err(Fatal::new(FatalKind::Destination, message, detail));
    }
    listing.map(|_| ())
}

/// The run's downloaders: one per folder, and which one each source's images go to.
struct Downloaders {
    each: Vec<Arc<Downloader>>,
    /// By source index; a source past the end uses the first.
    by_source: Vec<usize>,
}

impl Downloaders {
    fn one(downloader: Downloader) -> Self {
        Self { each: vec![Arc::new(downloader)], by_source: Vec::new() }
    }

    fn for_source(&self, source: usize) -> Option<&Arc<Downloader>> {
        self.each.get(self.by_source.get(source).copied().unwrap_or(0))
    }
}

/// A downloader of this run into `folder`, which held `existing` when the run began.
fn downloader_into(
    context: &RunContext,
    recorder: &Recorder,
    http: &reqwest::Client,
    workers: &Workers,
    folder: PathBuf,
    existing: HashSet<PathBuf>,
) -> Downloader {
    let RunContext { run, job, events, options, .. } = context;
    let setup = RunSetup {
        run: *run,
        job,
        events,
        http,
        disk: &options.disk,
        workers,
        archive: recorder.archive(),
        pace: options.timeouts.pace,
        image_budget: options.timeouts.image_budget,
    };
    Downloader::new(&setup, folder, existing)
}

/// A follow check's downloaders: one per distinct folder of its follows. A folder that
/// cannot be made ready fails the sources that save into it, and the others go on.
async fn follow_downloaders(
    context: &RunContext,
    recorder: &Recorder,
    http: &reqwest::Client,
    workers: &Workers,
    plan: &super::followed::FollowPlan,
) -> Downloaders {
    let mut folders: Vec<(PathBuf, Result<usize, Fatal>)> = Vec::new();
    let mut downloaders = Downloaders { each: Vec::new(), by_source: Vec::new() };
    for (index, target) in plan.targets().iter().enumerate() {
        let known = folders.iter().position(|(folder, _)| *folder == target.folder);
        let at = match known {
            Some(at) => at,
            None => {
                let ready = match prepare_folder(&target.folder, context.job.album_folders).await {
                    Ok(existing) => {
                        let downloader =
                            downloader_into(context, recorder, http, workers, target.folder.clone(), existing);
                        downloaders.each.push(Arc::new(downloader));
                        Ok(downloaders.each.len() - 1)
                    }
                    Err(fatal) => Err(fatal),
                };
                folders.push((target.folder.clone(), ready));
                folders.len() - 1
            }
        };
        match &folders[at].1 {
            Ok(downloader) => downloaders.by_source.push(*downloader),
            Err(fatal) => {
                downloaders.by_source.push(usize::MAX);
                context.sources.failed(index, fatal.clone()).await;
            }
        }
    }
    downloaders
}

/// Hands out items while listing goes on and collects finished downloads as they come.
/// Each download holds one of `budget`'s permits (the listing's requests have their own).
/// Returns the reason when the disk filled up (which cancels the run).
async fn download_all(
    context: &RunContext,
    downloaders: &Downloaders,
    budget: Arc<Semaphore>,
    mut items: mpsc::Receiver<ImageItem>,
    summary: &mut Summary,
) -> Option<String> {
    let cancel = &context.cancel;
    let permits = budget;
    let checks = Arc::new(Semaphore::new(context.concurrency));
    let mut tasks = JoinSet::new();
    let mut disk_full = None;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                count_outcome(done, summary, &mut disk_full, context).await;
            }
            item = items.recv() => {
                let Some(item) = item else { break };
                summary.listed += 1;
                let source = item.source;
                context.sources.change(source, |report| report.listed += 1).await;
                let Some(downloader) = downloaders.for_source(source) else {
                    tracing::error!("no folder for source {source}: its image {} is not saved", item.id);
                    summary.failed += 1;
                    context.sources.change(source, |report| report.failed += 1).await;
                    continue;
                };
                let permit = tokio::select! {
                    _ = cancel.cancelled() => break,
                    permit = permits.clone().acquire_owned() => permit,
                };
                let Ok(permit) = permit else { break };
                let (downloader, cancel, checks) = (downloader.clone(), cancel.clone(), checks.clone());
                let ended = Ended { source, id: item.id.clone(), album: item.meta.album_id.clone() };
                tasks.spawn(async move { (ended, downloader.fetch(item, permit, &checks, &cancel).await) });
            }
        }
    }
    while let Some(done) = tasks.join_next().await {
        count_outcome(done, summary, &mut disk_full, context).await;
    }
    // A cancelled run still counts what the listing handed over (and announced as
    // `Listed`) but no download took: the summary agrees with what the user saw listed.
    items.close();
    while let Ok(item) = items.try_recv() {
        summary.listed += 1;
        context.sources.change(item.source, |report| report.listed += 1).await;
    }
    disk_full
}

/// A run that only lists: says, for each image, where it would be saved and whether a
/// file of that name is there already (`existing`: the folder's files, if it exists).
async fn say_what_would_be_saved(
    context: &RunContext,
    mut items: mpsc::Receiver<ImageItem>,
    existing: &HashSet<PathBuf>,
    summary: &mut Summary,
) {
    let job = &context.job;
    while let Some(item) = tokio::select! {
        _ = context.cancel.cancelled() => None,
        item = items.recv() => item,
    } {
        summary.listed += 1;
        context.sources.change(item.source, |report| report.listed += 1).await;
        let folder = job.album_folders.then(|| super::template::album_folder(&item)).flatten();
        let kind = item.claimed.unwrap_or(MediaKind::Jpeg);
        let name = naming::file_path(Path::new(""), &job.naming.stem(&item), kind);
        let file = match folder {
            Some(folder) => Path::new(&folder).join(name),
            None => name,
        };
        let source = job.sources.get(item.source).map(JobInput::label).unwrap_or_default();
        let kind = item.claimed.map(MediaKind::name);
        let present = existing.contains(&file);
        let planned =
            PlannedFile { id: item.id.clone(), link: item.link.clone(), file, kind, size: item.size, source, present };
        context.events.send(RunEvent::WouldSave { run: context.run, file: planned, item: Box::new(item) }).await;
    }
}

/// How the listing task ended: how many of its entries failed on their own, or the error
/// that stops the run. A panic in it is a fatal error of the run, not "0 listed".
fn listing_outcome(joined: Result<Result<Listed, ApiError>, tokio::task::JoinError>) -> Result<u64, Fatal> {
    match joined {
        Ok(Ok(listed)) => Ok(listed.failed_entries),
        Ok(Err(ApiError::Cancelled)) => Ok(0),
        Ok(Err(error)) => Err(error.to_fatal()),
        Err(error) => {
            tracing::error!("the listing task failed: {error}");
            Err(Fatal::new(FatalKind::Internal, "The gallery listing stopped unexpectedly", error.to_string()))
        }
    }
}

/// Which item a download task fetched: its source, its id and its album's.
struct Ended {
    source: usize,
    id: String,
    album: Option<String>,
}

/// Counts how one download ended, in the run's summary and its source's; in a follow
/// check, an item saved, already there or deleted on Imgur is noted as dealt with.
async fn count_outcome(
    done: Result<(Ended, Option<Outcome>), tokio::task::JoinError>,
    summary: &mut Summary,
    disk_full: &mut Option<String>,
    context: &RunContext,
) {
    let (cancel, sources) = (&context.cancel, &context.sources);
    let (Ended { source, id, album }, outcome) = match done {
        Ok(done) => done,
        Err(error) => {
            // The task's source is lost with it; the run's count still has the failure.
            tracing::error!("a download task panicked: {error}");
            summary.failed += 1;
            return;
        }
    };
    if let Some(plan) = &context.job.follow {
        match &outcome {
            Some(Outcome::Saved { path, .. }) => plan.ended(source, id, album, Some(path.clone())),
            Some(Outcome::Skipped | Outcome::Deleted) => plan.ended(source, id, album, None),
            _ => {}
        }
    }
    match outcome {
        Some(Outcome::Saved { bytes, .. }) => {
            summary.downloaded += 1;
            summary.bytes += bytes;
            sources.change(source, |report| report.downloaded += 1).await;
        }
        Some(Outcome::Skipped) => {
            summary.skipped += 1;
            sources.change(source, |report| report.skipped += 1).await;
        }
        Some(Outcome::Deleted) => {
            summary.skipped += 1;
            sources
                .change(source, |report| {
                    report.skipped += 1;
                    report.deleted += 1;
                })
                .await;
        }
        Some(Outcome::Failed) => {
            summary.failed += 1;
            sources.change(source, |report| report.failed += 1).await;
        }
        Some(Outcome::DiskFull(message)) => {
            summary.failed += 1;
            sources.change(source, |report| report.failed += 1).await;
            disk_full.get_or_insert(message);
            cancel.cancel();
        }
        None => {}
    }
}

/// The listing task of a run: lists each source of the job in turn into one channel of
/// items, so the downloads of all sources draw from one pool.
struct Lister {
    run: RunId,
    job: Job,
    http: reqwest::Client,
    events: EventSink,
    cancel: CancellationToken,
    /// Permits for API requests, shared by every source.
    budget: Arc<Semaphore>,
    /// The pace API answers keep, as image bodies do.
    pace: Pace,
    sources: Arc<SourceBook>,
}

impl Lister {
    /// Lists every source into `items`, then says `ListingDone`. A source that cannot be
    /// listed (no such album, a malformed answer) fails alone and the next one is listed;
    /// an error every source would meet (Client-ID refused, offline, rate-limited past the
    /// bound) ends the listing. When every source failed, the first one's error is the
    /// run's, as it is for a job of one source.
    async fn list(self, items: mpsc::Sender<ImageItem>) -> Result<Listed, ApiError> {
        let mut total = Listed::default();
        let (mut succeeded, mut first_failure) = (0, None);
        let mut clients: Option<(Url, ClientId, ImgurClient)> = None;
        let mut link_names = HashSet::new();
        for (index, input) in self.job.sources.iter().enumerate() {
            let left = self.job.limit.map(|limit| limit.saturating_sub(total.sent as usize));
            if left == Some(0) || self.cancel.is_cancelled() || items.is_closed() {
                break;
            }
            // A source's own cap, within what the job's leaves.
            let own = self.job.source_limits.get(index).copied().flatten();
            let left = match (left, own) {
                (Some(left), Some(own)) => Some(left.min(own)),
                (left, own) => left.or(own),
            };
            // A follow whose folder could not be made ready has failed already.
            if self.sources.has_failed(index) {
                continue;
            }
            self.sources.listing(index).await;
            let follow = self
                .job
                .follow
                .as_ref()
                .and_then(|plan| plan.target(index))
                .map(|target| FollowListing { known: &target.known, stop_at_known: target.caught_up });
            let listed = match input {
                JobInput::Imgur { api_base, client_id, source, pages } => {
                    let client = self.client_for(&mut clients, api_base, client_id);
                    let request = ListRequest {
                        source,
                        pages: *pages,
                        limit: left,
                        moving: self.job.moving,
                        index,
                        listed_before: total.sent,
                        ahead: !self.job.naming.uses_place() && left.is_none(),
                        follow,
                    };
                    client.list(request, &items).await
                }
                JobInput::Urls(links) => {
                    let links = LinkList { index, links, limit: left, listed_before: total.sent };
                    Ok(self.list_links(links, &mut link_names, &items).await)
                }
                JobInput::Items { items: picked, .. } => {
                    Ok(self.list_items(index, picked, left, total.sent, &items).await)
                }
            };
            match listed {
                Ok(listed) => {
                    total.sent += listed.sent;
                    total.failed_entries += listed.failed_entries;
                    succeeded += 1;
                    self.sources.listed(index, listed.sent).await;
                }
                Err(error) if error.is_entry_failure() => {
                    let fatal = without_client_id(error.to_fatal(), &self.job);
                    tracing::warn!("could not list {}: {fatal}", input.label());
                    self.sources.failed(index, fatal).await;
                    first_failure.get_or_insert(error);
                }
                Err(error) => return Err(error),
            }
        }
        if let (0, Some(error)) = (succeeded, first_failure) {
            return Err(error);
        }
        self.events.send(RunEvent::ListingDone { run: self.run, total: total.sent }).await;
        Ok(total)
    }

    /// The API client for this root and Client-ID: one for the sources that share them,
    /// so a 429 met listing one source holds back the next one too.
    fn client_for<'a>(
        &self,
        clients: &'a mut Option<(Url, ClientId, ImgurClient)>,
        api_base: &Url,
        client_id: &ClientId,
    ) -> &'a ImgurClient {
        let reusable = clients.as_ref().is_some_and(|(base, id, _)| base == api_base && id == client_id);
        if !reusable {
            *clients = None;
        }
        let (_, _, client) = clients.get_or_insert_with(|| {
            let client = ImgurClient::new(
                self.http.clone(),
                api_base.clone(),
                client_id.clone(),
                self.run,
                self.events.clone(),
                self.cancel.clone(),
                self.budget.clone(),
            )
            .with_pace(self.pace);
            (api_base.clone(), client_id.clone(), client)
        });
        client
    }

    /// Sends a source's links as items; returns how many.
    async fn list_links(
        &self,
        list: LinkList<'_>,
        names: &mut HashSet<String>,
        items: &mpsc::Sender<ImageItem>,
    ) -> Listed {
        let mut sent = 0;
        for link in list.links.iter().take(list.limit.unwrap_or(usize::MAX)) {
            let (id, claimed) = match url::Url::parse(link.trim()) {
                Ok(url) => naming::stem_for_link(&url),
                Err(_) => (link.trim().to_owned(), None),
            };
            // Two links may end in the same name (`a/1.jpg`, `b/1.jpg`): the second gets a
            // name of its own; only the very same link twice is dropped.
            let id = if names.contains(&id) { naming::disambiguated(&id, link.trim()) } else { id };
            if !names.insert(id.clone()) {
                continue;
            }
            sent += 1;
            let total = list.listed_before + sent;
            self.events.send(RunEvent::Listed { run: self.run, id: id.clone(), total }).await;
            let position = Position { num: sent as u32, of: Some(list.links.len() as u32) };
            let (meta, source) = (ImageMeta::default(), list.index);
            let item = ImageItem { id, link: link.clone(), claimed, size: None, meta, source, position };
            if items.send(item).await.is_err() {
                break;
            }
        }
        Listed { sent, failed_entries: 0 }
    }
}

impl Lister {
    /// Sends items an earlier listing found (a preview's picks) as source `index`'s, in
    /// their order, each keeping its place in its album; returns how many.
    async fn list_items(
        &self,
        index: usize,
        picked: &[ImageItem],
        limit: Option<usize>,
        listed_before: u64,
        items: &mpsc::Sender<ImageItem>,
    ) -> Listed {
        let mut sent = 0;
        for item in picked.iter().take(limit.unwrap_or(usize::MAX)) {
            sent += 1;
            let total = listed_before + sent;
            self.events.send(RunEvent::Listed { run: self.run, id: item.id.clone(), total }).await;
            let item = ImageItem { source: index, ..item.clone() };
            if items.send(item).await.is_err() {
                break;
            }
        }
        Listed { sent, failed_entries: 0 }
    }
}

/// One source's links, and where in the run's listing they start.
struct LinkList<'a> {
    index: usize,
    links: &'a [String],
    limit: Option<usize>,
    listed_before: u64,
}

/// Creates the folder, proves it writable, removes temporary files that crashed galley
/// processes left behind, and returns the files in it as paths inside it (with those of
/// its subfolders when albums get subfolders).
async fn prepare_folder(dir: &Path, album_folders: bool) -> Result<HashSet<PathBuf>, Fatal> {
    let dir = dir.to_owned();
    let checked = tokio::task::spawn_blocking(move || -> Result<HashSet<PathBuf>, Fatal> {
        let shown = dir.display();
        let refused =
            |message: String, error: std::io::Error| Fatal::new(FatalKind::Destination, message, error.to_string());
        std::fs::create_dir_all(&dir).map_err(|e| refused(format!("Cannot create the folder {shown}"), e))?;
        // Created new under an unpredictable name: a link planted in the folder is never
        // followed, and nothing of anyone else's is truncated.
        let probe = naming::temp_path(&dir, "write-check");
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .and_then(|_| std::fs::remove_file(&probe))
            .map_err(|e| refused(format!("The folder {shown} is not writable"), e))?;
        remove_orphans(&dir);
        folder_files(&dir, album_folders).map_err(|e| refused(format!("Cannot list the folder {shown}"), e))
    })
    .await;
    checked.unwrap_or_else(|error| {
        tracing::error!("the folder check failed: {error}");
        Err(Fatal::new(FatalKind::Internal, "The folder check stopped unexpectedly", error.to_string()))
    })
}

/// The files in `dir` as paths inside it (with those of its subfolders when albums get
/// subfolders). Blocking.
fn folder_files(dir: &Path, album_folders: bool) -> std::io::Result<HashSet<PathBuf>> {
    let mut names = HashSet::new();
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = PathBuf::from(entry.file_name());
        // A link to a folder is not followed: album folders are galley's own.
        if album_folders && entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            let inside = std::fs::read_dir(entry.path()).into_iter().flatten().flatten();
            names.extend(inside.map(|file| name.join(file.file_name())));
        }
        names.insert(name);
    }
    Ok(names)
}

/// The files in `dir`, for a run that only lists: nothing is made, and a folder that
/// does not exist (or cannot be read) holds nothing.
async fn files_already_in(dir: &Path, album_folders: bool) -> HashSet<PathBuf> {
    let dir = dir.to_owned();
    let listed = tokio::task::spawn_blocking(move || folder_files(&dir, album_folders)).await;
    match listed {
        Ok(Ok(names)) => names,
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::NotFound => HashSet::new(),
        Ok(Err(error)) => {
            tracing::warn!("cannot see what the folder holds already: {error}");
            HashSet::new()
        }
        Err(error) => {
            tracing::error!("the folder listing failed: {error}");
            HashSet::new()
        }
    }
}

/// Deletes `.galley-*.part` files no process is writing. A galley holds a lock on each of
/// its temporary files while it writes and checks it, so a file whose lock can be taken is
/// an orphan, whichever PID namespace or host its writer was in. A file just created may
/// not be locked yet: an empty one is left alone for a minute. Where the file system has
/// no locks, a file is an orphan when the process its name records is gone.
pub fn remove_orphans(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(owner) = name.to_str().and_then(naming::temp_owner) else { continue };
        let path = entry.path();
        let Ok(metadata) = std::fs::symlink_metadata(&path) else { continue };
        let age = metadata.modified().ok().and_then(|modified| modified.elapsed().ok()).unwrap_or_default();
        if !metadata.is_file() || (metadata.len() == 0 && age < Duration::from_secs(60)) {
            continue;
        }
        let Ok(file) = std::fs::File::open(&path) else { continue };
        let orphan = match file.try_lock() {
            Ok(()) => true,
            Err(std::fs::TryLockError::WouldBlock) => false,
            Err(std::fs::TryLockError::Error(_)) => owner != std::process::id() && !process_alive(owner),
        };
        if orphan && let Err(error) = std::fs::remove_file(&path) {
            tracing::warn!("cannot remove the leftover {}: {error}", path.display());
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

/// Runs `job` once per concurrency level, each into a fresh scratch folder that is removed
/// afterwards, and reports each level's time.
pub async fn compare(first_run: RunId, job: Job, levels: Vec<usize>, events: EventSink, cancel: CancellationToken) {
    for (offset, level) in levels.into_iter().enumerate() {
        if cancel.is_cancelled() {
            break;
        }
        let scratch = scratch_folder(first_run + offset as RunId);
        // Made new: a folder or link planted under the name is never written into.
        if let Err(error) = tokio::fs::create_dir(&scratch).await {
            tracing::warn!("cannot create the scratch folder {}: {error}", scratch.display());
            break;
        }
        let mut step = job.clone();
        step.out_dir = scratch.clone();
        step.concurrency = level;
        step.label = format!("{} (compare)", job.label);
        let report = run_job(first_run + offset as RunId, step, events.clone(), cancel.clone()).await;
        if let Err(error) = tokio::fs::remove_dir_all(&scratch).await {
            tracing::warn!("cannot remove the scratch folder {}: {error}", scratch.display());
        }
        if report.ending != Ending::Done {
            break;
        }
        events
            .send(RunEvent::CompareStep {
                concurrency: level,
                seconds: report.summary.seconds,
                saved: report.summary.downloaded,
            })
            .await;
    }
    events.send(RunEvent::CompareDone).await;
}

/// A scratch folder's name, unpredictable so nobody can plant one in its place.
fn scratch_folder(run: RunId) -> PathBuf {
    let random: u64 = rand::random();
    std::env::temp_dir().join(format!("galley-compare-{}-{run}-{random:016x}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_listing_that_panics_stops_the_run_with_an_error() {
        let panicked = tokio::spawn(async {
            if std::hint::black_box(true) {
                panic!("lister bug");
            }
            Ok::<Listed, ApiError>(Listed { sent: 0, failed_entries: 0 })
        })
        .await;
        let fatal = listing_outcome(panicked).expect_err("a panic is not an empty listing");
        assert_eq!(fatal.kind, FatalKind::Internal);
        assert_eq!(listing_outcome(Ok(Err(ApiError::Cancelled))), Ok(0));
    }
}
