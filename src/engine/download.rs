//! The downloader: one image from link to file. Streams the body to a temporary file in
//! the destination folder, checks it (length, magic bytes, size cap, its whole structure,
//! and a full decode when thumbnails are on), and only then links it into place under a
//! name nobody else's file holds, so a file under its final name is always whole and valid
//! and no file galley did not write is ever replaced. Transient failures are retried with
//! backoff.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::io::{self, IoSlice, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use url::Url;
use xxhash_rust::xxh3::Xxh3;

use super::error::DownloadError;
use super::events::EventSink;
use super::events::{ItemFailure, RunEvent};
use super::item::ImageItem;
use super::job::{Job, JobInput};
use super::naming;
use super::retry;
use super::template::{self, NameTemplate};
use super::transfer::{self, Pace};
use super::types::{RunId, SkipReason, Throttle};
use super::workers::Workers;
use crate::archive::{Archive, ImageRecord};
use crate::library::Thumbnail;
use crate::library::{FileStat, ThumbnailCache, ThumbnailPixels};
use crate::lock::lock_or_recover;
use crate::media::Pixels;
use crate::media::sniff::{self, MediaKind, SNIFF_LEN};
use crate::media::thumbnail::{self, THUMBNAIL_SIDE};
use crate::media::whole::{self, NotWhole};

/// Where downloaded bytes go. The seam exists so tests can make a write fail part way
/// (a disk that fills) without filling a real disk. Writes are blocking: they run on the
/// blocking pool.
pub trait Disk: Send + Sync + 'static {
    fn create(&self, path: &Path) -> io::Result<Box<dyn Write + Send>>;
}

/// The real file system.
pub struct LocalDisk;

impl Disk for LocalDisk {
    fn create(&self, path: &Path) -> io::Result<Box<dyn Write + Send>> {
        // create_new: a temporary name is never shared, and never follows a planted link.
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
        // Locked for as long as it is open: another galley, in another PID namespace or on
        // another host sharing the folder, sees the file is in use (`run::remove_orphans`).
        // Where the file system has no locks the file is still written; orphans are then
        // told by their process id alone.
        if let Err(std::fs::TryLockError::Error(error)) = file.try_lock() {
            tracing::debug!("no lock on {}: {error}", path.display());
        }
        Ok(Box::new(file))
    }
}

/// How one image ended.
#[derive(Debug)]
pub enum Outcome {
    Saved {
        bytes: u64,
        /// Where it was saved.
        path: PathBuf,
    },
    Skipped,
    /// Imgur deleted it (its link leads to `removed.png`): skipped, and counted apart.
    Deleted,
    Failed,
    /// The disk is full: the whole run should stop.
    DiskFull(String),
}

/// Downloads images of one run into one folder. Shared by all the run's download tasks.
pub struct Downloader {
    http: reqwest::Client,
    out_dir: PathBuf,
    max_bytes: u64,
    thumbnails: bool,
    run: RunId,
    events: EventSink,
    archive: Option<Arc<Mutex<Archive>>>,
    archive_run: Option<i64>,
    source_label: String,
    disk: Arc<dyn Disk>,
    /// Where bodies are written, checked and renamed (one thread per core).
    workers: Workers,
    /// Whether an item's id names one picture, by the item's source (Imgur ids do; a
    /// link's last segment does not: two lists may both end in `image.jpg`). Only then may
    /// the archive's record of an id let a download be skipped before its bytes are seen.
    ids_name_pictures: Vec<bool>,
    /// How fast a body must keep coming (see `transfer`).
    pace: Pace,
    /// What one image's attempts and waits may take in all ([`retry::IMAGE_BUDGET`]).
    image_budget: std::time::Duration,
    /// The library's thumbnail cache: each thumbnail made while saving is stored there too,
    /// so the folder opens later without decoding the images again.
    thumbnail_cache: Option<ThumbnailCache>,
    /// How saved files are named.
    naming: NameTemplate,
    /// Each album's images go in a subfolder named by its title.
    album_folders: bool,
    /// Write `<file>.json` beside each image: what the API said of it.
    write_metadata: bool,
    /// The folder's files when the run began, as paths inside it (see `present`).
    existing: HashSet<PathBuf>,
    /// Every name in the folder or taken by this run, as a case-insensitive file system
    /// compares it, with the name that holds it: `abcD1.jpg` and `ABCd1.jpg` are one file
    /// on exFAT, so the second picture gets a name of its own on every file system.
    names: Arc<Mutex<HashMap<String, OsString>>>,
    /// Fingerprints of this run's bodies, each with where its bytes were saved. The first
    /// body with a fingerprint holds its slot while it is stored; a second waits, then is a
    /// duplicate of a saved file or, if the first failed, is stored itself.
    saved: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<PathBuf>>>>>,
}

/// A temporary file; removed on drop unless kept, so cancellation and errors at any await
/// point leave nothing behind. Its handle (and so its lock) is held until then.
struct TempFile {
    path: PathBuf,
    created: bool,
    kept: bool,
    handle: Option<Box<dyn Write + Send>>,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.created && !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A body as it arrives. Most images fit in memory (`SPOOL_LIMIT`) and then reach the disk
/// in a single job on the workers, together with their check and rename: on a fast network
/// the hops between threads, not the bytes, were what cost. The chunks are kept as received
/// (no copy into a buffer of our own, whose fresh pages cost more than the copy). A bigger
/// body spills to its temporary file as it comes, so memory stays bounded whatever the size.
struct Spool {
    temp: TempFile,
    chunks: Vec<Bytes>,
    held: usize,
    file: Option<Box<dyn Write + Send>>,
}

impl Spool {
    fn new(path: PathBuf) -> Self {
        let temp = TempFile { path, created: false, kept: false, handle: None };
        Self { temp, chunks: Vec::new(), held: 0, file: None }
    }

    async fn push(&mut self, chunk: Bytes, disk: &dyn Disk) -> io::Result<()> {
        self.held += chunk.len();
        self.chunks.push(chunk);
        // Many tiny chunks would each pin a network buffer: they spill early too.
        if self.held >= SPOOL_LIMIT || self.chunks.len() >= SPOOL_CHUNKS {
            self.spill(disk).await?;
        }
        Ok(())
    }

