//! The Imgur API client: lists a gallery page by page, expands albums, keeps the items
//! galley can save, and copes with the API's habits (rate limits, repeated pages,
//! "over capacity" 403s, error bodies).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use futures_util::stream::{self, FuturesOrdered};
use serde::Deserialize;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::error::{ApiError, Quota, describe_reqwest};
use super::events::EventSink;
use super::events::{ItemFailure, RunEvent};
use super::item::{ImageItem, Position};
use super::retry;
use super::source::Source;
use super::transfer::{self, Pace};
use super::types::{ClientId, MovingPictures, RateLimits, RunId, Throttle};
use crate::archive::ImageMeta;
use crate::media::sniff::MediaKind;

/// How many times one API request is tried when it fails transiently.
const API_ATTEMPTS: u32 = 5;
/// Total time one API request may spend waiting out 429s and "over capacity" 403s.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(120);
/// Listing until nothing new stops here at the latest.
const MAX_PAGES: u32 = 1000;
/// The most an API answer may hold. Imgur's pages are tens to hundreds of KB; an album of
/// a thousand images about 1 MB. A bigger (or endless) body is refused as it arrives, so a
/// hostile server cannot grow galley's memory.
pub const MAX_API_BODY: usize = 8 * 1024 * 1024;
/// Gallery pages in hand at once (asked for, or with entries not all sent yet): one for
/// every [`REQUESTS_PER_PAGE_IN_HAND`] API requests the run may have open, within
/// [`MIN_PAGES_IN_HAND`]..=[`MAX_PAGES_IN_HAND`]. A page holds its place for two round trips
/// (the page, then its albums) and brings about 60 entries, so at 64 downloads at once 4
/// pages in hand list faster than the pool downloads, and at 256, 16. Past the end of a
/// gallery each page in hand costs one request that brings nothing new, which is why the
/// number follows the concurrency instead of being large always.
fn pages_in_hand(requests_at_once: usize) -> usize {
    (requests_at_once / REQUESTS_PER_PAGE_IN_HAND).clamp(MIN_PAGES_IN_HAND, MAX_PAGES_IN_HAND)
}
const MIN_PAGES_IN_HAND: usize = 3;
const MAX_PAGES_IN_HAND: usize = 16;
const REQUESTS_PER_PAGE_IN_HAND: usize = 16;
/// One API attempt (request and whole body) must finish within this, however fast the body
/// comes; within it the body must also keep the run's [`Pace`] (a server dripping a byte
/// every few seconds never trips the read timeout).
const API_ATTEMPT_DEADLINE: Duration = Duration::from_secs(30);

/// Talks to one API root with one Client-ID, for one run.
///
/// Concurrency: the entries of every page in hand are expanded as one ordered set of
/// futures, so albums without inline images are asked for as soon as their page arrives,
/// whichever page that is, while their images still come out in listing order (or, with
/// [`ListRequest::ahead`], the images a page lists itself go at once and the albums'
/// follow as they answer); the next pages are asked for while earlier ones are expanded
/// and downloaded. Every
/// request holds a permit of `budget`: as many API requests at once as the run has
/// downloads, on a budget of their own so that listing never waits behind the downloads
/// it feeds. A 429 or an
/// "over capacity" 403 pauses every API request of the run, not only the one that met it.
pub struct ImgurClient {
    http: reqwest::Client,
    base: Url,
    client_id: ClientId,
    run: RunId,
    events: EventSink,
    cancel: CancellationToken,
    budget: Arc<Semaphore>,
    /// How many API requests may be open at once (the run's concurrency).
    requests_at_once: usize,
    /// API requests open now, for the live plot.
    open_requests: AtomicUsize,
    /// 429s (and over-capacity 403s) in a row, run-wide: each makes the next wait longer.
    throttled_in_a_row: AtomicU32,
    /// No API request is sent before this instant.
    paused_until: Mutex<Option<Instant>>,
    /// How fast an answer must come, as for image bodies; its deadline is at most
    /// [`API_ATTEMPT_DEADLINE`].
    pace: Pace,
    /// Set when a quota came near its end: no further request is sent.
    quota_low: Mutex<Option<(Quota, u64)>>,
}

/// Requests of a quota kept unspent, besides one for each request that may be in flight
/// when the quota is seen to run low: the user's other tools (or a browser) need some.
const QUOTA_RESERVE: u64 = 10;

/// The quota (and how much of it is left) that has `reserve` requests or fewer left.
fn quota_nearly_used(limits: &RateLimits, reserve: u64) -> Option<(Quota, u64)> {
    if let Some(left) = limits.user_remaining.filter(|&left| left <= reserve) {
        return Some((Quota::User { reset: limits.user_reset }, left));
    }
    limits.client_remaining.filter(|&left| left <= reserve).map(|left| (Quota::Client, left))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a listing did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Listed {
    /// Images sent for download.
    pub sent: u64,
    /// Entries (albums) whose images could not be listed; each was reported as `Failed`.
    pub failed_entries: u64,
}

/// What to list, and where in the run's listing it starts.
pub struct ListRequest<'a> {
    pub source: &'a Source,
    /// Gallery pages to list; `None` lists until a page brings nothing new.
    pub pages: Option<u32>,
    /// At most this many images (of this source).
    pub limit: Option<usize>,
    pub moving: MovingPictures,
    /// The source's place in the job, given to each item.
    pub index: usize,
    /// Images the run listed before this source, so `Listed` totals count the run's.
    pub listed_before: u64,
    /// Hand over the images a page lists itself (lone images, albums listed whole) as soon
    /// as the page arrives, ahead of albums before them that must still be asked for. Only
    /// right when nothing about an image depends on those albums: neither its name (no
    /// `{num}`, whose count runs through the albums' images) nor whether it is taken (no
    /// limit). Its place in the listing is still kept: counted when the albums before it
    /// have answered, and an album holding the same image later leaves it out as seen.
    pub ahead: bool,
    /// A followed source: what was dealt with for it already, and whether to stop at it.
    pub follow: Option<FollowListing<'a>>,
}

/// How a followed source is listed: newest first, the items already dealt with for it
/// are not handed over again, and (once the source has been listed to its end) the
/// listing stops after the first page that holds one of them.
#[derive(Debug, Clone, Copy)]
pub struct FollowListing<'a> {
    /// Ids of images (and albums) already saved for it, or deleted on Imgur.
    pub known: &'a HashSet<String>,
    /// Stop after the first page holding a known id (pages are then asked for one at a
    /// time, so no page past it is requested).
    pub stop_at_known: bool,
}

