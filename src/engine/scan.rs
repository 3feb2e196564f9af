//! Thumbnails of files already on disk: a folder the user opens, thumbnails the UI evicted
//! and wants back. Decoding runs on the blocking pool, a few at a time.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::stream;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::events::EventSink;
use super::naming;
use super::sniff::MediaKind;
use super::thumbnail::{self, THUMBNAIL_SIDE};
use super::types::{Event, Thumbnail};

/// Folder scans and re-thumbnails report under this run id.
pub const SCAN_RUN: u64 = 0;

/// Image files directly inside `dir` (not temporary files), oldest first.
pub fn image_files(dir: &Path) -> Vec<PathBuf> {
    media_files(dir, MediaKind::is_image).into_iter().map(|(path, _)| path).collect()
}

/// Video (MP4) files directly inside `dir`, with their sizes, oldest first.
pub fn video_files(dir: &Path) -> Vec<(PathBuf, u64)> {
    media_files(dir, |kind| kind == MediaKind::Mp4)
}

/// Files directly inside `dir` whose extension names a kind `wanted` accepts (not
/// temporary files), with their sizes, oldest first.
fn media_files(dir: &Path, wanted: impl Fn(MediaKind) -> bool) -> Vec<(PathBuf, u64)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<(std::time::SystemTime, PathBuf, u64)> = entries
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            let name = path.file_name()?.to_str()?;
            if name.starts_with('.') || naming::temp_owner(name).is_some() {
                return None;
            }
            let kind = MediaKind::from_extension(path.extension()?.to_str()?)?;
            let metadata = entry.metadata().ok()?;
            (wanted(kind) && metadata.is_file())
                .then(|| (metadata.modified().unwrap_or(std::time::UNIX_EPOCH), path, metadata.len()))
        })
        .collect();
    files.sort();
    files.into_iter().map(|(_, path, bytes)| (path, bytes)).collect()
}

/// Bounds decoding for folder scans and re-thumbnails across all requests:
/// one core is left to the front end, so a fast scroll through thousands of evicted
/// thumbnails cannot starve the UI thread or pile up decoded images in memory.
pub fn scan_decoders() -> Arc<Semaphore> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    Arc::new(Semaphore::new(cores.saturating_sub(1).max(1)))
}

/// Sends a thumbnail for every image in `dir`.
pub async fn scan_folder(dir: PathBuf, events: EventSink, cancel: CancellationToken, decoders: Arc<Semaphore>) {
    let (files, videos) = match tokio::task::spawn_blocking(move || (image_files(&dir), video_files(&dir))).await {
        Ok(found) => found,
        Err(error) => {
            tracing::error!("listing the folder failed: {error}");
            return;
        }
    };
    for (path, bytes) in videos {
        events.send(Event::Video { run: SCAN_RUN, path, bytes }).await;
    }
    tokio::select! {
        _ = cancel.cancelled() => {}
        _ = thumbnail_all(files, events, decoders) => {}
    }
}

/// Sends thumbnails for these files again.
pub async fn rethumbnail(paths: Vec<PathBuf>, events: EventSink, decoders: Arc<Semaphore>) {
    thumbnail_all(paths, events, decoders).await;
}

async fn thumbnail_all(paths: Vec<PathBuf>, events: EventSink, decoders: Arc<Semaphore>) {
    let parallel = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    stream::iter(paths)
        .map(|path| {
            let decoders = decoders.clone();
            async move {
                let _permit = decoders.acquire_owned().await;
                tokio::task::spawn_blocking(move || one_thumbnail(path)).await
            }
        })
        .buffered(parallel)
        .for_each(|made| {
            let events = events.clone();
            async move {
                match made {
                    Ok(Ok(thumbnail)) => events.send(Event::Thumbnail { run: SCAN_RUN, thumbnail }).await,
                    Ok(Err((path, reason))) => events.send(Event::ThumbnailFailed { path, reason }).await,
                    Err(error) => tracing::error!("a thumbnail task failed: {error}"),
                }
            }
        })
        .await;
}

fn one_thumbnail(path: PathBuf) -> Result<Thumbnail, (PathBuf, String)> {
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    match thumbnail::thumbnail_file(&path, THUMBNAIL_SIDE) {
        Ok(decoded) => Ok(Thumbnail {
            path,
            bytes,
            width: decoded.width,
            height: decoded.height,
            pixels: Arc::new(decoded.pixels),
        }),
        Err(error) => Err((path, error.to_string())),
    }
}