    /// Moves what is in memory to the temporary file, creating it first if need be. On the
    /// blocking pool, not the workers: a body mid-stream must not wait behind decodes.
    async fn spill(&mut self, disk: &dyn Disk) -> io::Result<()> {
        let mut file = match self.file.take() {
            Some(file) => file,
            // Created here, not on the blocking pool, so the drop guard always knows the
            // file exists: a cancelled download can never leave one behind.
            None => {
                let file = disk.create(&self.temp.path)?;
                self.temp.created = true;
                file
            }
        };
        let chunks = std::mem::take(&mut self.chunks);
        self.held = 0;
        let written = tokio::task::spawn_blocking(move || write_chunks(file.as_mut(), &chunks).map(|()| file));
        self.file = Some(written.await.map_err(io::Error::other)??);
        Ok(())
    }
}

impl Spool {
    /// Walks the body's structure to its end (see `whole`): in memory where it is held,
    /// else from its temporary file once the rest of it is written there.
    async fn check_whole(&mut self, kind: MediaKind, disk: &dyn Disk) -> Result<(), DownloadError> {
        if self.file.is_none() {
            return whole::check(kind, ChunkReader { chunks: &self.chunks, at: 0 })
                .map(drop)
                .map_err(|error| not_whole(error, &self.temp.path));
        }
        self.spill(disk).await.map_err(|source| DownloadError::Disk { path: self.temp.path.clone(), source })?;
        if let Some(file) = self.file.as_mut() {
            file.flush().map_err(|source| DownloadError::Disk { path: self.temp.path.clone(), source })?;
        }
        let path = self.temp.path.clone();
        let walked = tokio::task::spawn_blocking(move || {
            let file = std::fs::File::open(&path).map_err(NotWhole::Read)?;
            whole::check_reader(kind, file)
        });
        match walked.await {
            Ok(walked) => walked.map(drop).map_err(|error| not_whole(error, &self.temp.path)),
            Err(error) => Err(DownloadError::Undecodable(format!("the check stopped unexpectedly: {error}"))),
        }
    }
}

/// What a structure walk found, as a download error: a body cut short is fetched again.
fn not_whole(error: NotWhole, path: &Path) -> DownloadError {
    match error {
        NotWhole::CutShort { .. } => DownloadError::Truncated(error.to_string()),
        NotWhole::Read(source) => DownloadError::Disk { path: path.to_owned(), source },
        NotWhole::Malformed { .. } | NotWhole::TooManyScans { .. } => DownloadError::Undecodable(error.to_string()),
    }
}

/// The chunks of a body in memory, read in order without joining them.
struct ChunkReader<'a> {
    chunks: &'a [Bytes],
    /// How far into the first chunk reading has got.
    at: usize,
}

impl io::Read for ChunkReader<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        use std::io::BufRead;
        let available = self.fill_buf()?;
        let take = available.len().min(buffer.len());
        buffer[..take].copy_from_slice(&available[..take]);
        self.consume(take);
        Ok(take)
    }
}

impl io::BufRead for ChunkReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while let Some((first, rest)) = self.chunks.split_first() {
            if self.at < first.len() {
                return Ok(&first[self.at..]);
            }
            self.chunks = rest;
            self.at = 0;
        }
        Ok(&[])
    }

    fn consume(&mut self, amount: usize) {
        self.at += amount;
    }
}