impl FollowListing<'_> {
    /// Whether a page's entries (or an album's inline images) name a known id.
    fn holds_known(&self, entries: &[serde_json::Value]) -> bool {
        let known = |value: &serde_json::Value| {
            value.get("id").and_then(serde_json::Value::as_str).is_some_and(|id| self.known.contains(id))
        };
        entries.iter().any(|entry| {
            known(entry)
                || entry
                    .get("images")
                    .and_then(serde_json::Value::as_array)
                    .is_some_and(|images| images.iter().any(known))
        })
    }

    fn is_known(&self, id: &str) -> bool {
        self.known.contains(id)
    }
}

/// Where a listing stands, carried from page to page.
struct ListingState<'a> {
    /// Image ids listed so far.
    seen: HashSet<String>,
    listed: Listed,
    /// Images not listed before that the current page brought so far.
    new_on_page: u64,
    /// Whether images are handed over ahead of their place ([`ListRequest::ahead`]); off
    /// after a page that failed, whose later pages will not be listed.
    send_ahead: bool,
    /// Images handed over ahead whose place in the listing has not been reached yet.
    ahead: HashSet<String>,
    limit: Option<usize>,
    index: usize,
    listed_before: u64,
    items: &'a mpsc::Sender<ImageItem>,
    follow: Option<FollowListing<'a>>,
    /// The page being taken holds a known id: the listing ends with it.
    last_page: bool,
}

/// Whether to go on after an entry.
enum EntryEnd {
    More,
    /// The limit was reached or the receiver went away.
    Stop,
}

/// One place in the listing's order: an entry's images, an album to ask for, or a page's
/// end (or error).
enum Slot {
    /// Images the page lists itself: a lone image, or an album listed whole.
    Listed(Vec<ImageItem>),
    /// An album whose images must be asked for.
    Album {
        id: String,
        meta: ImageMeta,
    },
    PageEnd,
    PageFailed(ApiError),
}

/// What a [`Slot`] came to.
enum Step {
    Images(Result<Vec<ImageItem>, EntryError>),
    PageEnd,
    PageFailed(ApiError),
}

/// A page's entries as slots, then its end. An entry seen on an earlier page (Imgur
/// repeats pages past the last) is left out: an album is not asked for twice.
fn page_slots(
    page: Result<Vec<serde_json::Value>, ApiError>,
    seen_entries: &mut HashSet<String>,
    moving: MovingPictures,
) -> Vec<Slot> {
    match page {
        Ok(entries) => entries
            .into_iter()
            .filter(|entry| seen_entries.insert(entry_key(entry)))
            .map(|entry| entry_slot(entry, moving))
            .chain(std::iter::once(Slot::PageEnd))
            .collect(),
        Err(error) => vec![Slot::PageFailed(error)],
    }
}

/// What an entry comes to without another request: its images, or the album to ask for.
fn entry_slot(entry: serde_json::Value, moving: MovingPictures) -> Slot {
    // A malformed entry is skipped, not fatal: one bad item must not sink a gallery.
    let Ok(raw) = serde_json::from_value::<RawItem>(entry) else {
        tracing::warn!("skipping a gallery entry of unexpected shape");
        return Slot::Listed(Vec::new());
    };
    if raw.is_album != Some(true) {
        let meta = raw.meta();
        return Slot::Listed(keep(raw, meta, moving).into_iter().collect());
    }
    let meta = raw.album_meta();
    // A gallery listing may carry only the first few of an album's images inline
    // (`images_count` says how many it holds): then the album is asked for whole.
    let count = raw.images_count;
    match raw.images {
        Some(images) if count.is_none_or(|count| images.len() as u64 >= count) => {
            Slot::Listed(album_members(images, &meta, moving))
        }
        _ => match raw.id.filter(|id| is_plain_id(id)) {
            Some(id) => Slot::Album { id, meta },
            None => Slot::Listed(Vec::new()),
        },
    }
}

/// The envelope of every Imgur answer.
#[derive(Deserialize)]
struct Envelope {
    data: serde_json::Value,
    #[serde(default)]
    success: Option<bool>,
}

/// One gallery entry: an image or an album. Every field is optional because the API (or
/// a server pretending to be it) may leave any of them out.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawItem {
    id: Option<String>,
    #[serde(rename = "type")]
    mime: Option<String>,
    link: Option<String>,
    animated: Option<bool>,
    mp4: Option<String>,
    is_album: Option<bool>,
    images: Option<Vec<serde_json::Value>>,
    /// How many images an album holds; a gallery listing may carry fewer inline.
    images_count: Option<u64>,
    size: Option<u64>,
    title: Option<String>,
    description: Option<String>,
    /// Imgur gives tags as objects with a `name`; plain strings are taken too.
    tags: Option<Vec<serde_json::Value>>,
    account_url: Option<String>,
    datetime: Option<i64>,
    views: Option<u64>,
    nsfw: Option<bool>,
}

/// What galley keeps of what Imgur says of an image, at most: generous for real posts
/// (Imgur's own limits are far lower), and a server that sends a 7 MB title cannot make
/// every copy, hover card and archive row of it cost megabytes.
const MAX_TITLE_CHARS: usize = 1_000;
const MAX_DESCRIPTION_CHARS: usize = 10_000;
const MAX_TAG_CHARS: usize = 100;
const MAX_TAGS: usize = 100;

/// `text` cut to `max` characters (with an ellipsis when cut), or `None` when empty.
fn clipped(text: Option<&str>, max: usize) -> Option<String> {
    let text = text.filter(|text| !text.is_empty())?;
    match text.char_indices().nth(max) {
        Some((end, _)) => Some(format!("{}…", &text[..end])),
        None => Some(text.to_owned()),
    }
}

impl RawItem {
    /// What this entry says of itself, for an image (album fields empty).
    fn meta(&self) -> ImageMeta {
        let tags = self.tags.iter().flatten();
        let tags = tags.filter_map(|tag| match tag {
            serde_json::Value::String(name) => Some(name.clone()),
            tag => {
                tag.get("display_name").or_else(|| tag.get("name")).and_then(|name| name.as_str()).map(str::to_owned)
            }
        });
        ImageMeta {
            title: clipped(self.title.as_deref(), MAX_TITLE_CHARS),
            description: clipped(self.description.as_deref(), MAX_DESCRIPTION_CHARS),
            tags: tags.filter_map(|tag| clipped(Some(&tag), MAX_TAG_CHARS)).take(MAX_TAGS).collect(),
            account: clipped(self.account_url.as_deref(), MAX_TAG_CHARS),
            datetime: self.datetime,
            album_id: None,
            album_title: None,
            views: self.views,
            nsfw: self.nsfw,
        }
    }

