//! The engine's vocabulary: what a front end asks for (`Job`, `Command`) and what it hears
//! back (`Event`). Both front ends (the egui app and the command line) speak only this.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use url::Url;

use super::imgur::ImageItem;
use super::source::Source;
use super::template::NameTemplate;
use crate::archive::{RunOrigin, RunRecord};
use crate::library::Listing;
use crate::library::query::SortOrder;
use crate::media::{Pixels, ViewError, ViewImage};

/// Default cap on one image's size: a body larger than this is refused.
pub const DEFAULT_MAX_IMAGE_BYTES: u64 = 64 * 1024 * 1024;
/// Downloads at once are clamped to this range.
pub const CONCURRENCY_RANGE: std::ops::RangeInclusive<usize> = 1..=256;
/// Imgur's API root.
pub const IMGUR_API_BASE: &str = "https://api.imgur.com";

/// An Imgur Client-ID. Its `Debug` and `Display` never show the secret, so it can sit in
/// structs that are logged or printed without leaking.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into().trim().to_owned())
    }

    /// The secret itself, for the `Authorization` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `text` with every occurrence of the secret replaced by `<redacted>`: for text that
    /// came from a server, which may echo the request's headers back in an error body.
    pub fn redact(&self, text: &str) -> String {
        match self.0.is_empty() {
            true => text.to_owned(),
            false => text.replace(&self.0, "<redacted>"),
        }
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientId(<redacted>)")
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where the images of one source of a job come from.
#[derive(Debug, Clone)]
pub enum JobInput {
    /// List a gallery through the Imgur API (or the demo server, which speaks the same API).
    Imgur {
        api_base: Url,
        client_id: ClientId,
        source: Source,
        /// Gallery pages to list; `None` lists until a page brings nothing new.
        pages: Option<u32>,
    },
    /// Download these links as they are, with no API.
    Urls(Vec<String>),
    /// Download exactly these items, as an earlier listing found them (the pictures a
    /// person picked in a preview); `label` names where they were listed.
    Items { label: String, items: Vec<ImageItem> },
}

impl JobInput {
    /// What the user would call this source: the source's short form, or "N links".
    pub fn label(&self) -> String {
        match self {
            JobInput::Imgur { source, .. } => source.to_string(),
            JobInput::Urls(urls) => format!("{} links", urls.len()),
            JobInput::Items { label, items } => match items.len() {
                1 => format!("1 picked from {label}"),
                n => format!("{n} picked from {label}"),
            },
        }
    }

    /// The Client-ID it sends, if it talks to the API.
    pub fn client_id(&self) -> Option<&ClientId> {
        match self {
            JobInput::Imgur { client_id, .. } => Some(client_id),
            JobInput::Urls(_) | JobInput::Items { .. } => None,
        }
    }
}

/// Which of Imgur's moving pictures a run saves. The default is the original script's:
/// every image/jpeg, image/png and image/gif item, an animated GIF as the .gif itself (its
/// original, also when the API's `link` is only its 'h' thumbnail). Videos and the smaller
/// MP4 renditions of animated GIFs are each a choice of their own, off by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MovingPictures {
    /// Save video-only items (`video/mp4`), which are not images.
    pub videos: bool,
    /// Save an animated GIF as the MP4 Imgur also offers (smaller) instead of the .gif.
    pub gifs_as_mp4: bool,
}

/// An image a run would save, as `galley fetch --list` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedFile {
    pub id: String,
    pub link: String,
    /// Where it would be saved, under the run's folder (before a taken name is numbered).
    pub file: PathBuf,
    /// What the listing says it is (`jpeg`, `png`, `gif`, `mp4`), if it says.
    pub kind: Option<&'static str>,
    /// Its size in bytes, when the listing gives it.
    pub size: Option<u64>,
    /// The source that listed it, as given.
    pub source: String,
    /// A file of that name is in the folder already (a run would skip it).
    pub present: bool,
}

