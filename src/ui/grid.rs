//! The thumbnail grid. Only visible rows are laid out (`show_rows`), at most
//! [`UPLOADS_PER_FRAME`] textures are uploaded a frame (so a burst of new thumbnails never
//! stalls a frame), and at most [`TEXTURE_BUDGET`] textures are kept: the least recently
//! drawn are dropped and asked for again (`Rethumbnail`) if they scroll back into view.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::engine::{Pixels, Thumbnail};

pub const UPLOADS_PER_FRAME: usize = 24;
pub const TEXTURE_BUDGET: usize = 600;
/// Decoded thumbnails waiting for upload at most; beyond this, new arrivals keep only their
/// place and are thumbnailed again when scrolled into view, so a flood cannot hold
/// gigabytes of pixels.
pub const MAX_PENDING: usize = 256;
/// Side of one grid cell, in points.
pub const CELL: f32 = 144.0;
const GAP: f32 = 6.0;
/// Width of the ring around the thumbnail that has keyboard focus.
pub const FOCUS_RING_WIDTH: f32 = 3.0;

/// One image in the grid.
struct Tile {
    path: PathBuf,
    name: String,
    bytes: u64,
    width: u32,
    height: u32,
    /// Decoded pixels waiting for upload; dropped once uploaded so memory stays bounded.
    pixels: Option<Arc<Pixels>>,
    texture: Option<egui::TextureHandle>,
    /// Frame number when last drawn, for eviction.
    last_drawn: u64,
    /// A re-thumbnail was asked for and has not come back yet.
    requested: bool,
    /// A video: it has no thumbnail, and is drawn as a labelled tile.
    video: bool,
}

/// What the user did in the grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GridAction {
    Open(usize),
}

#[derive(Default)]
pub struct ThumbnailGrid {
    tiles: Vec<Tile>,
    by_path: HashMap<PathBuf, usize>,
    uploads: VecDeque<usize>,
    textures: usize,
    frame: u64,
    /// The tile of the image open in the viewer: highlighted, and scrolled to while
    /// `reveal_pending`.
    revealed: Option<usize>,
    reveal_pending: bool,
    /// Rows on screen last frame, to know whether the revealed tile is among them.
    visible_rows: std::ops::Range<usize>,
}

