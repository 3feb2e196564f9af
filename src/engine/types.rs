//! The small types the download engine's parts share: a Client-ID that never prints, run
//! and preview ids, Imgur's rate limits, how a run and each of its sources ended. A leaf:
//! it imports no other part of the engine.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

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

/// Names one preview: its events carry it, so those of a replaced preview are dropped.
pub type PreviewId = u64;

/// Identifies one run; events from older runs can be told apart and dropped.
pub type RunId = u64;

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

/// One source of a job and how far it got: what `RunEvent::Source` carries, and the
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

/// A run's counts and how it ended: what `run_job` returns, what `RunEvent::Finished`
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

/// Duration helper for summaries.
pub fn images_per_second(images: u64, seconds: f64) -> f64 {
    if seconds > 0.0 { images as f64 / seconds } else { 0.0 }
}