/// One download job: what to fetch, where to put it, how hard to go at it.
#[derive(Debug, Clone)]
pub struct Job {
    /// The sources, listed one after another in this order; their downloads share one
    /// pool of `concurrency` connections.
    pub sources: Vec<JobInput>,
    pub out_dir: PathBuf,
    /// Downloads at once; clamped to `CONCURRENCY_RANGE`.
    pub concurrency: usize,
    /// At most this many images.
    pub limit: Option<usize>,
    /// Which moving pictures are saved besides the still images.
    pub moving: MovingPictures,
    /// Decode each image and send a thumbnail (also proves the file is a valid image).
    pub thumbnails: bool,
    pub max_image_bytes: u64,
    /// The SQLite run archive; `None` keeps no history (and skips by file only).
    pub archive: Option<PathBuf>,
    /// The library's thumbnail cache root: thumbnails made while saving are kept there,
    /// so the folder later opens without decoding its images again.
    pub thumbnail_cache: Option<PathBuf>,
    /// Label of the source, for the archive and the runs table.
    pub label: String,
    /// Imgur, the demo gallery or a list of links: the runs table says which.
    pub origin: RunOrigin,
    /// How saved files are named (`{id}.{ext}` by default).
    pub naming: NameTemplate,
    /// Put each album's images in a subfolder named by the album's title.
    pub album_folders: bool,
    /// Write `<file>.json` beside each image: what the API said of it.
    pub write_metadata: bool,
    /// Only say what would be saved ([`Event::WouldSave`]): nothing is downloaded or
    /// written, and the folder is not made.
    pub list_only: bool,
    /// At most this many images of each source, by the source's index (a source past
    /// the end of the list has no cap of its own); `limit` caps the whole job.
    pub source_limits: Vec<Option<usize>>,
    /// A follow check: each source's own folder and what it already has (see
    /// [`super::follow`]); `None` for every other run.
    pub follow: Option<Arc<super::follow::FollowPlan>>,
}

/// What a person chose for a run: in the app its settings, in the CLI its flags. Every
/// run of either becomes a [`Job`] through [`Job::planned`], so the two cannot drift.
#[derive(Debug, Clone)]
pub struct RunChoices {
    /// Downloads at once.
    pub concurrency: usize,
    pub moving: MovingPictures,
    pub naming: NameTemplate,
    pub album_folders: bool,
    pub write_metadata: bool,
    /// Decode each image as it is saved (proving it whole) and send its thumbnail.
    pub thumbnails: bool,
    /// The run archive; `None` keeps no history.
    pub archive: Option<PathBuf>,
    /// The library's thumbnail cache, where thumbnails made while saving are kept.
    pub thumbnail_cache: Option<PathBuf>,
}

impl Default for RunChoices {
    fn default() -> Self {
        Self {
            concurrency: 16,
            moving: MovingPictures::default(),
            naming: NameTemplate::default(),
            album_folders: false,
            write_metadata: false,
            thumbnails: true,
            archive: None,
            thumbnail_cache: None,
        }
    }
}

impl Job {
    /// The job of `sources` into `out_dir` as the person chose: the one constructor the
    /// app, the CLI and follow checks share.
    pub fn planned(sources: Vec<JobInput>, out_dir: PathBuf, choices: RunChoices) -> Self {
        // Thumbnails are kept only where they are made.
        let thumbnail_cache = choices.thumbnail_cache.filter(|_| choices.thumbnails);
        Self {
            concurrency: choices.concurrency,
            moving: choices.moving,
            naming: choices.naming,
            album_folders: choices.album_folders,
            write_metadata: choices.write_metadata,
            thumbnails: choices.thumbnails,
            archive: choices.archive,
            thumbnail_cache,
            ..Self::queue(sources, out_dir)
        }
    }

