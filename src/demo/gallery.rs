//! What the demo gallery contains: a pure function of [`DemoConfig`].
//!
//! Tests compute their expectations from the same description the server serves, so the
//! layout lives here, apart from HTTP: which entries are single images, which are albums
//! (and whether an album lists its images inline), which are videos a default fetch must
//! skip, and every id, title, type and size in pixels. Byte sizes need the pictures
//! themselves and come from [`DemoImage::size`].

use std::collections::{HashMap, HashSet};

use super::DemoConfig;
use super::kinds;
pub use super::kinds::DemoKind;
pub(crate) use super::kinds::Rendition;
use super::rng::SplitMix;

/// One image or video of the gallery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoImage {
    /// Seven characters of `[A-Za-z0-9]`, unique in the gallery (albums included).
    pub id: String,
    pub title: String,
    pub kind: DemoKind,
    pub width: u32,
    pub height: u32,
    /// The album holding it, if any.
    pub album: Option<String>,
    /// Which of the pre-made pictures of its kind it wears.
    pub(crate) variant: usize,
}

impl DemoImage {
    /// The path of its `link` on the demo server: `/i/{id}.{ext}`.
    pub fn link_path(&self) -> String {
        format!("/i/{}.{}", self.id, self.kind.extension())
    }

    /// The path of its `mp4` rendition, for animated items.
    pub fn mp4_path(&self) -> Option<String> {
        self.kind.animated().then(|| format!("/i/{}.mp4", self.id))
    }
}

/// An album: a gallery entry holding several images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAlbum {
    pub id: String,
    pub title: String,
    pub images: Vec<DemoImage>,
    /// Whether gallery listings carry `images` inline; when not, a client must ask
    /// `/3/album/{id}/images`.
    pub inline_images: bool,
}

/// One top-level gallery entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoEntry {
    Image(DemoImage),
    Album(DemoAlbum),
}

impl DemoEntry {
    pub fn id(&self) -> &str {
        match self {
            DemoEntry::Image(image) => &image.id,
            DemoEntry::Album(album) => &album.id,
        }
    }

    /// The media it holds: itself, or an album's members.
    pub fn images(&self) -> &[DemoImage] {
        match self {
            DemoEntry::Image(image) => std::slice::from_ref(image),
            DemoEntry::Album(album) => &album.images,
        }
    }
}

/// The whole demo gallery, in listing order.
#[derive(Debug, Clone)]
pub struct DemoGallery {
    entries: Vec<DemoEntry>,
    page_size: usize,
    /// File name on the image host (`aB3dE9x.jpg`) to the item and rendition it serves.
    files: HashMap<String, (DemoImage, Rendition)>,
}

/// Describes the gallery `config` serves. Cheap and pure: no picture is generated.
pub fn demo_gallery(config: &DemoConfig) -> DemoGallery {
    let layout = Layout::new(config.seed);
    let entries = match config.album_size {
        None => layout.entries(config.images),
        Some(size) => layout.albums_only(config.images, size.max(1)),
    };
    let mut files = HashMap::new();
    for image in entries.iter().flat_map(DemoEntry::images) {
        files.insert(format!("{}.{}", image.id, image.kind.extension()), (image.clone(), Rendition::Original));
        if image.kind == DemoKind::AnimatedGif {
            files.insert(format!("{}.mp4", image.id), (image.clone(), Rendition::Mp4));
        }
    }
    DemoGallery { entries, page_size: config.page_size.max(1), files }
}

impl DemoGallery {
    /// Every top-level entry, in listing order.
    pub fn entries(&self) -> &[DemoEntry] {
        &self.entries
    }

    /// Top-level entries per page.
    pub fn page_size(&self) -> usize {
        self.page_size
    }

    /// How many pages hold entries (at least one, even for an empty gallery).
    pub fn page_count(&self) -> usize {
        self.entries.len().div_ceil(self.page_size).max(1)
    }

