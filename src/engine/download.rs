//! The downloader: one image from link to file. Streams the body to a temporary file in
//! the destination folder, checks it (length, magic bytes, size cap, and a full decode when
//! thumbnails are on), and only then renames it into place, so a file under its final name
//! is always whole and valid. Transient failures are retried with backoff.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use super::error::DownloadError;
use super::events::EventSink;
use super::imgur::ImageItem;
use super::naming;
use super::retry;
use super::sniff::{self, MediaKind, SNIFF_LEN};
use super::thumbnail::{self, THUMBNAIL_SIDE};
use super::types::{Event, Pixels, RunId, SkipReason, Thumbnail};
use crate::archive::{Archive, ImageRecord};

/// Where downloaded bytes go. The seam exists so tests can make a write fail part way
/// (a disk that fills) without filling a real disk.
pub trait Disk: Send + Sync + 'static {
    fn create(&self, path: &Path) -> io::Result<Box<dyn AsyncWrite + Send + Unpin>>;
}

/// The real file system.
pub struct LocalDisk;

impl Disk for LocalDisk {
    fn create(&self, path: &Path) -> io::Result<Box<dyn AsyncWrite + Send + Unpin>> {
        // create_new: a temporary name is never shared, and never follows a planted link.
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
        Ok(Box::new(tokio::fs::File::from_std(file)))
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
    /// Bounds how many images are decoded at once (memory, and the cores).
    pub decoders: Arc<Semaphore>,
    /// Hashes saved by this run, so two ids with the same bytes are saved once.
    saved: Mutex<HashMap<String, PathBuf>>,
    serial: AtomicU64,
}

/// A file being written; removed on drop unless kept, so cancellation and errors at any
/// await point leave nothing behind.
struct TempFile {
    path: PathBuf,
    kept: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A body that arrived whole and looks like what it should.
struct Body {
    temp: TempFile,
    bytes: u64,
    sha256: String,
    kind: MediaKind,
}

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
        decoders: Arc<Semaphore>,
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
            disk,
            decoders,
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
    /// knows it) the size are enough to trust it without reading it all.
    async fn present(&self, stem: &str, claimed: Option<MediaKind>) -> Option<PathBuf> {
        let kinds = claimed.into_iter().chain(MediaKind::ALL.into_iter().filter(|k| Some(*k) != claimed));
        for kind in kinds {
            let path = naming::file_path(&self.out_dir, stem, kind);
            let Ok(metadata) = tokio::fs::metadata(&path).await else { continue };
            if !metadata.is_file() || read_head(&path).await.and_then(|h| sniff::sniff(&h)) != Some(kind) {
                continue;
            }
            let known = self.archived(&path).await;
            if known.is_none_or(|record| record.bytes == metadata.len()) {
                return Some(path);
            }
        }
        None
    }

    async fn archived(&self, path: &Path) -> Option<ImageRecord> {
        let archive = self.archive.clone()?;
        let path = path.to_owned();
        let lookup = tokio::task::spawn_blocking(move || {
            archive.lock().ok().and_then(|archive| archive.image_at(&path).ok().flatten())
        });
        lookup.await.ok().flatten()
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
        let temp = TempFile { path: naming::temp_path(&self.out_dir, stem, serial), kept: false };
        let disk_error = |source| DownloadError::Disk { path: temp.path.clone(), source };
        let file = self.disk.create(&temp.path).map_err(disk_error)?;
        // Big enough to hold a typical image whole, so most files reach the disk in one
        // blocking write (each is a hop to the blocking pool and back).
        let mut writer = BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut hasher = Sha256::new();
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
            hasher.update(&chunk);
            keep_tail(&mut tail, &chunk);
            writer.write_all(&chunk).await.map_err(disk_error)?;
            unreported += chunk.len() as u64;
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
        writer.shutdown().await.map_err(disk_error)?;
        drop(writer);
        if unreported > 0 {
            self.events.send_lossy(Event::Progress { run: self.run, id: id.to_owned(), bytes: unreported });
        }
        Ok(Body { temp, bytes: received, sha256: hex::encode(hasher.finalize()), kind })
    }

    /// Decides the fate of a body that arrived: a duplicate is dropped, an undecodable image
    /// fails, anything else is renamed into place, archived and announced.
    async fn keep(&self, item: ImageItem, stem: String, mut body: Body, started: Instant) -> Outcome {
        let path = naming::file_path(&self.out_dir, &stem, body.kind);
        if let Some(original) = self.claim_hash(&body.sha256, &path).await {
            let reason = SkipReason::Duplicate(original);
            self.events.send(Event::Skipped { run: self.run, id: item.id, path, reason }).await;
            return Outcome::Skipped;
        }
        let checked = self.inspect(&body.temp.path, body.kind).await;
        let (dimensions, pixels) = match checked {
            Ok(checked) => checked,
            Err(error) => {
                self.release_hash(&body.sha256);
                return self.failed(&item.id, error).await;
            }
        };
        if let Err(source) = tokio::fs::rename(&body.temp.path, &path).await {
            self.release_hash(&body.sha256);
            return self.failed(&item.id, DownloadError::Disk { path, source }).await;
        }
        body.temp.kept = true;
        self.record(&item.id, &path, &body, dimensions).await;
        let elapsed = started.elapsed();
        let saved = Event::Saved { run: self.run, id: item.id, path: path.clone(), bytes: body.bytes, elapsed };
        self.events.send(saved).await;
        if let (Some(pixels), Some((width, height))) = (pixels, dimensions) {
            let thumbnail = Thumbnail { path, bytes: body.bytes, width, height, pixels: Arc::new(pixels) };
            self.events.send(Event::Thumbnail { run: self.run, thumbnail }).await;
        }
        Outcome::Saved { bytes: body.bytes }
    }