    /// What a member of this album inherits: the album's id and title, and the album's
    /// account, date, tags and nsfw where the member says nothing itself.
    fn album_meta(&self) -> ImageMeta {
        let own = self.meta();
        ImageMeta { album_id: self.id.clone(), album_title: own.title.clone(), title: None, description: None, ..own }
    }
}

/// A member's own metadata over what it inherits from its album.
fn member_meta(member: &RawItem, album: &ImageMeta) -> ImageMeta {
    let own = member.meta();
    ImageMeta {
        title: own.title,
        description: own.description,
        tags: if own.tags.is_empty() { album.tags.clone() } else { own.tags },
        account: own.account.or_else(|| album.account.clone()),
        datetime: own.datetime.or(album.datetime),
        album_id: album.album_id.clone(),
        album_title: album.album_title.clone(),
        views: own.views.or(album.views),
        nsfw: own.nsfw.or(album.nsfw),
    }
}

impl ImgurClient {
    pub fn new(
        http: reqwest::Client,
        base: Url,
        client_id: ClientId,
        run: RunId,
        events: EventSink,
        cancel: CancellationToken,
        budget: Arc<Semaphore>,
    ) -> Self {
        let requests_at_once = budget.available_permits().max(1);
        Self {
            http,
            base,
            client_id,
            run,
            events,
            cancel,
            budget,
            requests_at_once,
            open_requests: AtomicUsize::new(0),
            throttled_in_a_row: AtomicU32::new(0),
            paused_until: Mutex::new(None),
            quota_low: Mutex::new(None),
            pace: api_pace(Pace::default()),
        }
    }

    /// Holds every answer to `pace` (the run's, the same as image bodies keep).
    pub fn with_pace(mut self, pace: Pace) -> Self {
        self.pace = api_pace(pace);
        self
    }

    /// Lists `source` and sends each image to `items` in listing order (or, with
    /// [`ListRequest::ahead`], a page's own images as soon as it arrives), dropping ids
    /// already seen. Stops after `pages` pages (or, with `None`, when a page brings
    /// nothing new), after `limit` images, or when the receiver goes away. An album whose
    /// images cannot be listed is a failure of that entry (reported as `Failed`), not of
    /// the listing; errors that every request would meet (Client-ID refused, offline,
    /// rate-limited past the bound) end it.
    pub async fn list(&self, request: ListRequest<'_>, items: &mpsc::Sender<ImageItem>) -> Result<Listed, ApiError> {
        let ListRequest { source, pages, limit, moving, index, listed_before, ahead, follow } = request;
        let mut state = ListingState {
            seen: HashSet::new(),
            listed: Listed::default(),
            new_on_page: 0,
            send_ahead: ahead,
            ahead: HashSet::new(),
            limit,
            index,
            listed_before,
            items,
            follow,
            last_page: false,
        };
        let last_page = if source.is_paged() { pages.unwrap_or(MAX_PAGES).min(MAX_PAGES) } else { 1 };
        // A followed source that stops at its known items is asked for a page at a time:
        // a page asked for ahead would cost a request a check with nothing new must not make.
        let pages_in_hand = match follow {
            Some(follow) if follow.stop_at_known => 1,
            _ => pages_in_hand(self.requests_at_once),
        };
        // Pages are asked for ahead, in the background of this future, and taken in order.
        // `window` holds one permit per page asked for whose entries are not all sent yet,
        // so at most `pages_in_hand` pages are in hand at once.
        let window = Semaphore::new(pages_in_hand);
        let (pages_tx, mut pages_rx) = mpsc::channel(pages_in_hand);
        let fetch_pages = async {
            let window = &window;
            let mut pages = stream::iter(0..last_page)
                .map(|page| async move {
                    if let Ok(permit) = window.acquire().await {
                        permit.forget();
                    }
                    self.page(source, page).await
                })
                .buffered(pages_in_hand);
            while let Some(page) = pages.next().await {
                if pages_tx.send(page).await.is_err() {
                    break;
                }
            }
            drop(pages_tx);
            std::future::pending::<()>().await;
        };
        // Every entry of every page in hand is expanded as soon as its page arrives, not
        // when the pages before it are done: an album on page 3 is asked for while page
        // 1's images download. `in_order` keeps listing order; it holds no more than the
        // entries of the pages in hand, and `budget` bounds the requests.
        let mut seen_entries = HashSet::new();
        let take_steps = async {
            let mut in_order = FuturesOrdered::new();
            let mut pages_over = false;
            loop {
                tokio::select! {
                    biased;
                    Some(step) = in_order.next(), if !in_order.is_empty() => match step {
                        Step::PageFailed(error) => return Err(error),
                        Step::PageEnd => {
                            if state.last_page {
                                break;
                            }
                            window.add_permits(1);
                            // Past the last page Imgur repeats earlier pages (or sends nothing).
                            if std::mem::take(&mut state.new_on_page) == 0 {
                                break;
                            }
                        }
                        Step::Images(expanded) => {
                            if let EntryEnd::Stop = self.emit_entry(expanded, &mut state).await? {
                                break;
                            }
                        }
                    },
                    page = pages_rx.recv(), if !pages_over => {
                        let Some(page) = page else {
                            pages_over = true;
                            continue;
                        };
                        if let (Some(follow), Ok(entries)) = (&state.follow, &page) {
                            state.last_page |= follow.stop_at_known && follow.holds_known(entries);
                        }
                        let mut listed_here = Vec::new();
                        for slot in page_slots(page, &mut seen_entries, moving) {
                            match &slot {
                                Slot::Listed(images) if state.send_ahead => listed_here.extend(images.iter().cloned()),
                                Slot::PageFailed(_) => state.send_ahead = false,
                                _ => {}
                            }
                            in_order.push_back(self.step(slot, moving));
                        }
                        // After the page's albums are in line to be asked for.
                        if let EntryEnd::Stop = self.send_ahead(listed_here, &mut state).await {
                            break;
                        }
                    }
                    else => break,
                }
            }
            Ok::<_, ApiError>(())
        };
        // Whatever pages and albums are still being fetched when the listing ends are dropped.
        tokio::select! {
            _ = fetch_pages => {}
            taken = take_steps => taken?,
        }
        Ok(state.listed)
    }