    /// The entries of 0-based `page`. Past the last page this is page 0 again, as Imgur
    /// has been seen to do.
    pub fn page(&self, page: u64) -> &[DemoEntry] {
        let page = usize::try_from(page).ok().filter(|&page| page < self.page_count()).unwrap_or(0);
        let start = (page * self.page_size).min(self.entries.len());
        let end = (start + self.page_size).min(self.entries.len());
        &self.entries[start..end]
    }

    /// The images a default fetch saves (album members included), in listing order.
    pub fn images(&self) -> impl Iterator<Item = &DemoImage> {
        self.media().filter(|image| image.kind.downloadable())
    }

    /// Every image and video, in listing order.
    pub fn media(&self) -> impl Iterator<Item = &DemoImage> {
        self.entries.iter().flat_map(DemoEntry::images)
    }

    /// The ids of [`DemoGallery::images`].
    pub fn image_ids(&self) -> Vec<String> {
        self.images().map(|image| image.id.clone()).collect()
    }

    pub fn albums(&self) -> impl Iterator<Item = &DemoAlbum> {
        self.entries.iter().filter_map(|entry| match entry {
            DemoEntry::Album(album) => Some(album),
            DemoEntry::Image(_) => None,
        })
    }

    pub fn album(&self, id: &str) -> Option<&DemoAlbum> {
        self.albums().find(|album| album.id == id)
    }

    /// The top-level entry (gallery post) with this id.
    pub fn entry(&self, id: &str) -> Option<&DemoEntry> {
        self.entries.iter().find(|entry| entry.id() == id)
    }

    /// The item and rendition served as `/i/{name}`.
    pub(crate) fn file(&self, name: &str) -> Option<(&DemoImage, Rendition)> {
        self.files.get(name).map(|(image, rendition)| (image, *rendition))
    }
}

/// Makes new still images for sources that grow while the demo runs (posts to a user or
/// a tag, images added to an album), with ids that no picture of the gallery has.
pub(crate) struct Poster {
    layout: Layout,
}

impl Poster {
    pub(crate) fn new(gallery: &DemoGallery, seed: u64) -> Self {
        let mut layout = Layout::new(seed ^ POSTER_STREAM);
        layout.ids.used.extend(gallery.media().map(|image| image.id.clone()));
        layout.ids.used.extend(gallery.albums().map(|album| album.id.clone()));
        Self { layout }
    }

    /// A new JPEG or PNG (never a video: every post is one image a fetch saves).
    pub(crate) fn image(&mut self, album: Option<String>) -> DemoImage {
        let kind = if self.layout.rng.below(4) == 0 { DemoKind::Png } else { DemoKind::Jpeg };
        self.layout.media(kind, album)
    }
}

/// Decorrelates the poster's ids and pictures from the gallery's under the same seed.
const POSTER_STREAM: u64 = 0x9057_ED00;

/// Every 10th top-level entry is an album (when at least two images are left).
const ALBUM_EVERY: usize = 10;
/// Every 20th top-level entry, offset so it never lands on an album, is a video.
const VIDEO_EVERY: usize = 20;
const VIDEO_AT: usize = 14;

/// Lays the gallery out from a seed, one entry at a time.
struct Layout {
    rng: SplitMix,
    ids: IdMaker,
    albums: usize,
}

impl Layout {
    fn new(seed: u64) -> Self {
        Self { rng: SplitMix::for_stream(seed, 1), ids: IdMaker::new(seed), albums: 0 }
    }

    /// Entries holding exactly `images` downloadable images, plus a few videos and
    /// animated GIFs.
    fn entries(mut self, images: usize) -> Vec<DemoEntry> {
        let mut entries = Vec::new();
        let mut left = images;
        while left > 0 {
            let position = entries.len();
            let entry = if position % ALBUM_EVERY == ALBUM_EVERY - 1 && left >= 2 {
                let count = (self.rng.between(2, 4) as usize).min(left);
                left -= count;
                DemoEntry::Album(self.album(count))
            } else if position % VIDEO_EVERY == VIDEO_AT {
                DemoEntry::Image(self.media(DemoKind::Video, None))
            } else {
                let kind = self.image_kind();
                if kind.downloadable() {
                    left -= 1;
                }
                DemoEntry::Image(self.media(kind, None))
            };
            entries.push(entry);
        }
        entries
    }

