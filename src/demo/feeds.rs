//! Sources that grow while the demo runs, for trying and testing `galley follow`: new
//! posts to a user, a tag or a subreddit (listed first, newest first, before the demo
//! gallery every such source serves), new images in an album, a count of API requests by
//! path, and quota headers set low on purpose.
//!
//! Driven from a test through [`super::DemoServer`]'s methods, or over HTTP (so a demo
//! started with `galley demo-server` can grow between two commands; the handlers are in
//! `control.rs`):
//! `POST /demo/post?to=user/NAME&count=N`, `POST /demo/grow?album=ID&count=N`,
//! `POST /demo/quota?client=N&user=N`, `GET /demo/requests`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, RwLock};

use super::gallery::{DemoAlbum, DemoEntry, DemoGallery, DemoImage, Poster, Rendition};

/// The most images one post or grow request may add.
const MAX_ADDED: usize = 1000;

/// What grew since the demo started.
pub(crate) struct Feeds {
    grown: RwLock<Grown>,
    /// API requests by path (`/3/account/ana/submissions/0`).
    requests: Mutex<HashMap<String, u64>>,
    /// Quota headers set on purpose: the remaining values, and the request count then.
    quota: Mutex<Option<QuotaSet>>,
}

struct Grown {
    /// New posts of each source (`user/NAME`, `user/NAME/favorites`, `t/TAG`, `r/NAME`),
    /// oldest first.
    posts: HashMap<String, Vec<DemoImage>>,
    /// Images added to albums of the gallery, by album id.
    albums: HashMap<String, Vec<DemoImage>>,
    /// File name on the image host to the new image.
    files: HashMap<String, DemoImage>,
    poster: Poster,
}

#[derive(Debug, Clone, Copy)]
struct QuotaSet {
    client: Option<u64>,
    user: Option<u64>,
    at_request: u64,
}

/// The feed a source names: `user/NAME`, `user/NAME/favorites`, `t/TAG` or `r/NAME`
/// (a sort and window after a tag or subreddit are ignored); `None` for anything else.
pub(crate) fn feed_key(source: &str) -> Option<String> {
    let parts: Vec<&str> = source.trim_matches('/').split('/').collect();
    let name_ok =
        |name: &str| !name.is_empty() && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
    match parts.as_slice() {
        ["user", name, "favorites"] if name_ok(name) => Some(format!("user/{name}/favorites")),
        ["user", name] if name_ok(name) => Some(format!("user/{name}")),
        ["t" | "r", name, ..] if name_ok(name) => Some(format!("{}/{name}", parts[0])),
        _ => None,
    }
}

impl Feeds {
    pub(crate) fn new(gallery: &DemoGallery, seed: u64) -> Self {
        let grown = Grown {
            posts: HashMap::new(),
            albums: HashMap::new(),
            files: HashMap::new(),
            poster: Poster::new(gallery, seed),
        };
        Self { grown: RwLock::new(grown), requests: Mutex::default(), quota: Mutex::default() }
    }

    fn grown(&self) -> std::sync::RwLockReadGuard<'_, Grown> {
        self.grown.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn grown_mut(&self) -> std::sync::RwLockWriteGuard<'_, Grown> {
        self.grown.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Posts `count` new images to the feed `key`; returns their ids, newest last.
    pub(crate) fn post(&self, key: &str, count: usize) -> Vec<String> {
        let mut grown = self.grown_mut();
        let images: Vec<DemoImage> = (0..count.min(MAX_ADDED)).map(|_| grown.poster.image(None)).collect();
        let ids = images.iter().map(|image| image.id.clone()).collect();
        for image in &images {
            grown.files.insert(format!("{}.{}", image.id, image.kind.extension()), image.clone());
        }
        grown.posts.entry(key.to_owned()).or_default().extend(images);
        ids
    }

    /// Adds `count` new images to album `id` of `gallery`; returns their ids, or `None`
    /// when there is no such album.
    pub(crate) fn grow_album(&self, gallery: &DemoGallery, id: &str, count: usize) -> Option<Vec<String>> {
        gallery.album(id)?;
        let mut grown = self.grown_mut();
        let images: Vec<DemoImage> =
            (0..count.min(MAX_ADDED)).map(|_| grown.poster.image(Some(id.to_owned()))).collect();
        let ids = images.iter().map(|image| image.id.clone()).collect();
        for image in &images {
            grown.files.insert(format!("{}.{}", image.id, image.kind.extension()), image.clone());
        }
        grown.albums.entry(id.to_owned()).or_default().extend(images);
        Some(ids)
    }

    /// The album with the images added to it since.
    pub(crate) fn album(&self, gallery: &DemoGallery, id: &str) -> Option<DemoAlbum> {
        let mut album = gallery.album(id)?.clone();
        album.images.extend(self.grown().albums.get(id).into_iter().flatten().cloned());
        Some(album)
    }

    /// An entry as it is now (an album with its added images).
    fn now(&self, entry: &DemoEntry, grown: &Grown) -> DemoEntry {
        match entry {
            DemoEntry::Album(album) if grown.albums.contains_key(&album.id) => {
                let mut album = album.clone();
                album.images.extend(grown.albums.get(&album.id).into_iter().flatten().cloned());
                DemoEntry::Album(album)
            }
            entry => entry.clone(),
        }
    }

