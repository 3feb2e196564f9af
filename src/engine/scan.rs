//! Large previews of files already on disk, decoded on the blocking pool a few at a time.
//! (A folder's thumbnails are the library's work: see `browse`.)

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::events::EventSink;
use super::thumbnail;
use super::types::Event;

/// Thumbnails of the library (not of a run) report under this run id.
pub const SCAN_RUN: u64 = 0;

/// Bounds decoding for folder scans, re-thumbnails and previews across all requests:
/// one core is left to the front end, so a fast scroll through thousands of evicted
/// thumbnails cannot starve the UI thread or pile up decoded images in memory.
pub fn scan_decoders() -> Arc<Semaphore> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    Arc::new(Semaphore::new(cores.saturating_sub(1).max(1)))
}

/// Decodes one image at up to `max_side` and sends it as a preview.
pub async fn preview(path: PathBuf, max_side: u32, events: EventSink, decoders: Arc<Semaphore>) {
    let source = path.clone();
    let _permit = decoders.acquire_owned().await;
    let decoded = tokio::task::spawn_blocking(move || thumbnail::thumbnail_file(&source, max_side)).await;
    let result = match decoded {
        Ok(Ok(decoded)) => Ok(Arc::new(decoded.pixels)),
        Ok(Err(error)) => Err(error.to_string()),
        Err(error) => Err(error.to_string()),
    };
    events.send(Event::Preview { path, result }).await;
}
