//! The thumbnail grid: every file of the shown folder as a tile, sorted and filtered by the
//! toolbar's [`Query`], with a selection.
//!
//! Only visible rows are laid out (`show_rows`). Tiles on screen without a texture are
//! asked for (`wanted`, sent as `LibraryCommand::Want`): the engine reads them from the thumbnail
//! cache or makes them first. At most [`UPLOADS_PER_FRAME`] textures are uploaded a frame
//! and at most [`TEXTURE_BUDGET`] kept: the least recently drawn are dropped and asked for
//! again (from the cache) if they scroll back into view.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::library::Thumbnail;
use crate::library::listing::{ListingParts, Places, Sorted};
use crate::library::query::{self, Query, SortKey};
use crate::library::{Entry, Listed, Listing};
use crate::media::MediaKind;
use crate::media::Pixels;

pub const UPLOADS_PER_FRAME: usize = 24;
pub const TEXTURE_BUDGET: usize = 600;
/// Decoded thumbnails waiting for upload at most; beyond this, new arrivals keep only their
/// place and are asked for again when on screen, so a flood cannot hold much memory.
pub const MAX_PENDING: usize = 256;
/// Side of one grid cell, in points, unless the size slider says otherwise.
pub const CELL: f32 = 144.0;
/// What the size slider allows.
pub const CELL_RANGE: std::ops::RangeInclusive<f32> = 64.0..=256.0;
const GAP: f32 = 6.0;
/// Width of the ring around the thumbnail that has keyboard focus.
pub const FOCUS_RING_WIDTH: f32 = 3.0;

/// What the grid shows of one file, beside its entry.
#[derive(Default)]
struct Tile {
    /// Decoded pixels waiting for upload; dropped once uploaded so memory stays bounded.
    pixels: Option<Arc<Pixels>>,
    texture: Option<egui::TextureHandle>,
    /// Frame number when last drawn, for eviction.
    last_drawn: u64,
    /// Its thumbnail was asked for while on screen and has not come back yet.
    requested: bool,
}

/// Files marked in the grid, by path.
struct Marked {
    selected: Vec<PathBuf>,
    highlighted: Option<PathBuf>,
    anchor: Option<PathBuf>,
}

impl Tile {
    /// Shows nothing and asked for nothing: a new listing's old tile need not be carried.
    fn is_blank(&self) -> bool {
        self.pixels.is_none() && self.texture.is_none() && !self.requested
    }
}

/// Drops `value` on a thread of its own (the UI thread must not spend a frame freeing).
pub(crate) fn drop_elsewhere<T: Send + 'static>(value: T) {
    let spawned = std::thread::Builder::new().name("galley-drop".into()).spawn(move || drop(value));
    if let Err(error) = spawned {
        tracing::warn!("cannot start a thread to free memory, so it is freed here: {error}");
    }
}

/// What the user did in the grid, applied after drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GridAction {
    /// Open the viewer at this position.
    Open(usize),
    /// A click at this position: select it alone, or with Ctrl toggle it, or with Shift
    /// select the range from the last click.
    Click {
        position: usize,
        toggle: bool,
        range: bool,
    },
    SelectAll,
    /// The Delete key: move the selection to the trash (after asking).
    DeleteSelection,
    /// Home, End, Page Up, Page Down.
    Jump(Jump),
}

/// A keyboard move of the grid's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jump {
    Start,
    End,
    PageUp,
    PageDown,
}

/// What one frame of the grid produced.
#[derive(Debug, Default)]
pub struct GridOutput {
    pub action: Option<GridAction>,
    /// Files on screen that need their thumbnail.
    pub wanted: Vec<PathBuf>,
}

