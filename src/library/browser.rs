//! The library's service: opening a folder (its index first, then a fresh
//! listing, then what the archive knows), and thumbnail workers that make what is on
//! screen first and the rest of the folder after, into the shared thumbnail cache.
//!
//! Workers are plain threads pulling from one queue with two lanes: `wanted` (tiles on
//! screen, whose pixels go to the UI) and `rest` (the whole folder, made into the cache
//! only, never held in memory). Every worker takes wanted jobs; all but one take the rest,
//! so the window keeps a core while a big folder is thumbnailed. A new folder bumps the
//! queue's generation and drops the old folder's jobs; the engine's shutdown stops them.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::failures::FailureMarks;
use super::find::{FindOptions, LibraryStores, find_reposts};
use super::hashes::HashStore;
use super::index::{self, FolderIndex};
use super::messages::{LibraryCommand, LibraryEvent, Thumbnail, ThumbnailFailure};
use super::phash;
use super::places::LibraryPlaces;
use super::query::{self, SortKey, SortOrder};
use super::trash::{restore_files, trash_files};
use super::watch::FolderWatch;
use super::{CachedThumbnail, Entry, FileStat, ImageMeta, Listing, Lookup, ThumbnailCache, ThumbnailPixels, cache};
use crate::events::Sink;
use crate::lock::lock_or_recover;
use crate::media::thumbnail;
use crate::media::{MediaKind, Pixels};

/// Thumbnail workers: all of them make what is on screen (and the first screen of a folder
/// just opened); the rest of a folder is left to every core but one, so the UI keeps a core.
pub fn worker_counts() -> (usize, usize) {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    (cores.max(1), cores.saturating_sub(1).max(1))
}

/// Thumbnails that count as a first screen: a full-screen grid of small tiles.
pub const FIRST_SCREEN: usize = 96;
/// Longest the index write waits for the first screen.
const FIRST_SCREEN_WAIT: Duration = Duration::from_secs(2);

/// One thumbnail to make.
#[derive(Debug, Clone)]
struct ThumbJob {
    generation: u64,
    path: PathBuf,
    /// What the index knows of the file (`None` for a file it has not listed: a fresh save).
    stat: Option<FileStat>,
    /// Its dimensions are known already (no index update needed).
    measured: bool,
    /// Asked for by the screen (its pixels go to the UI), not by the background pass.
    on_screen: bool,
    /// The kernel was already asked to read the file ahead (see [`read_ahead`]).
    read_ahead: bool,
    /// Among the first screen of a folder just opened: every worker takes it, and its
    /// pixels go to the UI without being asked for (the grid is about to show it).
    first_screen: bool,
}

impl ThumbJob {
    /// Made for the screen: before anything else, its pixels sent to the UI.
    fn urgent(&self) -> bool {
        self.on_screen || self.first_screen
    }
}

/// How many queued jobs ahead of the one being made have their files read ahead. A cold
/// folder's files come off the disk at about 2 ms each, as long as decoding one: reading
/// the next ones meanwhile keeps the workers decoding instead of waiting.
const READ_AHEAD: usize = 16;

#[derive(Default)]
struct Lanes {
    generation: u64,
    folder: Option<PathBuf>,
    wanted: VecDeque<ThumbJob>,
    rest: VecDeque<ThumbJob>,
    /// Files being made for the screen now: their pixels are on the way to the UI.
    making: Vec<PathBuf>,
    /// What the index says of each file of the open folder.
    known: HashMap<PathBuf, (FileStat, bool)>,
    /// Background progress: made (or found made) and queued in all.
    done: usize,
    total: usize,
    /// The grid's order, which the background follows.
    order: SortOrder,
}

impl Lanes {
    /// The next job: what the screen asked for, then a folder's first screen, then (for a
    /// background worker, unless `urgent_only`) the rest of the folder. With it, the files
    /// to read ahead.
    fn pop(&mut self, background: bool, urgent_only: bool) -> Option<(ThumbJob, Vec<PathBuf>)> {
        // A folder's first screen is on-screen work that comes before the grid asks.
        let takes_rest = self.rest.front().is_some_and(|job| job.first_screen) || (background && !urgent_only);
        let job = self.wanted.pop_front().or_else(|| if takes_rest { self.rest.pop_front() } else { None })?;
        if job.urgent() {
            self.making.push(job.path.clone());
        }
        Some((job, self.take_read_ahead()))
    }

    /// Makes `paths` the screen's jobs, replacing the last screen's: each once (a file of
    /// the first screen queued or being made is not made again).
    fn want(&mut self, paths: Vec<PathBuf>) {
        let mut jobs: VecDeque<ThumbJob> = paths
            .into_iter()
            .filter(|path| !self.making.contains(path))
            .map(|path| {
                let known = self.known.get(&path).copied();
                ThumbJob {
                    generation: self.generation,
                    stat: known.map(|k| k.0),
                    measured: known.is_some_and(|k| k.1),
                    on_screen: true,
                    read_ahead: false,
                    first_screen: false,
                    path,
                }
            })
            .collect();
        take_over_first_screen(&mut self.rest, &mut jobs);
        self.wanted = jobs;
    }

    /// The files of the next few jobs not yet read ahead, marked as read ahead now. Only
    /// jobs without a thumbnail (`measured` is false) are read: the image of a thumbnailed
    /// file is not opened at all.
    fn take_read_ahead(&mut self) -> Vec<PathBuf> {
        let upcoming = self.wanted.iter_mut().chain(self.rest.iter_mut()).take(READ_AHEAD);
        upcoming
            .filter(|job| !job.read_ahead && !job.measured)
            .map(|job| {
                job.read_ahead = true;
                job.path.clone()
            })
            .collect()
    }
}

