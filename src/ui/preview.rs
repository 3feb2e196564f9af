//! Preview and pick: the pictures of one queued source (or all of them) as the engine
//! lists them, shown from Imgur's small variants, with those already in the folder
//! marked. A person selects (click, Ctrl-click, Shift-click, All, None, by kind) and
//! "Download selected" runs the normal engine on exactly those items.
//!
//! The engine fetches and decodes the pictures ([`crate::engine::RunCommand::Preview`]);
//! this view only uploads what arrived, a few textures a frame, and draws the visible
//! rows. Drawing only: every click comes back as a [`PreviewAction`].

use std::collections::HashMap;
use std::sync::Arc;

use super::grid::{UPLOADS_PER_FRAME, format_bytes, thousands};
use super::progress::Notice;
use crate::engine::{Ending, ImageItem, PlannedFile, PreviewError, PreviewId, RunReport};
use crate::media::Pixels;

/// A preview tile's side, in points.
const CELL: f32 = 150.0;
const GAP: f32 = 6.0;

/// The kinds "Select" offers, as the listing names them.
pub const KINDS: [(&str, &str); 4] = [("jpeg", "JPEG"), ("png", "PNG"), ("gif", "GIF"), ("mp4", "MP4")];

/// One picture of the preview.
pub struct PreviewEntry {
    pub file: PlannedFile,
    pub item: ImageItem,
    /// Its small picture, until it is uploaded.
    pixels: Option<Arc<Pixels>>,
    texture: Option<egui::TextureHandle>,
    /// Why it has no picture.
    missing: Option<String>,
    pub selected: bool,
}

/// How the preview's listing stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Listing {
    Going,
    Done,
    /// It stopped: what to say (a source that failed alone is said too, as a note).
    Failed(Notice),
}

/// What a click in the preview asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum PreviewAction {
    Click {
        index: usize,
        toggle: bool,
        range: bool,
    },
    SelectAll,
    SelectNone,
    /// Select the pictures not in the folder yet.
    SelectNew,
    /// Select exactly the pictures of this kind (`jpeg`, `png`, `gif`, `mp4`).
    SelectKind(&'static str),
    DownloadSelected,
    Close,
}

/// The preview on show.
pub struct Preview {
    pub id: PreviewId,
    /// What is previewed, as the queue names it.
    pub label: String,
    pub entries: Vec<PreviewEntry>,
    /// Entry index by image id (pictures arrive by id).
    by_id: HashMap<String, usize>,
    pub listing: Listing,
    /// Notes on sources that failed alone.
    pub notes: Vec<String>,
    /// The last plain click, where a Shift-click range starts.
    anchor: Option<usize>,
}

impl Preview {
    pub fn new(id: PreviewId, label: String) -> Self {
        Self {
            id,
            label,
            entries: Vec::new(),
            by_id: HashMap::new(),
            listing: Listing::Going,
            notes: Vec::new(),
            anchor: None,
        }
    }

    // ---- queries ----

    pub fn selected(&self) -> usize {
        self.entries.iter().filter(|entry| entry.selected).count()
    }

    /// The items selected, in listing order.
    pub fn selected_items(&self) -> Vec<ImageItem> {
        self.entries.iter().filter(|entry| entry.selected).map(|entry| entry.item.clone()).collect()
    }

    /// Pictures that came (uploaded or waiting to be).
    pub fn pictures(&self) -> usize {
        self.entries.iter().filter(|entry| entry.texture.is_some() || entry.pixels.is_some()).count()
    }

    pub fn present(&self) -> usize {
        self.entries.iter().filter(|entry| entry.file.present).count()
    }

    // ---- what the engine said ----

    pub fn listed(&mut self, file: PlannedFile, item: ImageItem) {
        self.by_id.insert(item.id.clone(), self.entries.len());
        // What is in the folder already is left unselected; the rest is picked to start with.
        let selected = !file.present;
        self.entries.push(PreviewEntry { file, item, pixels: None, texture: None, missing: None, selected });
    }

    pub fn picture(&mut self, id: &str, result: Result<Arc<Pixels>, Arc<PreviewError>>) {
        let Some(entry) = self.by_id.get(id).and_then(|&index| self.entries.get_mut(index)) else { return };
        match result {
            Ok(pixels) => entry.pixels = Some(pixels),
            Err(reason) => entry.missing = Some(reason.to_string()),
        }
    }

    pub fn done(&mut self, report: &RunReport) {
        self.notes = report
            .sources
            .iter()
            .filter_map(|source| source.error().map(|fatal| format!("{}: {}", source.label, fatal.message)))
            .collect();
        self.listing = match &report.ending {
            Ending::Done | Ending::Cancelled => Listing::Done,
            Ending::Failed(fatal) => Listing::Failed(Notice::error(
                format!("The preview stopped: {}.", fatal.message.trim_end_matches('.')),
                fatal.detail.clone(),
            )),
        };
    }

