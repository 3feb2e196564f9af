//! The library: what is in a folder of downloaded images, kept so that it opens at once
//! however large it is. The folder index ([`index`]), the shared thumbnail cache
//! ([`cache`]), the grid's queries ([`query`]: sort, filter), and the service that does
//! the library's work off the UI thread ([`browser`]: opening a folder, thumbnail
//! workers, the folder's watch, the trash, the search for reposts). No egui here: the
//! front end sends [`LibraryCommand`]s through the engine and reads [`LibraryEvent`]s.

pub mod browser;
pub mod cache;
pub mod failures;
pub mod find;
pub mod hashes;
pub mod index;
pub mod listing;
pub mod messages;
pub mod names;
pub mod phash;
pub mod places;
pub mod query;
pub mod reposts;
pub mod trash;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::media::MediaKind;

pub use crate::archive::ImageMeta;
pub use browser::{Browser, FIRST_SCREEN, worker_counts};
pub use cache::{CachedThumbnail, FileStat, Lookup, ThumbnailCache, ThumbnailPixels, parse_thumbnail};
pub use find::{DupesError, FindOptions, LibraryStores, RepostReport, find_reposts};
pub use index::{FolderIndex, IndexError, Listed, StoredRow};
pub use listing::Listing;
pub use messages::{LibraryCommand, LibraryEvent, Thumbnail, ThumbnailFailure};
pub use places::{LibraryPlaces, TrashPlace};
pub use query::{Query, SortKey};
pub use trash::TrashError;

/// One file of a folder, as the grid shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub path: PathBuf,
    /// The file's name as the library keeps it ([`names::name_key`]); shown with
    /// [`Entry::shown_name`].
    pub name: String,
    pub bytes: u64,
    /// Modification time (when it was saved, for a downloaded image), Unix seconds.
    pub mtime: i64,
    pub kind: MediaKind,
    /// The image's size in pixels, once it has been measured.
    pub dimensions: Option<(u32, u32)>,
    /// What Imgur said of it, when galley downloaded it through the API.
    pub meta: Option<Arc<ImageMeta>>,
    /// Lower-cased name and metadata: what the filter box matches.
    search: String,
    /// The name as the "Name" order compares it (see [`query::natural_key`]): made once
    /// here, off the UI thread, so a sort compares plain strings.
    name_key: Box<str>,
}

impl Entry {
    pub fn new(folder: &Path, listed: Listed) -> Entry {
        let search = listed.name.to_lowercase();
        let name_key = query::natural_key(&listed.name);
        Entry {
            path: folder.join(names::file_name(&listed.name)),
            name: listed.name,
            bytes: listed.bytes,
            mtime: listed.mtime,
            kind: listed.kind,
            dimensions: None,
            meta: None,
            search,
            name_key,
        }
    }

    pub fn with_dimensions(mut self, dimensions: Option<(u32, u32)>) -> Entry {
        self.dimensions = dimensions;
        self
    }

    /// Attaches what the API said (an empty record is left off).
    pub fn with_meta(mut self, meta: Option<Arc<ImageMeta>>) -> Entry {
        let meta = meta.filter(|meta| !meta.is_empty());
        if meta.is_none() && self.meta.is_none() {
            return self; // the search text is the name's already (a folder of 50,000 files)
        }
        self.meta = meta;
        self.search = match &self.meta {
            Some(meta) => format!("{}\n{}", self.name.to_lowercase(), meta.search_text()),
            None => self.name.to_lowercase(),
        };
        self
    }

    /// The name as the window shows it (see [`names`]).
    pub fn shown_name(&self) -> std::borrow::Cow<'_, str> {
        names::shown_name(&self.name)
    }

    pub fn stat(&self) -> FileStat {
        FileStat { mtime: self.mtime, bytes: self.bytes }
    }
}
