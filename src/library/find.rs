//! Finding reposts in a folder: every image gets its perceptual hash, then the hashes are
//! grouped ([`crate::library::reposts`]). This is the one pass behind `galley dupes` and
//! the app's "Find reposts".
//!
//! A hash is made from a thumbnail's pixels, never from a second decode of the image: an
//! image whose hash the index holds (made when its thumbnail was) costs nothing; one with
//! a thumbnail in the cache costs reading that small PNG; only an image never thumbnailed
//! is decoded, and its thumbnail is then stored in the cache and its row in the index, as
//! the library's background thumbnailer would have done. So a cold folder costs its
//! thumbnailing and little more (measured in `cargo bench --bench dupes`).
//!
//! The work is shared among `workers` plain threads pulling the next file from one
//! counter (the files are independent); the index and the hash table are written once,
//! at the end, in one transaction each.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio_util::sync::CancellationToken;

use super::places::LibraryPlaces;
use crate::library::failures::FailureMarks;
use crate::library::hashes::{HashStore, HashStoreError};
use crate::library::index::{self, FolderIndex, IndexError};
use crate::library::reposts::{self, RepostGroup};
use crate::library::{Entry, FileStat, Lookup, ThumbnailCache, ThumbnailPixels, cache, phash};
use crate::media::thumbnail::{self, ThumbnailError};

/// What a search for reposts found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RepostReport {
    pub folder: PathBuf,
    /// The groups, each with its best copy first, ordered by the best copy's name.
    pub groups: Vec<RepostGroup>,
    /// Pictures in the folder (videos are left out).
    pub images: usize,
    /// Of those, hashed by this search (the others' hashes were in the index).
    pub hashed: usize,
    /// Of those, decoded from the image because no thumbnail was cached.
    pub decoded: usize,
    /// Pictures that could not be read or decoded, and so are in no group.
    pub unreadable: usize,
}

impl RepostReport {
    /// Files in groups that are not their group's best copy.
    pub fn extra_copies(&self) -> usize {
        self.groups.iter().map(|group| group.rest().len()).sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DupesError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Hashes(#[from] HashStoreError),
    #[error("the search was stopped")]
    Cancelled,
}

/// What the search reads and writes besides the folder: shared with the library's
/// background thumbnailer in the app, made from the places for the command line.
#[derive(Clone)]
pub struct LibraryStores {
    pub cache: ThumbnailCache,
    pub failures: Arc<FailureMarks>,
    pub hashes: Arc<HashStore>,
}

impl LibraryStores {
    pub fn new(places: &LibraryPlaces) -> Self {
        Self {
            cache: ThumbnailCache::new(&places.thumbnails),
            failures: Arc::new(FailureMarks::new(&places.index)),
            hashes: Arc::new(HashStore::new(&places.index)),
        }
    }
}

/// How to search.
#[derive(Debug, Clone, Copy)]
pub struct FindOptions {
    /// Largest Hamming distance (of 64 bits) between two copies of one picture.
    pub threshold: u32,
    /// Threads that hash.
    pub workers: usize,
}

/// Hashes what `folder`'s pictures lack and groups them. `progress(done, total)` is
/// called from the hashing threads as each picture is done.
pub fn find_reposts(
    places: &LibraryPlaces,
    stores: &LibraryStores,
    folder: &Path,
    options: FindOptions,
    cancel: &CancellationToken,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<RepostReport, DupesError> {
    let mut index = FolderIndex::open(&places.index)?;
    let listed = index::list_folder(folder)?;
    let index::Reconciled { mut entries, changed, gone } = index::reconcile(folder, index.load(folder)?, listed);
    let stored = stores.hashes.load_folder(folder)?;

    let mut hashes: Vec<Option<u64>> = vec![None; entries.len()];
    let mut missing = Vec::new();
    for (at, entry) in entries.iter().enumerate().filter(|(_, entry)| !entry.kind.is_video()) {
        match stored.get(&entry.name) {
            Some(&(stat, hash)) if stat == entry.stat() && entry.dimensions.is_some() => hashes[at] = Some(hash),
            _ => missing.push(at),
        }
    }
    let images = hashes.iter().filter(|hash| hash.is_some()).count() + missing.len();
    let made = hash_on_threads(stores, &entries, &missing, options.workers.max(1), cancel, progress);
    if cancel.is_cancelled() {
        return Err(DupesError::Cancelled);
    }

    let mut report = RepostReport { folder: folder.to_owned(), images, ..RepostReport::default() };
    let mut measured = vec![false; entries.len()];
    for (at, outcome) in made {
        match outcome {
            Outcome::Hashed { hash, dimensions, decoded } => {
                let entry = &mut entries[at];
                measured[at] = entry.dimensions != Some(dimensions);
                entry.dimensions = Some(dimensions);
                hashes[at] = Some(hash);
                stores.hashes.record(&entry.path, entry.stat(), hash);
                report.hashed += 1;
                report.decoded += usize::from(decoded);
            }
            Outcome::Unreadable => report.unreadable += 1,
        }
    }
    changed.iter().for_each(|&at| measured[at] = true);
    let rows = entries.iter().zip(&measured).filter(|(_, measured)| **measured).map(|(entry, _)| entry.row());
    index.save(folder, rows, &gone)?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |t| t.as_secs() as i64);
    index.touch(folder, now)?;
    let forgotten = index.evict(folder, index::MAX_INDEXED_FILES)?;
    stores.cache.remove(&forgotten);
    stores.hashes.flush()?;
    stores.hashes.prune(folder)?;

    report.groups = groups_of(places, folder, entries, &hashes, options.threshold);
    Ok(report)
}

/// The groups among the entries that have a hash, with what the archive knows of each copy.
fn groups_of(
    places: &LibraryPlaces,
    folder: &Path,
    entries: Vec<Entry>,
    hashes: &[Option<u64>],
    threshold: u32,
) -> Vec<RepostGroup> {
    let (hashed, values): (Vec<usize>, Vec<u64>) =
        hashes.iter().enumerate().filter_map(|(at, hash)| Some((at, (*hash)?))).unzip();
    let found = reposts::group(&values, threshold);
    if found.is_empty() {
        return Vec::new();
    }
    let meta = places.folder_metadata(folder);
    let mut slots: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
    let mut groups: Vec<RepostGroup> = found
        .into_iter()
        .map(|members| {
            let copies = members.into_iter().filter_map(|member| slots[hashed[member]].take());
            RepostGroup::new(
                copies
                    .map(|entry| {
                        let found = meta.get(&entry.path).cloned();
                        entry.with_meta(found)
                    })
                    .collect(),
            )
        })
        .collect();
    groups.sort_by(|a, b| match (a.best(), b.best()) {
        (Some(a), Some(b)) => crate::library::query::name_order(a, b),
        _ => std::cmp::Ordering::Equal,
    });
    groups
}

/// What hashing one picture came to.
enum Outcome {
    Hashed { hash: u64, dimensions: (u32, u32), decoded: bool },
    Unreadable,
}

/// Hashes `entries[at]` for each `at` of `todo` on `workers` threads.
fn hash_on_threads(
    stores: &LibraryStores,
    entries: &[Entry],
    todo: &[usize],
    workers: usize,
    cancel: &CancellationToken,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<(usize, Outcome)> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let work = || {
        let mut made = Vec::new();
        while !cancel.is_cancelled() {
            let Some(&at) = todo.get(next.fetch_add(1, Ordering::Relaxed)) else { break };
            made.push((at, hash_one(stores, &entries[at])));
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, todo.len());
        }
        made
    };
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..workers.min(todo.len()).max(1)).map(|_| scope.spawn(work)).collect();
        threads
            .into_iter()
            .flat_map(|thread| {
                thread.join().unwrap_or_else(|_| {
                    tracing::error!("a hashing thread panicked; some pictures of the folder are in no group");
                    Vec::new()
                })
            })
            .collect()
    })
}