/// Writes `chunks` in as few system calls as the writer allows.
fn write_chunks(writer: &mut dyn Write, chunks: &[Bytes]) -> io::Result<()> {
    // Empty chunks are left out: a write of nothing but empty slices would read as "disk
    // took nothing".
    let mut slices: Vec<IoSlice<'_>> =
        chunks.iter().filter(|chunk| !chunk.is_empty()).map(|chunk| IoSlice::new(chunk)).collect();
    let mut remaining = &mut slices[..];
    while !remaining.is_empty() {
        match writer.write_vectored(remaining) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => IoSlice::advance_slices(&mut remaining, written),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// A body that arrived whole and looks like what it should.
struct Body {
    spool: Spool,
    bytes: u64,
    fingerprint: String,
    kind: MediaKind,
}

/// Fingerprints a body as it streams, to find the same bytes under two names. SHA-256 when
/// the archive records it (across runs, and a hash anyone can check with `sha256sum`);
/// without an archive only this run's duplicates matter, and XXH3-128 finds them at a
/// fraction of the cost (SHA-256 was a fifth of a no-latency fetch's CPU).
enum Fingerprint {
    Sha256(Sha256),
    Xxh3(Box<Xxh3>),
}

impl Fingerprint {
    fn new(archived: bool) -> Self {
        match archived {
            true => Fingerprint::Sha256(Sha256::new()),
            false => Fingerprint::Xxh3(Box::new(Xxh3::new())),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Fingerprint::Sha256(hasher) => hasher.update(bytes),
            Fingerprint::Xxh3(hasher) => hasher.update(bytes),
        }
    }

    /// The SHA-256 as lowercase hex, or `xxh3:` and the hash as hex.
    fn finish(self) -> String {
        match self {
            Fingerprint::Sha256(hasher) => hex::encode(hasher.finalize()),
            Fingerprint::Xxh3(hasher) => format!("xxh3:{:032x}", hasher.digest128()),
        }
    }
}

/// What checking a body found: the image's dimensions, and its thumbnail when asked for.
type Checked = (Option<(u32, u32)>, Option<Pixels>);

/// What each of a run's downloaders is made from: the run's job and the handles it
/// shares, whatever folder the downloader saves into.
pub struct RunSetup<'a> {
    pub run: RunId,
    pub job: &'a Job,
    pub events: &'a EventSink,
    pub http: &'a reqwest::Client,
    pub disk: &'a Arc<dyn Disk>,
    pub workers: &'a Workers,
    /// The run's archive and its row, when it keeps one.
    pub archive: Option<(Arc<Mutex<Archive>>, i64)>,
    /// How fast a body must keep coming (see `transfer`).
    pub pace: Pace,
    /// What one image's attempts and waits may take in all ([`retry::IMAGE_BUDGET`]).
    pub image_budget: std::time::Duration,
}

impl Downloader {
    /// The run's downloader into `out_dir`, which held `existing` when the run began.
    pub fn new(setup: &RunSetup<'_>, out_dir: PathBuf, existing: HashSet<PathBuf>) -> Self {
        let job = setup.job;
        let mut downloader = Self {
            http: setup.http.clone(),
            out_dir,
            max_bytes: job.max_image_bytes,
            thumbnails: job.thumbnails,
            run: setup.run,
            events: setup.events.clone(),
            archive: setup.archive.as_ref().map(|(archive, _)| archive.clone()),
            archive_run: setup.archive.as_ref().map(|(_, number)| *number),
            source_label: job.label.clone(),
            ids_name_pictures: ids_name_pictures(job),
            pace: setup.pace,
            image_budget: setup.image_budget,
            thumbnail_cache: job.thumbnail_cache.as_ref().map(ThumbnailCache::new),
            naming: job.naming.clone(),
            album_folders: job.album_folders,
            write_metadata: job.write_metadata,
            existing: HashSet::new(),
            names: Arc::default(),
            disk: setup.disk.clone(),
            workers: setup.workers.clone(),
            saved: Mutex::new(HashMap::new()),
        };
        downloader.set_existing(existing);
        downloader
    }

    /// The files the folder held when the run began, as paths inside it.
    fn set_existing(&mut self, existing: HashSet<PathBuf>) {
        let folded =
            existing.iter().map(|name| (naming::folded(name.as_os_str()), name.as_os_str().to_owned())).collect();
        self.names = Arc::new(Mutex::new(folded));
        self.existing = existing;
    }

    /// Where an item goes: its album's subfolder (when asked for) and its stem from the
    /// name template.
    fn file_place(&self, item: &ImageItem) -> FilePlace {
        let folder = self.album_folders.then(|| template::album_folder(item)).flatten();
        let dir = match folder {
            Some(folder) => self.out_dir.join(folder),
            None => self.out_dir.clone(),
        };
        FilePlace { dir, stem: self.naming.stem(item) }
    }

    /// Fetches one image, reporting what happened as events. `connection` is its place
    /// among the downloads in flight: it is handed back as soon as the body has arrived, so
    /// the next download starts while this one is still being checked and thumbnailed.
    /// `checks` bounds how many bodies wait for that, so a fast network cannot pile up
    /// temporary files without limit.
    ///
    /// `cancel` stops the download while its body arrives (`None`: nothing happened). Once
    /// the body is being stored it is not stopped: a file that lands is always recorded in
    /// the archive and announced, so the run's report and archive match the folder.
    pub async fn fetch(
        &self,
        item: ImageItem,
        connection: OwnedSemaphorePermit,
        checks: &Semaphore,
        cancel: &CancellationToken,
    ) -> Option<Outcome> {
        let place = self.file_place(&item);
        let url = match checked_link(&item.link) {
            Ok(url) => url,
            Err(error) => return Some(self.failed(&item.id, error).await),
        };
        if let Some(path) = self.present(&item, &place).await {
            self.write_sidecar(&item, &path).await;
            let event = RunEvent::Skipped { run: self.run, id: item.id, path, reason: SkipReason::AlreadyPresent };
            self.events.send(event).await;
            return Some(Outcome::Skipped);
        }
        let started = Instant::now();
        let arrived = async {
            self.events.send(RunEvent::Started { run: self.run, id: item.id.clone() }).await;
            let body = self.download_with_retries(&item.id, &url, &place.stem).await?;
            Ok::<_, DownloadError>((body, checks.acquire().await))
        };
        let arrived = tokio::select! {
            _ = cancel.cancelled() => return None,
            arrived = arrived => arrived,
        };
        let (body, check) = match arrived {
            Ok(arrived) => arrived,
            Err(DownloadError::Removed) => {
                let path = naming::file_path(&place.dir, &place.stem, item.claimed.unwrap_or(MediaKind::Jpeg));
                let event = RunEvent::Skipped { run: self.run, id: item.id, path, reason: SkipReason::Deleted };
                self.events.send(event).await;
                return Some(Outcome::Deleted);
            }
            Err(error) => return Some(self.failed(&item.id, error).await),
        };
        let Ok(_check) = check else { return Some(Outcome::Failed) };
        // Said before the connection is handed on, so no front end ever counts this body
        // and the next download in flight at once.
        self.events.send(RunEvent::Received { run: self.run, id: item.id.clone() }).await;
        drop(connection);
        Some(self.keep(item, place, body, started).await)
    }

    async fn failed(&self, id: &str, error: DownloadError) -> Outcome {
        let disk_full = error.disk_full().then(|| error.to_string());
        let reason = ItemFailure::Download(Arc::new(error));
        self.events.send(RunEvent::Failed { run: self.run, id: id.to_owned(), reason }).await;
        match disk_full {
            Some(reason) => Outcome::DiskFull(reason),
            None => Outcome::Failed,
        }
    }

    /// The path of this item's picture already in the folder, if galley can tell without
    /// its bytes: the archive recorded this id at that path, and the file there still has
    /// the recorded size and SHA-256 (so a copy truncated or edited since is not trusted).
    /// Without the archive nothing is skipped here: the body is fetched and a file with the
    /// very same bytes is found when it is put in place. Only names in the folder's listing
    /// taken when the run began are looked at, so a fresh folder costs no file-system call.
    async fn present(&self, item: &ImageItem, place: &FilePlace) -> Option<PathBuf> {
        let id_names_picture = self.ids_name_pictures.get(item.source).copied().unwrap_or(false);
        let archive = self.archive.clone().filter(|_| id_names_picture)?;
        let candidates: Vec<PathBuf> = MediaKind::ALL
            .into_iter()
            .flat_map(|kind| naming::file_paths(&place.dir, &place.stem, kind))
            .filter(|path| path.strip_prefix(&self.out_dir).is_ok_and(|inside| self.existing.contains(inside)))
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let id = item.id.clone();
        let lookup = tokio::task::spawn_blocking(move || {
            candidates.into_iter().find(|path| {
                let record = match lock_or_recover(&archive, "the archive").image_at(path) {
                    Ok(record) => record,
                    Err(error) => {
                        tracing::warn!("cannot ask the archive about {}: {error}", path.display());
                        None
                    }
                };
                record.is_some_and(|record| record.id == id && holds_recorded_bytes(path, record.bytes, &record.sha256))
            })
        });
        lookup.await.unwrap_or_else(|error| {
            tracing::error!("the check for a copy already present stopped unexpectedly: {error}");
            None
        })
    }

    async fn download_with_retries(&self, id: &str, url: &Url, stem: &str) -> Result<Body, DownloadError> {
        let started = tokio::time::Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.download_once(id, url, stem).await {
                Ok(body) => return Ok(body),
                Err(error) => error,
            };
            let attempts = match error {
                DownloadError::TooSlow(_) => retry::SLOW_BODY_ATTEMPTS,
                _ => retry::MAX_ATTEMPTS,
            };
            if !error.is_transient() || attempt >= attempts {
                return Err(error);
            }
            let server_wait = error.retry_after().map(|wait| wait.min(retry::MAX_IMAGE_SERVER_WAIT));
            let wait = retry::next_wait(attempt, server_wait);
            if started.elapsed() + wait > self.image_budget {
                tracing::debug!("{id}: out of its {:?} budget after {attempt} attempts", self.image_budget);
                return Err(error);
            }
            if error.retry_after().is_some() {
                let why = Throttle::TooManyRequests;
                self.events.send(RunEvent::RateLimited { run: self.run, wait, why }).await;
            }
            let reason = Arc::new(error);
            self.events.send(RunEvent::Retrying { run: self.run, id: id.to_owned(), attempt, reason, wait }).await;
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt: GET, stream to a temporary file, check what arrived.
    async fn download_once(&self, id: &str, url: &Url, stem: &str) -> Result<Body, DownloadError> {
        let too_slow = |slow: transfer::TooSlow| DownloadError::TooSlow(slow.to_string());
        let response = transfer::first_response(self.pace, self.http.get(url.clone()).send())
            .await
            .map_err(too_slow)?
            .map_err(|error| DownloadError::from_reqwest(&error))?;
        // A deleted image's link redirects to Imgur's placeholder, a real PNG.
        if response.url().path().ends_with(REMOVED) && !url.path().ends_with(REMOVED) {
            return Err(DownloadError::Removed);
        }
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let retry_after = super::imgur::rate_limit_wait(response.headers());
            return Err(DownloadError::Status { status, retry_after });
        }
        let expected = response.content_length();
        if expected.is_some_and(|length| length > self.max_bytes) {
            return Err(DownloadError::TooLarge { limit: self.max_bytes });
        }
        let mut spool = Spool::new(naming::temp_path(&self.out_dir, stem));
        let mut fingerprint = Fingerprint::new(self.archive.is_some());
        let mut head = Vec::with_capacity(SNIFF_LEN);
        let (mut received, mut unreported) = (0u64, 0u64);
        let mut stream = transfer::Paced::new(response.bytes_stream(), self.pace);
        while let Some(chunk) = stream.next().await.map_err(too_slow)? {
            let chunk = chunk.map_err(|error| DownloadError::from_reqwest(&error))?;
            received += chunk.len() as u64;
            if received > self.max_bytes {
                return Err(DownloadError::TooLarge { limit: self.max_bytes });
            }
            if head.len() < SNIFF_LEN {
                let take = (SNIFF_LEN - head.len()).min(chunk.len());
                head.extend_from_slice(&chunk[..take]);
                if head.len() == SNIFF_LEN {
                    media_kind(&head)?;
                }
            }
            fingerprint.update(&chunk);
            unreported += chunk.len() as u64;
            spool
                .push(chunk, self.disk.as_ref())
                .await
                .map_err(|source| DownloadError::Disk { path: spool.temp.path.clone(), source })?;
            if unreported >= 64 * 1024 {
                self.events.send_lossy(RunEvent::Progress { run: self.run, id: id.to_owned(), bytes: unreported });
                unreported = 0;
            }
        }
        if let Some(expected) = expected.filter(|&expected| expected != received) {
            return Err(DownloadError::LengthMismatch { expected, received });
        }
        let kind = media_kind(&head)?;
        // Saved means whole: a matching length proves only that what the server meant to
        // send arrived, and with no Content-Length a clean close proves nothing.
        spool.check_whole(kind, self.disk.as_ref()).await?;
        if unreported > 0 {
            self.events.send_lossy(RunEvent::Progress { run: self.run, id: id.to_owned(), bytes: unreported });
        }
        Ok(Body { spool, bytes: received, fingerprint: fingerprint.finish(), kind })
    }

    /// Decides the fate of a body that arrived: a duplicate is dropped, an undecodable image
    /// fails, anything else is put in place, archived and announced.
    async fn keep(&self, item: ImageItem, place: FilePlace, body: Body, started: Instant) -> Outcome {
        let Body { spool, bytes, fingerprint, kind } = body;
        let slot = self.fingerprint_slot(&fingerprint);
        let mut saved_at = slot.lock().await;
        if let Some(original) = self.copy_elsewhere(&fingerprint, saved_at.as_deref(), &place, kind).await {
            let path = naming::file_path(&place.dir, &place.stem, kind);
            let reason = SkipReason::Duplicate(original);
            self.events.send(RunEvent::Skipped { run: self.run, id: item.id, path, reason }).await;
            return Outcome::Skipped;
        }
        let stored = match self.store(spool, &place, kind).await {
            Ok(stored) => stored,
            Err(error) => return self.failed(&item.id, error).await,
        };
        let Stored { path, placement, dimensions, pixels } = stored;
        *saved_at = Some(path.clone());
        drop(saved_at);
        self.record(&item, &path, bytes, fingerprint, dimensions).await;
        self.write_sidecar(&item, &path).await;
        if placement == Placement::AlreadyThere {
            let reason = SkipReason::AlreadyPresent;
            self.events.send(RunEvent::Skipped { run: self.run, id: item.id, path, reason }).await;
            return Outcome::Skipped;
        }
        let elapsed = started.elapsed();
        let saved = RunEvent::Saved { run: self.run, id: item.id, path: path.clone(), bytes, elapsed };
        self.events.send(saved).await;
        if kind == MediaKind::Mp4 {
            self.events.send(RunEvent::Video { run: self.run, path: path.clone(), bytes }).await;
        }
        if let (Some(pixels), Some((width, height))) = (pixels, dimensions) {
            let thumbnail = Thumbnail { path: path.clone(), bytes, width, height, pixels: Arc::new(pixels) };
            self.events.send(RunEvent::Thumbnail { run: self.run, thumbnail }).await;
        }
        Outcome::Saved { bytes, path }
    }

    /// The slot of this run's bodies with `fingerprint`.
    fn fingerprint_slot(&self, fingerprint: &str) -> Arc<tokio::sync::Mutex<Option<PathBuf>>> {
        let mut saved = lock_or_recover(&self.saved, "the run's fingerprints");
        saved.entry(fingerprint.to_owned()).or_default().clone()
    }

    /// A file in this folder that holds these very bytes now, saved by this run (`this_run`)
    /// or, as the archive remembers, an earlier one. A file since deleted, truncated or
    /// edited is no copy: the picture is then saved again.
    async fn copy_elsewhere(
        &self,
        fingerprint: &str,
        this_run: Option<&Path>,
        place: &FilePlace,
        kind: MediaKind,
    ) -> Option<PathBuf> {
        if let Some(path) = this_run.filter(|path| path.is_file()) {
            return Some(path.to_owned());
        }
        let archive = self.archive.clone()?;
        let own: Vec<PathBuf> = naming::file_paths(&place.dir, &place.stem, kind).collect();
        let (sha256, dir) = (fingerprint.to_owned(), self.out_dir.clone());
        let lookup = tokio::task::spawn_blocking(move || {
            let records = match lock_or_recover(&archive, "the archive").images_with_sha256(&sha256) {
                Ok(records) => records,
                Err(error) => {
                    tracing::warn!("cannot look for earlier copies in the archive: {error}");
                    return None;
                }
            };
            records.into_iter().find_map(|record| {
                let elsewhere = !own.contains(&record.path) && record.path.starts_with(&dir);
                (elsewhere && holds_recorded_bytes(&record.path, record.bytes, &record.sha256)).then_some(record.path)
            })
        });
        lookup.await.unwrap_or_else(|error| {
            tracing::error!("the archive lookup stopped unexpectedly: {error}");
            None
        })
    }

    /// Puts a body under its final name in one job on the workers: writes what is still in
    /// memory, proves the image decodes (making its thumbnail when asked), and
    /// renames the temporary file into place. A body still wholly in memory is checked
    /// before anything is written, so a bad image never touches the disk.
    async fn store(&self, spool: Spool, place: &FilePlace, kind: MediaKind) -> Result<Stored, DownloadError> {
        let (disk, thumbnails, names) = (self.disk.clone(), self.thumbnails, self.names.clone());
        let candidates: Vec<(PathBuf, OsString)> = naming::file_paths(&place.dir, &place.stem, kind)
            .filter_map(|path| {
                let inside = path.strip_prefix(&self.out_dir).ok()?.as_os_str().to_owned();
                Some((path, inside))
            })
            .collect();
        let subfolder = (place.dir != self.out_dir).then(|| place.dir.clone());
        let cache = self.thumbnail_cache.clone();
        let stored = self.workers.run(move || {
            let (mut temp, checked) = write_and_check(spool, kind, thumbnails, disk.as_ref())?;
            if let Some(folder) = &subfolder {
                ensure_folder(folder).map_err(|source| DownloadError::Disk { path: folder.clone(), source })?;
            }
            let (path, placement) = place_file(&mut temp, &candidates, &names)?;
            let (dimensions, pixels) = checked;
            if let (Some(cache), Some(pixels)) = (cache, &pixels) {
                cache_thumbnail(&cache, &path, pixels, dimensions);
            }
            Ok(Stored { path, placement, dimensions, pixels })
        });
        stored.await.unwrap_or_else(|| Err(DownloadError::Undecodable("the check stopped unexpectedly".to_owned())))
    }

    /// With `--write-metadata`, writes `<image>.json` beside `image`: what the API said
    /// of it. Whole or absent, as images are; one already there is kept. A failure costs
    /// the image nothing, and is logged.
    async fn write_sidecar(&self, item: &ImageItem, image: &Path) {
        if !self.write_metadata {
            return;
        }
        let mut name = image.as_os_str().to_owned();
        name.push(".json");
        let path = PathBuf::from(name);
        let sidecar = Sidecar { id: &item.id, link: &item.link, meta: &item.meta };
        let bytes = match serde_json::to_vec_pretty(&sidecar) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::warn!("cannot write what the API said of {}: {error}", item.id);
                return;
            }
        };
        let temp = naming::temp_path(&self.out_dir, &format!("{}-json", item.id));
        let shown = path.display().to_string();
        match tokio::task::spawn_blocking(move || write_whole(&temp, &path, &bytes)).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!("cannot write {shown}: {error}"),
            Err(error) => tracing::error!("writing {shown} stopped unexpectedly: {error}"),
        }
    }

    async fn record(&self, item: &ImageItem, path: &Path, bytes: u64, sha256: String, dimensions: Option<(u32, u32)>) {
        let Some(archive) = self.archive.clone() else { return };
        let record = ImageRecord {
            id: item.id.clone(),
            source: self.source_label.clone(),
            path: path.to_owned(),
            bytes,
            sha256,
            width: dimensions.map(|d| d.0),
            height: dimensions.map(|d| d.1),
            meta: item.meta.clone(),
        };
        let run = self.archive_run;
        let written = tokio::task::spawn_blocking(move || {
            lock_or_recover(&archive, "the archive").record_image(&record, run).map_err(|e| e.to_string())
        })
        .await;
        match written {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::warn!("could not archive {}: {error}", path.display()),
            Err(error) => tracing::error!("archiving {} stopped unexpectedly: {error}", path.display()),
        }
    }
}

