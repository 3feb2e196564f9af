//! What a front end hears back: an [`Event`] of one subsystem. The download engine's are
//! [`RunEvent`]s, sent through an [`EventSink`]; the library's and the viewer's are their
//! own ([`LibraryEvent`], [`ViewEvent`]), wrapped into [`Event`] by the engine's one channel.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::error::{ApiError, DownloadError, PreviewError};
use super::followed::{FollowError, FollowRow};
use super::item::ImageItem;
use super::job::PlannedFile;
use super::links::LinkListError;
use super::types::{PreviewId, RateLimits, RunId, RunReport, SkipReason, SourceReport, Throttle};
use crate::archive::RunRecord;
use crate::events::Sink;
use crate::library::{LibraryEvent, Thumbnail};
use crate::media::{Pixels, ViewEvent};

/// The sink the download engine's parts send through.
pub type EventSink = Sink<RunEvent>;

/// Everything a front end hears back, by the subsystem that says it.
#[derive(Debug, Clone)]
pub enum Event {
    Run(RunEvent),
    Library(LibraryEvent),
    View(ViewEvent),
}

/// Why one image could not be saved, or one album's images could not be listed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ItemFailure {
    #[error(transparent)]
    Download(Arc<DownloadError>),
    #[error("could not list the album's images: {0}")]
    Album(Arc<ApiError>),
}

#[cfg(test)]
impl ItemFailure {
    /// An image the host answered with 404, for tests.
    pub fn http_404() -> Self {
        ItemFailure::Download(Arc::new(DownloadError::Status { status: 404, retry_after: None }))
    }
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

/// Everything the download engine reports: a run's progress (each event carries its run's
/// id), and the answers to the engine's other asks (previews, follows, the history, link
/// lists).
#[derive(Debug, Clone)]
pub enum RunEvent {
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
    Retrying { run: RunId, id: String, attempt: u32, reason: Arc<DownloadError>, wait: Duration },
    /// An image is on disk, whole and valid.
    Saved { run: RunId, id: String, path: PathBuf, bytes: u64, elapsed: Duration },
    /// An image was not downloaded, for a good reason.
    Skipped { run: RunId, id: String, path: PathBuf, reason: SkipReason },
    /// An image could not be saved; nothing of it is left on disk.
    Failed { run: RunId, id: String, reason: ItemFailure },
    /// A thumbnail of an image the run saved (or found already there), for the grid.
    Thumbnail { run: RunId, thumbnail: Thumbnail },
    /// A video (MP4) was saved: it has no thumbnail, but the grid shows it.
    Video { run: RunId, path: PathBuf, bytes: u64 },
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
    PreviewThumbnail { preview: PreviewId, id: String, result: Result<Arc<Pixels>, Arc<PreviewError>> },
    /// A preview's listing ended: how (its sources' reports say which failed).
    PreviewDone { preview: PreviewId, report: RunReport },
    /// The run ended: its counts and how.
    Finished { run: RunId, report: RunReport },
    /// The run history, newest first, or why it could not be read (or cleared).
    Runs(Result<Vec<RunRecord>, Arc<HistoryError>>),
    /// The links of a file asked for by `RunCommand::ReadLinks`, or why it could not be read.
    LinkList { path: PathBuf, result: Result<Vec<String>, Arc<LinkListError>> },
    /// The followed sources, each with its files new since they were last looked at, or
    /// why they could not be read or changed.
    Follows(Result<Vec<FollowRow>, Arc<FollowError>>),
    /// A follow check ended: the sources the quota left for later and when it can go on,
    /// or why it could not check at all.
    FollowsChecked { not_checked: Vec<String>, resume: Option<String>, error: Option<Arc<FollowError>> },
}

impl RunEvent {
    /// The run this event belongs to, if it belongs to one.
    pub fn run(&self) -> Option<RunId> {
        match self {
            RunEvent::Listed { run, .. }
            | RunEvent::ListingDone { run, .. }
            | RunEvent::Source { run, .. }
            | RunEvent::RateLimit { run, .. }
            | RunEvent::RateLimited { run, .. }
            | RunEvent::ListingRequests { run, .. }
            | RunEvent::Started { run, .. }
            | RunEvent::Received { run, .. }
            | RunEvent::Progress { run, .. }
            | RunEvent::Retrying { run, .. }
            | RunEvent::Saved { run, .. }
            | RunEvent::Skipped { run, .. }
            | RunEvent::Failed { run, .. }
            | RunEvent::Thumbnail { run, .. }
            | RunEvent::Video { run, .. }
            | RunEvent::Finished { run, .. } => Some(*run),
            _ => None,
        }
    }
}
