//! The viewer's pictures: the one on show and its neighbours, decoded ahead by the engine
//! and kept so that stepping shows them at once. Bounded to [`VIEW_CACHE_ENTRIES`]
//! pictures and [`VIEW_CACHE_BYTES`] of pixels; the least recently shown that are not
//! wanted now are dropped (and with them their textures).
//!
//! A picture's first frame becomes a texture as soon as it arrives, so a preloaded
//! neighbour costs no upload when stepped to; an animation's other frames are uploaded as
//! they first come round, spreading the cost over its first loop.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::media::{Pixels, ViewError, ViewImage};

/// Pictures kept at most: the one on show, its two neighbours, and two recent ones.
pub const VIEW_CACHE_ENTRIES: usize = 5;
/// Pixels kept at most (as textures or waiting to be), beyond what is wanted now: a few
/// 4096-pixel photos, or one long animation.
pub const VIEW_CACHE_BYTES: u64 = 512 * 1024 * 1024;

/// Minified pictures are filtered through mipmaps, so a large photo fitted to the window
/// does not shimmer.
const TEXTURE_OPTIONS: egui::TextureOptions =
    egui::TextureOptions { mipmap_mode: Some(egui::TextureFilter::Linear), ..egui::TextureOptions::LINEAR };

/// One frame: its pixels until uploaded, then its texture.
struct Slot {
    pixels: Option<Arc<Pixels>>,
    texture: Option<egui::TextureHandle>,
    delay: Duration,
}

/// A decoded picture, ready to draw.
pub struct Picture {
    /// Size of the file on disk.
    pub bytes: u64,
    /// The full image's dimensions (the textures may be smaller).
    pub width: u32,
    pub height: u32,
    /// Only the first frame of a longer animation is kept.
    pub animation_too_long: bool,
    slots: Vec<Slot>,
    /// One loop of the animation (zero for a still).
    duration: Duration,
    /// Bytes of pixels held, uploaded or not.
    held: u64,
}

impl Picture {
    fn new(ctx: &egui::Context, name: &str, image: ViewImage) -> Self {
        let duration = match image.frames.len() {
            0 | 1 => Duration::ZERO,
            _ => image.frames.iter().map(|frame| frame.delay).sum(),
        };
        let held = image.frames.iter().map(|frame| frame.pixels.rgba.len() as u64).sum();
        let slots = image.frames.into_iter().map(|frame| Slot {
            pixels: Some(frame.pixels),
            texture: None,
            delay: frame.delay,
        });
        let mut picture = Self {
            bytes: image.bytes,
            width: image.width,
            height: image.height,
            animation_too_long: image.animation_too_long,
            slots: slots.collect(),
            duration,
            held,
        };
        picture.texture(ctx, name, 0);
        picture
    }

    pub fn frames(&self) -> usize {
        self.slots.len()
    }

    pub fn is_animated(&self) -> bool {
        self.slots.len() > 1
    }

    /// The frame on show `elapsed` into the animation, and how long until the next one.
    pub fn frame_at(&self, elapsed: Duration) -> (usize, Duration) {
        if self.duration.is_zero() {
            return (0, Duration::MAX);
        }
        let mut into_loop = Duration::from_nanos((elapsed.as_nanos() % self.duration.as_nanos()) as u64);
        for (index, slot) in self.slots.iter().enumerate() {
            if into_loop < slot.delay {
                return (index, slot.delay - into_loop);
            }
            into_loop -= slot.delay;
        }
        (0, Duration::ZERO)
    }

    /// The texture of frame `index`, uploaded now if it is not yet. `None` if the frame's
    /// pixels are malformed (a bug; logged).
    pub fn texture(&mut self, ctx: &egui::Context, name: &str, index: usize) -> Option<egui::TextureHandle> {
        let slot = self.slots.get_mut(index)?;
        if slot.texture.is_none() {
            let pixels = slot.pixels.take()?;
            let size = [pixels.width as usize, pixels.height as usize];
            if pixels.rgba.len() != size[0] * size[1] * 4 {
                tracing::error!("{name}: a decoded frame has the wrong size");
                return None;
            }
            let image = egui::ColorImage::from_rgba_unmultiplied(size, &pixels.rgba);
            slot.texture = Some(ctx.load_texture(format!("view:{name}:{index}"), image, TEXTURE_OPTIONS));
        }
        slot.texture.clone()
    }
}

/// What the viewer has of one file.
pub enum Entry {
    /// Asked of the engine; not back yet.
    Loading,
    Ready(Picture),
    Failed(ViewError),
}

/// The pictures kept, by path, with when each was last shown.
#[derive(Default)]
pub struct ViewCache {
    entries: HashMap<PathBuf, (Entry, u64)>,
    clock: u64,
}

impl ViewCache {
    pub fn get(&self, path: &Path) -> Option<&Entry> {
        self.entries.get(path).map(|(entry, _)| entry)
    }

    pub fn get_mut(&mut self, path: &Path) -> Option<&mut Entry> {
        self.entries.get_mut(path).map(|(entry, _)| entry)
    }

    /// Marks `path` as just shown (so it is the last to go).
    pub fn touch(&mut self, path: &Path) {
        self.clock += 1;
        if let Some((_, used)) = self.entries.get_mut(path) {
            *used = self.clock;
        }
    }