/// Asks the kernel to start reading `path` into the page cache, without waiting for it.
#[cfg(unix)]
fn read_ahead(path: &Path) {
    use std::os::fd::AsRawFd;
    // A file that cannot be opened now fails properly when its job comes.
    // Never a blocking open: the file may have been swapped for a FIFO since it was listed.
    let Ok(file) = crate::files::open_regular(path) else { return };
    // SAFETY: `file` is an open descriptor for the duration of the call; WILLNEED only
    // starts reads into the page cache.
    unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_WILLNEED) };
}

#[cfg(not(unix))]
fn read_ahead(_path: &Path) {}

/// The two-lane job queue shared by the workers.
#[derive(Default)]
struct Queue {
    lanes: Mutex<Lanes>,
    /// New jobs were queued.
    ready: Condvar,
    /// A background job was done.
    progressed: Condvar,
}

impl Queue {
    /// The next job for a worker, waiting a little if there is none. Background workers
    /// take from both lanes, the on-screen worker only from `wanted`.
    fn next(&self, background: bool) -> Option<ThumbJob> {
        let mut lanes = lock_or_recover(&self.lanes, "the thumbnail queue");
        loop {
            if let Some((job, ahead)) = lanes.pop(background, false) {
                drop(lanes);
                ahead.iter().for_each(|path| read_ahead(path));
                return Some(job);
            }
            let (next, timeout) = self
                .ready
                .wait_timeout(lanes, Duration::from_millis(200))
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            lanes = next;
            if timeout.timed_out() {
                return None;
            }
        }
    }

    /// The next job for the screen, if one is queued now (without waiting).
    fn next_urgent(&self) -> Option<ThumbJob> {
        let (job, ahead) = lock_or_recover(&self.lanes, "the thumbnail queue").pop(false, true)?;
        ahead.iter().for_each(|path| read_ahead(path));
        Some(job)
    }
}

/// Index updates (new measurements) waiting to be written, per folder.
type Pending = Arc<Mutex<Vec<(PathBuf, Entry)>>>;

/// The library's service: owned by the controller, one per engine.
pub struct Browser {
    places: LibraryPlaces,
    cache: ThumbnailCache,
    queue: Arc<Queue>,
    index: Arc<Mutex<Option<FolderIndex>>>,
    measured: Pending,
    events: Sink<LibraryEvent>,
    /// The watch of the folder open now.
    watch: Mutex<Option<FolderWatch>>,
    /// Files that could not be thumbnailed (until they change).
    failures: Arc<FailureMarks>,
    /// Each image's perceptual hash, made from its thumbnail's pixels (reposts).
    hashes: Arc<HashStore>,
}

impl Browser {
    /// Starts the worker threads; they stop when `shutdown` is cancelled.
    pub fn start(
        places: LibraryPlaces,
        events: Sink<LibraryEvent>,
        shutdown: CancellationToken,
        workers: (usize, usize),
    ) -> Self {
        let browser = Self {
            cache: ThumbnailCache::new(&places.thumbnails),
            failures: Arc::new(FailureMarks::new(&places.index)),
            hashes: Arc::new(HashStore::new(&places.index)),
            places,
            queue: Arc::new(Queue::default()),
            index: Arc::new(Mutex::new(None)),
            measured: Arc::default(),
            events,
            watch: Mutex::new(None),
        };
        let (all, background) = workers;
        for number in 0..all.max(1) {
            let worker = browser.worker(number < background, shutdown.clone());
            let spawned = std::thread::Builder::new().name(format!("galley-thumbs-{number}")).spawn(worker);
            if let Err(error) = spawned {
                tracing::error!("cannot start a thumbnail worker: {error}");
            }
        }
        browser.spawn_index_writer(shutdown);
        browser
    }

    /// Serves one of the front end's asks (`shutdown` stops a search for reposts).
    pub fn handle(&self, command: LibraryCommand, shutdown: &CancellationToken) {
        match command {
            LibraryCommand::OpenFolder { folder, order } => self.open(folder, order),
            LibraryCommand::Reorder(order) => self.reorder(order),
            LibraryCommand::Want(paths) => self.want(paths),
            LibraryCommand::Trash(paths) => self.trash(paths),
            LibraryCommand::Restore(paths) => self.restore(paths),
            LibraryCommand::ClearThumbnails => self.clear_thumbnails(),
            LibraryCommand::FindReposts { folder, threshold } => self.find_reposts(folder, threshold, shutdown),
        }
    }

    /// Opens `folder`: sends its entries from the index at once, then as the folder is
    /// now, then queues the thumbnails it lacks. Runs on a blocking thread.
    pub fn open(&self, folder: PathBuf, order: SortOrder) {
        self.watch(&folder);
        let generation = {
            let mut lanes = lock_or_recover(&self.queue.lanes, "the thumbnail queue");
            lanes.generation += 1;
            *lanes = Lanes { generation: lanes.generation, folder: Some(folder.clone()), order, ..Lanes::default() };
            lanes.generation
        };
        let opener = Opener {
            folder,
            order,
            generation,
            places: self.places.clone(),
            cache: self.cache.clone(),
            queue: self.queue.clone(),
            index: self.index.clone(),
            events: self.events.clone(),
            hashes: self.hashes.clone(),
        };
        tokio::task::spawn_blocking(move || opener.open());
    }

    /// Watches `folder` (and stops watching the one before), unless it is watched already.
    fn watch(&self, folder: &Path) {
        let mut watch = lock_or_recover(&self.watch, "the folder watch");
        if watch.as_ref().is_some_and(|watch| watch.folder() == folder) {
            return;
        }
        *watch = FolderWatch::start(folder, self.events.clone());
    }

