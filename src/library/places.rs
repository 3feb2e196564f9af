//! Where the library keeps its things: the thumbnail cache, the folder index, the run
//! archive it reads Imgur's words from, and the trash.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::archive::Archive;
use crate::library::{ImageMeta, ThumbnailCache, index};

/// Where the library keeps its things; tests and benchmarks point these at temp dirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryPlaces {
    /// The thumbnail cache root (`~/.cache/thumbnails`).
    pub thumbnails: PathBuf,
    /// The folder index database.
    pub index: PathBuf,
    /// The run archive, for what Imgur said of each image.
    pub archive: Option<PathBuf>,
    /// Where deleted files go.
    pub trash: TrashPlace,
}

impl LibraryPlaces {
    /// The user's own: the shared thumbnail cache, galley's cache folder, the system trash.
    pub fn for_user(archive: Option<PathBuf>) -> Option<Self> {
        Some(Self {
            thumbnails: ThumbnailCache::for_user()?.root().to_owned(),
            index: index::default_path()?,
            archive,
            trash: TrashPlace::System,
        })
    }

    /// What the archive knows of `folder`'s images, by path (nothing, said in the log,
    /// when it cannot be read).
    pub fn folder_metadata(&self, folder: &Path) -> HashMap<PathBuf, Arc<ImageMeta>> {
        let Some(archive) = &self.archive else { return HashMap::new() };
        let known = Archive::open(archive).and_then(|archive| archive.images_in_folder(folder));
        match known {
            Ok(images) => images.into_iter().map(|image| (image.path, Arc::new(image.meta))).collect(),
            Err(error) => {
                tracing::warn!("the archive cannot be read, so the folder shows no titles or tags: {error}");
                HashMap::new()
            }
        }
    }

    /// Everything under one folder (tests, benchmarks).
    pub fn inside(folder: &Path) -> Self {
        Self {
            thumbnails: folder.join("thumbnails"),
            index: folder.join("library.sqlite"),
            archive: None,
            trash: TrashPlace::Folder(folder.join("trash")),
        }
    }
}

/// Where "Move to trash" puts files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrashPlace {
    /// The desktop's trash (freedesktop.org trash on Linux), from which the file manager
    /// restores them.
    System,
    /// A plain folder (tests): files are moved into it and back.
    Folder(PathBuf),
}
