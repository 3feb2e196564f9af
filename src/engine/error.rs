//! Typed errors of the engine. Messages are written for the person reading them: they say
//! what happened and where, and never contain the Client-ID.

use std::path::PathBuf;
use std::time::Duration;

use super::transfer::TooSlow;
use super::types::{ClientId, Fatal, FatalKind};
use crate::media::ThumbnailError;
use crate::media::sniff::NonMedia;

/// Errors from talking to the Imgur API (or the demo server).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(
        "the Client-ID was refused by {endpoint} (HTTP {status}); check it, or register an application at https://api.imgur.com/oauth2/addclient"
    )]
    Refused { endpoint: String, status: u16 },
    #[error("cannot reach {endpoint}: {reason}")]
    Offline { endpoint: String, reason: String },
    #[error("{endpoint} answered malformed JSON: {reason}")]
    Malformed { endpoint: String, reason: String },
    /// Redirects galley will not follow: a loop, too many hops, or to a place it refuses.
    /// They belong to this endpoint, and asking again would meet them again.
    #[error("{endpoint} redirects where galley does not follow: {reason}")]
    Redirected { endpoint: String, reason: String },
    #[error("{endpoint} answered HTTP {status}: {message}")]
    Status { endpoint: String, status: u16, message: String },
    #[error("{endpoint} is rate-limiting us (HTTP 429) and still was after waiting {waited:?}")]
    RateLimited { endpoint: String, waited: Duration },
    /// Imgur's quota is nearly used up; asking on would run it out.
    #[error("{endpoint} says only {remaining} requests are left of the {quota}")]
    Quota { endpoint: String, quota: Quota, remaining: u64 },
    /// HTTP 451: not available in this region.
    #[error("{endpoint} answered HTTP 451 (unavailable for legal reasons)")]
    Region { endpoint: String },
    #[error("cancelled")]
    Cancelled,
    /// A bug in galley, such as the listing task panicking.
    #[error("the listing stopped unexpectedly (a bug in galley; please report it): {0}")]
    Internal(String),
}

impl ApiError {
    /// An error that belongs to the one entry (an album whose list is gone, malformed or
    /// refused by its own status), so the listing goes on without it. Errors every other
    /// request would meet as well (Client-ID refused, offline, rate-limited past the
    /// bound, cancelled) end the listing.
    pub fn is_entry_failure(&self) -> bool {
        matches!(self, ApiError::Malformed { .. } | ApiError::Status { .. } | ApiError::Redirected { .. })
    }

    /// The error with the Client-ID taken out of every text in it. A server may echo the
    /// request's headers in an error body, and `Status` and `Malformed` carry text from
    /// the body (a JSON error quotes what it could not read): from here it would reach the
    /// window, the terminal, the logs and the archive.
    pub fn redacted(self, client_id: &ClientId) -> ApiError {
        match self {
            ApiError::Offline { endpoint, reason } => ApiError::Offline { endpoint, reason: client_id.redact(&reason) },
            ApiError::Malformed { endpoint, reason } => {
                ApiError::Malformed { endpoint, reason: client_id.redact(&reason) }
            }
            ApiError::Redirected { endpoint, reason } => {
                ApiError::Redirected { endpoint, reason: client_id.redact(&reason) }
            }
            ApiError::Status { endpoint, status, message } => {
                ApiError::Status { endpoint, status, message: client_id.redact(&message) }
            }
            other => other,
        }
    }