    /// The grid's sort changed: the rest of the open folder is made in its new order (the
    /// first screen's jobs left queued stay first). Sorts on a blocking thread.
    pub fn reorder(&self, order: SortOrder) {
        let queue = self.queue.clone();
        tokio::task::spawn_blocking(move || {
            let (generation, mut jobs) = {
                let mut lanes = lock_or_recover(&queue.lanes, "the thumbnail queue");
                if lanes.order == order {
                    return;
                }
                lanes.order = order;
                let first_screen = lanes.rest.iter().take_while(|job| job.first_screen).count();
                (lanes.generation, lanes.rest.split_off(first_screen))
            };
            sort_jobs(&mut jobs, order);
            let mut lanes = lock_or_recover(&queue.lanes, "the thumbnail queue");
            if lanes.generation == generation {
                // Jobs the opener queued meanwhile (sorted by it in the new order) go after.
                let first_screen = lanes.rest.iter().take_while(|job| job.first_screen).count();
                let added = lanes.rest.split_off(first_screen);
                lanes.rest.extend(jobs);
                lanes.rest.extend(added);
                queue.ready.notify_all();
            }
        });
    }

    /// The files on screen that need their thumbnail: made before anything else. Replaces
    /// the previous screen's request (the user has scrolled on).
    pub fn want(&self, paths: Vec<PathBuf>) {
        lock_or_recover(&self.queue.lanes, "the thumbnail queue").want(paths);
        self.queue.ready.notify_all();
    }

    fn worker(&self, background: bool, shutdown: CancellationToken) -> impl FnOnce() + Send + 'static {
        let (queue, cache, events, measured) =
            (self.queue.clone(), self.cache.clone(), self.events.clone(), self.measured.clone());
        let (failures, hashes) = (self.failures.clone(), self.hashes.clone());
        move || {
            // Thumbnails made for the screen are written to the cache once no job for the
            // screen is left: the screen does not wait for PNG encodes.
            let mut unstored: Vec<Unstored> = Vec::new();
            while !shutdown.is_cancelled() {
                let job = match unstored.is_empty() {
                    true => queue.next(background),
                    false => queue.next_urgent(),
                };
                let Some(job) = job else {
                    unstored.drain(..).for_each(|thumbnail| thumbnail.store(&cache));
                    continue;
                };
                let current = lock_or_recover(&queue.lanes, "the thumbnail queue").generation;
                if job.generation != current {
                    continue;
                }
                let wanted = job.urgent() || is_wanted(&queue, &job);
                let made = make(&cache, &failures, &hashes, &job, wanted);
                let made = report(&queue, &events, &measured, &job, made, wanted);
                done(&queue, &job);
                if let Some(thumbnail) = made {
                    match wanted {
                        true => unstored.push(thumbnail),
                        false => thumbnail.store(&cache),
                    }
                }
            }
            unstored.drain(..).for_each(|thumbnail| thumbnail.store(&cache));
        }
    }

    /// Writes new measurements to the index in batches, and tells the UI.
    fn spawn_index_writer(&self, shutdown: CancellationToken) {
        let (index, measured, places, events, queue) =
            (self.index.clone(), self.measured.clone(), self.places.clone(), self.events.clone(), self.queue.clone());
        let hashes = self.hashes.clone();
        let writer = move || {
            let mut last_sent = (0, 0);
            while !shutdown.is_cancelled() {
                std::thread::sleep(Duration::from_millis(250));
                let batch = std::mem::take(&mut *lock_or_recover(&measured, "the index updates"));
                if !batch.is_empty() {
                    write_measurements(&index, &places, &events, batch);
                }
                // After the rows they belong beside.
                if let Err(error) = hashes.flush() {
                    tracing::warn!("cannot keep the pictures' hashes: {error}");
                }
                let (done, total, folder) = {
                    let lanes = lock_or_recover(&queue.lanes, "the thumbnail queue");
                    (lanes.done, lanes.total, lanes.folder.clone())
                };
                // Only news is sent: an idle library does not wake the window.
                if let Some(folder) = folder.filter(|_| total > 0 && last_sent != (done, total)) {
                    last_sent = (done, total);
                    events.send_blocking(LibraryEvent::Progress { folder, made: done.min(total), total });
                }
            }
        };
        if let Err(error) = std::thread::Builder::new().name("galley-index".into()).spawn(writer) {
            tracing::error!("cannot start the index writer: {error}");
        }
    }
}

impl Browser {
    /// Moves files to the trash (a blocking thread) and says how it went.
    pub fn trash(&self, paths: Vec<PathBuf>) {
        let (trash, cache, events) = (self.places.trash.clone(), self.cache.clone(), self.events.clone());
        tokio::task::spawn_blocking(move || {
            let result = trash_files(&trash, &paths).map_err(Arc::new);
            if result.is_ok() {
                cache.remove(&paths);
            }
            events.send_blocking(LibraryEvent::Trashed { paths, result });
        });
    }

    /// Puts files moved to the trash back where they were.
    pub fn restore(&self, paths: Vec<PathBuf>) {
        let (trash, events) = (self.places.trash.clone(), self.events.clone());
        tokio::task::spawn_blocking(move || {
            // A name used again since (a new download, a file of yours) keeps its file: the
            // old one stays in the trash, and the window says so.
            let (taken, free): (Vec<PathBuf>, Vec<PathBuf>) =
                paths.iter().cloned().partition(|path| std::fs::symlink_metadata(path).is_ok());
            let result = restore_files(&trash, &free).map(|()| taken).map_err(Arc::new);
            events.send_blocking(LibraryEvent::Restored { paths: free, result });
        });
    }

