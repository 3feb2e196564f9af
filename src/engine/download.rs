//! The downloader: one image from link to file. Streams the body to a temporary file in
//! the destination folder, checks it (length, magic bytes, size cap, and a full decode when
//! thumbnails are on), and only then renames it into place, so a file under its final name
//! is always whole and valid. Transient failures are retried with backoff.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::io::{self, IoSlice, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;
use xxhash_rust::xxh3::Xxh3;

use super::error::DownloadError;
use super::events::EventSink;
use super::imgur::ImageItem;
use super::naming;
use super::retry;
use super::sniff::{self, MediaKind, SNIFF_LEN};
use super::thumbnail::{self, THUMBNAIL_SIDE};
use super::types::{Event, Pixels, RunId, SkipReason, Thumbnail};
use super::workers::Workers;
use crate::archive::{Archive, ImageRecord};

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
        Ok(Box::new(file))
    }
}

/// How one image ended.
#[derive(Debug)]
pub enum Outcome {
    Saved {
        bytes: u64,
    },
    Skipped,
    Failed,
    /// The disk is full: the whole run should stop.
    DiskFull(String),
}

/// Downloads images of one run into one folder. Shared by all the run's download tasks.
pub struct Downloader {
    pub http: reqwest::Client,
    pub out_dir: PathBuf,
    pub max_bytes: u64,
    pub thumbnails: bool,
    pub run: RunId,
    pub events: EventSink,
    pub archive: Option<Arc<Mutex<Archive>>>,
    pub archive_run: Option<i64>,
    pub source_label: String,
    pub disk: Arc<dyn Disk>,
    /// Where bodies are written, checked and renamed (one thread per core).
    workers: Workers,
    /// The folder's file names when the run began (see `present`).
    pub existing: HashSet<OsString>,
    /// Fingerprints saved by this run, so two ids with the same bytes are saved once.
    saved: Mutex<HashMap<String, PathBuf>>,
    serial: AtomicU64,
}

/// A temporary file; removed on drop unless kept, so cancellation and errors at any await
/// point leave nothing behind.
struct TempFile {
    path: PathBuf,
    created: bool,
    kept: bool,
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
        Self { temp: TempFile { path, created: false, kept: false }, chunks: Vec::new(), held: 0, file: None }
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

impl Downloader {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        http: reqwest::Client,
        out_dir: PathBuf,
        max_bytes: u64,
        thumbnails: bool,
        run: RunId,
        events: EventSink,
        disk: Arc<dyn Disk>,
        workers: Workers,
    ) -> Self {
        Self {
            http,
            out_dir,
            max_bytes,
            thumbnails,
            run,
            events,
            archive: None,
            archive_run: None,
            source_label: String::new(),
            existing: HashSet::new(),
            disk,
            workers,
            saved: Mutex::new(HashMap::new()),
            serial: AtomicU64::new(0),
        }
    }

    /// Fetches one item, reporting what happened as events.
    /// Fetches one image. `connection` is its place among the downloads in flight: it is
    /// handed back as soon as the body is on disk, so the next download starts while this
    /// one is still being checked and thumbnailed. `checks` bounds how many bodies wait for
    /// that, so a fast network cannot pile up temporary files without limit.
    pub async fn fetch(&self, item: ImageItem, connection: OwnedSemaphorePermit, checks: &Semaphore) -> Outcome {
        let stem = naming::stem_for_id(&item.id);
        let url = match checked_link(&item.link) {
            Ok(url) => url,
            Err(error) => return self.failed(&item.id, error).await,
        };
        if let Some(path) = self.present(&stem, item.claimed).await {
            let event = Event::Skipped { run: self.run, id: item.id, path, reason: SkipReason::AlreadyPresent };
            self.events.send(event).await;
            return Outcome::Skipped;
        }
        let started = Instant::now();
        self.events.send(Event::Started { run: self.run, id: item.id.clone() }).await;
        let body = match self.download_with_retries(&item.id, &url, &stem).await {
            Ok(body) => body,
            Err(error) => return self.failed(&item.id, error).await,
        };
        let Ok(_check) = checks.acquire().await else { return Outcome::Failed };
        // Said before the connection is handed on, so no front end ever counts this body
        // and the next download in flight at once.
        self.events.send(Event::Received { run: self.run, id: item.id.clone() }).await;
        drop(connection);
        self.keep(item, stem, body, started).await
    }