/// Where Imgur sends the link of an image it deleted: `i.imgur.com/removed.png`.
const REMOVED: &str = "/removed.png";

/// Stores a thumbnail made while saving in the library's cache (a failure costs only a
/// decode later, so it is logged, not reported).
fn cache_thumbnail(cache: &ThumbnailCache, path: &Path, pixels: &Pixels, dimensions: Option<(u32, u32)>) {
    let stat = std::fs::metadata(path).ok().and_then(|metadata| {
        let mtime = metadata.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
        Some(FileStat { mtime, bytes: metadata.len() })
    });
    let (Some(stat), Ok(path)) = (stat, std::path::absolute(path)) else { return };
    let thumbnail =
        ThumbnailPixels { rgba: &pixels.rgba, width: pixels.width, height: pixels.height, image_size: dimensions };
    if let Err(error) = cache.store(&path, stat, thumbnail) {
        tracing::warn!("{error}");
    }
}

/// Only http and https links are fetched: `file:`, `data:` and the like would read local
/// files or smuggle content.
pub fn checked_link(link: &str) -> Result<Url, DownloadError> {
    let url = Url::parse(link.trim()).map_err(|error| DownloadError::BadLink(format!("{error}")))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        "http" | "https" => Err(DownloadError::BadLink("no host".to_owned())),
        scheme => Err(DownloadError::BadLink(format!("scheme {scheme}: is not fetched, only http and https"))),
    }
}