    /// What one slot of the listing comes to: an entry's images, a page's end or error.
    async fn step(&self, slot: Slot, moving: MovingPictures) -> Step {
        match slot {
            Slot::Listed(images) => Step::Images(Ok(images)),
            Slot::Album { id, meta } => Step::Images(self.album_images(id, &meta, moving).await),
            Slot::PageEnd => Step::PageEnd,
            Slot::PageFailed(error) => Step::PageFailed(error),
        }
    }

    /// Hands over the images a page lists itself as soon as it arrives, ahead of their
    /// place ([`ListRequest::ahead`]); their place is counted later, in `emit_entry`.
    async fn send_ahead(&self, images: Vec<ImageItem>, state: &mut ListingState<'_>) -> EntryEnd {
        for item in images {
            let known = state.follow.is_some_and(|follow| follow.is_known(&item.id));
            if known || state.seen.contains(&item.id) || !state.ahead.insert(item.id.clone()) {
                continue;
            }
            if let EntryEnd::Stop = self.hand_over(item, state).await {
                return EntryEnd::Stop;
            }
        }
        EntryEnd::More
    }

    /// Sends one image for download, announcing it as listed.
    async fn hand_over(&self, mut item: ImageItem, state: &mut ListingState<'_>) -> EntryEnd {
        state.listed.sent += 1;
        item.source = state.index;
        let total = state.listed_before + state.listed.sent;
        self.events.send(RunEvent::Listed { run: self.run, id: item.id.clone(), total }).await;
        match state.items.send(item).await {
            Ok(()) => EntryEnd::More,
            Err(_) => EntryEnd::Stop,
        }
    }

    /// Takes an entry's images in listing order, skipping ids already listed, and sends
    /// those not handed over ahead already.
    async fn emit_entry(
        &self,
        expanded: Result<Vec<ImageItem>, EntryError>,
        state: &mut ListingState<'_>,
    ) -> Result<EntryEnd, ApiError> {
        let images = match expanded {
            Ok(images) => images,
            Err(EntryError { entry, error }) if error.is_entry_failure() => {
                tracing::warn!("could not list album {entry}: {error}");
                let reason = ItemFailure::Album(Arc::new(error));
                self.events.send(RunEvent::Failed { run: self.run, id: entry, reason }).await;
                state.listed.failed_entries += 1;
                return Ok(EntryEnd::More);
            }
            Err(EntryError { error, .. }) => return Err(error),
        };
        for mut item in images {
            // One handed over ahead has reached its place: it is seen from here on, and
            // an album that holds it too, met first, leaves it out as seen.
            let sent_already = state.ahead.remove(&item.id);
            if !state.seen.insert(item.id.clone()) {
                continue;
            }
            state.new_on_page += 1;
            // Already dealt with for a followed source: new to this listing (so a listing
            // that is catching up goes on past it), but not fetched again.
            if sent_already || state.follow.is_some_and(|follow| follow.is_known(&item.id)) {
                continue;
            }
            if state.limit.is_some_and(|limit| state.listed.sent >= limit as u64) {
                return Ok(EntryEnd::Stop);
            }
            if item.position.num == 0 {
                item.position = Position { num: state.listed.sent as u32 + 1, of: None };
            }
            if let EntryEnd::Stop = self.hand_over(item, state).await {
                return Ok(EntryEnd::Stop);
            }
        }
        Ok(EntryEnd::More)
    }

    /// The entries of one page.
    async fn page(&self, source: &Source, page: u32) -> Result<Vec<serde_json::Value>, ApiError> {
        let path = source.api_path(page);
        let data = self.get(&path, &source.query()).await?;
        match (source, data) {
            // A gallery post or an image is one entry, not a list.
            (Source::Post { .. } | Source::Image { .. }, data @ serde_json::Value::Object(_)) => Ok(vec![data]),
            // A tag's answer is the tag, its entries under `items`.
            (Source::Tag { .. }, serde_json::Value::Object(mut tag)) => {
                as_list(tag.remove("items").unwrap_or(serde_json::Value::Null), &path)
            }
            (_, data) => as_list(data, &path),
        }
    }

    /// An album's members, asked for (the listing did not carry them whole).
    async fn album_images(
        &self,
        id: String,
        album: &ImageMeta,
        moving: MovingPictures,
    ) -> Result<Vec<ImageItem>, EntryError> {
        let path = format!("/3/album/{id}/images");
        let listed = self.get(&path, &[]).await.and_then(|data| as_list(data, &path));
        let members = listed.map_err(|error| EntryError { entry: id, error })?;
        Ok(album_members(members, album, moving))
    }