    /// Finds the reposts in `folder` (a blocking thread, hashing on every core but the
    /// window's), saying how far it got at most every 100 ms, then what it found.
    pub fn find_reposts(&self, folder: PathBuf, threshold: u32, shutdown: &CancellationToken) {
        let stores =
            LibraryStores { cache: self.cache.clone(), failures: self.failures.clone(), hashes: self.hashes.clone() };
        let (places, events, cancel) = (self.places.clone(), self.events.clone(), shutdown.child_token());
        let workers = worker_counts().1;
        tokio::task::spawn_blocking(move || {
            let last_sent = Mutex::new(std::time::Instant::now());
            let progress = |done: usize, total: usize| {
                let mut last = lock_or_recover(&last_sent, "the search's progress");
                if done == total || last.elapsed() >= Duration::from_millis(100) {
                    *last = std::time::Instant::now();
                    drop(last);
                    events.send_blocking(LibraryEvent::RepostsProgress { folder: folder.clone(), done, total });
                }
            };
            let options = FindOptions { threshold, workers };
            let found = find_reposts(&places, &stores, &folder, options, &cancel, &progress);
            if let Err(error) = &found {
                tracing::warn!("the search for reposts in {} failed: {error}", folder.display());
            }
            events.send_blocking(LibraryEvent::Reposts { folder, result: found.map_err(Arc::new) });
        });
    }

    /// Removes every thumbnail galley's index knows of, and the index itself.
    pub fn clear_thumbnails(&self) {
        let (index, places, cache, events) =
            (self.index.clone(), self.places.clone(), self.cache.clone(), self.events.clone());
        let (failures, hashes) = (self.failures.clone(), self.hashes.clone());
        tokio::task::spawn_blocking(move || {
            failures.clear();
            if let Err(error) = hashes.clear() {
                tracing::warn!("cannot forget the pictures' hashes: {error}");
            }
            let mut slot = lock_or_recover(&index, "the library index");
            let result = match open_index(&mut slot, &places, &events) {
                Some(index) => {
                    index.all_files().and_then(|files| index.clear().map(|()| cache.remove(&files))).map_err(Arc::new)
                }
                None => Err(Arc::new(index::IndexError::Unavailable)),
            };
            events.send_blocking(LibraryEvent::ThumbnailsCleared(result));
        });
    }
}

/// Moves the first-screen jobs of `rest` that the screen now asks for into `wanted`'s, so
/// each is made once (and still counts as the first screen's).
fn take_over_first_screen(rest: &mut VecDeque<ThumbJob>, wanted: &mut VecDeque<ThumbJob>) {
    let mut at = 0;
    for _ in 0..rest.len().min(FIRST_SCREEN) {
        if !rest[at].first_screen {
            at += 1;
            continue;
        }
        match wanted.iter_mut().find(|job| job.path == rest[at].path) {
            Some(job) => {
                if let Some(taken) = rest.remove(at) {
                    job.first_screen = true;
                    job.stat = job.stat.or(taken.stat);
                    job.measured |= taken.measured;
                }
            }
            None => at += 1,
        }
    }
}

/// Whether a background job's file is also on screen now (then its pixels are sent).
fn is_wanted(queue: &Queue, job: &ThumbJob) -> bool {
    let lanes = lock_or_recover(&queue.lanes, "the thumbnail queue");
    let position = lanes.wanted.iter().position(|wanted| wanted.path == job.path);
    position.is_some()
}

/// What making one thumbnail came to.
enum Made {
    /// Read from the cache: pixels (only for files on screen) and the image's dimensions.
    Cached {
        pixels: Option<CachedThumbnail>,
        dimensions: Option<(u32, u32)>,
        stat: FileStat,
    },
    /// Made from the image now, not yet written to the cache.
    New {
        thumbnail: CachedThumbnail,
        stat: FileStat,
    },
    /// Already in the cache and not on screen: nothing to read.
    AlreadyCached,
    Failed(ThumbnailFailure),
    /// A video, or a file gone meanwhile: nothing to show.
    Nothing,
}

fn make(cache: &ThumbnailCache, failures: &FailureMarks, hashes: &HashStore, job: &ThumbJob, wanted: bool) -> Made {
    let stat = match job.stat {
        Some(stat) => stat,
        None => match file_stat(&job.path) {
            Some(stat) => stat,
            None => return Made::Nothing,
        },
    };
    let is_video =
        job.path.extension().and_then(|e| e.to_str()).and_then(MediaKind::from_extension) == Some(MediaKind::Mp4);
    if is_video {
        return Made::Nothing;
    }
    // In the background, a thumbnail on disk for a file the index has not seen change is
    // taken as made: checking costs a `stat`, not a PNG decode.
    // (A file hashed before this galley hashed pictures has its thumbnail read once more.)
    let done = job.measured && hashes.has(&job.path, stat);
    if !wanted && done && cache.large_path(&job.path).is_ok_and(|path| path.exists()) {
        return Made::AlreadyCached;
    }
    match cache.lookup(&job.path, stat.mtime) {
        Lookup::Fresh(thumbnail) => {
            remember_hash(hashes, &job.path, stat, &thumbnail);
            let dimensions = thumbnail.image_size;
            return Made::Cached { pixels: wanted.then_some(thumbnail), dimensions, stat };
        }
        Lookup::Missing if failures.failed_before(&job.path, stat) => {
            return Made::Failed(ThumbnailFailure::FailedBefore);
        }
        Lookup::Missing => {}
    }
    match thumbnail::thumbnail_file(&job.path, cache::LARGE) {
        Ok(decoded) => {
            let thumbnail = CachedThumbnail {
                width: decoded.pixels.width,
                height: decoded.pixels.height,
                rgba: decoded.pixels.rgba,
                image_size: Some((decoded.width, decoded.height)),
            };
            remember_hash(hashes, &job.path, stat, &thumbnail);
            Made::New { thumbnail, stat }
        }
        // Only what the bytes themselves decide is remembered as a failure (until the file
        // changes): a file that could not be read (no permission yet, not a regular file)
        // may be readable the next time without its time or size changing.
        Err(error @ thumbnail::ThumbnailError::Read(_)) => Made::Failed(ThumbnailFailure::Decode(Arc::new(error))),
        Err(error) => {
            failures.mark(&job.path, stat);
            Made::Failed(ThumbnailFailure::Decode(Arc::new(error)))
        }
    }
}