    /// A job of one source.
    pub fn new(input: JobInput, out_dir: PathBuf) -> Self {
        Self::queue(vec![input], out_dir)
    }

    /// A job of several sources, listed in order, downloading from one pool.
    pub fn queue(sources: Vec<JobInput>, out_dir: PathBuf) -> Self {
        let labels: Vec<String> = sources.iter().map(JobInput::label).collect();
        let label = labels.join(", ");
        let links_only = sources.iter().all(|source| matches!(source, JobInput::Urls(_)));
        let origin = if links_only { RunOrigin::Links } else { RunOrigin::Imgur };
        Self {
            sources,
            out_dir,
            concurrency: 16,
            limit: None,
            moving: MovingPictures::default(),
            thumbnails: true,
            max_image_bytes: DEFAULT_MAX_IMAGE_BYTES,
            archive: None,
            thumbnail_cache: None,
            label,
            origin,
            naming: NameTemplate::default(),
            album_folders: false,
            write_metadata: false,
            list_only: false,
            source_limits: Vec::new(),
            follow: None,
        }
    }
}

/// What a front end asks the engine to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Start a run; a run already going is cancelled first.
    Start(Job),
    /// Stop the current run (and a compare series): in-flight downloads stop, temporary files go.
    Cancel,
    /// Run the job once per concurrency level into fresh scratch folders, one after another.
    Compare { job: Job, levels: Vec<usize> },
    /// Open a folder in the library: its entries (`Event::Folder`), then its thumbnails
    /// made into the cache in the background, in `order` (the grid's, so its first screen
    /// is made first, even before the grid asks).
    OpenFolder { folder: PathBuf, order: SortOrder },
    /// The grid's sort changed: the open folder's background thumbnailing follows it.
    Reorder(SortOrder),
    /// The files on screen whose thumbnails the grid lacks: made (or read from the cache)
    /// before anything else, and sent. Replaces the previous request.
    Want(Vec<PathBuf>),
    /// Move files to the trash (`Event::Trashed`).
    Trash(Vec<PathBuf>),
    /// Bring files back from the trash (`Event::Restored`).
    Restore(Vec<PathBuf>),
    /// Remove the thumbnails galley made and the folder index (`Event::ThumbnailsCleared`).
    ClearThumbnails,
    /// Decode these images for the viewer (at most `max_side` a side), the image on show
    /// first; asked-for images not among them are dropped unless their decode has begun.
    View { paths: Vec<PathBuf>, max_side: u32 },
    /// Send the run history (`Event::Runs`).
    LoadRuns(PathBuf),
    /// Forget the run history, then send it (empty) as `Event::Runs`.
    ClearRuns(PathBuf),
    /// Read a text file of links, one a line (`Event::LinkList`): a list dropped on the window.
    ReadLinks(PathBuf),
    /// List `job` without saving anything and fetch each image's small variant (Imgur's
    /// `m`, about 320 px): `Event::PreviewListed`, `PreviewThumbnail`, then `PreviewDone`.
    /// Replaces the preview going; runs are left alone.
    Preview { preview: PreviewId, job: Job },
    /// Stop the preview going (its listing and its thumbnails).
    CancelPreview,
    /// Find the reposts in a folder (`Event::RepostsProgress`, then `Event::Reposts`):
    /// pictures within `threshold` bits of each other's perceptual hash, grouped.
    FindReposts { folder: PathBuf, threshold: u32 },
    /// Follow these sources into `out_dir`, in the run archive (`Event::Follows` after).
    Follow { archive: PathBuf, sources: Vec<Source>, out_dir: PathBuf },
    /// Stop following a source, named in its followed form (`Event::Follows` after).
    Unfollow { archive: PathBuf, source: String },
    /// Send the followed sources (`Event::Follows`).
    LoadFollows(PathBuf),
    /// The new images of these followed sources were looked at (`Event::Follows` after).
    FollowsLooked { archive: PathBuf, sources: Vec<String> },
    /// Check every followed source as one run (a run already going is cancelled first):
    /// the run's events as any run's, then `Event::FollowsChecked` and `Event::Follows`.
    CheckFollows(super::follow::CheckRequest),
}

