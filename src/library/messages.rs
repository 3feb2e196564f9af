//! What a front end asks of the library ([`LibraryCommand`]) and what it hears back
//! ([`LibraryEvent`]). The engine passes them through; the library's
//! [`Browser`](super::Browser) serves them off the UI thread.

use std::path::PathBuf;
use std::sync::Arc;

use super::find::{DupesError, RepostReport};
use super::index::IndexError;
use super::listing::Listing;
use super::query::SortOrder;
use super::trash::TrashError;
use crate::media::{Pixels, ThumbnailError};

/// What a front end asks of the library.
#[derive(Debug, Clone)]
pub enum LibraryCommand {
    /// Open a folder: its entries (`LibraryEvent::Folder`), then its thumbnails made into
    /// the cache in the background, in `order` (the grid's, so its first screen is made
    /// first, even before the grid asks).
    OpenFolder { folder: PathBuf, order: SortOrder },
    /// The grid's sort changed: the open folder's background thumbnailing follows it.
    Reorder(SortOrder),
    /// The files on screen whose thumbnails the grid lacks: made (or read from the cache)
    /// before anything else, and sent. Replaces the previous request.
    Want(Vec<PathBuf>),
    /// Move files to the trash (`LibraryEvent::Trashed`).
    Trash(Vec<PathBuf>),
    /// Bring files back from the trash (`LibraryEvent::Restored`).
    Restore(Vec<PathBuf>),
    /// Remove the thumbnails galley made and the folder index (`ThumbnailsCleared`).
    ClearThumbnails,
    /// Find the reposts in a folder (`RepostsProgress`, then `Reposts`): pictures within
    /// `threshold` bits of each other's perceptual hash, grouped.
    FindReposts { folder: PathBuf, threshold: u32 },
}

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

/// Why a file of the folder has no thumbnail.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ThumbnailFailure {
    #[error(transparent)]
    Decode(Arc<ThumbnailError>),
    /// It failed before, and has not changed since (not tried again).
    #[error("galley could not read this image before")]
    FailedBefore,
}

/// Everything the library reports.
#[derive(Debug, Clone)]
pub enum LibraryEvent {
    /// A thumbnail of a file of the open folder, for the grid.
    Thumbnail(Thumbnail),
    /// A thumbnail could not be made for a file of the open folder.
    ThumbnailFailed { path: PathBuf, reason: ThumbnailFailure },
    /// A folder's files: first as the index last knew them (`complete: false`), then as
    /// the folder is now (`complete: true`).
    Folder { folder: PathBuf, listing: Listing, complete: bool },
    /// A folder cannot be listed (`missing`: it does not exist).
    FolderFailed { folder: PathBuf, reason: Arc<IndexError>, missing: bool },
    /// Images measured while their thumbnails were made: (path, (width, height)).
    Measured { folder: PathBuf, sizes: Vec<(PathBuf, (u32, u32))> },
    /// Background thumbnailing of the open folder: `made` of `total`.
    Progress { folder: PathBuf, made: usize, total: usize },
    /// Files moved to the trash, or why not.
    Trashed { paths: Vec<PathBuf>, result: Result<(), Arc<TrashError>> },
    /// Files brought back from the trash, or why not.
    /// `paths` were brought back; `Ok` holds those left in the trash because a new file
    /// has taken their name since.
    Restored { paths: Vec<PathBuf>, result: Result<Vec<PathBuf>, Arc<TrashError>> },
    /// The thumbnail cache was cleared (how many thumbnails went), or why not.
    ThumbnailsCleared(Result<usize, Arc<IndexError>>),
    /// The open folder changed on disk (another program added, removed or changed files,
    /// or the folder went): list it again.
    FolderChanged { folder: PathBuf },
    /// The library's index was damaged: it was moved to `moved_to` and started afresh.
    IndexRebuilt { moved_to: PathBuf },
    /// A search for reposts hashed `done` of the `total` pictures that lacked a hash.
    RepostsProgress { folder: PathBuf, done: usize, total: usize },
    /// The reposts found in a folder, or why the search failed.
    Reposts { folder: PathBuf, result: Result<RepostReport, Arc<DupesError>> },
}