    /// Notes that `path` was asked for, unless it is here already. Returns whether it is new.
    pub fn ask(&mut self, path: &Path) -> bool {
        if self.entries.contains_key(path) {
            return false;
        }
        self.clock += 1;
        self.entries.insert(path.to_owned(), (Entry::Loading, self.clock));
        true
    }

    /// Whether `path` has arrived (shown or failed).
    pub fn has_arrived(&self, path: &Path) -> bool {
        matches!(self.get(path), Some(Entry::Ready(_) | Entry::Failed(_)))
    }

    /// Stores what the engine sent for `path`, if it was asked for and is still kept.
    pub fn arrived(&mut self, ctx: &egui::Context, path: &Path, result: Result<ViewImage, ViewError>) {
        let Some((entry, _)) = self.entries.get_mut(path) else { return };
        let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        *entry = match result {
            Ok(image) => Entry::Ready(Picture::new(ctx, &name, image)),
            Err(error) => Entry::Failed(error),
        };
    }

    /// Bytes of pixels held by all the pictures kept.
    fn held(&self) -> u64 {
        let held = |entry: &Entry| match entry {
            Entry::Ready(picture) => picture.held,
            Entry::Loading | Entry::Failed(_) => 0,
        };
        self.entries.values().map(|(entry, _)| held(entry)).sum()
    }

    /// Drops the least recently shown pictures beyond the budgets, never those in `wanted`.
    pub fn evict(&mut self, wanted: &[PathBuf]) {
        while self.entries.len() > VIEW_CACHE_ENTRIES || self.held() > VIEW_CACHE_BYTES {
            let oldest = self
                .entries
                .iter()
                .filter(|(path, _)| !wanted.contains(path))
                .min_by_key(|(_, (_, used))| *used)
                .map(|(path, _)| path.clone());
            let Some(oldest) = oldest else { break };
            self.entries.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::ViewFrame;

    fn animation(delays_ms: &[u64]) -> ViewImage {
        let frame = |delay: &u64| ViewFrame {
            pixels: Arc::new(Pixels { width: 2, height: 2, rgba: vec![255; 16] }),
            delay: Duration::from_millis(*delay),
        };
        ViewImage {
            bytes: 10,
            width: 2,
            height: 2,
            frames: delays_ms.iter().map(frame).collect(),
            animation_too_long: false,
        }
    }

    #[test]
    fn an_animation_shows_each_frame_for_its_delay_and_loops() {
        let picture = Picture::new(&egui::Context::default(), "a.gif", animation(&[100, 200, 100]));
        let at = |ms: u64| picture.frame_at(Duration::from_millis(ms));
        assert_eq!(at(0), (0, Duration::from_millis(100)));
        assert_eq!(at(150), (1, Duration::from_millis(150)));
        assert_eq!(at(350), (2, Duration::from_millis(50)));
        assert_eq!(at(400), (0, Duration::from_millis(100)), "it loops");
        let still = Picture::new(&egui::Context::default(), "b.png", animation(&[0]));
        assert_eq!(still.frame_at(Duration::from_secs(9)).0, 0);
    }

    #[test]
    fn the_cache_keeps_within_its_byte_budget_but_never_drops_what_is_wanted() {
        let ctx = egui::Context::default();
        let mut cache = ViewCache::default();
        // Three pictures of a little over a third of the budget each.
        let bytes = (VIEW_CACHE_BYTES / 3 + 4) as usize;
        let big = || ViewImage {
            bytes: 10,
            width: 1,
            height: 1,
            frames: vec![ViewFrame {
                pixels: Arc::new(Pixels { width: 1, height: 1, rgba: vec![0; bytes] }),
                delay: Duration::ZERO,
            }],
            animation_too_long: false,
        };
        let paths: Vec<PathBuf> = (0..3).map(|n| PathBuf::from(format!("/p/{n}.png"))).collect();
        for path in &paths {
            cache.ask(path);
            cache.arrived(&ctx, path, Ok(big()));
        }
        cache.evict(&paths);
        assert!(paths.iter().all(|path| cache.has_arrived(path)), "what is wanted stays");
        cache.evict(&paths[1..]);
        assert!(!cache.has_arrived(&paths[0]) && cache.held() <= VIEW_CACHE_BYTES);
    }

    #[test]
    fn the_cache_keeps_what_is_wanted_and_drops_the_oldest() {
        let ctx = egui::Context::default();
        let mut cache = ViewCache::default();
        let paths: Vec<PathBuf> = (0..8).map(|n| PathBuf::from(format!("/p/{n}.png"))).collect();
        for path in &paths {
            assert!(cache.ask(path));
            cache.arrived(&ctx, path, Ok(animation(&[0])));
        }
        assert!(!cache.ask(&paths[0]), "asked once");
        cache.touch(&paths[0]);
        let wanted = [paths[1].clone(), paths[2].clone()];
        cache.evict(&wanted);
        assert_eq!(paths.iter().filter(|path| cache.has_arrived(path)).count(), VIEW_CACHE_ENTRIES);
        for kept in [&paths[0], &paths[1], &paths[2], &paths[6], &paths[7]] {
            assert!(cache.has_arrived(kept), "{} was dropped", kept.display());
        }
    }
}