/// The hash of one picture, from its cached thumbnail or, lacking one, from a thumbnail
/// made now (and cached, as the thumbnailer would).
fn hash_one(stores: &LibraryStores, entry: &Entry) -> Outcome {
    let stat = entry.stat();
    match stores.cache.lookup(&entry.path, stat.mtime) {
        Lookup::Fresh(thumbnail) => {
            let hash = phash::repost_hash(&thumbnail.rgba, thumbnail.width, thumbnail.height);
            let dimensions = thumbnail.image_size.or(entry.dimensions).unwrap_or((thumbnail.width, thumbnail.height));
            match hash {
                Some(hash) => Outcome::Hashed { hash, dimensions, decoded: false },
                None => Outcome::Unreadable,
            }
        }
        Lookup::Missing if stores.failures.failed_before(&entry.path, stat) => Outcome::Unreadable,
        Lookup::Missing => hash_from_image(stores, &entry.path, stat),
    }
}

fn hash_from_image(stores: &LibraryStores, path: &Path, stat: FileStat) -> Outcome {
    match thumbnail::thumbnail_file(path, cache::LARGE) {
        Ok(decoded) => {
            let pixels = &decoded.pixels;
            let Some(hash) = phash::repost_hash(&pixels.rgba, pixels.width, pixels.height) else {
                return Outcome::Unreadable;
            };
            let dimensions = (decoded.width, decoded.height);
            let stored = ThumbnailPixels {
                rgba: &pixels.rgba,
                width: pixels.width,
                height: pixels.height,
                image_size: Some(dimensions),
            };
            if let Err(error) = stores.cache.store(path, stat, stored) {
                tracing::warn!("{error}");
            }
            Outcome::Hashed { hash, dimensions, decoded: true }
        }
        Err(error) => {
            // As the thumbnailer does: only what the bytes decide is remembered.
            if !matches!(error, ThumbnailError::Read(_)) {
                stores.failures.mark(path, stat);
            }
            tracing::info!("no hash for {}: {error}", path.display());
            Outcome::Unreadable
        }
    }
}