/// The picture's perceptual hash, made from the thumbnail's pixels at hand (reposts).
fn remember_hash(hashes: &HashStore, path: &Path, stat: FileStat, thumbnail: &CachedThumbnail) {
    if let Some(hash) = phash::repost_hash(&thumbnail.rgba, thumbnail.width, thumbnail.height) {
        hashes.record(path, stat, hash);
    }
}

/// Counts the job, remembers the image's dimensions and sends the pixels of a wanted one.
/// Returns a thumbnail made now, for the caller to write to the cache.
fn report(
    queue: &Queue,
    events: &Sink<LibraryEvent>,
    measured: &Pending,
    job: &ThumbJob,
    made: Made,
    wanted: bool,
) -> Option<Unstored> {
    let (pixels, dimensions, stat, unstored) = match made {
        Made::Cached { pixels, dimensions, stat } => (pixels.map(shared), dimensions, stat, None),
        Made::New { thumbnail, stat } => {
            let image_size = thumbnail.image_size;
            // Shown and written from the same pixels.
            let pixels = shared(thumbnail);
            let unstored = Unstored { path: job.path.clone(), stat, pixels: pixels.clone(), image_size };
            (wanted.then_some(pixels), image_size, stat, Some(unstored))
        }
        Made::Failed(reason) => {
            if wanted {
                events.send_blocking(LibraryEvent::ThumbnailFailed { path: job.path.clone(), reason });
            }
            return None;
        }
        Made::AlreadyCached | Made::Nothing => return None,
    };
    if let (false, Some(dimensions)) = (job.measured, dimensions) {
        remember_measurement(queue, measured, &job.path, stat, dimensions);
    }
    if let Some(pixels) = pixels {
        let (width, height) = dimensions.unwrap_or((pixels.width, pixels.height));
        let thumbnail = Thumbnail { path: job.path.clone(), bytes: stat.bytes, width, height, pixels };
        events.send_blocking(LibraryEvent::Thumbnail(thumbnail));
    }
    unstored
}

/// Counts `job` as done, once what it made has been sent.
fn done(queue: &Queue, job: &ThumbJob) {
    let mut lanes = lock_or_recover(&queue.lanes, "the thumbnail queue");
    if lanes.generation != job.generation {
        return;
    }
    if job.urgent() {
        lanes.making.retain(|path| *path != job.path);
    }
    // The background's own jobs count, and the first screen's ones the screen took over.
    if !job.on_screen || job.first_screen {
        lanes.done += 1;
        queue.progressed.notify_all();
    }
}

fn shared(thumbnail: CachedThumbnail) -> Arc<Pixels> {
    Arc::new(Pixels { width: thumbnail.width, height: thumbnail.height, rgba: thumbnail.rgba })
}

/// A thumbnail made from its image and not yet in the cache.
struct Unstored {
    path: PathBuf,
    stat: FileStat,
    pixels: Arc<Pixels>,
    image_size: Option<(u32, u32)>,
}

impl Unstored {
    fn store(self, cache: &ThumbnailCache) {
        let Pixels { width, height, rgba } = &*self.pixels;
        let pixels = ThumbnailPixels { rgba, width: *width, height: *height, image_size: self.image_size };
        if let Err(error) = cache.store(&self.path, self.stat, pixels) {
            tracing::warn!("{error}");
        }
    }
}

fn remember_measurement(queue: &Queue, measured: &Pending, path: &Path, stat: FileStat, dimensions: (u32, u32)) {
    let Some(folder) = path.parent() else { return };
    let Some(name) = path.file_name().and_then(super::names::name_key) else { return };
    let Some(kind) = path.extension().and_then(|e| e.to_str()).and_then(MediaKind::from_extension) else { return };
    if let Some(known) = lock_or_recover(&queue.lanes, "the thumbnail queue").known.get_mut(path) {
        known.1 = true;
    }
    let listed = index::Listed { name: name.into_owned(), bytes: stat.bytes, mtime: stat.mtime, kind };
    let entry = Entry::new(folder, listed).with_dimensions(Some(dimensions));
    lock_or_recover(measured, "the index updates").push((folder.to_owned(), entry));
}

fn write_measurements(
    index: &Mutex<Option<FolderIndex>>,
    places: &LibraryPlaces,
    events: &Sink<LibraryEvent>,
    batch: Vec<(PathBuf, Entry)>,
) {
    let mut by_folder: HashMap<PathBuf, Vec<Entry>> = HashMap::new();
    for (folder, entry) in batch {
        by_folder.entry(folder).or_default().push(entry);
    }
    let mut index = lock_or_recover(index, "the library index");
    for (folder, entries) in by_folder {
        if let Some(index) = open_index(&mut index, places, events)
            && let Err(error) = index.save(&folder, entries.iter().map(Entry::row), &[])
        {
            tracing::warn!("cannot update the library index: {error}");
        }
        let sizes = entries.iter().filter_map(|entry| Some((entry.path.clone(), entry.dimensions?))).collect();
        events.send_blocking(LibraryEvent::Measured { folder, sizes });
    }
}