pub struct ThumbnailGrid {
    /// The folder's files, and beside each (same index) its tile.
    entries: Vec<Entry>,
    tiles: Vec<Tile>,
    by_path: Places,
    /// Tiles shown, in order: the query applied to `tiles`.
    order: Vec<usize>,
    /// `order` is out of date (tiles or the query changed).
    stale_order: bool,
    /// The tiles' entries prepared for queries; emptied when the tiles change, worked out
    /// again with the next order.
    prepared: query::Prepared,
    /// The unfiltered order of the tiles under a sort, as the engine worked it out with
    /// the listing; dropped when the tiles change.
    sorted: Option<Sorted>,
    query: Query,
    /// Selected tiles (indexes into `tiles`, so a re-sort keeps the selection).
    selected: HashSet<usize>,
    /// Where the last plain or Ctrl click was, for Shift-click ranges (a tile index).
    anchor: Option<usize>,
    /// The tile the viewer shows: highlighted, and scrolled to once.
    highlighted: Option<usize>,
    scroll_to: Option<usize>,
    /// A keyboard move to make at the next draw.
    jump: Option<Jump>,
    /// The view at the last draw: how far down it was scrolled, and how tall it is.
    view: (f32, f32),
    pub cell: f32,
    uploads: VecDeque<usize>,
    textures: usize,
    frame: u64,
    /// Only these files are shown ("Reposts only"), when set.
    only: Option<HashSet<PathBuf>>,
    /// Files a check of the followed sources brought since they were last looked at:
    /// marked "NEW" on their tiles.
    new: HashSet<PathBuf>,
}

impl Default for ThumbnailGrid {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            tiles: Vec::new(),
            by_path: Places::default(),
            order: Vec::new(),
            stale_order: false,
            prepared: query::Prepared::default(),
            sorted: None,
            query: Query::default(),
            selected: HashSet::new(),
            anchor: None,
            highlighted: None,
            scroll_to: None,
            jump: None,
            view: (0.0, 0.0),
            cell: CELL,
            uploads: VecDeque::new(),
            textures: 0,
            frame: 0,
            only: None,
            new: HashSet::new(),
        }
    }
}

impl ThumbnailGrid {
    /// A grid for a new folder that keeps the view settings (query, cell size).
    pub fn emptied(&self) -> Self {
        Self { query: self.query.clone(), cell: self.cell, ..Self::default() }
    }

    // ---- queries ----

    /// Tiles shown (after the filter).
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Every file of the folder, shown or not.
    pub fn total(&self) -> usize {
        self.tiles.len()
    }

    pub fn textures(&self) -> usize {
        self.textures
    }

    /// The file at `position` in the shown order.
    pub fn path(&self, position: usize) -> Option<&Path> {
        self.entry(position).map(|entry| entry.path.as_path())
    }

    /// The entry at `position` in the shown order.
    pub fn entry(&self, position: usize) -> Option<&Entry> {
        self.order.get(position).and_then(|&tile| self.entries.get(tile))
    }

    /// Where a file is in the shown order.
    pub fn position_of(&self, path: &Path) -> Option<usize> {
        let tile = self.by_path.get(path)?;
        self.order.iter().position(|&shown| shown == tile)
    }

    /// Videos among the shown tiles.
    pub fn videos(&self) -> usize {
        self.order.iter().filter(|&&tile| self.entries[tile].kind.is_video()).count()
    }

    pub fn query(&self) -> &Query {
        &self.query
    }

    /// The selected files that are shown, in the shown order.
    pub fn selection(&self) -> Vec<PathBuf> {
        self.order
            .iter()
            .filter(|tile| self.selected.contains(tile))
            .map(|&tile| self.entries[tile].path.clone())
            .collect()
    }

    pub fn is_selected(&self, position: usize) -> bool {
        self.order.get(position).is_some_and(|tile| self.selected.contains(tile))
    }

    /// The position the viewer shows, highlighted in the grid.
    pub fn highlighted(&self) -> Option<usize> {
        let tile = self.highlighted?;
        self.order.iter().position(|&shown| shown == tile)
    }

    // ---- changes ----

    pub fn set_query(&mut self, query: Query) {
        if query == self.query {
            return;
        }
        // Typing on in the filter box only hides tiles: the shown order is kept and
        // thinned, with no new sort of the whole folder.
        let narrowing = !self.stale_order && query::narrows(&self.query, &query);
        self.query = query;
        if narrowing {
            query::narrow(&self.prepared, &mut self.order, &self.query);
        } else {
            self.stale_order = true;
        }
    }