/// Names one preview: its events carry it, so those of a replaced preview are dropped.
pub type PreviewId = u64;

/// Identifies one run; events from older runs can be told apart and dropped.
pub type RunId = u64;

/// A thumbnail of a saved (or already present) image.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    pub path: PathBuf,
    /// Size of the file on disk.
    pub bytes: u64,
    /// Dimensions of the full image.
    pub width: u32,
    pub height: u32,
    /// At most 256x256, aspect kept.
    pub pixels: Arc<Pixels>,
}

/// Imgur's rate-limit headers, as last seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateLimits {
    pub client_remaining: Option<u64>,
    pub user_remaining: Option<u64>,
    /// Unix time at which the user quota resets.
    pub user_reset: Option<u64>,
}

/// Why the server asked galley to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttle {
    /// HTTP 429: too many requests.
    TooManyRequests,
    /// HTTP 403 "Imgur is temporarily over capacity": a passing IP throttle.
    OverCapacity,
}

/// Why an image was not downloaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The file is already there, whole.
    AlreadyPresent,
    /// The same bytes were already saved under another name (the path).
    Duplicate(PathBuf),
    /// Imgur deleted it: its link now leads to `i.imgur.com/removed.png`.
    Deleted,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Deleted => f.write_str("deleted on Imgur (its link leads to removed.png)"),
            SkipReason::AlreadyPresent => f.write_str("already present"),
            SkipReason::Duplicate(path) => write!(f, "same bytes as {}", path.display()),
        }
    }
}

/// Counts and timing of one run: the archive's own type (it is a leaf), named for the
/// engine. Serialises to the fixed `--json` summary.
pub use crate::archive::RunCounts as Summary;

/// What kind of error stopped a whole run (as opposed to one image failing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FatalKind {
    /// The Client-ID was refused or missing.
    Auth,
    /// The destination folder cannot be created or written, or its disk is full.
    Destination,
    /// The API could not be reached.
    Offline,
    /// The API kept answering 429 past the bounded wait.
    RateLimited,
    /// Imgur's request quota (the Client-ID's daily one, or the hourly one of this
    /// address) is nearly used up: the run stopped before running out.
    Quota,
    /// Imgur is not available in the user's region (HTTP 451).
    Region,
    /// The gallery, album or post does not exist (HTTP 404).
    NotFound,
    /// The API answered something unusable (malformed JSON, `success: false`, ...).
    Api,
    /// The run archive could not be opened.
    Archive,
    /// The job itself is invalid (nothing to download, bad source).
    Usage,
    /// galley itself failed (a task panicked): a bug to report.
    Internal,
}

/// A run-stopping error. `message` says what happened in the user's words; `detail` is
/// the technical part (an OS error, an endpoint and status), shown after it or on hover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal {
    pub kind: FatalKind,
    pub message: String,
    pub detail: String,
}

impl Fatal {
    pub fn new(kind: FatalKind, message: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { kind, message: message.into(), detail: detail.into() }
    }
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail.is_empty() {
            true => f.write_str(&self.message),
            false => write!(f, "{} ({})", self.message, self.detail),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// Every listed image was dealt with (saved, skipped, or failed on its own).
    Done,
    /// The user (or ctrl-c) stopped it.
    Cancelled,
    /// An error stopped the whole run.
    Failed(Fatal),
}

/// Where one source of a job stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceStage {
    /// An earlier source is still being listed.
    Waiting,
    /// Being listed; its images download as they are found.
    Listing,
    /// Listed; some of its images are still downloading.
    Downloading,
    /// Listed, and every image of it saved, skipped or failed.
    Done,
    /// It could not be listed (or not wholly): the reason. The other sources go on.
    Failed(Fatal),
}