/// The index, opened on first use (a damaged one moved aside and started afresh, which
/// the window is told once); `None` (and a log line) when it cannot be opened.
fn open_index<'a>(
    slot: &'a mut Option<FolderIndex>,
    places: &LibraryPlaces,
    events: &Sink<LibraryEvent>,
) -> Option<&'a mut FolderIndex> {
    if slot.is_none() {
        match FolderIndex::open_or_rebuild(&places.index) {
            Ok(reopened) => {
                if let Some(moved_to) = reopened.damaged {
                    events.send_blocking(LibraryEvent::IndexRebuilt { moved_to });
                }
                *slot = Some(reopened.index);
            }
            Err(error) => tracing::warn!("the library index cannot be opened, so folders are listed afresh: {error}"),
        }
    }
    slot.as_mut()
}

fn file_stat(path: &Path) -> Option<FileStat> {
    let metadata = std::fs::metadata(path).ok()?;
    let mtime = metadata.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
    Some(FileStat { mtime, bytes: metadata.len() })
}

/// Opening one folder, on a blocking thread.
struct Opener {
    folder: PathBuf,
    /// The grid's order, which the background pass follows.
    order: SortOrder,
    generation: u64,
    places: LibraryPlaces,
    cache: ThumbnailCache,
    queue: Arc<Queue>,
    index: Arc<Mutex<Option<FolderIndex>>>,
    events: Sink<LibraryEvent>,
    hashes: Arc<HashStore>,
}

impl Opener {
    fn open(self) {
        let folder = self.folder.clone();
        let indexed = {
            let mut slot = lock_or_recover(&self.index, "the library index");
            open_index(&mut slot, &self.places, &self.events).map(|index| index.load(&folder))
        };
        let indexed = match indexed {
            Some(Ok(entries)) => entries,
            Some(Err(error)) => {
                tracing::warn!("the library index cannot be read, so the folder is listed afresh: {error}");
                Vec::new()
            }
            None => Vec::new(),
        };
        let meta = self.metadata();
        if !indexed.is_empty() {
            let listing = Listing::new(for_the_grid(&indexed, &meta), self.order);
            self.events.send_blocking(LibraryEvent::Folder { folder: folder.clone(), listing, complete: false });
        }
        let listed = match index::list_folder(&folder) {
            Ok(listed) => listed,
            Err(error) => {
                let missing = !folder.exists();
                self.events.send_blocking(LibraryEvent::FolderFailed { folder, reason: Arc::new(error), missing });
                return;
            }
        };
        let index::Reconciled { entries, changed, gone } = index::reconcile(&folder, indexed, listed);
        let (grid, kept) = grid_and_kept(entries, &changed, &meta);
        let listing = Listing::new(grid, self.order);
        // The workers start on the grid's first screen while the grid takes the listing
        // and asks for that screen.
        let sorted = listing.sorted().map_or(&[][..], |sorted| &sorted.order);
        let order: Vec<usize> = sorted.iter().copied().filter(|&at| !kept[at].kind.is_video()).collect();
        let (first_screen, rest) = order.split_at(order.len().min(FIRST_SCREEN));
        let first = self.enqueue(&kept, first_screen, Queued::First { total: order.len() });
        self.events.send_blocking(LibraryEvent::Folder { folder, listing, complete: true });
        // Queueing the rest and writing the index take a core for tens and hundreds of
        // milliseconds: on a 2-core machine the first screen would wait behind them.
        self.wait_for_first_screen();
        // Which files have their hash, so the background makes only the missing ones.
        if let Err(error) = self.hashes.load_folder(&self.folder) {
            tracing::warn!("cannot read the pictures' hashes; they are made again: {error}");
        }
        if first {
            let known = kept.iter().map(|file| (file.path.clone(), (file.stat, file.dimensions.is_some()))).collect();
            self.enqueue(&kept, rest, Queued::Rest { known });
        }
        self.save(&kept, &gone);
    }

    /// What the archive knows of the folder's images, by path.
    fn metadata(&self) -> HashMap<PathBuf, Arc<ImageMeta>> {
        self.places.folder_metadata(&self.folder)
    }

    /// Waits (up to `FIRST_SCREEN_WAIT`) until the first screen of the background order and
    /// whatever the screen asked for are made, or another folder is opened.
    fn wait_for_first_screen(&self) {
        let lanes = lock_or_recover(&self.queue.lanes, "the thumbnail queue");
        let waited = self.queue.progressed.wait_timeout_while(lanes, FIRST_SCREEN_WAIT, |lanes| {
            lanes.generation == self.generation
                && !(lanes.wanted.is_empty() && lanes.done >= lanes.total.min(FIRST_SCREEN))
        });
        if let Err(error) = waited {
            tracing::warn!("the thumbnail queue's lock was poisoned: {error}");
        }
    }