    async fn failed(&self, id: &str, error: DownloadError) -> Outcome {
        let disk_full = error.disk_full();
        let reason = error.to_string();
        self.events.send(Event::Failed { run: self.run, id: id.to_owned(), reason: reason.clone() }).await;
        if disk_full { Outcome::DiskFull(reason) } else { Outcome::Failed }
    }

    /// The path of a whole copy already in the folder, if any. A file under a final name
    /// was renamed there only when complete, so the magic bytes and (when the archive
    /// knows it) the size are enough to trust it without reading it all. Only names in the
    /// folder's listing taken when the run began are looked at, so a fresh folder costs no
    /// file-system call per image.
    async fn present(&self, stem: &str, claimed: Option<MediaKind>) -> Option<PathBuf> {
        let kinds = claimed.into_iter().chain(MediaKind::ALL.into_iter().filter(|k| Some(*k) != claimed));
        let candidates: Vec<(MediaKind, PathBuf)> = kinds
            .map(|kind| (kind, naming::file_path(&self.out_dir, stem, kind)))
            .filter(|(_, path)| path.file_name().is_some_and(|name| self.existing.contains(name)))
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let archive = self.archive.clone();
        let lookup = tokio::task::spawn_blocking(move || {
            candidates
                .into_iter()
                .find(|(kind, path)| is_whole_copy(path, *kind, archive.as_deref()))
                .map(|(_, path)| path)
        });
        lookup.await.unwrap_or_else(|error| {
            tracing::error!("the check for a copy already present stopped unexpectedly: {error}");
            None
        })
    }