/// One source of a job and how far it got: what `Event::Source` carries, and the
/// per-source part of a run's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceReport {
    /// What the user would call it (`album/abc`, `user/NAME`, `12 links`).
    pub label: String,
    pub stage: SourceStage,
    /// Whether its listing ended, so that `found` is final.
    pub listing_done: bool,
    /// Images its listing found. The download loop counts each into `listed` as it takes
    /// it from the listing's channel, so `listed` may lag behind while items wait there.
    pub found: u64,
    pub listed: u64,
    pub downloaded: u64,
    pub skipped: u64,
    pub failed: u64,
    /// Of `skipped`: deleted on Imgur (`removed.png`).
    pub deleted: u64,
}

impl SourceReport {
    pub fn waiting(label: String) -> Self {
        Self {
            label,
            stage: SourceStage::Waiting,
            listing_done: false,
            found: 0,
            listed: 0,
            downloaded: 0,
            skipped: 0,
            failed: 0,
            deleted: 0,
        }
    }

    /// Images of it dealt with: saved, skipped or failed.
    pub fn done(&self) -> u64 {
        self.downloaded + self.skipped + self.failed
    }

    /// The error that stopped its listing, if one did.
    pub fn error(&self) -> Option<&Fatal> {
        match &self.stage {
            SourceStage::Failed(fatal) => Some(fatal),
            _ => None,
        }
    }

    /// Moves a listed source on to `Downloading` or `Done` as its images end: done once
    /// every image its listing found has ended (items still in the listing's channel are
    /// not in `listed` yet).
    pub(crate) fn settle(&mut self) {
        let settled = matches!(self.stage, SourceStage::Listing | SourceStage::Downloading);
        if settled && self.listing_done {
            let all_ended = self.done() >= self.listed.max(self.found);
            self.stage = if all_ended { SourceStage::Done } else { SourceStage::Downloading };
        }
    }
}

/// A run's counts and how it ended: what `run_job` returns, what `Event::Finished`
/// carries, and what the archive records.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub summary: Summary,
    pub ending: Ending,
    /// Each source of the job, in the job's order.
    pub sources: Vec<SourceReport>,
}

impl RunReport {
    pub fn fatal(&self) -> Option<&Fatal> {
        match &self.ending {
            Ending::Failed(fatal) => Some(fatal),
            _ => None,
        }
    }

    pub fn cancelled(&self) -> bool {
        self.ending == Ending::Cancelled
    }
}

/// Why one image could not be saved, or one album's images could not be listed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ItemFailure {
    #[error(transparent)]
    Download(Arc<super::error::DownloadError>),
    #[error("could not list the album's images: {0}")]
    Album(Arc<super::error::ApiError>),
}

#[cfg(test)]
impl ItemFailure {
    /// An image the host answered with 404, for tests.
    pub fn http_404() -> Self {
        ItemFailure::Download(Arc::new(super::error::DownloadError::Status { status: 404, retry_after: None }))
    }
}

/// Why a file of the folder has no thumbnail.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ThumbnailFailure {
    #[error(transparent)]
    Decode(Arc<crate::media::ThumbnailError>),
    /// It failed before, and has not changed since (not tried again).
    #[error("galley could not read this image before")]
    FailedBefore,
}

/// Why the run history could not be read or cleared.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    /// The engine's task stopped before it was done (it panicked).
    #[error("the history task stopped unexpectedly: {0}")]
    Stopped(String),
}