    /// GET an API path and return its `data`, retrying what is worth retrying. No text of
    /// the server's leaves here with the Client-ID in it.
    async fn get(&self, path: &str, query: &[(&'static str, String)]) -> Result<serde_json::Value, ApiError> {
        self.get_unredacted(path, query).await.map_err(|error| error.redacted(&self.client_id))
    }

    async fn get_unredacted(
        &self,
        path: &str,
        query: &[(&'static str, String)],
    ) -> Result<serde_json::Value, ApiError> {
        let endpoint = path.to_owned();
        let mut url = self.base.clone();
        url.set_path(&format!("{}{}", self.base.path().trim_end_matches('/'), path));
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut waited = Duration::ZERO;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let answer = match self.attempt(&url, &endpoint).await? {
                Ok(answer) => answer,
                Err(reason) if attempt < API_ATTEMPTS => {
                    tracing::debug!("{endpoint}: {reason}; retrying");
                    self.sleep(retry::next_wait(attempt, None)).await?;
                    continue;
                }
                Err(reason) => return Err(ApiError::Offline { endpoint, reason }),
            };
            let throttled = match answer.status {
                429 => Some(Throttle::TooManyRequests),
                403 if over_capacity(&answer.body) => Some(Throttle::OverCapacity),
                _ => None,
            };
            if throttled.is_none() {
                self.throttled_in_a_row.store(0, Ordering::Relaxed);
            }
            match (answer.status, throttled) {
                (200..=299, _) => return parse_envelope(&answer.body, &endpoint),
                (_, Some(why)) => {
                    // Over capacity is a passing throttle, not a spent quota: only a
                    // Retry-After counts, never the quota's reset an hour away.
                    let server_wait = match why {
                        Throttle::TooManyRequests => answer.server_wait,
                        Throttle::OverCapacity => answer.retry_after,
                    };
                    let wait = self.throttle_wait(server_wait);
                    if waited + wait > MAX_RATE_LIMIT_WAIT {
                        return Err(ApiError::RateLimited { endpoint, waited });
                    }
                    self.events.send(RunEvent::RateLimited { run: self.run, wait, why }).await;
                    waited += wait;
                    self.pause_for(wait);
                    attempt = 0; // being paced is not a failure of this request
                }
                (401 | 403, _) => return Err(ApiError::Refused { endpoint, status: answer.status }),
                // Imgur refuses whole regions (the UK since 2025-09-30); 451 is the status
                // that says so.
                (451, _) => return Err(ApiError::Region { endpoint }),
                (status, _) if is_transient_status(status) && attempt < API_ATTEMPTS => {
                    self.sleep(retry::next_wait(attempt, None)).await?;
                }
                (status, _) => {
                    return Err(ApiError::Status { endpoint, status, message: error_message(&answer.body) });
                }
            }
        }
    }

    /// One request, holding a permit of the run's budget from send to the body's end.
    /// The outer `Err` ends the request (cancelled, quota nearly used, body too large);
    /// the inner one is a network failure worth another attempt.
    async fn attempt(&self, url: &Url, endpoint: &str) -> Result<Result<Answer, String>, ApiError> {
        let _permit = tokio::select! {
            _ = self.cancel.cancelled() => return Err(ApiError::Cancelled),
            permit = self.budget.acquire() => permit.map_err(|_| ApiError::Cancelled)?,
        };
        // Checked with the permit in hand, not before waiting for it: many requests wait
        // for a permit at once, and a pause or a low quota seen meanwhile holds them all.
        self.wait_out_pause().await?;
        if let Some((quota, remaining)) = *lock(&self.quota_low) {
            return Err(ApiError::Quota { endpoint: endpoint.to_owned(), quota, remaining });
        }
        let _open = OpenRequest::new(self).await;
        let request = self
            .http
            .get(url.clone())
            .header(reqwest::header::AUTHORIZATION, format!("Client-ID {}", self.client_id.expose()))
            .header(reqwest::header::ACCEPT, "application/json");
        let exchange = async {
            let response = transfer::first_response(self.pace, request.send())
                .await
                .map_err(|slow| slow.to_string())?
                .map_err(|error| match error.is_redirect() {
                    true => BodyError::Redirected(ApiError::Redirected {
                        endpoint: endpoint.to_owned(),
                        reason: describe_reqwest(&error),
                    }),
                    false => BodyError::Network(describe_reqwest(&error)),
                })?;
            self.report_rate_limits(response.headers()).await;
            let status = response.status().as_u16();
            let server_wait = rate_limit_wait(response.headers());
            let retry_after = retry_after(response.headers());
            let body = read_capped(response, endpoint, self.pace).await?;
            Ok::<_, BodyError>(Answer { status, server_wait, retry_after, body })
        };
        let answer = tokio::select! {
            _ = self.cancel.cancelled() => return Err(ApiError::Cancelled),
            answer = exchange => answer,
        };
        match answer {
            Ok(answer) => Ok(Ok(answer)),
            Err(BodyError::Network(reason)) => Ok(Err(reason)),
            Err(BodyError::TooLarge(error) | BodyError::Redirected(error)) => Err(error),
        }
    }

    /// The wait after a 429 or an over-capacity 403: the server's ask, but never less
    /// than a floor that doubles with each one in a row (a `Retry-After: 0` or a reset
    /// time already past must not turn into a request storm).
    fn throttle_wait(&self, server_wait: Option<Duration>) -> Duration {
        let in_a_row = self.throttled_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
        let floor = retry::throttle_floor(in_a_row);
        server_wait.unwrap_or(Duration::ZERO).max(floor).min(retry::MAX_SERVER_WAIT)
    }

    /// Holds back every API request of the run for `wait` from now.
    fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut paused = self.paused_until.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    async fn wait_out_pause(&self) -> Result<(), ApiError> {
        loop {
            let until = *self.paused_until.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match until {
                Some(until) if until > Instant::now() => {
                    tokio::select! {
                        _ = self.cancel.cancelled() => return Err(ApiError::Cancelled),
                        _ = tokio::time::sleep_until(until) => {}
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    async fn sleep(&self, wait: Duration) -> Result<(), ApiError> {
        tokio::select! {
            _ = self.cancel.cancelled() => Err(ApiError::Cancelled),
            _ = tokio::time::sleep(wait) => Ok(()),
        }
    }

    async fn report_rate_limits(&self, headers: &reqwest::header::HeaderMap) {
        let limits = rate_limits(headers);
        if let Some(low) = quota_nearly_used(&limits, QUOTA_RESERVE + self.requests_at_once as u64) {
            lock(&self.quota_low).get_or_insert(low);
        }
        if limits != RateLimits::default() {
            self.events.send(RunEvent::RateLimit { run: self.run, limits }).await;
        }
    }

    async fn report_open_requests(&self, open: usize) {
        self.events.send(RunEvent::ListingRequests { run: self.run, in_flight: open }).await;
    }
}

/// An API answer, read whole.
struct Answer {
    status: u16,
    server_wait: Option<Duration>,
    /// The `Retry-After` alone.
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

/// An album entry whose images could not be listed.
struct EntryError {
    /// The album's id.
    entry: String,
    error: ApiError,
}

enum BodyError {
    /// Worth another attempt.
    Network(String),
    /// Over [`MAX_API_BODY`]: asking again would bring the same.
    TooLarge(ApiError),
    /// A redirect loop, or one the redirect policy refuses: asking again would too.
    Redirected(ApiError),
}

impl From<String> for BodyError {
    fn from(reason: String) -> Self {
        BodyError::Network(reason)
    }
}

/// The pace of API answers: the run's, with a deadline of at most [`API_ATTEMPT_DEADLINE`].
fn api_pace(pace: Pace) -> Pace {
    Pace { deadline: pace.deadline.min(API_ATTEMPT_DEADLINE), ..pace }
}

/// Reads a body chunk by chunk, refusing it as soon as it passes [`MAX_API_BODY`], and
/// giving up on it (as worth another attempt) when it comes slower than `pace`.
async fn read_capped(response: reqwest::Response, endpoint: &str, pace: Pace) -> Result<Vec<u8>, BodyError> {
    let too_large = || {
        BodyError::TooLarge(ApiError::Malformed {
            endpoint: endpoint.to_owned(),
            reason: format!("the answer is larger than {} MiB", MAX_API_BODY / (1024 * 1024)),
        })
    };
    if response.content_length().is_some_and(|length| length > MAX_API_BODY as u64) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(response.content_length().unwrap_or(0) as usize);
    let mut chunks = transfer::Paced::new(response.bytes_stream(), pace);
    while let Some(chunk) = chunks.next().await.map_err(|slow| slow.to_string())? {
        let chunk = chunk.map_err(|error| describe_reqwest(&error))?;
        if body.len() + chunk.len() > MAX_API_BODY {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Counts one open API request for the live plot, from send to the body's end.
struct OpenRequest<'a> {
    client: &'a ImgurClient,
}

impl<'a> OpenRequest<'a> {
    async fn new(client: &'a ImgurClient) -> OpenRequest<'a> {
        let open = client.open_requests.fetch_add(1, Ordering::SeqCst) + 1;
        client.report_open_requests(open).await;
        OpenRequest { client }
    }
}

impl Drop for OpenRequest<'_> {
    fn drop(&mut self) {
        let open = self.client.open_requests.fetch_sub(1, Ordering::SeqCst) - 1;
        // Drop cannot wait: a full queue loses this sample, and the next one corrects it.
        self.client.events.send_lossy(RunEvent::ListingRequests { run: self.client.run, in_flight: open });
    }
}

/// Parses one gallery page's body the way a listing does, without the network: the items
/// to fetch, with albums' inline members expanded (albums without inline images, which
/// need another request, give nothing here). Used by the fuzzer and tests.
pub fn parse_page(body: &[u8], endpoint: &str, moving: MovingPictures) -> Result<Vec<ImageItem>, ApiError> {
    let entries = as_list(parse_envelope(body, endpoint)?, endpoint)?;
    let raw_items = entries.into_iter().filter_map(|entry| serde_json::from_value::<RawItem>(entry).ok());
    let mut items = Vec::new();
    for raw in raw_items {
        let meta = if raw.is_album == Some(true) { raw.album_meta() } else { raw.meta() };
        match (raw.is_album, raw.images) {
            (Some(true), Some(members)) => items.extend(album_members(members, &meta, moving)),
            (Some(true), None) => {}
            (_, images) => items.extend(keep(RawItem { images, ..raw }, meta, moving)),
        }
    }
    Ok(items)
}

/// What tells gallery entries apart: the id of an album (or image); an entry without one
/// is told apart by its whole text, so it is never mistaken for another.
fn entry_key(entry: &serde_json::Value) -> String {
    let id = entry.get("id").and_then(|id| id.as_str());
    let album = entry.get("is_album").and_then(|album| album.as_bool()).unwrap_or(false);
    match id {
        Some(id) => format!("{}:{id}", if album { "album" } else { "image" }),
        None => entry.to_string(),
    }
}

/// The members of an album galley can save, in the album's order, with what they inherit
/// and their place among them.
fn album_members(members: Vec<serde_json::Value>, album: &ImageMeta, moving: MovingPictures) -> Vec<ImageItem> {
    let mut kept: Vec<ImageItem> = members
        .into_iter()
        .filter_map(|member| serde_json::from_value::<RawItem>(member).ok())
        .filter_map(|member| {
            let meta = member_meta(&member, album);
            keep(member, meta, moving)
        })
        .collect();
    let of = kept.len() as u32;
    for (index, item) in kept.iter_mut().enumerate() {
        item.position = Position { num: index as u32 + 1, of: Some(of) };
    }
    kept
}

/// Keeps an entry galley can save, as the item to fetch: every JPEG, PNG and GIF (an
/// animated GIF as its original .gif unless its MP4 is wanted instead), and videos only
/// when asked for.
fn keep(raw: RawItem, meta: ImageMeta, moving: MovingPictures) -> Option<ImageItem> {
    let id = raw.id.filter(|id| !id.is_empty())?;
    let mime = raw.mime.as_deref().and_then(MediaKind::from_mime);
    let animated = raw.animated.unwrap_or(false);
    let (link, claimed) = match (mime, raw.mp4) {
        (Some(MediaKind::Gif), Some(mp4)) if animated && moving.gifs_as_mp4 => (mp4, Some(MediaKind::Mp4)),
        // For an animated GIF over 20 MB, Imgur's `link` is its 'h' thumbnail.
        (Some(kind), _) if kind.is_image() => (original_link(&id, raw.link?), Some(kind)),
        (Some(MediaKind::Mp4), _) if moving.videos => (raw.link?, Some(MediaKind::Mp4)),
        // A video whose `type` is missing or unknown: its `mp4` says what it is.
        (None, Some(mp4)) if animated && moving.videos => (mp4, Some(MediaKind::Mp4)),
        _ => return None,
    };
    Some(ImageItem { id, link, claimed, size: raw.size, meta, source: 0, position: Position::default() })
}

/// `link` without a thumbnail's size letter: `.../IDh.gif` is the 'h' thumbnail of ID,
/// whose original is `.../ID.gif`. Any other link is kept as it is.
fn original_link(id: &str, link: String) -> String {
    let Some((base, file)) = link.rsplit_once('/') else { return link };
    let (stem, extension) = file.split_once('.').unwrap_or((file, ""));
    let thumbnail = stem.len() == id.len() + 1 && stem.starts_with(id) && stem.ends_with(super::source::SIZE_SUFFIXES);
    match (thumbnail, extension) {
        (true, "") => format!("{base}/{id}"),
        (true, extension) => format!("{base}/{id}.{extension}"),
        (false, _) => link,
    }
}

fn is_plain_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_envelope(body: &[u8], endpoint: &str) -> Result<serde_json::Value, ApiError> {
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|error| ApiError::Malformed { endpoint: endpoint.to_owned(), reason: error.to_string() })?;
    if envelope.success == Some(false) {
        return Err(ApiError::Status { endpoint: endpoint.to_owned(), status: 200, message: error_message(body) });
    }
    Ok(envelope.data)
}

fn as_list(data: serde_json::Value, endpoint: &str) -> Result<Vec<serde_json::Value>, ApiError> {
    match data {
        serde_json::Value::Array(items) => Ok(items),
        serde_json::Value::Null => Ok(Vec::new()),
        other => Err(ApiError::Malformed {
            endpoint: endpoint.to_owned(),
            reason: format!("expected a list in `data`, found {}", json_kind(&other)),
        }),
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// The human part of an Imgur error body (`data.error`, a string or `{message}`), cut short.
fn error_message(body: &[u8]) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let error = parsed.as_ref().and_then(|value| value.get("data")).and_then(|data| data.get("error"));
    let text = match error {
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(other) => other.get("message").and_then(|m| m.as_str()).unwrap_or("no message").to_owned(),
        None => String::from_utf8_lossy(body).chars().take(200).collect(),
    };
    text.chars().take(200).collect()
}

/// Imgur has answered 403 "Imgur is temporarily over capacity", which is not about the
/// Client-ID and passes.
fn over_capacity(body: &[u8]) -> bool {
    error_message(body).to_ascii_lowercase().contains("over capacity")
}

fn is_transient_status(status: u16) -> bool {
    status == 408 || (500..=599).contains(&status)
}

fn header_u64(headers: &reqwest::header::HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Imgur's quota headers.
pub fn rate_limits(headers: &reqwest::header::HeaderMap) -> RateLimits {
    RateLimits {
        client_remaining: header_u64(headers, "x-ratelimit-clientremaining"),
        user_remaining: header_u64(headers, "x-ratelimit-userremaining"),
        user_reset: header_u64(headers, "x-ratelimit-userreset"),
    }
}

/// The `Retry-After` header's wait, if there is one.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers.get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(retry::parse_retry_after)
}

/// How long a 429 asks us to wait: `Retry-After`, else until the user quota resets.
pub fn rate_limit_wait(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(wait) = retry_after(headers) {
        return Some(wait);
    }
    let reset = header_u64(headers, "x-ratelimit-userreset")?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    Some(retry::wait_until_reset(reset, now))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a new user gets.
    const DEFAULTS: MovingPictures = MovingPictures { videos: false, gifs_as_mp4: false };

    fn raw(json: serde_json::Value) -> RawItem {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn keeps_jpeg_png_gif_and_drops_the_rest() {
        for (mime, kept) in [
            ("image/jpeg", true),
            ("image/png", true),
            ("image/gif", true),
            ("image/webp", false),
            ("video/mp4", false),
        ] {
            let item = raw(serde_json::json!({"id":"a","type":mime,"link":"http://h/a"}));
            assert_eq!(keep(item, ImageMeta::default(), DEFAULTS).is_some(), kept, "{mime}");
        }
    }

    #[test]
    fn animated_gifs_are_saved_as_gifs_by_default_and_as_mp4_only_when_asked() {
        let gif = serde_json::json!({"id":"a","type":"image/gif","animated":true,"link":"http://h/a.gif","mp4":"http://h/a.mp4"});
        let as_gif = keep(raw(gif.clone()), ImageMeta::default(), DEFAULTS).expect("an animated GIF is kept");
        assert_eq!((as_gif.link.as_str(), as_gif.claimed), ("http://h/a.gif", Some(MediaKind::Gif)));
        let videos_only = MovingPictures { videos: true, gifs_as_mp4: false };
        assert_eq!(keep(raw(gif.clone()), ImageMeta::default(), videos_only).unwrap().link, "http://h/a.gif");
        let smaller = MovingPictures { videos: false, gifs_as_mp4: true };
        let as_mp4 = keep(raw(gif), ImageMeta::default(), smaller).unwrap();
        assert_eq!((as_mp4.link.as_str(), as_mp4.claimed), ("http://h/a.mp4", Some(MediaKind::Mp4)));
    }

    #[test]
    fn videos_are_saved_only_when_asked() {
        let video = serde_json::json!({"id":"v","type":"video/mp4","animated":true,"link":"http://h/v.mp4","mp4":"http://h/v.mp4"});
        assert!(keep(raw(video.clone()), ImageMeta::default(), DEFAULTS).is_none());
        let gifs_as_mp4 = MovingPictures { videos: false, gifs_as_mp4: true };
        assert!(keep(raw(video.clone()), ImageMeta::default(), gifs_as_mp4).is_none(), "a video is not a GIF");
        let videos = MovingPictures { videos: true, gifs_as_mp4: false };
        let kept = keep(raw(video), ImageMeta::default(), videos).expect("asked for");
        assert_eq!(kept.claimed, Some(MediaKind::Mp4));
    }

    #[test]
    fn a_thumbnail_link_is_never_what_is_saved() {
        // An animated GIF over 20 MB, by default (or without an mp4): the GIF itself, from
        // the link without the 'h'.
        let big = serde_json::json!({"id":"AbCdE12","type":"image/gif","animated":true,"link":"https://i.imgur.com/AbCdE12h.gif"});
        let kept = keep(raw(big.clone()), ImageMeta::default(), DEFAULTS).expect("a big GIF is kept");
        assert_eq!(kept.link, "https://i.imgur.com/AbCdE12.gif");
        let as_mp4 = MovingPictures { videos: false, gifs_as_mp4: true };
        assert_eq!(keep(raw(big), ImageMeta::default(), as_mp4).unwrap().link, "https://i.imgur.com/AbCdE12.gif");
        assert_eq!(original_link("AbCdE", "http://h/i/AbCdEm".into()), "http://h/i/AbCdE");
        for kept in ["http://h/i/AbCdE12.gif", "http://h/i/AbCdE12x.gif", "http://h/i/other.gif", "no-slash"] {
            assert_eq!(original_link("AbCdE12", kept.into()), kept);
        }
    }

    #[test]
    fn huge_titles_descriptions_and_tags_are_clipped_when_parsed() {
        let huge = "é".repeat(7_000_000 / 2);
        let tags: Vec<String> = (0..5000).map(|n| format!("{n}{}", "t".repeat(500))).collect();
        let json = serde_json::json!({"id":"a","type":"image/png","link":"http://h/a.png",
            "title": huge, "description": huge, "tags": tags, "account_url": huge});
        let meta = raw(json).meta();
        assert_eq!(meta.title.as_deref().map(|t| t.chars().count()), Some(MAX_TITLE_CHARS + 1), "with the ellipsis");
        assert!(meta.title.as_deref().is_some_and(|t| t.ends_with('…')));
        assert_eq!(meta.description.map(|d| d.chars().count()), Some(MAX_DESCRIPTION_CHARS + 1));
        assert_eq!(meta.tags.len(), MAX_TAGS);
        assert!(meta.tags.iter().all(|tag| tag.chars().count() <= MAX_TAG_CHARS + 1));
        assert!(meta.account.is_some_and(|account| account.chars().count() <= MAX_TAG_CHARS + 1));
        assert_eq!(clipped(Some("short"), 10).as_deref(), Some("short"));
        assert_eq!(clipped(Some(""), 10), None);
    }

    #[test]
    fn a_followed_page_holds_a_known_item_by_its_id_or_an_album_image() {
        let known: HashSet<String> = ["old1".to_owned(), "inalbum".to_owned()].into();
        let follow = FollowListing { known: &known, stop_at_known: true };
        let page = |entries: serde_json::Value| entries.as_array().cloned().unwrap_or_default();
        assert!(follow.holds_known(&page(serde_json::json!([{"id": "new1"}, {"id": "old1"}]))));
        let album = serde_json::json!([{"id": "al", "is_album": true, "images": [{"id": "x"}, {"id": "inalbum"}]}]);
        assert!(follow.holds_known(&page(album)), "an album that grew is on the page that holds it");
        assert!(!follow.holds_known(&page(serde_json::json!([{"id": "new1"}, {"id": 5}, {}]))));
        assert!(follow.is_known("old1") && !follow.is_known("new1"));
    }

    #[test]
    fn pages_in_hand_follow_the_concurrency_within_bounds() {
        let in_hand: Vec<usize> = [1, 16, 63, 64, 128, 256, 1000].into_iter().map(pages_in_hand).collect();
        assert_eq!(in_hand, [3, 3, 3, 4, 8, 16, 16]);
    }

    #[test]
    fn a_quota_is_nearly_used_at_the_reserve() {
        let limits = |client, user| RateLimits { client_remaining: client, user_remaining: user, user_reset: Some(99) };
        assert_eq!(quota_nearly_used(&limits(Some(5000), Some(100)), 26), None);
        assert_eq!(quota_nearly_used(&limits(Some(5000), Some(26)), 26), Some((Quota::User { reset: Some(99) }, 26)));
        assert_eq!(quota_nearly_used(&limits(Some(3), None), 26), Some((Quota::Client, 3)));
        assert_eq!(quota_nearly_used(&RateLimits::default(), 26), None, "no headers, no stop");
    }

    #[test]
    fn items_without_id_or_link_are_skipped() {
        assert!(
            keep(raw(serde_json::json!({"type":"image/png","link":"http://h/a"})), ImageMeta::default(), DEFAULTS)
                .is_none()
        );
        assert!(keep(raw(serde_json::json!({"id":"a","type":"image/png"})), ImageMeta::default(), DEFAULTS).is_none());
        assert!(
            keep(raw(serde_json::json!({"id":"","type":"image/png","link":"x"})), ImageMeta::default(), DEFAULTS)
                .is_none()
        );
        assert!(serde_json::from_value::<RawItem>(serde_json::json!({"id": 5})).is_err());
    }

    #[test]
    fn envelope_errors_name_the_endpoint() {
        let error = parse_envelope(b"{not json", "/3/gallery/hot/viral/day/0").unwrap_err();
        assert!(error.to_string().contains("/3/gallery/hot/viral/day/0"), "{error}");
        let error = parse_envelope(br#"{"data":{"error":"nope"},"success":false,"status":400}"#, "/3/x").unwrap_err();
        assert!(error.to_string().contains("nope"), "{error}");
        let data = parse_envelope(br#"{"data":[1,2],"success":true,"status":200}"#, "/3/x").unwrap();
        assert_eq!(as_list(data, "/3/x").unwrap().len(), 2);
        assert!(as_list(serde_json::json!({"a":1}), "/3/x").is_err());
        assert!(as_list(serde_json::Value::Null, "/3/x").unwrap().is_empty());
    }

    #[test]
    fn over_capacity_403_is_recognised() {
        assert!(over_capacity(br#"{"data":{"error":"Imgur is temporarily over capacity. Please try again later."},"success":false,"status":403}"#));
        assert!(!over_capacity(br#"{"data":{"error":"Invalid client_id"},"success":false,"status":403}"#));
    }

    #[test]
    fn rate_limit_headers_are_read() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("X-RateLimit-ClientRemaining", "12000".parse().unwrap());
        headers.insert("X-RateLimit-UserRemaining", "1999".parse().unwrap());
        headers.insert("Retry-After", "3".parse().unwrap());
        let limits = rate_limits(&headers);
        assert_eq!(limits.client_remaining, Some(12000));
        assert_eq!(limits.user_remaining, Some(1999));
        assert_eq!(rate_limit_wait(&headers), Some(Duration::from_secs(3)));
    }

    #[test]
    fn a_page_parses_without_the_network() {
        let body = br#"{"success": true, "data": [
            {"id": "a1", "type": "image/png", "link": "http://x/a1.png"},
            {"id": "al", "is_album": true, "images": [{"id": "b2", "type": "image/gif", "link": "http://x/b2.gif"}]},
            {"id": "v", "type": "video/mp4", "link": "http://x/v.mp4"}
        ]}"#;
        let items = parse_page(body, "/3/gallery/hot/viral/day/0", DEFAULTS).expect("parses");
        let ids: Vec<&str> = items.iter().map(|item| item.id.as_str()).collect();
        assert_eq!(ids, ["a1", "b2"]);
        assert!(parse_page(b"{", "/3/x", DEFAULTS).is_err());
    }

    #[test]
    fn what_the_api_says_is_kept_and_members_inherit_their_album() {
        let body = br#"{"success": true, "data": [
            {"id": "a1", "type": "image/png", "link": "http://x/a1.png", "title": "Lone", "views": 7,
             "account_url": "ana", "datetime": 1700000000, "nsfw": false,
             "tags": [{"name": "sea", "display_name": "Sea"}, "plain"]},
            {"id": "al", "is_album": true, "title": "Trip", "account_url": "bo", "datetime": 1600000000,
             "tags": [{"name": "road"}], "nsfw": true,
             "images": [{"id": "b2", "type": "image/png", "link": "http://x/b2.png", "description": "first"}]}
        ]}"#;
        let items = parse_page(body, "/3/gallery/hot/viral/day/0", DEFAULTS).expect("parses");
        let lone = &items[0].meta;
        assert_eq!((lone.title.as_deref(), lone.views, lone.account.as_deref()), (Some("Lone"), Some(7), Some("ana")));
        assert_eq!(lone.tags, ["Sea", "plain"]);
        assert_eq!((lone.datetime, lone.nsfw, lone.album_id.as_deref()), (Some(1_700_000_000), Some(false), None));
        let member = &items[1].meta;
        assert_eq!((member.album_id.as_deref(), member.album_title.as_deref()), (Some("al"), Some("Trip")));
        assert_eq!((member.title.as_deref(), member.description.as_deref()), (None, Some("first")));
        assert_eq!(
            (member.account.as_deref(), member.datetime, member.nsfw),
            (Some("bo"), Some(1_600_000_000), Some(true))
        );
        assert_eq!(member.tags, ["road"]);
    }
}