    /// Takes the folder's listing: known tiles keep their textures; with `complete`, tiles
    /// whose files are no longer listed go. This runs in a frame, and a folder of 50,000
    /// comes in one listing: the engine has sorted, prepared and mapped it already, so the
    /// entries are only moved here.
    pub fn set_listing(&mut self, listing: Listing, complete: bool) {
        let marked = self.marked();
        let ListingParts { mut entries, prepared, places: mut by_path, sorted } = listing.into_parts();
        let mut tiles: Vec<Tile> = std::iter::repeat_with(Tile::default).take(entries.len()).collect();
        let (mut old_entries, mut old_tiles) = (std::mem::take(&mut self.entries), std::mem::take(&mut self.tiles));
        let mut unlisted = Vec::new();
        for (at, (old_entry, old_tile)) in old_entries.iter().zip(&mut old_tiles).enumerate() {
            // An old tile that shows nothing has nothing to carry over, unless the listing
            // may leave it out (a listing from the index comes before the folder's own).
            if old_tile.is_blank() && complete {
                continue;
            }
            match by_path.get(&old_entry.path) {
                Some(index) => {
                    tiles[index] = std::mem::take(old_tile);
                    // A thumbnail's own measurement stays until the index has one.
                    entries[index].dimensions = entries[index].dimensions.or(old_entry.dimensions);
                }
                None if !complete => unlisted.push(at),
                None => {}
            }
        }
        // Until the listing is complete, files it does not hold (yet) stay.
        (self.prepared, self.sorted) = match unlisted.is_empty() {
            true => (prepared, sorted),
            false => Default::default(),
        };
        for at in unlisted.into_iter().rev() {
            let entry = old_entries.swap_remove(at);
            by_path.insert(&entry.path, entries.len());
            entries.push(entry);
            tiles.push(old_tiles.swap_remove(at));
        }
        // Freeing 50,000 old entries (four allocations each) would take a frame's time.
        drop_elsewhere((old_entries, old_tiles, std::mem::replace(&mut self.by_path, by_path)));
        self.restore(entries, tiles, marked);
    }

    /// Forgets these files (moved to the trash, gone from the folder).
    pub fn remove(&mut self, paths: &[PathBuf]) {
        if paths.is_empty() {
            return;
        }
        let gone: HashSet<&PathBuf> = paths.iter().collect();
        let marked = self.marked();
        let (entries, tiles): (Vec<Entry>, Vec<Tile>) = std::mem::take(&mut self.entries)
            .into_iter()
            .zip(std::mem::take(&mut self.tiles))
            .filter(|(entry, _)| !gone.contains(&entry.path))
            .unzip();
        self.replace_tiles(entries, tiles, marked);
        self.refresh_order();
    }

    /// The selected and the highlighted files, to carry over a change of tiles.
    fn marked(&self) -> Marked {
        let selected = self.selected.iter().map(|&tile| self.path_of(tile)).collect();
        let highlighted = self.highlighted.map(|tile| self.path_of(tile));
        Marked { selected, highlighted, anchor: self.anchor.map(|tile| self.path_of(tile)) }
    }

    /// Puts `tiles` in place of the old ones; `marked` (taken before) stays marked, and
    /// pending uploads stay pending.
    fn replace_tiles(&mut self, entries: Vec<Entry>, tiles: Vec<Tile>, marked: Marked) {
        self.prepared = query::Prepared::default();
        self.sorted = None;
        self.by_path = entries.iter().enumerate().map(|(index, entry)| (entry.path.clone(), index)).collect();
        self.restore(entries, tiles, marked);
    }

    /// Puts `tiles` (mapped in `by_path` already) in place of the old ones; `marked` stays
    /// marked, and pending uploads stay pending.
    fn restore(&mut self, entries: Vec<Entry>, tiles: Vec<Tile>, marked: Marked) {
        (self.entries, self.tiles) = (entries, tiles);
        self.selected = marked.selected.iter().filter_map(|path| self.by_path.get(path)).collect();
        self.highlighted = marked.highlighted.and_then(|path| self.by_path.get(&path));
        self.anchor = marked.anchor.and_then(|path| self.by_path.get(&path));
        self.uploads = (0..self.tiles.len()).filter(|&index| self.tiles[index].pixels.is_some()).collect();
        self.textures = self.tiles.iter().filter(|tile| tile.texture.is_some()).count();
        self.stale_order = true;
    }

    fn path_of(&self, tile: usize) -> PathBuf {
        self.entries.get(tile).map(|entry| entry.path.clone()).unwrap_or_default()
    }