/// Everything the engine reports. Front ends read these from one channel.
#[derive(Debug, Clone)]
pub enum Event {
    /// The listing found one more image to fetch (`total` so far).
    Listed { run: RunId, id: String, total: u64 },
    /// The listing is complete.
    ListingDone { run: RunId, total: u64 },
    /// Source number `index` of the job (0-based, in the job's order) moved on.
    Source { run: RunId, index: usize, report: SourceReport },
    /// Imgur's quota headers changed.
    RateLimit { run: RunId, limits: RateLimits },
    /// API requests of the listing open now (the downloads are counted by `Started`).
    ListingRequests { run: RunId, in_flight: usize },
    /// The server said slow down; the engine waits this long before asking again.
    RateLimited { run: RunId, wait: Duration, why: Throttle },
    /// A download began: it holds one of the run's connections.
    Started { run: RunId, id: String },
    /// A body arrived whole; its connection goes to the next download while it is checked.
    Received { run: RunId, id: String },
    /// More bytes of a download arrived (a delta, sent at most every 64 KiB or so).
    Progress { run: RunId, id: String, bytes: u64 },
    /// A transient failure; the download is tried again after `wait`.
    Retrying { run: RunId, id: String, attempt: u32, reason: Arc<super::error::DownloadError>, wait: Duration },
    /// An image is on disk, whole and valid.
    Saved { run: RunId, id: String, path: PathBuf, bytes: u64, elapsed: Duration },
    /// An image was not downloaded, for a good reason.
    Skipped { run: RunId, id: String, path: PathBuf, reason: SkipReason },
    /// An image could not be saved; nothing of it is left on disk.
    Failed { run: RunId, id: String, reason: ItemFailure },
    /// A thumbnail for the grid (`run` is 0 for folder scans and re-thumbnails).
    Thumbnail { run: RunId, thumbnail: Thumbnail },
    /// A video (MP4) was saved, or found by a folder scan (`run` 0): it has no thumbnail,
    /// but the grid shows it.
    Video { run: RunId, path: PathBuf, bytes: u64 },
    /// A thumbnail could not be made for a file in a folder scan.
    ThumbnailFailed { path: PathBuf, reason: ThumbnailFailure },
    /// A folder's files: first as the index last knew them (`complete: false`), then as
    /// the folder is now (`complete: true`).
    Folder { folder: PathBuf, listing: Listing, complete: bool },
    /// A folder cannot be listed (`missing`: it does not exist).
    FolderFailed { folder: PathBuf, reason: Arc<crate::library::IndexError>, missing: bool },
    /// Images measured while their thumbnails were made: (path, (width, height)).
    Measured { folder: PathBuf, sizes: Vec<(PathBuf, (u32, u32))> },
    /// Background thumbnailing of the open folder: `made` of `total`.
    LibraryProgress { folder: PathBuf, made: usize, total: usize },
    /// Files moved to the trash, or why not.
    Trashed { paths: Vec<PathBuf>, result: Result<(), Arc<super::browse::TrashError>> },
    /// Files brought back from the trash, or why not.
    /// `paths` were brought back; `Ok` holds those left in the trash because a new file
    /// has taken their name since.
    Restored { paths: Vec<PathBuf>, result: Result<Vec<PathBuf>, Arc<super::browse::TrashError>> },
    /// The thumbnail cache was cleared (how many thumbnails went), or why not.
    ThumbnailsCleared(Result<usize, Arc<crate::library::index::IndexError>>),
    /// The open folder changed on disk (another program added, removed or changed files,
    /// or the folder went): list it again.
    FolderChanged { folder: PathBuf },
    /// The library's index was damaged: it was moved to `moved_to` and started afresh.
    IndexRebuilt { moved_to: PathBuf },
    /// An image for the viewer, decoded off the UI thread, or why it cannot be shown.
    View { path: PathBuf, result: Result<ViewImage, ViewError> },
    /// One step of a compare series finished.
    CompareStep { concurrency: usize, seconds: f64, saved: u64 },
    /// A compare series ended (all levels ran, or one was cancelled or failed).
    CompareDone,
    /// A run that only lists ([`Job::list_only`]): one image it would save, and the item
    /// itself (to download exactly it later, as [`JobInput::Items`]).
    WouldSave { run: RunId, file: PlannedFile, item: Box<ImageItem> },
    /// A preview found one more image.
    PreviewListed { preview: PreviewId, file: PlannedFile, item: Box<ImageItem> },
    /// A preview's picture of image `id` (its small variant, decoded), or why there is none.
    PreviewThumbnail { preview: PreviewId, id: String, result: Result<Arc<Pixels>, Arc<super::preview::PreviewError>> },
    /// A preview's listing ended: how (its sources' reports say which failed).
    PreviewDone { preview: PreviewId, report: RunReport },
    /// The run ended: its counts and how.
    Finished { run: RunId, report: RunReport },
    /// The run history, newest first, or why it could not be read (or cleared).
    Runs(Result<Vec<RunRecord>, Arc<HistoryError>>),
    /// The links of a file asked for by `Command::ReadLinks`, or why it could not be read.
    LinkList { path: PathBuf, result: Result<Vec<String>, Arc<super::links::LinkListError>> },
    /// A search for reposts hashed `done` of the `total` pictures that lacked a hash.
    RepostsProgress { folder: PathBuf, done: usize, total: usize },
    /// The reposts found in a folder, or why the search failed.
    Reposts { folder: PathBuf, result: Result<super::dupes::RepostReport, Arc<super::dupes::DupesError>> },
    /// The followed sources, each with its files new since they were last looked at, or
    /// why they could not be read or changed.
    Follows(Result<Vec<super::follow::FollowRow>, Arc<super::follow::FollowError>>),
    /// A follow check ended: the sources the quota left for later and when it can go on,
    /// or why it could not check at all.
    FollowsChecked { not_checked: Vec<String>, resume: Option<String>, error: Option<Arc<super::follow::FollowError>> },
}