    fn save(&self, kept: &[Kept], gone: &[String]) {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |t| t.as_secs() as i64);
        if let Some(index) =
            open_index(&mut lock_or_recover(&self.index, "the library index"), &self.places, &self.events)
            && let Err(error) = index.touch(&self.folder, now)
        {
            tracing::warn!("cannot update the library index: {error}");
        }
        let changed = kept.iter().filter(|file| file.changed).filter_map(Kept::row);
        if !kept.iter().any(|file| file.changed) && gone.is_empty() {
            return;
        }
        let mut slot = lock_or_recover(&self.index, "the library index");
        if let Some(index) = open_index(&mut slot, &self.places, &self.events) {
            if let Err(error) = index.save(&self.folder, changed, gone) {
                tracing::warn!("cannot update the library index: {error}");
            }
            // The cache stays bounded: folders opened longest ago are forgotten.
            match index.evict(&self.folder, index::MAX_INDEXED_FILES) {
                Ok(forgotten) => {
                    self.cache.remove(&forgotten);
                }
                Err(error) => tracing::warn!("cannot trim the library index: {error}"),
            }
        }
        let gone: Vec<PathBuf> = gone.iter().map(|name| self.folder.join(super::names::file_name(name))).collect();
        self.cache.remove(&gone);
    }

    /// Adds jobs for `files[at]` of each `at` in `order` to the background lane (built
    /// before the queue is locked, which the screen's requests must not wait behind).
    /// False if another folder was opened meanwhile.
    fn enqueue(&self, files: &[Kept], order: &[usize], queued: Queued) -> bool {
        let jobs = order.iter().map(|&at| &files[at]).map(|file| ThumbJob {
            generation: self.generation,
            path: file.path.clone(),
            stat: Some(file.stat),
            measured: file.dimensions.is_some(),
            on_screen: false,
            read_ahead: false,
            // A file with a thumbnail already (the index measured it) is read from the
            // cache when the grid asks: only new ones are made and sent ahead.
            first_screen: matches!(queued, Queued::First { .. }) && file.dimensions.is_none(),
        });
        let mut jobs: VecDeque<ThumbJob> = jobs.collect();
        let mut sorted_for = self.order;
        let mut lanes = loop {
            let lanes = lock_or_recover(&self.queue.lanes, "the thumbnail queue");
            // The grid's sort may have changed since the folder was opened.
            if lanes.order == sorted_for || matches!(queued, Queued::First { .. }) {
                break lanes;
            }
            sorted_for = lanes.order;
            drop(lanes);
            sort_jobs(&mut jobs, sorted_for);
        };
        if lanes.generation != self.generation {
            return false;
        }
        let lanes = &mut *lanes;
        match queued {
            Queued::First { total } => {
                lanes.rest = jobs;
                lanes.total = total;
                lanes.done = 0;
            }
            Queued::Rest { known } => {
                lanes.rest.extend(jobs);
                // Jobs asked for before the folder was listed learn what the index knows now.
                for job in &mut lanes.wanted {
                    if let Some(&(stat, measured)) = known.get(&job.path) {
                        job.stat = Some(stat);
                        job.measured = measured;
                    }
                }
                lanes.known = known;
            }
        }
        self.queue.ready.notify_all();
        true
    }
}

/// Puts `jobs` in the order `sort` shows their files in the grid: by what the listing
/// knew of each (its date and size; dimensions are not known of a file still to be made,
/// which the grid sorts first), ties by name as a person reads names.
fn sort_jobs(jobs: &mut VecDeque<ThumbJob>, sort: SortOrder) {
    let primary = |job: &ThumbJob| -> u64 {
        let stat = job.stat.unwrap_or(FileStat { mtime: 0, bytes: 0 });
        match sort.key {
            SortKey::DateSaved => (stat.mtime as u64) ^ (1 << 63),
            SortKey::Size => stat.bytes,
            SortKey::Name | SortKey::Dimensions => 0,
        }
    };
    let name =
        |job: &ThumbJob| job.path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    jobs.make_contiguous().sort_by_cached_key(|job| {
        let (primary, name) = (primary(job), name(job));
        let key = query::natural_key(&name);
        match (sort.descending, sort.key == SortKey::Name) {
            (false, _) => (primary, NameOrder(key, name, false)),
            (true, false) => (u64::MAX - primary, NameOrder(key, name, false)),
            (true, true) => (0, NameOrder(key, name, true)),
        }
    });
}

/// A name's place in [`sort_jobs`]: by its natural key, then as written; `reversed` for the
/// descending name order.
#[derive(PartialEq, Eq)]
struct NameOrder(Box<str>, String, bool);

impl PartialOrd for NameOrder {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NameOrder {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let order = self.0.cmp(&other.0).then_with(|| self.1.cmp(&other.1));
        if self.2 { order.reverse() } else { order }
    }
}

/// Which part of a folder's background jobs `Opener::enqueue` adds.
enum Queued {
    /// The first screen's, replacing what was queued: `total` jobs are coming in all.
    First { total: usize },
    /// The rest, with what the index knows of every file.
    Rest { known: HashMap<PathBuf, (FileStat, bool)> },
}

/// The entries as the grid takes them: with their metadata, in name order (sorted here,
/// off the UI thread, so the grid's own ranking of 50,000 names is one pass).
fn for_the_grid(entries: &[Entry], meta: &HashMap<PathBuf, Arc<ImageMeta>>) -> Vec<Entry> {
    query::name_places(entries).into_iter().map(|at| with_meta(entries[at].clone(), meta)).collect()
}

/// What the opener keeps of a file once the grid has its entry: for the thumbnail queue
/// and the index. Copying this is a fifth of copying an entry, and the grid's listing
/// waits for it.
struct Kept {
    /// The name as the index keeps it.
    name: String,
    path: PathBuf,
    stat: FileStat,
    kind: MediaKind,
    dimensions: Option<(u32, u32)>,
    /// New or changed since the index last saw it.
    changed: bool,
}

impl Kept {
    fn row(&self) -> Option<index::Row<'_>> {
        let FileStat { bytes, mtime } = self.stat;
        Some(index::Row { name: &self.name, bytes, mtime, kind: self.kind, dimensions: self.dimensions })
    }
}