    /// The run-stopping error this is: what happened in the user's words, the endpoint
    /// and status as the detail.
    pub fn to_fatal(&self) -> Fatal {
        match self {
            ApiError::Refused { endpoint, status } => {
                Fatal::new(FatalKind::Auth, "The Client-ID was refused", format!("{endpoint} answered HTTP {status}"))
            }
            ApiError::Offline { endpoint, reason } => {
                Fatal::new(FatalKind::Offline, "Cannot reach the gallery server", format!("{endpoint}: {reason}"))
            }
            ApiError::RateLimited { endpoint, waited } => Fatal::new(
                FatalKind::RateLimited,
                "The server is rate-limiting galley",
                format!("{endpoint} still answered HTTP 429 after waiting {} s", waited.as_secs()),
            ),
            ApiError::Status { endpoint, status: 404, message } => Fatal::new(
                FatalKind::NotFound,
                "There is no such gallery, album or post",
                format!("{endpoint} answered HTTP 404: {message}"),
            ),
            ApiError::Status { endpoint, status, message } => Fatal::new(
                FatalKind::Api,
                format!("The server answered with an error (HTTP {status})"),
                format!("{endpoint}: {message}"),
            ),
            ApiError::Malformed { endpoint, reason } => Fatal::new(
                FatalKind::Api,
                "The server's answer could not be read",
                format!("{endpoint} answered malformed JSON: {reason}"),
            ),
            ApiError::Redirected { endpoint, reason } => Fatal::new(
                FatalKind::Api,
                "The server sent galley round in redirects (a loop, too many, or to a place galley does not go)",
                format!("{endpoint}: {reason}"),
            ),
            ApiError::Quota { endpoint, quota, remaining } => Fatal::new(
                FatalKind::Quota,
                format!(
                    "Imgur's {quota} is nearly used up, so galley stopped before running out; {}. Run again then: what was saved is skipped and the rest is fetched",
                    quota.resets()
                ),
                format!("{endpoint} says {remaining} requests are left"),
            ),
            ApiError::Region { endpoint } => Fatal::new(
                FatalKind::Region,
                "Imgur is not available where you are: it refuses this region (it has blocked the United Kingdom since 30 September 2025), so galley cannot download from Imgur from here",
                format!("{endpoint} answered HTTP 451"),
            ),
            ApiError::Cancelled => Fatal::new(FatalKind::Api, "The listing was cancelled", ""),
            ApiError::Internal(detail) => {
                Fatal::new(FatalKind::Internal, "The gallery listing stopped unexpectedly", detail.clone())
            }
        }
    }
}

/// Which of Imgur's request quotas is nearly used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    /// The Client-ID's daily quota (`X-RateLimit-ClientRemaining`).
    Client,
    /// This address's hourly quota (`X-RateLimit-UserRemaining`), reset at this Unix time.
    User { reset: Option<u64> },
}

impl Quota {
    /// When it resets, as a sentence.
    pub fn resets(self) -> String {
        match self {
            Quota::Client => "it resets within a day".to_owned(),
            Quota::User { reset: Some(reset) } => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|now| now.as_secs())
                    .unwrap_or(0);
                let minutes = reset.saturating_sub(now).div_ceil(60);
                let (hour, minute) = (reset % 86_400 / 3600, reset % 3600 / 60);
                format!("it resets at {hour:02}:{minute:02} UTC, in {minutes} min")
            }
            Quota::User { reset: None } => "it resets within the hour".to_owned(),
        }
    }
}

impl std::fmt::Display for Quota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Quota::Client => f.write_str("daily request quota for this Client-ID"),
            Quota::User { .. } => f.write_str("hourly request quota for your address"),
        }
    }
}

/// Why one image could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("refused link: {0}")]
    BadLink(String),
    #[error("HTTP {status}")]
    Status { status: u16, retry_after: Option<Duration> },
    #[error("network: {0}")]
    Network(String),
    #[error("timed out: {0}")]
    Timeout(String),
    /// The body came slower than the pace galley requires (a drip).
    #[error("too slow: {0}")]
    TooSlow(String),
    /// A redirect loop, too many hops, or one the redirect policy refuses.
    #[error("redirect refused: {0}")]
    Redirect(String),
    #[error("larger than the {limit} byte limit")]
    TooLarge { limit: u64 },
    #[error("body was {received} bytes but Content-Length said {expected}")]
    LengthMismatch { expected: u64, received: u64 },
    #[error("not an image: {0}")]
    NotAnImage(NonMedia),
    #[error("not a valid image: {0}")]
    Undecodable(String),
    /// Valid as far as it was read, but it would cost more CPU than galley gives one
    /// image: given up on so it does not hold a worker from the others.
    #[error("took too long to decode: {0}")]
    DecodeTooSlow(String),
    /// The file parses but lacks its end marker: a body cut short with no Content-Length
    /// to tell. Treated like a short body, so it is fetched again.
    #[error("cut short: {0}")]
    Truncated(String),
    #[error("writing {path}: {}", describe_io(source))]
    Disk { path: PathBuf, source: std::io::Error },
    /// Its link led to Imgur's `removed.png`: the image was deleted.
    #[error("deleted on Imgur")]
    Removed,
}

impl DownloadError {
    /// Worth trying again: timeouts, resets and short bodies, 5xx, 408, 429, and an HTML
    /// page served in place of an image (what an overloaded CDN does; it is a server
    /// error in disguise, and the retry budget bounds it).
    pub fn is_transient(&self) -> bool {
        match self {
            DownloadError::Status { status, .. } => matches!(status, 408 | 429) || (500..=599).contains(status),
            DownloadError::Network(_)
            | DownloadError::Timeout(_)
            | DownloadError::TooSlow(_)
            | DownloadError::LengthMismatch { .. }
            | DownloadError::Truncated(_) => true,
            DownloadError::NotAnImage(what) => *what == NonMedia::Html,
            _ => false,
        }
    }