impl Event {
    /// The run this event belongs to, if it belongs to one.
    pub fn run(&self) -> Option<RunId> {
        match self {
            Event::Listed { run, .. }
            | Event::ListingDone { run, .. }
            | Event::Source { run, .. }
            | Event::RateLimit { run, .. }
            | Event::RateLimited { run, .. }
            | Event::ListingRequests { run, .. }
            | Event::Started { run, .. }
            | Event::Received { run, .. }
            | Event::Progress { run, .. }
            | Event::Retrying { run, .. }
            | Event::Saved { run, .. }
            | Event::Skipped { run, .. }
            | Event::Failed { run, .. }
            | Event::Thumbnail { run, .. }
            | Event::Video { run, .. }
            | Event::Finished { run, .. } => Some(*run),
            _ => None,
        }
    }
}

/// Duration helper for summaries.
pub fn images_per_second(images: u64, seconds: f64) -> f64 {
    if seconds > 0.0 { images as f64 / seconds } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planned_job_carries_every_choice_and_keeps_thumbnails_only_where_made() {
        let input = JobInput::Urls(vec![]);
        let choices = RunChoices {
            concurrency: 7,
            moving: MovingPictures { videos: true, gifs_as_mp4: false },
            album_folders: true,
            write_metadata: true,
            archive: Some("/a.sqlite".into()),
            thumbnail_cache: Some("/thumbnails".into()),
            ..RunChoices::default()
        };
        let job = Job::planned(vec![input.clone()], "/out".into(), choices.clone());
        assert_eq!(
            (job.concurrency, job.moving, job.album_folders, job.write_metadata),
            (7, choices.moving, true, true)
        );
        assert_eq!(job.archive.as_deref(), Some(std::path::Path::new("/a.sqlite")));
        assert_eq!(job.thumbnail_cache.as_deref(), Some(std::path::Path::new("/thumbnails")));
        assert_eq!(job.origin, RunOrigin::Links, "a job of links only says so");

        let without = Job::planned(vec![input], "/out".into(), RunChoices { thumbnails: false, ..choices });
        assert_eq!(without.thumbnail_cache, None, "no thumbnails made, none kept");
    }
}