impl ThumbnailGrid {
    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }

    pub fn textures(&self) -> usize {
        self.textures
    }

    pub fn path(&self, index: usize) -> Option<&Path> {
        self.tiles.get(index).map(|tile| tile.path.as_path())
    }

    /// Highlights the tile at `index` (the image in the viewer) and scrolls it into view.
    pub fn reveal(&mut self, index: usize) {
        if self.revealed != Some(index) {
            self.revealed = Some(index);
            self.reveal_pending = true;
        }
    }

    /// The highlighted tile, if any.
    pub fn revealed(&self) -> Option<usize> {
        self.revealed
    }

    /// Videos among the tiles.
    pub fn videos(&self) -> usize {
        self.tiles.iter().filter(|tile| tile.video).count()
    }

    /// The tile of `path`, made if it is new.
    fn tile_for(&mut self, path: &Path) -> usize {
        if let Some(&index) = self.by_path.get(path) {
            return index;
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        self.tiles.push(Tile {
            path: path.to_owned(),
            name,
            bytes: 0,
            width: 0,
            height: 0,
            pixels: None,
            texture: None,
            last_drawn: 0,
            requested: false,
            video: false,
        });
        self.by_path.insert(path.to_owned(), self.tiles.len() - 1);
        self.tiles.len() - 1
    }

    /// Adds a video (no thumbnail: a labelled tile), unless it is shown already.
    pub fn insert_video(&mut self, path: &Path, bytes: u64) {
        let index = self.tile_for(path);
        if let Some(tile) = self.tiles.get_mut(index) {
            tile.video = true;
            tile.bytes = bytes;
        }
    }

    /// Adds a thumbnail, or refreshes the one already shown for that file.
    pub fn insert(&mut self, thumbnail: Thumbnail) {
        let index = self.tile_for(&thumbnail.path);
        let Some(tile) = self.tiles.get_mut(index) else { return };
        tile.bytes = thumbnail.bytes;
        tile.width = thumbnail.width;
        tile.height = thumbnail.height;
        tile.requested = false;
        if tile.texture.is_none() && self.uploads.len() < MAX_PENDING {
            tile.pixels = Some(thumbnail.pixels);
            self.uploads.push_back(index);
        }
    }

    /// Uploads a bounded number of waiting thumbnails as textures.
    fn upload(&mut self, ctx: &egui::Context) {
        let mut uploaded = 0;
        while uploaded < UPLOADS_PER_FRAME {
            let Some(index) = self.uploads.pop_front() else { break };
            let Some(tile) = self.tiles.get_mut(index) else { continue };
            let Some(pixels) = tile.pixels.take() else { continue };
            let size = [pixels.width as usize, pixels.height as usize];
            if pixels.rgba.len() != size[0] * size[1] * 4 {
                continue;
            }
            let image = egui::ColorImage::from_rgba_unmultiplied(size, &pixels.rgba);
            tile.texture = Some(ctx.load_texture(tile.path.to_string_lossy(), image, egui::TextureOptions::LINEAR));
            tile.last_drawn = self.frame;
            self.textures += 1;
            uploaded += 1;
        }
        if !self.uploads.is_empty() {
            ctx.request_repaint();
        }
    }

    /// Drops the least recently drawn textures beyond the budget (never those on screen).
    fn evict(&mut self) {
        if self.textures <= TEXTURE_BUDGET {
            return;
        }
        let mut drawn: Vec<(u64, usize)> = self
            .tiles
            .iter()
            .enumerate()
            .filter(|(_, tile)| tile.texture.is_some() && tile.last_drawn < self.frame)
            .map(|(index, tile)| (tile.last_drawn, index))
            .collect();
        drawn.sort_unstable();
        for (_, index) in drawn.into_iter().take(self.textures - TEXTURE_BUDGET) {
            if let Some(tile) = self.tiles.get_mut(index) {
                tile.texture = None;
                self.textures -= 1;
            }
        }
    }

    /// Draws the grid. Returns the click, if any, and the files on screen that need their
    /// thumbnail again (evicted earlier).
    pub fn ui(&mut self, ui: &mut egui::Ui) -> (Option<GridAction>, Vec<PathBuf>) {
        self.frame += 1;
        self.upload(ui.ctx());
        let columns = ((ui.available_width() + GAP) / (CELL + GAP)).floor().max(1.0) as usize;
        let rows = self.tiles.len().div_ceil(columns);
        let mut action = None;
        let mut wanted = Vec::new();
        let mut scroll = egui::ScrollArea::vertical().auto_shrink([false, false]);
        // A revealed tile off screen is not laid out, so jump near it first; `tile_ui`
        // then scrolls it fully into view.
        if let Some(row) =
            self.revealed.filter(|&index| self.reveal_pending && index < self.tiles.len()).map(|index| index / columns)
            && !self.visible_rows.contains(&row)
        {
            let centred = row as f32 * (CELL + GAP) - (ui.available_height() - CELL) / 2.0;
            scroll = scroll.vertical_scroll_offset(centred.max(0.0));
        }
        scroll.show_rows(ui, CELL + GAP, rows, |ui, visible| {
            self.visible_rows = visible.clone();
            for row in visible {
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = GAP;
                    for index in row * columns..((row + 1) * columns).min(self.tiles.len()) {
                        if let Some(clicked) = self.tile_ui(ui, index, &mut wanted) {
                            action = Some(clicked);
                        }
                    }
                });
            }
        });
        self.evict();
        (action, wanted)
    }

    fn tile_ui(&mut self, ui: &mut egui::Ui, index: usize, wanted: &mut Vec<PathBuf>) -> Option<GridAction> {
        let frame = self.frame;
        let tile = self.tiles.get_mut(index)?;
        tile.last_drawn = frame;
        let (rect, response) = ui.allocate_exact_size(egui::vec2(CELL, CELL), egui::Sense::click());
        match &tile.texture {
            None if tile.video => {
                ui.painter().rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
                let text = format!("MP4 video\n{}", tile.name);
                let font = egui::FontId::proportional(13.0);
                let galley = ui.painter().layout(text, font, ui.visuals().text_color(), CELL - 12.0);
                let at = rect.center() - galley.size() / 2.0;
                ui.painter().galley(at, galley, ui.visuals().text_color());
            }
            Some(texture) => {
                let fitted = fit(texture.size_vec2(), rect);
                let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
                ui.painter().image(texture.id(), fitted, uv, egui::Color32::WHITE);
            }
            None => {
                ui.painter().rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
                if tile.pixels.is_none() && !tile.requested {
                    tile.requested = true;
                    wanted.push(tile.path.clone());
                }
            }
        }
        if self.revealed == Some(index) {
            let stroke = egui::Stroke::new(FOCUS_RING_WIDTH, ui.visuals().warn_fg_color);
            ui.painter().rect_stroke(rect.expand(2.0), 4.0, stroke, egui::StrokeKind::Outside);
            if std::mem::take(&mut self.reveal_pending) {
                ui.scroll_to_rect(rect, None);
            }
        }
        // Thumbnails take keyboard focus (Tab, then Enter opens): show where it is.
        if response.has_focus() {
            let stroke = egui::Stroke::new(FOCUS_RING_WIDTH, ui.visuals().selection.stroke.color);
            ui.painter().rect_stroke(rect.expand(2.0), 4.0, stroke, egui::StrokeKind::Outside);
        }
        let hover = match tile.video {
            true => format!("{}\n{:.0} KB\nMP4 video", tile.name, tile.bytes as f64 / 1000.0),
            false => {
                format!("{}\n{:.0} KB\n{} x {} px", tile.name, tile.bytes as f64 / 1000.0, tile.width, tile.height)
            }
        };
        let response = response.on_hover_text(hover);
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &tile.name));
        response.clicked().then_some(GridAction::Open(index))
    }
}

