//! Preview before download: a job's sources are listed as a run would list them (a
//! list-only run: nothing is saved, no folder is made, no history row is written), and
//! each image's small variant (Imgur's `m` suffix, about 320 px) is fetched and decoded
//! here, off the UI thread, so the window can show the pictures and let a person pick.
//! What they pick goes to a normal run as [`JobInput::Items`](super::types::JobInput).
//!
//! Concurrency: the listing is one task (`run_job` with `list_only`) whose events go into
//! a channel of this preview's own; the preview task reads it, forwards each item as it
//! comes and starts its picture in a `JoinSet`, where a semaphore lets
//! [`PREVIEW_FETCHES`] fetch at once. One cancellation token per preview: a new preview
//! (or `CancelPreview`) stops the listing and every picture of the old one, and the
//! window drops any stragglers by their [`PreviewId`].

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::error::PreviewError;
use super::events::EventSink;
use super::events::RunEvent;
use super::job::{Job, JobInput};
use super::run::{Timeouts, http_client, run_job};
use super::source::direct_link_id;
use super::transfer::{self, Pace};
use super::types::PreviewId;
use crate::media::Pixels;
use crate::media::thumbnail::thumbnail_bytes;

/// Pictures fetched at once for one preview.
pub const PREVIEW_FETCHES: usize = 8;
/// Longest side of a preview picture as sent to the window (the `m` variant is ~320 px;
/// the window shows it at most this big).
pub const PREVIEW_SIDE: u32 = 256;
/// A small variant larger than this is refused (Imgur's are tens of KB).
const MAX_SMALL_BYTES: usize = 4 * 1024 * 1024;
/// How long one picture may take in all.
const FETCH_DEADLINE: Duration = Duration::from_secs(60);

/// The link of the small variant (`m`, about 320 px, always a JPEG) of the image at
/// `link`: `https://i.imgur.com/AbCdE12.png` -> `https://i.imgur.com/AbCdE12m.jpg`. A link
/// that already names a thumbnail (`AbCdE12h.gif`) gives its image's. `None` when the
/// link's last segment is no file name.
pub fn small_variant(link: &str) -> Option<url::Url> {
    let mut url = url::Url::parse(link.trim()).ok()?;
    let file = url.path_segments()?.next_back()?.to_owned();
    let stem = direct_link_id(&file).or_else(|| {
        let stem = file.split_once('.').map_or(file.as_str(), |(stem, _)| stem);
        (!stem.is_empty() && stem.chars().all(|c| c.is_ascii_alphanumeric())).then(|| stem.to_owned())
    })?;
    url.path_segments_mut().ok()?.pop().push(&format!("{stem}m.jpg"));
    url.set_query(None);
    url.set_fragment(None);
    Some(url)
}

/// Lists `job` without saving anything, sending each image as `PreviewListed` and its
/// picture as `PreviewThumbnail`, then `PreviewDone` once the listing ended. Pictures
/// still on their way when the listing ends are waited for (unless `cancel` fires).
pub async fn preview(preview: PreviewId, mut job: Job, events: EventSink, cancel: CancellationToken) {
    job.list_only = true;
    job.archive = None;
    job.thumbnail_cache = None;
    let api_bases: Vec<String> = job
        .sources
        .iter()
        .filter_map(|input| match input {
            JobInput::Imgur { api_base, .. } => Some(api_base.to_string()),
            JobInput::Urls(_) | JobInput::Items { .. } => None,
        })
        .collect();
    let http = match http_client(Timeouts::default(), PREVIEW_FETCHES, api_bases.iter().map(String::as_str)) {
        Ok(http) => Some(http),
        Err(error) => {
            tracing::warn!("no pictures for the preview: {error}");
            None
        }
    };
    let (inner, mut listing_events) = EventSink::channel();
    let listing = tokio::spawn(run_job(preview, job, inner, cancel.clone()));
    let fetches = Arc::new(Semaphore::new(PREVIEW_FETCHES));
    let mut pictures = JoinSet::new();
    while let Some(event) = tokio::select! {
        _ = cancel.cancelled() => None,
        event = listing_events.recv() => event,
    } {
        match event {
            RunEvent::WouldSave { file, item, .. } => {
                if let Some(http) = &http {
                    let (http, fetches, cancel) = (http.clone(), fetches.clone(), cancel.clone());
                    let (events, id, link) = (events.clone(), item.id.clone(), item.link.clone());
                    pictures.spawn(async move {
                        let Ok(_permit) = fetches.acquire_owned().await else { return };
                        let result = tokio::select! {
                            _ = cancel.cancelled() => return,
                            fetched = fetch_picture(&http, &link) => fetched,
                        };
                        if let Err(error) = &result {
                            tracing::debug!("no preview picture for {id}: {error}");
                        }
                        let result = result.map(Arc::new).map_err(Arc::new);
                        events.send(RunEvent::PreviewThumbnail { preview, id, result }).await;
                    });
                }
                events.send(RunEvent::PreviewListed { preview, file, item }).await;
            }
            RunEvent::Finished { report, .. } => {
                events.send(RunEvent::PreviewDone { preview, report }).await;
            }
            _ => {}
        }
    }
    if let Err(error) = listing.await {
        tracing::error!("the preview's listing stopped unexpectedly: {error}");
    }
    while pictures.join_next().await.is_some() {}
}

