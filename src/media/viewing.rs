//! The viewer's decoding service: the latest wishes, and the decoders that serve them.
//! The viewer asks for the image on show and its neighbours (so stepping is instant), and
//! asks again each time the user moves on. Only the latest wish counts: a decode that has
//! not begun when its image is no longer wanted is dropped. The viewer has its own small
//! pool of decoders, so a folder scan thumbnailing thousands of files never queues ahead
//! of the image the user is looking at. The decoding itself is [`crate::media::view`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Semaphore;

use super::view::{ViewError, ViewImage, view_file};
use crate::events::Sink;

/// Decodes for the viewer at once (beside the thumbnailers).
const VIEW_DECODERS: usize = 2;

/// What the viewer asks for: these images decoded (at most `max_side` a side), the image
/// on show first; asked-for images not among them are dropped unless their decode has
/// begun.
#[derive(Debug, Clone)]
pub struct ViewRequest {
    pub paths: Vec<PathBuf>,
    pub max_side: u32,
}

/// An image for the viewer, decoded off the UI thread, or why it cannot be shown.
#[derive(Debug, Clone)]
pub struct ViewEvent {
    pub path: PathBuf,
    pub result: Result<ViewImage, ViewError>,
}

/// What the viewer wants decoded now, and what is already on its way.
#[derive(Default)]
struct Wishes {
    wanted: Vec<PathBuf>,
    /// Decodes asked for and not yet finished (or dropped).
    underway: HashSet<PathBuf>,
}

/// The viewer's decoding service: the latest wishes, and the decoders that serve them.
#[derive(Clone)]
pub struct Viewing {
    wishes: Arc<Mutex<Wishes>>,
    decoders: Arc<Semaphore>,
}

impl Default for Viewing {
    fn default() -> Self {
        Self { wishes: Arc::default(), decoders: Arc::new(Semaphore::new(VIEW_DECODERS)) }
    }
}

impl Viewing {
    /// Makes `paths` what is wanted (in this order), starting a decode for each not
    /// already underway. Must run inside the engine's runtime.
    pub fn request(&self, request: ViewRequest, events: &Sink<ViewEvent>) {
        let ViewRequest { paths, max_side } = request;
        let fresh: Vec<PathBuf> = {
            let mut wishes = self.wishes.lock().unwrap_or_else(PoisonError::into_inner);
            wishes.wanted = paths.clone();
            paths.into_iter().filter(|path| wishes.underway.insert(path.clone())).collect()
        };
        for path in fresh {
            tokio::spawn(self.clone().decode(path, max_side, events.clone()));
        }
    }

    async fn decode(self, path: PathBuf, max_side: u32, events: Sink<ViewEvent>) {
        let Ok(_permit) = self.decoders.clone().acquire_owned().await else { return };
        if !self.still_wanted(&path) {
            self.finished(&path);
            return;
        }
        let source = path.clone();
        let decoded = tokio::task::spawn_blocking(move || view_file(&source, max_side)).await;
        self.finished(&path);
        let result = decoded.unwrap_or_else(|error| {
            tracing::error!("a viewer decode failed: {error}");
            Err(ViewError::Undecodable(format!("the decoder stopped: {error}")))
        });
        if let Err(error) = &result {
            tracing::debug!("cannot show {}: {error}", path.display());
        }
        events.send(ViewEvent { path, result }).await;
    }

    fn still_wanted(&self, path: &Path) -> bool {
        self.wishes.lock().unwrap_or_else(PoisonError::into_inner).wanted.iter().any(|wanted| wanted == path)
    }

    fn finished(&self, path: &Path) {
        self.wishes.lock().unwrap_or_else(PoisonError::into_inner).underway.remove(path);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::media::view::VIEW_SIDE;
    use crate::media::view::tests::animated_gif;

    #[tokio::test]
    async fn only_the_latest_wish_is_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..6).map(|n| dir.path().join(format!("{n}.gif"))).collect();
        for path in &paths {
            std::fs::write(path, animated_gif(16, 16, 1, 100)).unwrap();
        }
        let (events, mut received) = Sink::<ViewEvent>::channel();
        let viewing = Viewing::default();
        // Hold every decoder, so nothing begins until the wishes have changed.
        let held = viewing.decoders.clone().acquire_many_owned(VIEW_DECODERS as u32).await.unwrap();
        viewing.request(ViewRequest { paths: paths[..4].to_vec(), max_side: VIEW_SIDE }, &events);
        viewing.request(ViewRequest { paths: vec![paths[3].clone(), paths[5].clone()], max_side: VIEW_SIDE }, &events);
        drop(held);
        let mut shown = Vec::new();
        for _ in 0..2 {
            match tokio::time::timeout(Duration::from_secs(10), received.recv()).await {
                Ok(Some(ViewEvent { path, result })) => {
                    assert!(result.is_ok(), "{result:?}");
                    shown.push(path);
                }
                other => panic!("expected a view, got {other:?}"),
            }
        }
        shown.sort();
        assert_eq!(shown, vec![paths[3].clone(), paths[5].clone()]);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(received.try_recv().is_err(), "images no longer wanted were not decoded");
    }
}