    /// Page `page` of a feed: its posts, newest first, then the gallery. Past the last
    /// page it is page 0 again, as the gallery's is.
    pub(crate) fn page(&self, gallery: &DemoGallery, key: Option<&str>, page: u64) -> Vec<DemoEntry> {
        let grown = self.grown();
        let posts = key.and_then(|key| grown.posts.get(key)).map(Vec::as_slice).unwrap_or_default();
        let total = posts.len() + gallery.entries().len();
        let size = gallery.page_size();
        let pages = total.div_ceil(size).max(1);
        let page = usize::try_from(page).ok().filter(|&page| page < pages).unwrap_or(0);
        // Only the page's own entries are cloned: a benchmark's gallery has thousands.
        let (start, end) = (page * size, (page * size + size).min(total));
        let newest_first = posts.iter().rev().map(|image| DemoEntry::Image(image.clone()));
        let from_posts = newest_first.skip(start).take(end.saturating_sub(start));
        let (first, last) = (start.saturating_sub(posts.len()), end.saturating_sub(posts.len()));
        let entries = gallery.entries().get(first..last).unwrap_or_default();
        from_posts.chain(entries.iter().map(|entry| self.now(entry, &grown))).collect()
    }

    /// A post made since the demo started, by id.
    pub(crate) fn posted(&self, id: &str) -> Option<DemoImage> {
        let grown = self.grown();
        grown.posts.values().flatten().chain(grown.albums.values().flatten()).find(|image| image.id == id).cloned()
    }

    /// The new image served as `/i/{name}`.
    pub(crate) fn file(&self, name: &str) -> Option<(DemoImage, Rendition)> {
        self.grown().files.get(name).map(|image| (image.clone(), Rendition::Original))
    }

    /// Counts an API request to `path`.
    pub(crate) fn count(&self, path: &str) {
        *self.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).entry(path.to_owned()).or_default() += 1;
    }

    /// API requests so far, by path.
    pub(crate) fn requests(&self) -> BTreeMap<String, u64> {
        self.requests.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone().into_iter().collect()
    }

    /// From now on the quota headers say `client` and `user` requests are left (each
    /// counting down with every request); `None` leaves that one as it was.
    pub(crate) fn set_quota(&self, client: Option<u64>, user: Option<u64>, requests_so_far: u64) {
        *self.quota.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Some(QuotaSet { client, user, at_request: requests_so_far });
    }

    /// The remaining values set on purpose, at API request number `count`.
    pub(crate) fn quota_left(&self, count: u64) -> (Option<u64>, Option<u64>) {
        let set = *self.quota.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(set) = set else { return (None, None) };
        let spent = count.saturating_sub(set.at_request);
        (set.client.map(|left| left.saturating_sub(spent)), set.user.map(|left| left.saturating_sub(spent)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoConfig, demo_gallery};

    #[test]
    fn feeds_are_named_like_sources() {
        assert_eq!(feed_key("user/ana").as_deref(), Some("user/ana"));
        assert_eq!(feed_key("user/ana/favorites").as_deref(), Some("user/ana/favorites"));
        assert_eq!(feed_key("t/cats/time/week").as_deref(), Some("t/cats"));
        assert_eq!(feed_key("r/pics").as_deref(), Some("r/pics"));
        assert_eq!(feed_key("album/abc"), None);
        assert_eq!(feed_key("user/a.b"), None);
    }

    #[test]
    fn posts_come_first_newest_first_and_push_the_gallery_down() {
        let config = DemoConfig { images: 12, page_size: 5, ..DemoConfig::default() };
        let gallery = demo_gallery(&config);
        let feeds = Feeds::new(&gallery, config.seed);
        let before: Vec<String> = feeds.page(&gallery, Some("user/ana"), 0).iter().map(|e| e.id().to_owned()).collect();
        let posted = feeds.post("user/ana", 3);
        let after: Vec<String> = feeds.page(&gallery, Some("user/ana"), 0).iter().map(|e| e.id().to_owned()).collect();
        assert_eq!(after[..3], [posted[2].clone(), posted[1].clone(), posted[0].clone()]);
        assert_eq!(after[3..], before[..2]);
        let other: Vec<String> = feeds.page(&gallery, Some("user/bo"), 0).iter().map(|e| e.id().to_owned()).collect();
        assert_eq!(other, before, "another feed is untouched");
        assert!(posted.iter().all(|id| gallery.media().all(|image| image.id != *id)), "new ids");
        assert!(
            feeds.file(&format!("{}.jpg", posted[0])).is_some() || feeds.file(&format!("{}.png", posted[0])).is_some()
        );
    }

    #[test]
    fn an_album_grows_and_the_quota_counts_down_from_what_was_set() {
        let config = DemoConfig { images: 30, ..DemoConfig::default() };
        let gallery = demo_gallery(&config);
        let feeds = Feeds::new(&gallery, config.seed);
        let album = gallery.albums().next().expect("the demo has albums").clone();
        let added = feeds.grow_album(&gallery, &album.id, 2).expect("grows");
        assert_eq!(feeds.album(&gallery, &album.id).unwrap().images.len(), album.images.len() + 2);
        assert_eq!(feeds.posted(&added[1]).map(|image| image.album), Some(Some(album.id.clone())));
        assert!(feeds.grow_album(&gallery, "nope", 1).is_none());
        feeds.set_quota(None, Some(30), 10);
        assert_eq!(feeds.quota_left(14), (None, Some(26)));
    }
}
