//! Watching the open folder, so the grid stays true when something else changes it: a
//! `galley fetch` in another terminal, a file manager, the folder deleted. The watcher
//! (inotify, FSEvents, ReadDirectoryChanges through `notify`) only says that something
//! changed; a thread of its own waits until the folder has been quiet for a moment and then
//! sends one [`LibraryEvent::FolderChanged`], and the window lists the folder again, as it does
//! after a run. Listing is cheap (a reopen of 50,000 files takes about 0.3 s of CPU), and
//! one listing a burst keeps a busy folder from costing a listing per file.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use super::messages::LibraryEvent;
use crate::events::Sink;

/// How long the folder must be quiet before it is listed again.
const QUIET: Duration = Duration::from_millis(400);
/// A folder that never goes quiet (a long download into it) is listed again this often.
const AT_MOST_EVERY: Duration = Duration::from_secs(3);

/// The watch of one folder; dropping it stops the watch and its thread.
pub struct FolderWatch {
    folder: PathBuf,
    _watcher: notify::RecommendedWatcher,
}

impl FolderWatch {
    /// Starts watching `folder` (not its subfolders). `None`, with a log line, when the
    /// system will not watch it (no such folder yet, no inotify watches left).
    pub fn start(folder: &Path, events: Sink<LibraryEvent>) -> Option<FolderWatch> {
        let (changes, received) = mpsc::channel::<()>();
        let handler = move |result: notify::Result<notify::Event>| match result {
            Ok(event) if event.paths.iter().any(|path| !is_ours(path)) || event.paths.is_empty() => {
                let _ = changes.send(());
            }
            Ok(_) => {}
            Err(error) => tracing::debug!("the folder watch reported: {error}"),
        };
        let mut watcher = match notify::recommended_watcher(handler) {
            Ok(watcher) => watcher,
            Err(error) => {
                tracing::warn!(
                    "cannot watch folders here, so the grid shows changes made elsewhere only on reopening: {error}"
                );
                return None;
            }
        };
        if let Err(error) = watcher.watch(folder, RecursiveMode::NonRecursive) {
            tracing::info!("not watching {}: {error}", folder.display());
            return None;
        }
        let owned = folder.to_owned();
        let spawned = std::thread::Builder::new()
            .name("galley-watch".into())
            .spawn(move || settle_and_report(&received, &owned, &events));
        if let Err(error) = spawned {
            tracing::warn!("cannot start the folder watch: {error}");
            return None;
        }
        Some(FolderWatch { folder: folder.to_owned(), _watcher: watcher })
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }
}

/// Galley's own temporary files (hidden names) come and go during every save: not a change
/// the grid shows.
fn is_ours(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name.as_encoded_bytes().starts_with(b"."))
}

/// Until the watcher goes (its sender with it): waits for a change, then for the folder to
/// be quiet, then reports it once.
fn settle_and_report(received: &mpsc::Receiver<()>, folder: &Path, events: &Sink<LibraryEvent>) {
    while received.recv().is_ok() {
        let burst = Instant::now();
        loop {
            match received.recv_timeout(QUIET) {
                Ok(()) if burst.elapsed() < AT_MOST_EVERY => {}
                Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
        events.send_blocking(LibraryEvent::FolderChanged { folder: folder.to_owned() });
    }
}