    /// Albums of `size` images (the last may be smaller), none listing its images inline.
    fn albums_only(mut self, images: usize, size: usize) -> Vec<DemoEntry> {
        let mut entries = Vec::new();
        let mut left = images;
        while left > 0 {
            let count = size.min(left);
            left -= count;
            let album = DemoAlbum { inline_images: false, ..self.album(count) };
            entries.push(DemoEntry::Album(album));
        }
        entries
    }

    /// An album of `count` downloadable images (and any animated GIFs drawn among them).
    fn album(&mut self, count: usize) -> DemoAlbum {
        let id = self.ids.next();
        let title = self.title();
        let mut images: Vec<DemoImage> = Vec::new();
        while images.iter().filter(|image| image.kind.downloadable()).count() < count {
            let kind = self.image_kind();
            images.push(self.media(kind, Some(id.clone())));
        }
        self.albums += 1;
        // Alternate, starting with an inline album.
        let inline_images = self.albums % 2 == 1;
        DemoAlbum { id, title, images, inline_images }
    }

    fn media(&mut self, kind: DemoKind, album: Option<String>) -> DemoImage {
        let variant = self.rng.below(kinds::variants(kind) as u64) as usize;
        let (width, height) = kinds::dimensions(kind, variant);
        DemoImage { id: self.ids.next(), title: self.title(), kind, width, height, album, variant }
    }

    /// Mostly JPEG: 60% JPEG, 25% PNG, 10% still GIF, 5% animated GIF.
    fn image_kind(&mut self) -> DemoKind {
        match self.rng.below(100) {
            0..60 => DemoKind::Jpeg,
            60..85 => DemoKind::Png,
            85..95 => DemoKind::Gif,
            _ => DemoKind::AnimatedGif,
        }
    }

    fn title(&mut self) -> String {
        const ADJECTIVES: [&str; 16] = [
            "Quiet", "Golden", "Misty", "Electric", "Lazy", "Crimson", "Frozen", "Sunlit", "Velvet", "Wild", "Hidden",
            "Lucky", "Dusky", "Bright", "Ancient", "Tiny",
        ];
        const NOUNS: [&str; 16] = [
            "harbour", "meadow", "lagoon", "nebula", "alley", "orchard", "glacier", "canyon", "lantern", "reef",
            "forest", "skyline", "dune", "marsh", "comet", "garden",
        ];
        let adjective = ADJECTIVES[self.rng.below(ADJECTIVES.len() as u64) as usize];
        let noun = NOUNS[self.rng.below(NOUNS.len() as u64) as usize];
        let number = self.rng.between(2, 99);
        format!("{adjective} {noun} #{number}")
    }
}

/// Hands out Imgur-style ids, never the same one twice.
struct IdMaker {
    rng: SplitMix,
    used: HashSet<String>,
}

impl IdMaker {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    fn new(seed: u64) -> Self {
        Self { rng: SplitMix::for_stream(seed, 2), used: HashSet::new() }
    }