    /// Claims `sha256` for `path` in this run. Returns the path already holding the same
    /// bytes in this folder (from this run or, via the archive, an earlier one), if any.
    async fn claim_hash(&self, sha256: &str, path: &Path) -> Option<PathBuf> {
        if let Some(original) = self.archived_copy(sha256, path).await {
            return Some(original);
        }
        let mut saved = self.saved.lock().ok()?;
        match saved.get(sha256) {
            Some(original) if original != path => Some(original.clone()),
            _ => {
                saved.insert(sha256.to_owned(), path.to_owned());
                None
            }
        }
    }

    fn release_hash(&self, sha256: &str) {
        if let Ok(mut saved) = self.saved.lock() {
            saved.remove(sha256);
        }
    }

    async fn archived_copy(&self, sha256: &str, path: &Path) -> Option<PathBuf> {
        let archive = self.archive.clone()?;
        let (sha256, path, dir) = (sha256.to_owned(), path.to_owned(), self.out_dir.clone());
        let lookup = tokio::task::spawn_blocking(move || {
            let archive = archive.lock().ok()?;
            let records = archive.images_with_sha256(&sha256).ok()?;
            records
                .into_iter()
                .map(|record| record.path)
                .find(|other| other != &path && other.parent() == Some(dir.as_path()) && other.is_file())
        });
        lookup.await.ok().flatten()
    }

    /// Proves an image decodes (making its thumbnail when asked), on the blocking pool.
    /// Returns its dimensions, and the thumbnail's pixels when thumbnails are on.
    async fn inspect(
        &self,
        path: &Path,
        kind: MediaKind,
    ) -> Result<(Option<(u32, u32)>, Option<Pixels>), DownloadError> {
        if !kind.is_image() {
            return Ok((None, None));
        }
        let Ok(_permit) = self.decoders.acquire().await else {
            return Ok((None, None));
        };
        let (path, thumbnails) = (path.to_owned(), self.thumbnails);
        let decoded = tokio::task::spawn_blocking(move || {
            if thumbnails {
                thumbnail::thumbnail_file(&path, THUMBNAIL_SIDE)
                    .map(|decoded| (Some((decoded.width, decoded.height)), Some(decoded.pixels)))
                    .map_err(|error| DownloadError::Undecodable(error.to_string()))
            } else {
                header_check(&path).map(|dimensions| (Some(dimensions), None))
            }
        })
        .await;
        match decoded {
            Ok(result) => result,
            Err(join_error) => Err(DownloadError::Undecodable(join_error.to_string())),
        }
    }

    async fn record(&self, id: &str, path: &Path, body: &Body, dimensions: Option<(u32, u32)>) {
        let Some(archive) = self.archive.clone() else { return };
        let record = ImageRecord {
            id: id.to_owned(),
            source: self.source_label.clone(),
            path: path.to_owned(),
            bytes: body.bytes,
            sha256: body.sha256.clone(),
            width: dimensions.map(|d| d.0),
            height: dimensions.map(|d| d.1),
        };
        let run = self.archive_run;
        let written = tokio::task::spawn_blocking(move || match archive.lock() {
            Ok(archive) => archive.record_image(&record, run).map_err(|e| e.to_string()),
            Err(_) => Err("archive lock poisoned".to_owned()),
        })
        .await;
        if let Ok(Err(error)) = written {
            tracing::warn!("could not archive {}: {error}", path.display());
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
    sniff::sniff(head).ok_or_else(|| DownloadError::NotAnImage(sniff::describe_non_media(head)))
}

async fn read_head(path: &Path) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(path).await.ok()?;
    let mut head = vec![0; SNIFF_LEN];
    let mut filled = 0;
    while filled < SNIFF_LEN {
        match file.read(&mut head[filled..]).await {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(_) => return None,
        }
    }
    head.truncate(filled);
    Some(head)
}

/// The fast check used when no thumbnail is made: the header must parse (by the bytes'
/// real format, not the temporary file's name). Completeness was proved while streaming
/// (Content-Length, or the end marker when there was none).
fn header_check(path: &Path) -> Result<(u32, u32), DownloadError> {
    image::ImageReader::open(path)
        .and_then(|reader| reader.with_guessed_format())
        .map_err(|error| DownloadError::Undecodable(error.to_string()))?
        .into_dimensions()
        .map_err(|error| DownloadError::Undecodable(error.to_string()))
}

/// Bytes buffered before a write to disk (per download in flight).
const WRITE_BUFFER: usize = 256 * 1024;

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

    #[test]
    fn transient_errors_are_the_documented_ones() {
        let status = |status| DownloadError::Status { status, retry_after: None };
        for code in [408, 429, 500, 502, 503] {
            assert!(status(code).is_transient(), "{code}");
        }
        for code in [400, 401, 403, 404, 410] {
            assert!(!status(code).is_transient(), "{code}");
        }
        assert!(DownloadError::NotAnImage("an HTML page".into()).is_transient());
        assert!(!DownloadError::NotAnImage("JSON".into()).is_transient());
        assert!(!DownloadError::TooLarge { limit: 1 }.is_transient());
        assert!(DownloadError::LengthMismatch { expected: 2, received: 1 }.is_transient());
    }
}