fn media_kind(head: &[u8]) -> Result<MediaKind, DownloadError> {
    sniff::sniff(head).ok_or_else(|| DownloadError::NotAnImage(sniff::non_media(head)))
}

/// Whether the file at `path` still holds what the archive recorded: same size, same
/// SHA-256. Reads the whole file, so it is asked only of files that could be skipped.
fn holds_recorded_bytes(path: &Path, bytes: u64, sha256: &str) -> bool {
    use std::io::Read;
    let Ok(metadata) = std::fs::symlink_metadata(path) else { return false };
    if !metadata.is_file() || metadata.len() != bytes {
        return false;
    }
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    let (mut hasher, mut buffer) = (Sha256::new(), vec![0u8; 64 * 1024]);
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return hex::encode(hasher.finalize()) == sha256,
            Ok(read) => hasher.update(&buffer[..read]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

/// Where an item's file goes: a folder inside the destination, and its name before the
/// extension (which the bytes decide).
struct FilePlace {
    dir: PathBuf,
    stem: String,
}

/// A body put in place: where, how, and what its check found.
struct Stored {
    path: PathBuf,
    placement: Placement,
    dimensions: Option<(u32, u32)>,
    pixels: Option<Pixels>,
}

/// How a body came to be under its final name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// The name was free.
    New,
    /// A cut-short copy of these very bytes (an earlier save interrupted, or truncated
    /// since) was there; the whole file replaced it, losing nothing.
    Replaced,
    /// A file with these very bytes was already there; nothing was written.
    AlreadyThere,
}

/// How a file already under a name relates to the body galley has.
#[derive(Debug, PartialEq, Eq)]
enum Relation {
    Same,
    /// Its bytes are a strict beginning of the body's.
    CutCopy,
    Different,
}

/// Puts the checked temporary file under the first of `candidates` (each a path and the
/// name it has inside the folder) that is free or holds these bytes. A name taken by
/// anything else (the user's file, another picture, a link) is left alone and the next is
/// tried, so no file galley did not write is replaced.
fn place_file(
    temp: &mut TempFile,
    candidates: &[(PathBuf, OsString)],
    names: &Mutex<HashMap<String, OsString>>,
) -> Result<(PathBuf, Placement), DownloadError> {
    let disk_error = |path: &Path| {
        let path = path.to_owned();
        move |source| DownloadError::Disk { path, source }
    };
    for (path, name) in candidates {
        if !claim_name(names, name) {
            continue;
        }
        match link_new(&temp.path, path) {
            Ok(Linked::HardLink) => return Ok((path.clone(), Placement::New)),
            Ok(Linked::Renamed) => {
                temp.kept = true;
                return Ok((path.clone(), Placement::New));
            }
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(disk_error(path)(error)),
        }
        match relation(path, &temp.path).map_err(disk_error(path))? {
            Relation::Same => return Ok((path.clone(), Placement::AlreadyThere)),
            Relation::CutCopy => {
                std::fs::rename(&temp.path, path).map_err(disk_error(path))?;
                temp.kept = true;
                return Ok((path.clone(), Placement::Replaced));
            }
            Relation::Different => {}
        }
    }
    let first = candidates.first().map(|(path, _)| path.display().to_string()).unwrap_or_default();
    let source = io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{first} and its {} numbered names are all held by other files", naming::NUMBERED_NAMES),
    );
    Err(DownloadError::Disk { path: temp.path.clone(), source })
}