    /// Dimensions measured while thumbnails were made.
    pub fn measured(&mut self, sizes: &[(PathBuf, (u32, u32))]) {
        for (path, dimensions) in sizes {
            if let Some(index) = self.by_path.get(path) {
                self.entries[index].dimensions = Some(*dimensions);
            }
        }
        self.forget_sorted_by(SortKey::Dimensions);
        if self.query.sort == SortKey::Dimensions {
            self.stale_order = true;
        }
    }

    /// Drops the engine's order if it was by `key`, whose values have changed.
    fn forget_sorted_by(&mut self, key: SortKey) {
        self.sorted = self.sorted.take().filter(|sorted| sorted.sort.key != key);
    }

    /// The tile of `path`, made (from the name alone) if it is new.
    fn tile_for(&mut self, path: &Path) -> usize {
        if let Some(index) = self.by_path.get(path) {
            return index;
        }
        let name = path.file_name().and_then(crate::library::names::name_key).unwrap_or_default().into_owned();
        let kind =
            path.extension().and_then(|e| e.to_str()).and_then(MediaKind::from_extension).unwrap_or(MediaKind::Jpeg);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |t| t.as_secs() as i64);
        let folder = path.parent().unwrap_or(Path::new(""));
        let entry = Entry::new(folder, Listed { name, bytes: 0, mtime: now, kind });
        self.entries.push(entry);
        self.tiles.push(Tile::default());
        self.by_path.insert(path, self.entries.len() - 1);
        self.stale_order = true;
        self.entries.len() - 1
    }

    /// Adds a video saved by a run (no thumbnail: a labelled tile), unless shown already.
    pub fn insert_video(&mut self, path: &Path, bytes: u64) {
        let index = self.tile_for(path);
        let entry = &mut self.entries[index];
        entry.kind = MediaKind::Mp4;
        entry.bytes = bytes;
        // The kind is part of what the filter looks at.
        self.prepared = query::Prepared::default();
        self.stale_order = true;
    }

    /// Adds a thumbnail, or gives the tile of that file its pixels.
    pub fn insert(&mut self, thumbnail: Thumbnail) {
        let index = self.tile_for(&thumbnail.path);
        let (entry, tile) = (&mut self.entries[index], &mut self.tiles[index]);
        let (bytes, dimensions) = (thumbnail.bytes, Some((thumbnail.width, thumbnail.height)));
        let (new_bytes, new_dimensions) = (entry.bytes != bytes, entry.dimensions != dimensions);
        (entry.bytes, entry.dimensions) = (bytes, dimensions);
        tile.requested = false;
        if tile.texture.is_none() && self.uploads.len() < MAX_PENDING {
            tile.pixels = Some(thumbnail.pixels);
            self.uploads.push_back(index);
        }
        if new_bytes {
            self.forget_sorted_by(SortKey::Size);
        }
        if new_dimensions {
            self.forget_sorted_by(SortKey::Dimensions);
        }
    }

    /// Gives a tile already in the grid its pixels; a thumbnail of a file the grid does not
    /// hold (any more) is dropped.
    pub fn update(&mut self, thumbnail: Thumbnail) {
        if self.by_path.contains(&thumbnail.path) {
            self.insert(thumbnail);
        }
    }

    /// Applies a click (after drawing).
    pub fn click(&mut self, position: usize, toggle: bool, range: bool) {
        let Some(&tile) = self.order.get(position) else { return };
        let anchor = self.anchor.and_then(|anchor| self.order.iter().position(|&shown| shown == anchor));
        match (range, anchor) {
            (true, Some(from)) => {
                if !toggle {
                    self.selected.clear();
                }
                let (low, high) = (from.min(position), from.max(position));
                self.selected.extend(self.order[low..=high].iter().copied());
            }
            _ if toggle => {
                if !self.selected.remove(&tile) {
                    self.selected.insert(tile);
                }
                self.anchor = Some(tile);
            }
            _ => {
                self.selected.clear();
                self.selected.insert(tile);
                self.anchor = Some(tile);
            }
        }
    }

    pub fn select_all(&mut self) {
        self.selected = self.order.iter().copied().collect();
    }

    pub fn clear_selection(&mut self) {
        self.selected.clear();
        self.anchor = None;
    }

    /// Highlights the tile at `position` (the image in the viewer) and scrolls to it.
    pub fn reveal(&mut self, position: usize) {
        let tile = self.order.get(position).copied();
        if tile != self.highlighted {
            self.highlighted = tile;
            self.scroll_to = tile;
        }
    }

    /// The highlighted position, if any.
    pub fn revealed(&self) -> Option<usize> {
        self.highlighted()
    }

    /// Marks these files "NEW" (pictures a check of the followed sources brought since
    /// they were last looked at), in place of those marked before.
    pub fn mark_new(&mut self, paths: impl IntoIterator<Item = PathBuf>) {
        self.new = paths.into_iter().collect();
    }

    /// How many of the files marked "NEW" the grid shows.
    pub fn new_shown(&self) -> usize {
        self.new.iter().filter(|path| self.by_path.get(path.as_path()).is_some()).count()
    }

    /// Whether the file is marked "NEW".
    pub fn is_new(&self, path: &Path) -> bool {
        self.new.contains(path)
    }

    /// Shows only these files (as well as the query allows), or every file again.
    pub fn show_only(&mut self, paths: Option<HashSet<PathBuf>>) {
        self.only = paths;
        self.stale_order = true;
    }

    /// Recomputes the shown order if the tiles or the query changed (once a frame, before
    /// anything counts or draws the tiles).
    pub fn refresh_order(&mut self) {
        if !self.stale_order {
            return;
        }
        self.stale_order = false;
        let tiles = self.entries.len();
        let sorted = self.sorted.as_ref().filter(|sorted| sorted.order.len() == tiles && self.prepared.len() == tiles);
        if let Some(sorted) = sorted.filter(|sorted| sorted.sort == self.query.sort_order()) {
            // The engine's order for this sort: only the filter is left to apply. (Copied
            // into the old order's memory: a new 400 KB block could have the allocator tidy
            // up what a folder just freed, in this frame.)
            self.order.clear();
            self.order.extend_from_slice(&sorted.order);
            query::narrow(&self.prepared, &mut self.order, &self.query);
        } else {
            if self.prepared.len() != tiles {
                self.prepared = query::Prepared::new(&self.entries);
            }
            self.order = query::order_prepared(&self.entries, &self.prepared, &self.query);
        }
        if let Some(only) = &self.only {
            self.order.retain(|&tile| only.contains(&self.entries[tile].path));
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
            let name = self.entries[index].path.to_string_lossy();
            tile.texture = Some(ctx.load_texture(name, image, egui::TextureOptions::LINEAR));
            tile.last_drawn = self.frame;
            self.textures += 1;
            uploaded += 1;
        }
        if !self.uploads.is_empty() {
            ctx.request_repaint();
        }
    }

    /// Drops the least recently drawn textures beyond the budget (never those on screen),
    /// and forgets requests for tiles that left the screen (they are asked again when back).
    fn evict(&mut self) {
        for tile in self.tiles.iter_mut().filter(|tile| tile.requested && tile.last_drawn < self.frame) {
            tile.requested = false;
        }
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

    // ---- drawing ----

    /// Draws the grid; returns the click, if any, and the files on screen that need their
    /// thumbnail.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> GridOutput {
        self.frame += 1;
        self.refresh_order();
        self.upload(ui.ctx());
        let cell = self.cell;
        let columns = ((ui.available_width() + GAP) / (cell + GAP)).floor().max(1.0) as usize;
        let rows = self.order.len().div_ceil(columns);
        let mut output = GridOutput::default();
        let mut area = egui::ScrollArea::vertical().auto_shrink([false, false]);
        if let Some(position) =
            self.scroll_to.take().and_then(|tile| self.order.iter().position(|&shown| shown == tile))
        {
            // Centre the row (show_rows lays out only what is visible, so scroll by offset).
            let row = (position / columns) as f32;
            let offset = row * (cell + GAP) - (ui.available_height() - cell) / 2.0;
            area = area.vertical_scroll_offset(offset.max(0.0));
        } else if let Some(jump) = self.jump.take() {
            let (offset, height) = self.view;
            let page = (height - (cell + GAP)).max(cell + GAP);
            let offset = match jump {
                Jump::Start => 0.0,
                // The scroll area keeps the offset within its content.
                Jump::End => rows as f32 * (cell + GAP),
                Jump::PageUp => (offset - page).max(0.0),
                Jump::PageDown => offset + page,
            };
            area = area.vertical_scroll_offset(offset);
        }
        let shown = area.show_rows(ui, cell + GAP, rows, |ui, visible| {
            for row in visible {
                ui.horizontal(|ui| {
                    ui.spacing_mut().item_spacing.x = GAP;
                    for position in row * columns..((row + 1) * columns).min(self.order.len()) {
                        if let Some(action) = self.tile_ui(ui, position, &mut output.wanted) {
                            output.action = Some(action);
                        }
                    }
                });
            }
        });
        self.view = (shown.state.clamped_offset().y, shown.inner_rect.height());
        self.evict();
        output
    }

    /// Moves the view at the next draw (Home, End, Page Up, Page Down).
    pub fn jump(&mut self, jump: Jump) {
        self.jump = Some(jump);
    }

    fn tile_ui(&mut self, ui: &mut egui::Ui, position: usize, wanted: &mut Vec<PathBuf>) -> Option<GridAction> {
        let (frame, cell) = (self.frame, self.cell);
        let index = *self.order.get(position)?;
        let selected = self.selected.contains(&index);
        let highlighted = self.highlighted == Some(index);
        let (entry, tile) = (self.entries.get(index)?, self.tiles.get_mut(index)?);
        tile.last_drawn = frame;
        let (rect, response) = ui.allocate_exact_size(egui::vec2(cell, cell), egui::Sense::click());
        let painter = ui.painter();
        if selected {
            painter.rect_filled(rect.expand(3.0), 6.0, ui.visuals().selection.bg_fill);
        }
        match &tile.texture {
            Some(texture) => {
                let fitted = fit(texture.size_vec2(), rect);
                let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
                painter.image(texture.id(), fitted, uv, egui::Color32::WHITE);
            }
            None => {
                painter.rect_filled(rect, 4.0, ui.visuals().faint_bg_color);
                if entry.kind.is_video() {
                    let text = format!("MP4 video\n{}", entry.shown_name());
                    let galley =
                        painter.layout(text, egui::FontId::proportional(13.0), ui.visuals().text_color(), cell - 12.0);
                    painter.galley(rect.center() - galley.size() / 2.0, galley, ui.visuals().text_color());
                } else if tile.pixels.is_none() && !tile.requested {
                    tile.requested = true;
                    wanted.push(entry.path.clone());
                }
            }
        }
        if entry.kind == MediaKind::Mp4 || entry.kind == MediaKind::Gif {
            badge(painter, rect, entry.kind.label());
        }
        if self.new.contains(&entry.path) {
            new_badge(painter, rect, ui.visuals().selection.bg_fill);
        }
        if highlighted {
            let stroke = egui::Stroke::new(FOCUS_RING_WIDTH, egui::Color32::from_rgb(255, 196, 0));
            painter.rect_stroke(rect.expand(2.0), 4.0, stroke, egui::StrokeKind::Outside);
        }
        // Thumbnails take keyboard focus (Tab, then Enter opens): show where it is.
        if response.has_focus() {
            let stroke = egui::Stroke::new(FOCUS_RING_WIDTH, ui.visuals().selection.stroke.color);
            painter.rect_stroke(rect.expand(2.0), 4.0, stroke, egui::StrokeKind::Outside);
        }
        let response = response.on_hover_ui(|ui| hover_card(ui, entry));
        response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, selected, entry.shown_name()));
        let modifiers = ui.input(|input| input.modifiers);
        if response.double_clicked() || (response.has_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter))) {
            return Some(GridAction::Open(position));
        }
        response.clicked().then_some(GridAction::Click { position, toggle: modifiers.command, range: modifiers.shift })
    }
}