    async fn download_with_retries(&self, id: &str, url: &Url, stem: &str) -> Result<Body, DownloadError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self.download_once(id, url, stem).await {
                Ok(body) => return Ok(body),
                Err(error) => error,
            };
            if !error.is_transient() || attempt >= retry::MAX_ATTEMPTS {
                return Err(error);
            }
            let wait = retry::next_wait(attempt, error.retry_after());
            if error.retry_after().is_some() {
                self.events.send(Event::RateLimited { run: self.run, wait }).await;
            }
            let reason = error.to_string();
            self.events.send(Event::Retrying { run: self.run, id: id.to_owned(), attempt, reason, wait }).await;
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt: GET, stream to a temporary file, check what arrived.
    async fn download_once(&self, id: &str, url: &Url, stem: &str) -> Result<Body, DownloadError> {
        let response = self.http.get(url.clone()).send().await.map_err(DownloadError::from_reqwest)?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let retry_after = super::imgur::rate_limit_wait(response.headers());
            return Err(DownloadError::Status { status, retry_after });
        }
        let expected = response.content_length();
        if expected.is_some_and(|length| length > self.max_bytes) {
            return Err(DownloadError::TooLarge { limit: self.max_bytes });
        }
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let mut spool = Spool::new(naming::temp_path(&self.out_dir, stem, serial));
        let mut fingerprint = Fingerprint::new(self.archive.is_some());
        let mut head = Vec::with_capacity(SNIFF_LEN);
        let mut tail = Vec::with_capacity(2 * TAIL_LEN);
        let (mut received, mut unreported) = (0u64, 0u64);
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(DownloadError::from_reqwest)?;
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
            keep_tail(&mut tail, &chunk);
            unreported += chunk.len() as u64;
            spool
                .push(chunk, self.disk.as_ref())
                .await
                .map_err(|source| DownloadError::Disk { path: spool.temp.path.clone(), source })?;
            if unreported >= 64 * 1024 {
                self.events.send_lossy(Event::Progress { run: self.run, id: id.to_owned(), bytes: unreported });
                unreported = 0;
            }
        }
        if let Some(expected) = expected.filter(|&expected| expected != received) {
            return Err(DownloadError::LengthMismatch { expected, received });
        }
        let kind = media_kind(&head)?;
        // With no Content-Length to compare, a body cut short is told by its missing end
        // marker (checked only then: some encoders leave bytes after the marker, and a
        // matching length already proves the body whole).
        if expected.is_none() && !sniff::has_end_marker(kind, &tail) {
            return Err(DownloadError::Truncated(format!("the {} has no end marker", kind.extension())));
        }
        if unreported > 0 {
            self.events.send_lossy(Event::Progress { run: self.run, id: id.to_owned(), bytes: unreported });
        }
        Ok(Body { spool, bytes: received, fingerprint: fingerprint.finish(), kind })
    }

    /// Decides the fate of a body that arrived: a duplicate is dropped, an undecodable image
    /// fails, anything else is renamed into place, archived and announced.
    async fn keep(&self, item: ImageItem, stem: String, body: Body, started: Instant) -> Outcome {
        let path = naming::file_path(&self.out_dir, &stem, body.kind);
        if let Some(original) = self.claim_hash(&body.fingerprint, &path).await {
            let reason = SkipReason::Duplicate(original);
            self.events.send(Event::Skipped { run: self.run, id: item.id, path, reason }).await;
            return Outcome::Skipped;
        }
        let Body { spool, bytes, fingerprint, kind } = body;
        let (dimensions, pixels) = match self.store(spool, &path, kind).await {
            Ok(checked) => checked,
            Err(error) => {
                self.release_hash(&fingerprint);
                return self.failed(&item.id, error).await;
            }
        };
        self.record(&item.id, &path, bytes, fingerprint, dimensions).await;
        let elapsed = started.elapsed();
        let saved = Event::Saved { run: self.run, id: item.id, path: path.clone(), bytes: body.bytes, elapsed };
        self.events.send(saved).await;
        if kind == MediaKind::Mp4 {
            self.events.send(Event::Video { run: self.run, path: path.clone(), bytes: body.bytes }).await;
        }
        if let (Some(pixels), Some((width, height))) = (pixels, dimensions) {
            let thumbnail = Thumbnail { path, bytes: body.bytes, width, height, pixels: Arc::new(pixels) };
            self.events.send(Event::Thumbnail { run: self.run, thumbnail }).await;
        }
        Outcome::Saved { bytes: body.bytes }
    }

    /// Claims `fingerprint` for `path` in this run. Returns the path already holding the
    /// same bytes in this folder (from this run or, via the archive, an earlier one), if any.
    async fn claim_hash(&self, fingerprint: &str, path: &Path) -> Option<PathBuf> {
        if let Some(original) = self.archived_copy(fingerprint, path).await {
            return Some(original);
        }
        let mut saved = lock_or_recover(&self.saved, "the run's fingerprints");
        match saved.get(fingerprint) {
            Some(original) if original != path => Some(original.clone()),
            _ => {
                saved.insert(fingerprint.to_owned(), path.to_owned());
                None
            }
        }
    }

    fn release_hash(&self, fingerprint: &str) {
        lock_or_recover(&self.saved, "the run's fingerprints").remove(fingerprint);
    }

    async fn archived_copy(&self, sha256: &str, path: &Path) -> Option<PathBuf> {
        let archive = self.archive.clone()?;
        let (sha256, path, dir) = (sha256.to_owned(), path.to_owned(), self.out_dir.clone());
        let lookup = tokio::task::spawn_blocking(move || {
            let records = match lock_or_recover(&archive, "the archive").images_with_sha256(&sha256) {
                Ok(records) => records,
                Err(error) => {
                    tracing::warn!("cannot look for earlier copies in the archive: {error}");
                    return None;
                }
            };
            records
                .into_iter()
                .map(|record| record.path)
                .find(|other| other != &path && other.parent() == Some(dir.as_path()) && other.is_file())
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
    async fn store(&self, spool: Spool, path: &Path, kind: MediaKind) -> Result<Checked, DownloadError> {
        let (disk, path, thumbnails) = (self.disk.clone(), path.to_owned(), self.thumbnails);
        let stored = self.workers.run(move || store_blocking(spool, &path, kind, thumbnails, disk.as_ref())).await;
        stored.unwrap_or_else(|| Err(DownloadError::Undecodable("the check stopped unexpectedly".to_owned())))
    }

    async fn record(&self, id: &str, path: &Path, bytes: u64, sha256: String, dimensions: Option<(u32, u32)>) {
        let Some(archive) = self.archive.clone() else { return };
        let record = ImageRecord {
            id: id.to_owned(),
            source: self.source_label.clone(),
            path: path.to_owned(),
            bytes,
            sha256,
            width: dimensions.map(|d| d.0),
            height: dimensions.map(|d| d.1),
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

/// Whether `path` holds a whole `kind` file: its magic bytes match and, when the archive
/// recorded it, so does its size.
fn is_whole_copy(path: &Path, kind: MediaKind, archive: Option<&Mutex<Archive>>) -> bool {
    let Ok(metadata) = std::fs::metadata(path) else { return false };
    if !metadata.is_file() || read_head(path).and_then(|head| sniff::sniff(&head)) != Some(kind) {
        return false;
    }
    let known = archive.and_then(|archive| match lock_or_recover(archive, "the archive").image_at(path) {
        Ok(known) => known,
        Err(error) => {
            tracing::warn!("cannot ask the archive about {}: {error}", path.display());
            None
        }
    });
    known.is_none_or(|record| record.bytes == metadata.len())
}

/// Locks `mutex`, recovering it if a task panicked while holding it: the data behind
/// these locks (fingerprints, a database connection) stays usable, and a poisoned lock
/// must not quietly read as "no duplicate" or "not archived". The panic is logged once
/// where it happened; this says what was recovered.
pub(crate) fn lock_or_recover<'a, T>(mutex: &'a Mutex<T>, what: &str) -> std::sync::MutexGuard<'a, T> {
    mutex.lock().unwrap_or_else(|poisoned| {
        tracing::warn!("{what} was left locked by a task that panicked; going on with it");
        poisoned.into_inner()
    })
}

fn read_head(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    std::fs::File::open(path).ok()?.take(SNIFF_LEN as u64).read_to_end(&mut head).ok()?;
    Some(head)
}

/// The blocking half of `Downloader::store`. The temporary file is removed on any error.
fn store_blocking(
    spool: Spool,
    path: &Path,
    kind: MediaKind,
    thumbnails: bool,
    disk: &dyn Disk,
) -> Result<Checked, DownloadError> {
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
    drop(file);
    let checked = match checked_in_memory {
        Some(checked) => checked,
        None => check(BodyAt::File(&temp.path), kind, thumbnails)?,
    };
    std::fs::rename(&temp.path, path).map_err(disk_error(path))?;
    temp.kept = true;
    Ok(checked)
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
    match (body, thumbnails) {
        (BodyAt::Memory(chunks), true) => {
            let decoded = with_contiguous(chunks, |bytes| thumbnail::thumbnail_bytes(bytes, THUMBNAIL_SIDE));
            let decoded = decoded.map_err(|error| undecodable(&error))?;
            Ok((Some((decoded.width, decoded.height)), Some(decoded.pixels)))
        }
        (BodyAt::File(path), true) => {
            let decoded = thumbnail::thumbnail_file(path, THUMBNAIL_SIDE).map_err(|error| undecodable(&error))?;
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
        (BodyAt::File(path), false) => image::ImageReader::open(path)
            .and_then(|reader| reader.with_guessed_format())
            .map_err(image::ImageError::IoError)
            .and_then(|reader| reader.into_dimensions())
            .map(|dimensions| (Some(dimensions), None))
            .map_err(|error| undecodable(&error)),
    }
}

fn header_dimensions(bytes: &[u8]) -> image::ImageResult<(u32, u32)> {
    image::ImageReader::new(io::Cursor::new(bytes)).with_guessed_format()?.into_dimensions()
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

/// Bytes kept from the end of a body, for the end-marker check.
const TAIL_LEN: usize = 32;

/// Keeps the last `TAIL_LEN` bytes seen, without holding the body.
fn keep_tail(tail: &mut Vec<u8>, chunk: &[u8]) {
    let from_chunk = &chunk[chunk.len().saturating_sub(TAIL_LEN)..];
    tail.extend_from_slice(from_chunk);
    if tail.len() > TAIL_LEN {
        tail.drain(..tail.len() - TAIL_LEN);
    }
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