/// What `--write-metadata` writes beside an image.
#[derive(serde::Serialize)]
struct Sidecar<'a> {
    id: &'a str,
    link: &'a str,
    #[serde(flatten)]
    meta: &'a crate::archive::ImageMeta,
}

/// Writes `bytes` as a new file at `path`, whole or not at all: into `temp` first, then
/// given the name only if nothing holds it (a file there already is kept).
fn write_whole(temp: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Ok(());
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(temp)?;
    let written = file.write_all(bytes).and_then(|()| file.flush()).and_then(|()| match link_new(temp, path) {
        Err(error) if error.kind() != io::ErrorKind::AlreadyExists => Err(error),
        _ => Ok(()),
    });
    drop(file);
    // Gone already when it was renamed into place.
    let _ = std::fs::remove_file(temp);
    written
}

/// Makes the album subfolder `dir` unless it is there; a file or a link holding its name
/// is an error, never followed.
fn ensure_folder(dir: &Path) -> io::Result<()> {
    match std::fs::create_dir(dir) {
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => match std::fs::symlink_metadata(dir)?.is_dir() {
            true => Ok(()),
            false => Err(io::Error::new(io::ErrorKind::AlreadyExists, "something else than a folder holds its name")),
        },
        made => made,
    }
}

/// Takes `name` for this run unless a name differing only in case holds it already.
fn claim_name(names: &Mutex<HashMap<String, OsString>>, name: &std::ffi::OsStr) -> bool {
    let mut names = lock_or_recover(names, "the run's file names");
    let holder = names.entry(naming::folded(name)).or_insert_with(|| name.to_owned());
    holder == name
}