/// A small label in the tile's corner: "GIF", "MP4".
fn badge(painter: &egui::Painter, rect: egui::Rect, text: &str) {
    let galley = painter.layout_no_wrap(text.to_owned(), egui::FontId::proportional(11.0), egui::Color32::WHITE);
    let at = rect.left_bottom() + egui::vec2(4.0, -4.0 - galley.size().y);
    let back = egui::Rect::from_min_size(at, galley.size()).expand(2.0);
    painter.rect_filled(back, 3.0, egui::Color32::from_black_alpha(180));
    painter.galley(at, galley, egui::Color32::WHITE);
}

/// "NEW" in the tile's top corner, on the accent colour: a picture a check of the
/// followed sources brought since they were last looked at.
fn new_badge(painter: &egui::Painter, rect: egui::Rect, accent: egui::Color32) {
    let galley = painter.layout_no_wrap("NEW".to_owned(), egui::FontId::proportional(11.0), egui::Color32::WHITE);
    let at = rect.left_top() + egui::vec2(4.0, 4.0);
    let back = egui::Rect::from_min_size(at, galley.size()).expand(2.0);
    painter.rect_filled(back, 3.0, accent);
    painter.galley(at, galley, egui::Color32::WHITE);
}

/// What the hover card says of a file: name, size, pixels, and what Imgur said.
fn hover_card(ui: &mut egui::Ui, entry: &Entry) {
    ui.set_max_width(320.0);
    ui.strong(entry.shown_name());
    let mut facts = vec![format_bytes(entry.bytes), entry.kind.label().to_owned()];
    if let Some((width, height)) = entry.dimensions {
        facts.push(format!("{width} x {height} px"));
    }
    ui.label(facts.join(" · "));
    let Some(meta) = &entry.meta else { return };
    if let Some(title) = &meta.title {
        ui.label(egui::RichText::new(title).italics());
    }
    if let Some(description) = &meta.description {
        ui.label(description);
    }
    if let Some(album) = meta.album_title.as_ref().or(meta.album_id.as_ref()) {
        ui.label(format!("Album: {album}"));
    }
    if let Some(account) = &meta.account {
        ui.label(format!("By {account}"));
    }
    if !meta.tags.is_empty() {
        ui.label(format!("Tags: {}", meta.tags.join(", ")));
    }
    if let Some(views) = meta.views {
        ui.label(format!("{} views", thousands(views)));
    }
}