/// Fetches and decodes the small variant of the image at `link`.
async fn fetch_picture(http: &reqwest::Client, link: &str) -> Result<Pixels, PreviewError> {
    let url = small_variant(link).ok_or_else(|| PreviewError::NoSmallVariant(link.to_owned()))?;
    let response = http
        .get(url)
        .timeout(FETCH_DEADLINE)
        .send()
        .await
        .map_err(|error| PreviewError::Http(super::error::describe_reqwest(&error)))?;
    if !response.status().is_success() {
        return Err(PreviewError::Status(response.status().as_u16()));
    }
    if response.content_length().is_some_and(|length| length > MAX_SMALL_BYTES as u64) {
        return Err(PreviewError::TooLarge { max_bytes: MAX_SMALL_BYTES });
    }
    let pace = Pace { deadline: FETCH_DEADLINE, ..Pace::default() };
    let mut chunks = transfer::Paced::new(response.bytes_stream(), pace);
    let mut body = Vec::new();
    while let Some(chunk) = chunks.next().await? {
        let chunk = chunk.map_err(|error| PreviewError::Http(super::error::describe_reqwest(&error)))?;
        if body.len() + chunk.len() > MAX_SMALL_BYTES {
            return Err(PreviewError::TooLarge { max_bytes: MAX_SMALL_BYTES });
        }
        body.extend_from_slice(&chunk);
    }
    let decoded = tokio::task::spawn_blocking(move || thumbnail_bytes(&body, PREVIEW_SIDE))
        .await
        .map_err(|error| PreviewError::Task(error.to_string()))??;
    Ok(decoded.pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_small_variant_is_the_id_with_m_as_a_jpeg() {
        let small = |link: &str| small_variant(link).map(|url| url.to_string());
        assert_eq!(small("https://i.imgur.com/AbCdE12.png").as_deref(), Some("https://i.imgur.com/AbCdE12m.jpg"));
        assert_eq!(small("https://i.imgur.com/AbCdE12.mp4").as_deref(), Some("https://i.imgur.com/AbCdE12m.jpg"));
        assert_eq!(
            small("https://i.imgur.com/AbCdE12h.gif").as_deref(),
            Some("https://i.imgur.com/AbCdE12m.jpg"),
            "a thumbnail's link gives its image's"
        );
        assert_eq!(
            small("http://127.0.0.1:4000/i/xYz12.jpg?x=1").as_deref(),
            Some("http://127.0.0.1:4000/i/xYz12m.jpg")
        );
        assert_eq!(small("https://i.imgur.com/"), None);
        assert_eq!(small("not a link"), None);
        assert_eq!(small("https://i.imgur.com/../etc.jpg").as_deref(), Some("https://i.imgur.com/etcm.jpg"));
    }
}