    fn next(&mut self) -> String {
        loop {
            let id: String = (0..7)
                .map(|_| char::from(Self::ALPHABET[self.rng.below(Self::ALPHABET.len() as u64) as usize]))
                .collect();
            if self.used.insert(id.clone()) {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(images: usize, seed: u64) -> DemoConfig {
        DemoConfig { images, seed, ..DemoConfig::default() }
    }

    #[test]
    fn holds_exactly_the_configured_number_of_images() {
        for images in [0, 1, 2, 9, 10, 11, 40, 400, 5000] {
            let gallery = demo_gallery(&config(images, 3));
            assert_eq!(gallery.images().count(), images, "{images}");
            assert_eq!(gallery.image_ids().len(), images);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_gallery() {
        let a = demo_gallery(&config(300, 9));
        let b = demo_gallery(&config(300, 9));
        assert_eq!(a.entries(), b.entries());
        let c = demo_gallery(&config(300, 10));
        assert_ne!(a.image_ids(), c.image_ids());
    }

    #[test]
    fn ids_are_unique_seven_alphanumerics() {
        let gallery = demo_gallery(&config(5000, 1));
        let mut seen = HashSet::new();
        let album_ids = gallery.albums().map(|album| album.id.as_str());
        for id in gallery.media().map(|image| image.id.as_str()).chain(album_ids) {
            assert_eq!(id.len(), 7, "{id}");
            assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
            assert!(seen.insert(id.to_owned()), "duplicate id {id}");
        }
    }

    #[test]
    fn mixes_kinds_mostly_jpeg() {
        let gallery = demo_gallery(&config(2000, 1));
        let count = |kind| gallery.media().filter(|image| image.kind == kind).count();
        let (jpeg, png, gif, animated) =
            (count(DemoKind::Jpeg), count(DemoKind::Png), count(DemoKind::Gif), count(DemoKind::AnimatedGif));
        assert!((1000..1400).contains(&jpeg), "{jpeg}");
        assert!((350..650).contains(&png), "{png}");
        assert!((120..300).contains(&gif), "{gif}");
        assert!((50..160).contains(&animated), "{animated}");
    }

    #[test]
    fn has_albums_both_inline_and_not_and_a_few_videos() {
        let gallery = demo_gallery(&config(40, 1));
        let albums: Vec<_> = gallery.albums().collect();
        assert!(albums.len() >= 3, "{}", albums.len());
        assert!(albums.iter().any(|album| album.inline_images));
        assert!(albums.iter().any(|album| !album.inline_images));
        for album in &albums {
            assert!((2..=4).contains(&album.images.len()));
            assert!(album.images.iter().all(|image| image.album.as_deref() == Some(album.id.as_str())));
        }
        let videos = gallery.media().filter(|image| image.kind == DemoKind::Video).count();
        assert!((1..=4).contains(&videos), "{videos}");
    }

    #[test]
    fn dimensions_stay_between_400_and_1600() {
        let gallery = demo_gallery(&config(1000, 4));
        for image in gallery.media() {
            assert!((400..=1600).contains(&image.width), "{image:?}");
            assert!((400..=1600).contains(&image.height), "{image:?}");
        }
    }

    #[test]
    fn pages_are_full_except_the_last_and_repeat_past_the_end() {
        let gallery = demo_gallery(&DemoConfig { images: 130, page_size: 20, ..DemoConfig::default() });
        let pages = gallery.page_count();
        assert!(pages > 2);
        for page in 0..pages - 1 {
            assert_eq!(gallery.page(page as u64).len(), 20);
        }
        assert!(!gallery.page(pages as u64 - 1).is_empty());
        assert_eq!(gallery.page(pages as u64), gallery.page(0));
        assert_eq!(gallery.page(u64::MAX), gallery.page(0));
        let empty = demo_gallery(&config(0, 1));
        assert_eq!(empty.page_count(), 1);
        assert!(empty.page(0).is_empty() && empty.page(5).is_empty());
    }

    #[test]
    fn files_are_found_by_name() {
        let gallery = demo_gallery(&config(200, 1));
        for image in gallery.media() {
            let name = image.link_path().trim_start_matches("/i/").to_owned();
            assert_eq!(gallery.file(&name), Some((image, Rendition::Original)));
            if image.kind == DemoKind::AnimatedGif {
                assert_eq!(gallery.file(&format!("{}.mp4", image.id)), Some((image, Rendition::Mp4)));
            }
        }
        assert!(gallery.file("nothere.jpg").is_none());
    }
}