/// "397 bytes", "640 KB", "1.2 MB".
pub fn format_bytes(bytes: u64) -> String {
    match bytes {
        0..1000 => format!("{bytes} bytes"),
        1000..1_000_000 => format!("{:.0} KB", bytes as f64 / 1000.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_000_000.0),
    }
}

/// "5,000".
pub fn thousands(number: impl Into<u64>) -> String {
    let digits = number.into().to_string();
    let mut out = String::new();
    for (at, digit) in digits.chars().enumerate() {
        if at > 0 && (digits.len() - at) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The largest rect of `size`'s aspect that fits centred in `cell`.
fn fit(size: egui::Vec2, cell: egui::Rect) -> egui::Rect {
    let scale = (cell.width() / size.x.max(1.0)).min(cell.height() / size.y.max(1.0));
    egui::Rect::from_center_size(cell.center(), size * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(entries: Vec<Entry>) -> Listing {
        Listing::new(entries, query::SortOrder::default())
    }

    fn thumbnail(name: &str) -> Thumbnail {
        Thumbnail {
            path: Path::new("/pictures").join(name),
            bytes: 1000,
            width: 800,
            height: 600,
            pixels: Arc::new(Pixels { width: 4, height: 3, rgba: vec![128; 4 * 3 * 4] }),
        }
    }

    fn entry(name: &str, bytes: u64) -> Entry {
        Entry::new(Path::new("/pictures"), Listed { name: name.into(), bytes, mtime: 5, kind: MediaKind::Jpeg })
    }

    #[test]
    fn typing_on_in_the_filter_thins_the_order_as_a_full_query_would() {
        let mut grid = ThumbnailGrid::default();
        let names = ["cat10.jpg", "dog1.jpg", "cat2.jpg", "category.jpg", "scatter.jpg", "cat 3.jpg"];
        let entries: Vec<Entry> = names.iter().zip(1..).map(|(name, bytes)| entry(name, bytes * 100)).collect();
        grid.set_listing(listing(entries.clone()), true);
        grid.set_query(Query { sort: SortKey::Size, descending: true, ..Query::default() });
        grid.refresh_order();
        for text in ["c", "ca", "cat", "cat ", "cat 3", "cat", ""] {
            let query = Query { text: text.into(), ..grid.query().clone() };
            grid.set_query(query.clone());
            grid.refresh_order();
            let shown: Vec<&str> = (0..grid.len()).filter_map(|at| grid.entry(at)).map(|e| e.name.as_str()).collect();
            let full: Vec<&str> =
                query::order(&entries, &query).into_iter().map(|at| entries[at].name.as_str()).collect();
            assert_eq!(shown, full, "after typing {text:?}");
        }
    }

    #[test]
    fn the_same_file_is_one_tile() {
        let mut grid = ThumbnailGrid::default();
        grid.insert(thumbnail("a.jpg"));
        grid.insert(thumbnail("a.jpg"));
        grid.insert(thumbnail("b.jpg"));
        grid.refresh_order();
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
    fn clicks_select_one_toggle_and_range_and_survive_a_resort() {
        let mut grid = ThumbnailGrid::default();
        grid.set_listing(listing((0..6).map(|n| entry(&format!("f{n}.jpg"), n)).collect()), true);
        grid.refresh_order();
        grid.click(1, false, false);
        assert_eq!(grid.selection().len(), 1);
        grid.click(4, false, true);
        assert_eq!(grid.selection().len(), 4, "shift-click selects the range 1..=4");
        grid.click(2, true, false);
        assert_eq!(grid.selection().len(), 3, "ctrl-click toggles one off");
        grid.set_query(Query { sort: SortKey::Size, descending: true, ..Query::default() });
        grid.refresh_order();
        let mut selected = grid.selection();
        selected.sort();
        let names: Vec<_> = selected.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["f1.jpg", "f3.jpg", "f4.jpg"], "the selection follows the files, not positions");
        grid.select_all();
        assert_eq!(grid.selection().len(), 6);
        grid.remove(&[Path::new("/pictures").join("f0.jpg")]);
        assert_eq!((grid.len(), grid.selection().len()), (5, 5));
    }

    #[test]
    fn a_complete_listing_drops_files_that_are_gone_and_keeps_measurements() {
        let mut grid = ThumbnailGrid::default();
        grid.insert(thumbnail("a.jpg"));
        grid.set_listing(listing(vec![entry("a.jpg", 10), entry("b.jpg", 20)]), false);
        grid.refresh_order();
        assert_eq!(grid.len(), 2);
        assert_eq!(
            grid.entry(grid.position_of(&Path::new("/pictures").join("a.jpg")).unwrap()).unwrap().dimensions,
            Some((800, 600))
        );
        grid.set_listing(listing(vec![entry("b.jpg", 20)]), true);
        grid.refresh_order();
        assert_eq!(grid.len(), 1);
        assert_eq!(grid.path(0), Some(Path::new("/pictures").join("b.jpg").as_path()));
    }

    #[test]
    fn the_listings_own_order_is_dropped_when_what_it_sorted_by_changes() {
        let mut grid = ThumbnailGrid::default();
        let sort = query::SortOrder { key: SortKey::Dimensions, descending: false };
        grid.set_query(Query { sort: sort.key, ..Query::default() });
        let sized = |name: &str, pixels: u32| entry(name, 1).with_dimensions(Some((pixels, pixels)));
        grid.set_listing(Listing::new(vec![sized("a.jpg", 10), sized("b.jpg", 20)], sort), true);
        grid.refresh_order();
        assert_eq!(grid.path(0), Some(Path::new("/pictures").join("a.jpg").as_path()), "the engine's order");
        grid.measured(&[(Path::new("/pictures").join("a.jpg"), (30, 30))]);
        grid.refresh_order();
        assert_eq!(grid.path(0), Some(Path::new("/pictures").join("b.jpg").as_path()), "a is bigger now");
    }

    #[test]
    fn a_library_thumbnail_of_a_file_no_longer_shown_adds_no_tile() {
        let mut grid = ThumbnailGrid::default();
        grid.set_listing(listing(vec![entry("a.jpg", 10)]), true);
        grid.update(thumbnail("gone.jpg"));
        grid.update(thumbnail("a.jpg"));
        grid.refresh_order();
        assert_eq!(grid.len(), 1);
        assert_eq!(grid.uploads.len(), 1, "the known tile got its pixels");
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(thousands(5000u64), "5,000");
        assert_eq!(thousands(50u64), "50");
        assert_eq!(thousands(1_234_567u64), "1,234,567");
        assert_eq!(format_bytes(640_000), "640 KB");
        assert_eq!(format_bytes(1_250_000), "1.2 MB");
    }

    #[test]
    fn fitting_keeps_the_aspect() {
        let cell = egui::Rect::from_min_size(egui::pos2(0.0, 0.0), egui::vec2(100.0, 100.0));
        let fitted = fit(egui::vec2(200.0, 100.0), cell);
        assert_eq!(fitted.size(), egui::vec2(100.0, 50.0));
        assert_eq!(fitted.center(), cell.center());
    }
}