    /// Image `id` was saved (a run of the picks): it is in the folder now.
    pub fn saved(&mut self, id: &str) {
        if let Some(entry) = self.by_id.get(id).and_then(|&index| self.entries.get_mut(index)) {
            entry.file.present = true;
            entry.selected = false;
        }
    }

    // ---- selection ----

    pub fn apply(&mut self, action: &PreviewAction) {
        match action {
            PreviewAction::Click { index, toggle, range } => self.click(*index, *toggle, *range),
            PreviewAction::SelectAll => self.select_where(|_| true),
            PreviewAction::SelectNone => self.select_where(|_| false),
            PreviewAction::SelectNew => self.select_where(|entry| !entry.file.present),
            PreviewAction::SelectKind(kind) => self.select_where(|entry| entry.file.kind == Some(*kind)),
            PreviewAction::DownloadSelected | PreviewAction::Close => {}
        }
    }

    fn select_where(&mut self, keep: impl Fn(&PreviewEntry) -> bool) {
        for entry in &mut self.entries {
            entry.selected = keep(entry);
        }
    }

    /// A click selects one picture; Ctrl-click adds or removes one; Shift-click selects
    /// the range from the last click.
    fn click(&mut self, index: usize, toggle: bool, range: bool) {
        if index >= self.entries.len() {
            return;
        }
        match (range, self.anchor) {
            (true, Some(anchor)) => {
                let (from, to) = (anchor.min(index), anchor.max(index));
                if !toggle {
                    self.select_where(|_| false);
                }
                for entry in &mut self.entries[from..=to] {
                    entry.selected = true;
                }
            }
            _ if toggle => {
                self.entries[index].selected = !self.entries[index].selected;
                self.anchor = Some(index);
            }
            _ => {
                self.select_where(|_| false);
                self.entries[index].selected = true;
                self.anchor = Some(index);
            }
        }
    }

    // ---- drawing ----