    /// The server's own wait, when it gave one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            DownloadError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A full disk stops the whole run: every further image would fail the same way.
    pub fn disk_full(&self) -> bool {
        match self {
            DownloadError::Disk { source, .. } => {
                source.kind() == std::io::ErrorKind::StorageFull || source.raw_os_error() == Some(28) // ENOSPC on older kinds
            }
            _ => false,
        }
    }

    pub fn from_reqwest(error: &reqwest::Error) -> DownloadError {
        let text = describe_reqwest(error);
        if error.is_builder() {
            // The request could not even be made (a link the HTTP layer refuses): asking
            // again would refuse the same.
            DownloadError::BadLink(text)
        } else if error.is_redirect() {
            DownloadError::Redirect(text)
        } else if error.is_timeout() {
            DownloadError::Timeout(text)
        } else {
            DownloadError::Network(text)
        }
    }
}

/// An I/O error in the user's words where the OS's are cryptic: on Windows a file open in
/// another program (an image viewer) cannot be replaced or removed, and the OS says
/// "used by another process". The file is left as it was; a later run tries again.
pub fn describe_io(error: &std::io::Error) -> String {
    // ERROR_SHARING_VIOLATION and ERROR_LOCK_VIOLATION.
    if cfg!(windows) && matches!(error.raw_os_error(), Some(32 | 33)) {
        return format!("the file is open in another program; close it there and run again ({error})");
    }
    // ERROR_ACCESS_DENIED: what replacing a file held open without sharing its deletion
    // gives (an image viewer's), and also what a read-only file gives.
    if cfg!(windows) && error.raw_os_error() == Some(5) {
        return format!(
            "the file is open in another program or read-only; close it there (or make it writable) and run again ({error})"
        );
    }
    error.to_string()
}

/// A reqwest error with its causes, without the URL's query (which could hold a secret).
pub fn describe_reqwest(error: &reqwest::Error) -> String {
    let mut text = error.without_url_ref_text();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

trait WithoutUrl {
    fn without_url_ref_text(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref_text(&self) -> String {
        let kind = if self.is_timeout() {
            "timed out"
        } else if self.is_connect() {
            "could not connect"
        } else if self.is_body() || self.is_decode() {
            "the body broke off"
        } else if self.is_redirect() {
            "bad redirect"
        } else if self.is_request() {
            "request failed"
        } else {
            "error"
        };
        kind.to_owned()
    }
}

/// Errors that stop the engine from starting at all.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot start the engine's threads: {0}")]
    Runtime(std::io::Error),
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

/// Why a preview picture could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    #[error("no small picture is known for {0}")]
    NoSmallVariant(String),
    #[error("the image host could not be reached: {0}")]
    Http(String),
    #[error("the image host answered HTTP {0}")]
    Status(u16),
    #[error("the small picture is over {} MiB", max_bytes >> 20)]
    TooLarge { max_bytes: usize },
    #[error("the small picture came too slowly: {0}")]
    Slow(#[from] TooSlow),
    #[error("the small picture cannot be decoded: {0}")]
    Decode(#[from] ThumbnailError),
    #[error("the decoding task stopped: {0}")]
    Task(String),
}

#[cfg(all(test, windows))]
mod windows_tests {
    use std::os::windows::fs::OpenOptionsExt as _;

    #[test]
    fn a_file_open_in_another_program_is_said_in_plain_words_and_left_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (held, incoming) = (dir.path().join("cat.jpg"), dir.path().join(".cat.jpg.part"));
        std::fs::write(&held, b"old").expect("write");
        std::fs::write(&incoming, b"new").expect("write");
        // An image viewer holding the file without sharing it, as some do.
        let viewer = std::fs::OpenOptions::new().read(true).share_mode(0).open(&held).expect("open");
        // What saving does last: the whole temporary file renamed over the name.
        let error = std::fs::rename(&incoming, &held).expect_err("a held file cannot be replaced");
        let said = super::describe_io(&error);
        // Windows says "sharing violation" or "access denied" by the call and the holder.
        assert!(said.starts_with("the file is open in another program"), "{said}");
        assert!(said.contains("close it there"), "{said}");
        drop(viewer);
        assert_eq!(std::fs::read(&held).expect("read"), b"old", "the file is left as it was");
    }
}