/// The grid's entries ([`for_the_grid`]) and, for each in the same order, what the opener
/// keeps of it; `changed` are the places in `entries` of new or changed files.
fn grid_and_kept(
    entries: Vec<Entry>,
    changed: &[usize],
    meta: &HashMap<PathBuf, Arc<ImageMeta>>,
) -> (Vec<Entry>, Vec<Kept>) {
    let mut is_changed = vec![false; entries.len()];
    changed.iter().for_each(|&at| is_changed[at] = true);
    // Places, not entries, are sorted: moving 50,000 entries of 130 bytes took longer.
    let from = query::name_places(&entries);
    let kept: Vec<Kept> = from
        .iter()
        .map(|&at| {
            let entry = &entries[at];
            Kept {
                path: entry.path.clone(),
                name: entry.name.clone(),
                stat: entry.stat(),
                kind: entry.kind,
                dimensions: entry.dimensions,
                changed: is_changed[at],
            }
        })
        .collect();
    let mut slots: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
    let grid = from.iter().filter_map(|&at| slots[at].take()).map(|entry| with_meta(entry, meta)).collect();
    (grid, kept)
}

fn with_meta(entry: Entry, meta: &HashMap<PathBuf, Arc<ImageMeta>>) -> Entry {
    let found = meta.get(&entry.path).cloned();
    entry.with_meta(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_screen_job(name: &str) -> ThumbJob {
        ThumbJob {
            generation: 0,
            path: PathBuf::from("/f").join(name),
            stat: Some(FileStat { mtime: 1, bytes: 2 }),
            measured: false,
            on_screen: false,
            read_ahead: false,
            first_screen: true,
        }
    }

    #[test]
    fn jobs_are_sorted_as_the_grid_sorts_their_files() {
        use crate::library::{Listed, Query};
        let files = [("img10.png", 5, 300), ("img9.png", 5, 100), ("a.png", 7, 200), ("B.png", 1, 200)];
        let entries: Vec<Entry> = files
            .iter()
            .map(|&(name, mtime, bytes)| {
                Entry::new(Path::new("/f"), Listed { name: name.into(), bytes, mtime, kind: MediaKind::Png })
            })
            .collect();
        for key in [SortKey::DateSaved, SortKey::Name, SortKey::Size, SortKey::Dimensions] {
            for descending in [false, true] {
                let sort = SortOrder { key, descending };
                let mut jobs: VecDeque<ThumbJob> = entries
                    .iter()
                    .map(|entry| ThumbJob {
                        path: entry.path.clone(),
                        stat: Some(entry.stat()),
                        first_screen: false,
                        ..first_screen_job("")
                    })
                    .collect();
                sort_jobs(&mut jobs, sort);
                let grid = query::order(&entries, &Query { sort: key, descending, ..Query::default() });
                let expected: Vec<PathBuf> = grid.into_iter().map(|at| entries[at].path.clone()).collect();
                assert_eq!(paths(&jobs), expected, "{sort:?}");
            }
        }
    }

    fn paths(jobs: &VecDeque<ThumbJob>) -> Vec<PathBuf> {
        jobs.iter().map(|job| job.path.clone()).collect()
    }

    #[test]
    fn the_screen_takes_over_first_screen_jobs_and_skips_files_being_made() {
        // x has a thumbnail already, so it is not made ahead of the grid.
        let x = ThumbJob { first_screen: false, measured: true, ..first_screen_job("x") };
        let rest = [first_screen_job("a"), first_screen_job("b"), x, first_screen_job("c")];
        let mut lanes = Lanes { rest: rest.into(), ..Lanes::default() };
        let (taken, _) = lanes.pop(false, true).expect("the first screen is urgent");
        assert_eq!(taken.path, Path::new("/f/a"));
        assert_eq!(lanes.making, [PathBuf::from("/f/a")]);

        // The grid asks for what it has not got: a (being made), c (queued) and d.
        lanes.want(["a", "c", "d"].map(|name| PathBuf::from("/f").join(name)).to_vec());
        assert_eq!(paths(&lanes.wanted), [PathBuf::from("/f/c"), PathBuf::from("/f/d")], "a is not made twice");
        assert_eq!(paths(&lanes.rest), [PathBuf::from("/f/b"), PathBuf::from("/f/x")], "c is made once");
        let c = &lanes.wanted[0];
        assert!(c.first_screen && c.on_screen, "c still counts for the first screen");
        assert_eq!(c.stat, Some(FileStat { mtime: 1, bytes: 2 }), "what the listing knew is kept");
        assert!(!lanes.wanted[1].first_screen);
    }

    /// A file that could not be read (here a FIFO; in life a file not yet readable) is not
    /// marked failed: once it can be read, with the same time and size, it is made.
    #[cfg(unix)]
    #[test]
    fn a_file_that_could_not_be_read_is_not_marked_failed_and_is_made_once_readable() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbnailCache::new(dir.path().join("thumbnails"));
        let failures = FailureMarks::new(&dir.path().join("library.sqlite"));
        let hashes = HashStore::new(&dir.path().join("library.sqlite"));
        let path = dir.path().join("photo.png");
        crate::files::planted::fifo(&path);
        let stat = FileStat { mtime: 5, bytes: 100 };
        let job = ThumbJob { path: path.clone(), stat: Some(stat), measured: false, ..first_screen_job("x") };
        assert!(matches!(make(&cache, &failures, &hashes, &job, true), Made::Failed(_)));
        assert!(!failures.failed_before(&path, stat), "no failure mark for a read error");

        std::fs::remove_file(&path).unwrap();
        image::RgbImage::new(8, 8).save(&path).unwrap();
        assert!(matches!(make(&cache, &failures, &hashes, &job, true), Made::New { .. }), "made once readable");
        assert!(hashes.has(&path, stat), "its hash is made from the thumbnail's pixels");

        std::fs::write(&path, b"not an image at all").unwrap();
        assert!(matches!(make(&cache, &failures, &hashes, &job, true), Made::Failed(_)));
        assert!(failures.failed_before(&path, stat), "a bad image is remembered");
        assert!(!dir.path().join("thumbnails/fail").exists(), "kept in the index, not as a file");
    }
}