    /// Uploads at most [`UPLOADS_PER_FRAME`] pictures that came since the last frame.
    fn upload(&mut self, ctx: &egui::Context) {
        let waiting = self.entries.iter_mut().filter(|entry| entry.pixels.is_some());
        for entry in waiting.take(UPLOADS_PER_FRAME) {
            let Some(pixels) = entry.pixels.take() else { continue };
            let size = [pixels.width as usize, pixels.height as usize];
            if pixels.rgba.len() != size[0] * size[1] * 4 {
                entry.missing = Some("the picture came damaged".to_owned());
                continue;
            }
            let image = egui::ColorImage::from_rgba_unmultiplied(size, &pixels.rgba);
            let name = format!("preview-{}", entry.item.id);
            entry.texture = Some(ctx.load_texture(name, image, egui::TextureOptions::LINEAR));
        }
        if self.entries.iter().any(|entry| entry.pixels.is_some()) {
            ctx.request_repaint();
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<PreviewAction> {
        self.upload(ui.ctx());
        let mut action = self.header_ui(ui);
        let columns = ((ui.available_width() + GAP) / (CELL + GAP)).floor().max(1.0) as usize;
        let rows = self.entries.len().div_ceil(columns);
        egui::ScrollArea::vertical().id_salt("preview-grid").auto_shrink([false, false]).show_rows(
            ui,
            CELL + GAP,
            rows,
            |ui, visible| {
                for row in visible {
                    ui.horizontal(|ui| {
                        ui.spacing_mut().item_spacing.x = GAP;
                        for index in row * columns..((row + 1) * columns).min(self.entries.len()) {
                            if let Some(clicked) = self.tile_ui(ui, index) {
                                action = Some(clicked);
                            }
                        }
                    });
                }
            },
        );
        action
    }

    /// What is previewed and how far, the selection buttons and "Download selected".
    fn header_ui(&self, ui: &mut egui::Ui) -> Option<PreviewAction> {
        let mut action = None;
        ui.horizontal_wrapped(|ui| {
            // First on the line, so it never moves as the counts after it grow.
            if ui
                .button("Close preview")
                .on_hover_text("Back to the folder's pictures; nothing is downloaded")
                .clicked()
            {
                action = Some(PreviewAction::Close);
            }
            ui.strong(format!("Preview of {}", self.label));
            let listed = thousands(self.entries.len() as u64);
            let state = match &self.listing {
                Listing::Going => format!("listing... {listed} found"),
                Listing::Done | Listing::Failed(_) => format!("{listed} found"),
            };
            ui.label(state);
            if self.present() > 0 {
                ui.weak(format!("· {} already in the folder", thousands(self.present() as u64)));
            }
        });
        if let Listing::Failed(notice) = &self.listing {
            notice.ui(ui);
        }
        for note in &self.notes {
            ui.colored_label(ui.visuals().error_fg_color, format!("Not listed: {note}"));
        }
        ui.horizontal_wrapped(|ui| {
            // First on the line, so it never moves as kinds turn up in the listing.
            let selected = self.selected();
            let download = egui::Button::new(format!("Download selected ({})", thousands(selected as u64)));
            let hover = "Download the originals of the selected pictures into the folder (click, Ctrl-click, Shift-click to choose)";
            if ui.add_enabled(selected > 0, download).on_hover_text(hover).clicked() {
                action = Some(PreviewAction::DownloadSelected);
            }
            ui.separator();
            ui.label("Select:");
            for (label, pick) in [
                ("All", PreviewAction::SelectAll),
                ("None", PreviewAction::SelectNone),
                ("Not in the folder", PreviewAction::SelectNew),
            ] {
                if ui.small_button(label).clicked() {
                    action = Some(pick);
                }
            }
            for (kind, label) in KINDS {
                if self.entries.iter().any(|entry| entry.file.kind == Some(kind)) {
                    let hover = format!("Select the {label} pictures only");
                    if ui.small_button(label).on_hover_text(hover).clicked() {
                        action = Some(PreviewAction::SelectKind(kind));
                    }
                }
            }
        });
        action
    }

    fn tile_ui(&self, ui: &mut egui::Ui, index: usize) -> Option<PreviewAction> {
        let entry = self.entries.get(index)?;
        let (rect, response) = ui.allocate_exact_size(egui::vec2(CELL, CELL), egui::Sense::click());
        let painter = ui.painter();
        if entry.selected {
            painter.rect_filled(rect.expand(3.0), 6.0, ui.visuals().selection.bg_fill);
        }
        let inner = rect.shrink(4.0);
        match (&entry.texture, &entry.missing) {
            (Some(texture), _) => {
                let size = texture.size_vec2();
                let scale = (inner.width() / size.x.max(1.0)).min(inner.height() / size.y.max(1.0));
                let fitted = egui::Rect::from_center_size(inner.center(), size * scale);
                let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
                let tint = if entry.file.present { egui::Color32::from_gray(140) } else { egui::Color32::WHITE };
                painter.image(texture.id(), fitted, uv, tint);
            }
            (None, missing) => {
                painter.rect_filled(inner, 4.0, ui.visuals().faint_bg_color);
                let text = match missing {
                    Some(_) => "no preview",
                    None => "loading...",
                };
                painter.text(
                    inner.center(),
                    egui::Align2::CENTER_CENTER,
                    text,
                    egui::FontId::proportional(12.0),
                    ui.visuals().weak_text_color(),
                );
            }
        }
        if let Some(kind) = entry.file.kind.filter(|kind| *kind == "gif" || *kind == "mp4") {
            corner_badge(painter, inner, &kind.to_uppercase(), false);
        }
        if entry.file.present {
            corner_badge(painter, inner, "in folder", true);
        }
        if entry.selected {
            let mark = egui::Rect::from_min_size(inner.left_top() + egui::vec2(4.0, 4.0), egui::vec2(20.0, 20.0));
            painter.rect_filled(mark, 4.0, ui.visuals().selection.stroke.color);
            // A tick, drawn (the bundled fonts have no check-mark glyph).
            let tick = [
                mark.left_top() + egui::vec2(5.0, 10.0),
                mark.left_top() + egui::vec2(9.0, 14.0),
                mark.left_top() + egui::vec2(15.0, 6.0),
            ];
            painter.line(tick.to_vec(), egui::Stroke::new(2.5, egui::Color32::WHITE));
        }
        if response.has_focus() {
            let stroke = egui::Stroke::new(super::grid::FOCUS_RING_WIDTH, ui.visuals().selection.stroke.color);
            painter.rect_stroke(rect.expand(2.0), 4.0, stroke, egui::StrokeKind::Outside);
        }
        let name = entry.file.file.display().to_string();
        let response = if response.contains_pointer() { response.on_hover_ui(|ui| card(ui, entry)) } else { response };
        response.widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, entry.selected, &name));
        let modifiers = ui.input(|input| input.modifiers);
        response.clicked().then_some(PreviewAction::Click { index, toggle: modifiers.command, range: modifiers.shift })
    }
}