enum Linked {
    /// `to` is a second name of the temporary file (whose own name is removed on drop).
    HardLink,
    /// The temporary file was renamed to `to`.
    Renamed,
}

/// Gives the file at `from` the name `to` only if nothing holds that name. A hard link
/// fails rather than replace; where a file system has none (FAT, exFAT, some network
/// shares) the name is checked, then renamed to, leaving a moment between the two.
fn link_new(from: &Path, to: &Path) -> io::Result<Linked> {
    match std::fs::hard_link(from, to) {
        Ok(()) => Ok(Linked::HardLink),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Err(error),
        Err(_) if std::fs::symlink_metadata(to).is_ok() => Err(io::ErrorKind::AlreadyExists.into()),
        Err(_) => std::fs::rename(from, to).map(|()| Linked::Renamed),
    }
}

/// How the file at `existing` relates to ours, byte for byte. Anything but a plain file
/// (a link, a folder) is `Different`, and so is an empty file: it is kept.
fn relation(existing: &Path, ours: &Path) -> io::Result<Relation> {
    let metadata = std::fs::symlink_metadata(existing)?;
    let ours_len = std::fs::metadata(ours)?.len();
    if !metadata.is_file() || metadata.len() == 0 || metadata.len() > ours_len {
        return Ok(Relation::Different);
    }
    let (mut theirs, mut mine) = (std::fs::File::open(existing)?, std::fs::File::open(ours)?);
    let (mut a, mut b) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let read = read_full(&mut theirs, &mut a)?;
        if read == 0 {
            break;
        }
        read_full(&mut mine, &mut b[..read])?;
        if a[..read] != b[..read] {
            return Ok(Relation::Different);
        }
    }
    Ok(if metadata.len() == ours_len { Relation::Same } else { Relation::CutCopy })
}