/// The largest rect of `size`'s aspect that fits centred in `cell`.
fn fit(size: egui::Vec2, cell: egui::Rect) -> egui::Rect {
    let scale = (cell.width() / size.x.max(1.0)).min(cell.height() / size.y.max(1.0));
    egui::Rect::from_center_size(cell.center(), size * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thumbnail(name: &str) -> Thumbnail {
        Thumbnail {
            path: PathBuf::from(format!("/pictures/{name}")),
            bytes: 1000,
            width: 800,
            height: 600,
            pixels: Arc::new(Pixels { width: 4, height: 3, rgba: vec![128; 4 * 3 * 4] }),
        }
    }

    #[test]
    fn the_same_file_is_one_tile() {
        let mut grid = ThumbnailGrid::default();
        grid.insert(thumbnail("a.jpg"));
        grid.insert(thumbnail("a.jpg"));
        grid.insert(thumbnail("b.jpg"));
        assert_eq!(grid.len(), 2);
    }

    #[test]
    fn uploads_are_bounded_per_frame_and_textures_by_budget() {
        let ctx = egui::Context::default();
        let mut grid = ThumbnailGrid::default();
        for n in 0..TEXTURE_BUDGET + 100 {
            grid.insert(thumbnail(&format!("{n}.jpg")));
        }
        grid.upload(&ctx);
        assert_eq!(grid.textures(), UPLOADS_PER_FRAME);
        assert_eq!(grid.uploads.len(), MAX_PENDING - UPLOADS_PER_FRAME, "pending pixels are bounded");
        while !grid.uploads.is_empty() {
            grid.frame += 1;
            grid.upload(&ctx);
            grid.evict();
        }
        assert!(grid.textures() <= TEXTURE_BUDGET, "{} textures", grid.textures());
        let held = grid.tiles.iter().filter(|tile| tile.pixels.is_some()).count();
        assert_eq!(held, 0, "uploaded pixels are let go");
    }

    #[test]
    fn fitting_keeps_the_aspect() {
        let cell = egui::Rect::from_min_size(egui::pos2(0.0, 0.0), egui::vec2(100.0, 100.0));
        let fitted = fit(egui::vec2(200.0, 100.0), cell);
        assert_eq!(fitted.size(), egui::vec2(100.0, 50.0));
        assert_eq!(fitted.center(), cell.center());
    }
}