/// A small label in a tile's corner: the kind at the bottom left, "in folder" at the
/// bottom right.
fn corner_badge(painter: &egui::Painter, rect: egui::Rect, text: &str, right: bool) {
    let galley = painter.layout_no_wrap(text.to_owned(), egui::FontId::proportional(11.0), egui::Color32::WHITE);
    let at = match right {
        true => rect.right_bottom() + egui::vec2(-4.0 - galley.size().x, -4.0 - galley.size().y),
        false => rect.left_bottom() + egui::vec2(4.0, -4.0 - galley.size().y),
    };
    let back = egui::Rect::from_min_size(at, galley.size()).expand(2.0);
    painter.rect_filled(back, 3.0, egui::Color32::from_black_alpha(190));
    painter.galley(at, galley, egui::Color32::WHITE);
}

/// The hover card: the name it would get, its kind and size, and what Imgur said.
fn card(ui: &mut egui::Ui, entry: &PreviewEntry) {
    ui.set_max_width(320.0);
    ui.strong(entry.file.file.display().to_string());
    let mut facts = Vec::new();
    if let Some(kind) = entry.file.kind {
        facts.push(kind.to_uppercase());
    }
    if let Some(size) = entry.file.size {
        facts.push(format_bytes(size));
    }
    if entry.file.present {
        facts.push("already in the folder".to_owned());
    }
    ui.label(facts.join(" · "));
    if let Some(title) = &entry.item.meta.title {
        ui.label(egui::RichText::new(title).italics());
    }
    if let Some(reason) = &entry.missing {
        ui.weak(format!("No preview: {reason}"));
    }
    ui.weak(format!("From {}", entry.file.source));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn preview_of(count: usize, present: &[usize]) -> Preview {
        let mut preview = Preview::new(1, "hot/viral/day".into());
        for n in 0..count {
            let id = format!("img{n:04}");
            let kind = if n % 3 == 0 { "gif" } else { "jpeg" };
            let file = PlannedFile {
                id: id.clone(),
                link: format!("https://i.imgur.com/{id}.jpg"),
                file: PathBuf::from(format!("{id}.jpg")),
                kind: Some(kind),
                size: Some(1000),
                source: "hot/viral/day".into(),
                present: present.contains(&n),
            };
            let item = ImageItem {
                id,
                link: file.link.clone(),
                claimed: None,
                size: None,
                meta: Default::default(),
                source: 0,
                position: Default::default(),
            };
            preview.listed(file, item);
        }
        preview
    }

    fn selected(preview: &Preview) -> Vec<usize> {
        (0..preview.entries.len()).filter(|&index| preview.entries[index].selected).collect()
    }

    #[test]
    fn what_is_not_in_the_folder_is_picked_to_start_with() {
        let preview = preview_of(4, &[1]);
        assert_eq!(selected(&preview), [0, 2, 3]);
        assert_eq!(preview.present(), 1);
    }

    #[test]
    fn click_ctrl_click_shift_click_all_none_and_by_kind_select_as_in_a_file_manager() {
        let mut preview = preview_of(8, &[]);
        preview.apply(&PreviewAction::Click { index: 2, toggle: false, range: false });
        assert_eq!(selected(&preview), [2]);
        preview.apply(&PreviewAction::Click { index: 5, toggle: true, range: false });
        assert_eq!(selected(&preview), [2, 5]);
        preview.apply(&PreviewAction::Click { index: 7, toggle: false, range: true });
        assert_eq!(selected(&preview), [5, 6, 7], "Shift-click: the range from the last click");
        preview.apply(&PreviewAction::SelectNone);
        assert!(selected(&preview).is_empty());
        preview.apply(&PreviewAction::SelectKind("gif"));
        assert_eq!(selected(&preview), [0, 3, 6]);
        preview.apply(&PreviewAction::SelectAll);
        assert_eq!(preview.selected(), 8);
        let items: Vec<String> = preview.selected_items().into_iter().map(|item| item.id).collect();
        assert_eq!(items.first().map(String::as_str), Some("img0000"), "in listing order");
        preview.apply(&PreviewAction::Click { index: 99, toggle: false, range: false });
        assert_eq!(preview.selected(), 8, "a click past the end changes nothing");
    }

    #[test]
    fn a_saved_picture_is_marked_in_the_folder_and_a_picture_finds_its_tile() {
        let mut preview = preview_of(3, &[]);
        preview.saved("img0001");
        assert!(preview.entries[1].file.present && !preview.entries[1].selected);
        let pixels = Arc::new(Pixels { width: 1, height: 1, rgba: vec![0; 4] });
        preview.picture("img0002", Ok(pixels));
        preview.picture("unknown", Err(Arc::new(PreviewError::Status(404))));
        assert_eq!(preview.pictures(), 1);
    }
}