/// Reads until `buffer` is full or the file ends; returns how much was read.
fn read_full(file: &mut std::fs::File, buffer: &mut [u8]) -> io::Result<usize> {
    use std::io::Read;
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// The blocking half of `Downloader::store` up to the rename: the body written to its
/// temporary file and checked. The temporary file is removed on any error.
fn write_and_check(
    spool: Spool,
    kind: MediaKind,
    thumbnails: bool,
    disk: &dyn Disk,
) -> Result<(TempFile, Checked), DownloadError> {
    let Spool { mut temp, chunks, file, .. } = spool;
    let checked_in_memory = match file {
        None => Some(check(BodyAt::Memory(&chunks), kind, thumbnails)?),
        Some(_) => None,
    };
    let disk_error = |path: &Path| {
        let path = path.to_owned();
        move |source| DownloadError::Disk { path, source }
    };
    let mut file = match file {
        Some(file) => file,
        None => {
            let file = disk.create(&temp.path).map_err(disk_error(&temp.path))?;
            temp.created = true;
            file
        }
    };
    write_chunks(file.as_mut(), &chunks).and_then(|()| file.flush()).map_err(disk_error(&temp.path))?;
    temp.handle = Some(file);
    let checked = match checked_in_memory {
        Some(checked) => checked,
        None => check(BodyAt::File(&temp.path), kind, thumbnails)?,
    };
    Ok((temp, checked))
}

/// Where the bytes of a body to check are.
enum BodyAt<'a> {
    Memory(&'a [Bytes]),
    File(&'a Path),
}

/// Proves an image decodes: a full decode into a thumbnail when thumbnails are on, else
/// the header by the bytes' real format (completeness was proved while streaming, by
/// Content-Length or the end marker).
fn check(body: BodyAt<'_>, kind: MediaKind, thumbnails: bool) -> Result<Checked, DownloadError> {
    if !kind.is_image() {
        return Ok((None, None));
    }
    let undecodable = |error: &dyn std::fmt::Display| DownloadError::Undecodable(error.to_string());
    let not_thumbnailed = |error: thumbnail::ThumbnailError| match error {
        thumbnail::ThumbnailError::TooSlow(_) => DownloadError::DecodeTooSlow(error.to_string()),
        other => undecodable(&other),
    };
    match (body, thumbnails) {
        (BodyAt::Memory(chunks), true) => {
            let decoded = with_contiguous(chunks, |bytes| thumbnail::thumbnail_bytes(bytes, THUMBNAIL_SIDE));
            let decoded = decoded.map_err(not_thumbnailed)?;
            Ok((Some((decoded.width, decoded.height)), Some(decoded.pixels)))
        }
        (BodyAt::File(path), true) => {
            let decoded = thumbnail::thumbnail_file(path, THUMBNAIL_SIDE).map_err(not_thumbnailed)?;
            Ok((Some((decoded.width, decoded.height)), Some(decoded.pixels)))
        }
        (BodyAt::Memory(chunks), false) => {
            // The header is nearly always in the first chunk; the whole body is the fallback.
            let first = chunks.first().map(|chunk| header_dimensions(chunk));
            let dimensions = match first {
                Some(Ok(dimensions)) => Ok(dimensions),
                _ => with_contiguous(chunks, header_dimensions),
            };
            dimensions.map(|dimensions| (Some(dimensions), None)).map_err(|error| undecodable(&error))
        }
        (BodyAt::File(path), false) => std::fs::File::open(path)
            .map_err(image::ImageError::IoError)
            .and_then(|file| thumbnail::header_dimensions(io::BufReader::new(file)))
            .map(|dimensions| (Some(dimensions), None))
            .map_err(|error| undecodable(&error)),
    }
}

fn header_dimensions(bytes: &[u8]) -> image::ImageResult<(u32, u32)> {
    thumbnail::header_dimensions(io::Cursor::new(bytes))
}

/// Calls `f` with the chunks as one slice: the chunk itself when there is one, else a copy
/// in a buffer the thread keeps for the next body.
fn with_contiguous<T>(chunks: &[Bytes], f: impl FnOnce(&[u8]) -> T) -> T {
    if let [only] = chunks {
        return f(only);
    }
    thread_local! {
        static JOINED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    JOINED.with(|joined| {
        let Ok(mut joined) = joined.try_borrow_mut() else {
            return f(&chunks.concat());
        };
        joined.clear();
        for chunk in chunks {
            joined.extend_from_slice(chunk);
        }
        f(&joined)
    })
}

/// A body up to this size is held in memory until it is checked and written in one go.
/// Most images are smaller (the demo mix: all of them). Memory stays under two of these
/// per download in flight: one arriving, one waiting for its check.
const SPOOL_LIMIT: usize = 512 * 1024;
/// A body arriving in more pieces than this goes to its file as it comes.
const SPOOL_CHUNKS: usize = 64;

/// Whether each source's item ids name one picture: Imgur's do; a link's last segment
/// does not (two lists may both end in `image.jpg`).
pub fn ids_name_pictures(job: &Job) -> Vec<bool> {
    job.sources.iter().map(|source| matches!(source, JobInput::Imgur { .. } | JobInput::Items { .. })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_links_are_fetched() {
        assert!(checked_link("https://i.imgur.com/a.jpg").is_ok());
        assert!(checked_link("http://127.0.0.1:8080/i/a.jpg").is_ok());
        for bad in [
            "file:///etc/passwd",
            "data:image/png;base64,AAAA",
            "ftp://h/a.jpg",
            "javascript:alert(1)",
            "not a url",
            "",
        ] {
            let error = checked_link(bad).unwrap_err();
            assert!(matches!(error, DownloadError::BadLink(_)), "{bad}: {error}");
        }
    }

    /// Accepts at most `step` bytes per call, as a pipe or a full disk may.
    struct Dribble {
        written: Vec<u8>,
        step: usize,
    }

    impl Write for Dribble {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let take = buf.len().min(self.step);
            self.written.extend_from_slice(&buf[..take]);
            Ok(take)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn chunks_are_written_whole_and_in_order_even_a_little_at_a_time() {
        let chunks: Vec<Bytes> = ["first ", "", "second ", "third"].into_iter().map(Bytes::from).collect();
        for step in [1, 3, 100] {
            let mut writer = Dribble { written: Vec::new(), step };
            write_chunks(&mut writer, &chunks).expect("written");
            assert_eq!(writer.written, b"first second third", "step {step}");
        }
        let mut writer = Dribble { written: Vec::new(), step: 1 };
        write_chunks(&mut writer, &[Bytes::new(), Bytes::new()]).expect("nothing to write is no error");
        let mut stuck = Dribble { written: Vec::new(), step: 0 };
        let error = write_chunks(&mut stuck, &chunks).expect_err("a writer that takes nothing fails");
        assert_eq!(error.kind(), io::ErrorKind::WriteZero);
    }

    #[test]
    fn fingerprints_tell_bodies_apart_however_they_were_cut() {
        let fingerprint = |archived: bool, pieces: &[&[u8]]| {
            let mut fingerprint = Fingerprint::new(archived);
            pieces.iter().for_each(|piece| fingerprint.update(piece));
            fingerprint.finish()
        };
        for archived in [true, false] {
            assert_eq!(fingerprint(archived, &[b"abc", b"def"]), fingerprint(archived, &[b"abcdef"]));
            assert_ne!(fingerprint(archived, &[b"abcdef"]), fingerprint(archived, &[b"abcdeg"]));
        }
        // With an archive it is the SHA-256 that `sha256sum` prints.
        assert_eq!(fingerprint(true, &[b"abc"]), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(fingerprint(false, &[b"abc"]).starts_with("xxh3:"));
    }

    #[test]
    fn chunks_are_joined_only_when_there_are_several() {
        let one = [Bytes::from_static(b"whole")];
        assert!(with_contiguous(&one, |bytes| std::ptr::eq(bytes, &one[0][..])));
        let several = [Bytes::from_static(b"wh"), Bytes::from_static(b"o"), Bytes::from_static(b"le")];
        assert_eq!(with_contiguous(&several, <[u8]>::to_vec), b"whole");
        assert_eq!(with_contiguous(&[], <[u8]>::len), 0);
    }

    #[cfg(unix)]
    #[test]
    fn an_album_folder_is_made_once_and_a_link_in_its_place_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let album = dir.path().join("Trip");
        ensure_folder(&album).expect("made");
        ensure_folder(&album).expect("already there is fine");
        let elsewhere = tempfile::tempdir().expect("tempdir");
        let planted = dir.path().join("Planted");
        std::os::unix::fs::symlink(elsewhere.path(), &planted).expect("link");
        assert!(ensure_folder(&planted).is_err(), "a link to a folder is never followed");
        std::fs::write(dir.path().join("File"), b"x").expect("write");
        assert!(ensure_folder(&dir.path().join("File")).is_err());
    }

    #[test]
    fn a_poisoned_lock_still_gives_its_data() {
        let saved = Arc::new(Mutex::new(HashMap::from([("abc".to_owned(), PathBuf::from("a.jpg"))])));
        let holder = saved.clone();
        let panicked = std::thread::spawn(move || {
            let _guard = holder.lock();
            panic!("a task panics while holding the lock");
        })
        .join();
        assert!(panicked.is_err() && saved.is_poisoned());
        // A poisoned lock must not read as "no duplicate".
        assert_eq!(lock_or_recover(&saved, "test").get("abc"), Some(&PathBuf::from("a.jpg")));
    }

    #[test]
    fn transient_errors_are_the_documented_ones() {
        let status = |status| DownloadError::Status { status, retry_after: None };
        for code in [408, 429, 500, 502, 503] {
            assert!(status(code).is_transient(), "{code}");
        }
        for code in [400, 401, 403, 404, 410] {
            assert!(!status(code).is_transient(), "{code}");
        }
        assert!(DownloadError::NotAnImage(sniff::NonMedia::Html).is_transient());
        assert!(!DownloadError::NotAnImage(sniff::NonMedia::Json).is_transient());
        assert!(!DownloadError::TooLarge { limit: 1 }.is_transient());
        assert!(DownloadError::LengthMismatch { expected: 2, received: 1 }.is_transient());
    }
}
