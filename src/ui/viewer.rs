//! The viewer: one image over the whole window, fitted or zoomed about the cursor, dragged
//! to pan, stepped with the arrow keys through the grid's order, full screen, a slideshow,
//! animated GIFs playing.
//!
//! The engine decodes the image on show and its neighbours off the UI thread (at up to
//! screen size, every frame of an animation); the viewer keeps a few of them as textures
//! ([`cache`]), so a step to a neighbour shows it in the same frame. Where the picture sits
//! is pure arithmetic in [`zoom`]. What the app must do (show another image, close, open
//! the file, reveal its folder, copy its path) comes back as a [`ViewerAction`]; zoom, pan,
//! full screen and the slideshow are the viewer's own state.

mod cache;
pub mod zoom;

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::grid::{ThumbnailGrid, format_bytes, thousands};
use super::progress::Notice;
use crate::library::ImageMeta;
use crate::media::{MAX_ANIMATION_BYTES, MAX_FRAMES, VIEW_SIDE, ViewError, ViewImage};
pub use cache::VIEW_CACHE_ENTRIES;
use cache::{Entry, ViewCache};
pub use zoom::{MAX_ZOOM, MIN_ZOOM, Placement, ZOOM_STEP};

/// How long the slideshow shows each image.
pub const SLIDESHOW_INTERVAL: Duration = Duration::from_secs(3);
/// Behind the picture: dark, as photo viewers are, so the picture's own colours stand out.
const BACKDROP: egui::Color32 = egui::Color32::from_gray(18);
const BACKDROP_TEXT: egui::Color32 = egui::Color32::from_gray(225);
/// A wheel that reports in points moves this many per notch.
const POINTS_PER_NOTCH: f32 = 50.0;

/// What the viewer asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewerAction {
    /// Show the image at this index of the grid.
    Show(usize),
    Close,
    /// Open the file with the desktop's program for it.
    OpenFile,
    /// Open the folder holding the file.
    RevealFolder,
    /// Put the file's path on the clipboard.
    CopyPath,
}

/// The images the viewer steps through: the grid's tiles, in the order shown.
pub trait Sequence {
    fn count(&self) -> usize;
    fn path_at(&self, index: usize) -> Option<&Path>;
    /// What Imgur said of the image at `index`, if galley downloaded it through the API.
    fn meta_at(&self, _index: usize) -> Option<&ImageMeta> {
        None
    }
}

impl Sequence for ThumbnailGrid {
    fn count(&self) -> usize {
        self.len()
    }

    fn path_at(&self, index: usize) -> Option<&Path> {
        self.path(index)
    }

    fn meta_at(&self, index: usize) -> Option<&ImageMeta> {
        self.entry(index).and_then(|entry| entry.meta.as_deref())
    }
}

pub struct Viewer {
    index: usize,
    path: PathBuf,
    placement: Placement,
    cache: ViewCache,
    slideshow: bool,
    /// Whether the viewer put the window in full screen.
    fullscreen: bool,
    /// When the image on show (or its error) was first drawn: its animation's and the
    /// slideshow's clock, in egui's time.
    shown_since: Option<f64>,
    /// How the last action went (opened, copied, or why not), or the slideshow's end.
    status: Option<Notice>,
    /// Where the picture was drawn last frame, in points.
    drawn: Option<egui::Rect>,
    /// The area the picture is drawn in, and the display's scale, as of last frame.
    viewport: Option<egui::Rect>,
    pixels_per_point: f32,
    /// The animation frame drawn last.
    frame: usize,
}

impl Viewer {
    pub fn new(index: usize, path: PathBuf) -> Self {
        Self {
            index,
            path,
            placement: Placement::Fit,
            cache: ViewCache::default(),
            slideshow: false,
            fullscreen: false,
            shown_since: None,
            status: None,
            drawn: None,
            viewport: None,
            pixels_per_point: 1.0,
            frame: 0,
        }
    }

    // ---- queries ----

    /// Index in the grid of the image on show.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the image on show has arrived and is drawn.
    pub fn is_ready(&self) -> bool {
        matches!(self.cache.get(&self.path), Some(Entry::Ready(_)))
    }

    /// Whether `path` has been decoded and kept (the image on show or a preloaded one).
    pub fn has_decoded(&self, path: &Path) -> bool {
        matches!(self.cache.get(path), Some(Entry::Ready(_)))
    }

    pub fn placement(&self) -> Placement {
        self.placement
    }

    /// Screen pixels per image pixel, as last drawn.
    pub fn zoom(&self) -> Option<f32> {
        let picture = self.picture()?;
        let rect = self.drawn?;
        Some(rect.width() / picture.width.max(1) as f32 * self.pixels_per_point)
    }

    /// Where the picture was last drawn, in points.
    pub fn image_rect(&self) -> Option<egui::Rect> {
        self.drawn
    }

    pub fn is_fullscreen(&self) -> bool {
        self.fullscreen
    }

    pub fn is_playing_slideshow(&self) -> bool {
        self.slideshow
    }

    /// The animation frame on show, and how many there are.
    pub fn animation_frame(&self) -> Option<(usize, usize)> {
        self.picture().map(|picture| (self.frame, picture.frames()))
    }

    /// What the viewer says about the last action, if anything.
    pub fn status(&self) -> Option<&Notice> {
        self.status.as_ref()
    }

    fn picture(&self) -> Option<&cache::Picture> {
        match self.cache.get(&self.path) {
            Some(Entry::Ready(picture)) => Some(picture),
            _ => None,
        }
    }

    // ---- changes the app makes ----

    /// Shows the image at `index` (`path`), fitted.
    pub fn show(&mut self, index: usize, path: PathBuf) {
        self.index = index;
        if path != self.path {
            self.path = path;
            self.placement = Placement::Fit;
            self.shown_since = None;
            self.status = None;
            self.drawn = None;
            self.frame = 0;
        }
    }

    /// The engine's answer for `path` (kept if it is wanted, dropped otherwise).
    pub fn loaded(&mut self, ctx: &egui::Context, path: &Path, result: Result<ViewImage, ViewError>) {
        self.cache.arrived(ctx, path, result);
    }

    /// How an action on `path` went (ignored if the user moved on meanwhile).
    pub fn answered(&mut self, path: &Path, result: Result<String, String>) {
        if path == self.path {
            self.status = Some(match result {
                Ok(done) => Notice::info(done),
                Err(failed) => Notice::error(failed, ""),
            });
        }
    }

    /// The images to ask the engine for, when something wanted (the image on show, the
    /// next, the previous) is neither kept nor asked for yet: every wanted image not yet
    /// here, on show first. `None` when nothing new is needed.
    pub fn requests(&mut self, images: &impl Sequence) -> Option<Vec<PathBuf>> {
        let wanted = self.wanted(images);
        self.cache.touch(&self.path);
        let mut fresh = false;
        for path in &wanted {
            fresh |= self.cache.ask(path);
        }
        self.cache.evict(&wanted);
        fresh.then(|| wanted.into_iter().filter(|path| !self.cache.has_arrived(path)).collect())
    }

    /// The image on show, then the next and the previous.
    fn wanted(&self, images: &impl Sequence) -> Vec<PathBuf> {
        let mut wanted = vec![self.path.clone()];
        let neighbours = [self.index.checked_add(1), self.index.checked_sub(1)];
        for path in neighbours.into_iter().flatten().filter_map(|index| images.path_at(index)) {
            if !wanted.iter().any(|kept| kept == path) {
                wanted.push(path.to_owned());
            }
        }
        wanted
    }

    /// Leaves full screen if the viewer entered it (on closing).
    pub fn leave_fullscreen(&mut self, ctx: &egui::Context) {
        if self.fullscreen {
            self.fullscreen = false;
            ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
        }
    }

    // ---- drawing ----

    /// Draws the viewer over the whole of `ui`. Returns what the app is to do.
    pub fn ui(&mut self, ui: &mut egui::Ui, images: &impl Sequence) -> Option<ViewerAction> {
        let count = images.count();
        let mut action = None;
        let panel = egui::Frame::new().fill(ui.visuals().panel_fill);
        egui::CentralPanel::default().frame(panel).show(ui, |ui| {
            let toolbar = egui::Frame::new().inner_margin(egui::Margin::symmetric(8, 6));
            toolbar.show(ui, |ui| {
                action = self.toolbar_ui(ui, count);
                if let Some(meta) = images.meta_at(self.index) {
                    meta_ui(ui, meta);
                }
            });
            self.canvas_ui(ui);
        });
        let ctx = ui.ctx().clone();
        // Keys belong to a text field while one is being edited.
        if !ctx.egui_wants_keyboard_input() {
            action = action.or_else(|| self.keys(&ctx, count));
        }
        action.or_else(|| self.slideshow_tick(&ctx, count))
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, count: usize) -> Option<ViewerAction> {
        let mut action = None;
        ui.horizontal_wrapped(|ui| {
            if ui.add_enabled(self.index > 0, egui::Button::new("< Previous")).clicked() {
                action = Some(ViewerAction::Show(self.index - 1));
            }
            if ui.add_enabled(self.index + 1 < count, egui::Button::new("Next >")).clicked() {
                action = Some(ViewerAction::Show(self.index + 1));
            }
            ui.label(position_text(self.index, count));
            ui.separator();
            let name = crate::library::names::shown_file_name(&self.path);
            ui.strong(name);
            if let Some(picture) = self.picture() {
                ui.label(format!("{} x {} px", picture.width, picture.height));
                ui.label(format_bytes(picture.bytes));
                if picture.is_animated() {
                    ui.label(format!("{} frames", picture.frames()));
                }
            }
            if let Some(zoom) = self.zoom() {
                let how = if self.placement == Placement::Fit { "fitted, " } else { "" };
                ui.label(format!("{how}{:.0}%", zoom * 100.0));
            }
        });
        ui.horizontal_wrapped(|ui| {
            if ui.button("Fit").on_hover_text("Fit to the window (0)").clicked() {
                self.placement = Placement::Fit;
            }
            if ui.button("1:1").on_hover_text("One image pixel per screen pixel (1)").clicked() {
                self.toggle_one_to_one();
            }
            let slideshow = if self.slideshow { "Stop slideshow" } else { "Slideshow" };
            if ui.button(slideshow).on_hover_text("Space").clicked() {
                self.toggle_slideshow();
            }
            let fullscreen = if self.fullscreen { "Leave full screen" } else { "Full screen" };
            if ui.button(fullscreen).on_hover_text("F11 or f").clicked() {
                self.toggle_fullscreen(ui.ctx());
            }
            ui.separator();
            for (label, chosen) in [
                ("Open file", ViewerAction::OpenFile),
                ("Reveal folder", ViewerAction::RevealFolder),
                ("Copy path", ViewerAction::CopyPath),
                ("Close", ViewerAction::Close),
            ] {
                if ui.button(label).clicked() {
                    action = Some(chosen);
                }
            }
            if self.slideshow {
                ui.label(format!("Slideshow: {} s an image", SLIDESHOW_INTERVAL.as_secs()));
            }
        });
        if let Some(status) = &self.status {
            status.ui(ui);
        }
        if self.picture().is_some_and(|picture| picture.animation_too_long) {
            ui.label(format!(
                "Showing the first frame only: this animation is longer than galley plays (over {MAX_FRAMES} frames or {} MB).",
                MAX_ANIMATION_BYTES >> 20
            ));
        }
        action
    }

    /// The picture (or why there is none) on the dark backdrop, with its zoom and pan.
    fn canvas_ui(&mut self, ui: &mut egui::Ui) {
        let (viewport, response) = ui.allocate_exact_size(ui.available_size(), egui::Sense::click_and_drag());
        let name = crate::library::names::shown_file_name(&self.path);
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, &name));
        ui.painter().rect_filled(viewport, 0.0, BACKDROP);
        let ctx = ui.ctx().clone();
        self.viewport = Some(viewport);
        self.pixels_per_point = ctx.pixels_per_point();
        let now = ctx.input(|input| input.time);
        let (width, height, frame_count) = match self.cache.get(&self.path) {
            Some(Entry::Ready(picture)) => (picture.width, picture.height, picture.frames()),
            Some(Entry::Failed(error)) => {
                self.shown_since.get_or_insert(now);
                self.drawn = None;
                failure_ui(ui, viewport, error);
                return;
            }
            None | Some(Entry::Loading) => {
                self.drawn = None;
                ui.put(egui::Rect::from_center_size(viewport.center(), egui::vec2(32.0, 32.0)), egui::Spinner::new());
                return;
            }
        };
        let since = *self.shown_since.get_or_insert(now);
        let frame = zoom::Frame {
            image: egui::vec2(width as f32, height as f32),
            viewport,
            pixels_per_point: ctx.pixels_per_point(),
        };
        self.pointer_ui(&ctx, &response, &frame);
        let rect = self.placement.rect(&frame);
        self.drawn = Some(rect);
        let Some(Entry::Ready(picture)) = self.cache.get_mut(&self.path) else { return };
        let elapsed = Duration::from_secs_f64((now - since).max(0.0));
        let (index, next_in) = picture.frame_at(elapsed);
        if frame_count > 1 {
            ctx.request_repaint_after(next_in);
        }
        self.frame = index;
        if let Some(texture) = picture.texture(&ctx, &name, index) {
            let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
            ui.painter().with_clip_rect(viewport).image(texture.id(), rect, uv, egui::Color32::WHITE);
        }
    }

    /// Drag pans, the wheel (or a pinch) and +/- zoom about the cursor, a double click
    /// toggles 1:1.
    fn pointer_ui(&mut self, ctx: &egui::Context, response: &egui::Response, frame: &zoom::Frame) {
        if response.dragged() {
            self.placement = self.placement.panned(response.drag_delta(), frame);
        }
        if response.double_clicked() {
            self.placement = self.placement.one_to_one_toggled(frame);
        }
        let factor = ctx.input(wheel_zoom);
        if let Some(pointer) = ctx.pointer_hover_pos()
            && response.contains_pointer()
            && factor != 1.0
        {
            self.placement = self.placement.zoomed_about(factor, pointer, frame);
        }
        let zoom_keys = ctx.input(|input| {
            let zoom_in = input.key_pressed(egui::Key::Plus) || input.key_pressed(egui::Key::Equals);
            let zoom_out = input.key_pressed(egui::Key::Minus);
            (zoom_in, zoom_out)
        });
        if ctx.egui_wants_keyboard_input() || !ctx.input(plain_keys) {
            return;
        }
        let about = ctx.pointer_hover_pos().filter(|pointer| frame.viewport.contains(*pointer));
        let about = about.unwrap_or(frame.viewport.center());
        match zoom_keys {
            (true, false) => self.placement = self.placement.zoomed_about(ZOOM_STEP, about, frame),
            (false, true) => self.placement = self.placement.zoomed_about(1.0 / ZOOM_STEP, about, frame),
            _ => {}
        }
    }

    /// Stepping, closing, fitting, full screen and the slideshow, from the keys pressed.
    fn keys(&mut self, ctx: &egui::Context, count: usize) -> Option<ViewerAction> {
        use egui::Key;
        let pressed = |key: Key| ctx.input(|input| input.key_pressed(key));
        let last = count.saturating_sub(1);
        if pressed(Key::Escape) {
            return Some(ViewerAction::Close);
        }
        if !ctx.input(plain_keys) {
            return None;
        }
        if pressed(Key::F11) || pressed(Key::F) {
            self.toggle_fullscreen(ctx);
        }
        if pressed(Key::Space) {
            self.toggle_slideshow();
        }
        if pressed(Key::Num0) {
            self.placement = Placement::Fit;
        }
        if pressed(Key::Num1) {
            self.toggle_one_to_one();
        }
        let target = if pressed(Key::ArrowRight) || pressed(Key::PageDown) {
            Some((self.index + 1).min(last))
        } else if pressed(Key::ArrowLeft) || pressed(Key::PageUp) {
            Some(self.index.saturating_sub(1))
        } else if pressed(Key::Home) {
            Some(0)
        } else if pressed(Key::End) {
            Some(last)
        } else {
            None
        };
        target.filter(|&index| index != self.index && index < count).map(ViewerAction::Show)
    }

    /// The slideshow's next image once the one on show has been up long enough; at the
    /// last image it stops, and says so.
    fn slideshow_tick(&mut self, ctx: &egui::Context, count: usize) -> Option<ViewerAction> {
        if !self.slideshow {
            return None;
        }
        let since = self.shown_since?;
        let shown_for = ctx.input(|input| input.time) - since;
        let left = SLIDESHOW_INTERVAL.as_secs_f64() - shown_for;
        if left > 0.0 {
            ctx.request_repaint_after(Duration::from_secs_f64(left));
            return None;
        }
        if self.index + 1 < count {
            return Some(ViewerAction::Show(self.index + 1));
        }
        self.slideshow = false;
        self.status = Some(Notice::info("The slideshow stopped at the last image."));
        None
    }

    fn toggle_slideshow(&mut self) {
        self.slideshow = !self.slideshow;
        // The interval counts from now, not from when the image first showed.
        self.shown_since = None;
        self.status = None;
    }

    fn toggle_fullscreen(&mut self, ctx: &egui::Context) {
        // The window system may have changed it behind our back (its own shortcut).
        let now = ctx.input(|input| input.viewport().fullscreen).unwrap_or(self.fullscreen);
        self.fullscreen = !now;
        ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(self.fullscreen));
    }

    fn toggle_one_to_one(&mut self) {
        let Some((picture, viewport)) = self.picture().zip(self.viewport) else { return };
        let frame = zoom::Frame {
            image: egui::vec2(picture.width as f32, picture.height as f32),
            viewport,
            pixels_per_point: self.pixels_per_point,
        };
        self.placement = self.placement.one_to_one_toggled(&frame);
    }
}

/// Whether keys come without Ctrl, Alt or Cmd (Shift is part of `+`): Ctrl-plus is egui's
/// own zoom of the whole window, Ctrl-F no full screen.
fn plain_keys(input: &egui::InputState) -> bool {
    let modifiers = input.modifiers;
    !(modifiers.ctrl || modifiers.alt || modifiers.command || modifiers.mac_cmd)
}

/// How far the wheel (and a pinch) zoom this frame: one `ZOOM_STEP` a notch.
fn wheel_zoom(input: &egui::InputState) -> f32 {
    let mut factor = 1.0;
    for event in &input.events {
        match event {
            egui::Event::MouseWheel { unit, delta, .. } => {
                let notches = match unit {
                    egui::MouseWheelUnit::Line => delta.y,
                    egui::MouseWheelUnit::Point => delta.y / POINTS_PER_NOTCH,
                    egui::MouseWheelUnit::Page => delta.y * 3.0,
                };
                factor *= ZOOM_STEP.powf(notches);
            }
            egui::Event::Zoom(pinch) => factor *= pinch,
            _ => {}
        }
    }
    factor
}

/// Why the image cannot be shown, in the user's words, centred on the backdrop.
fn failure_ui(ui: &mut egui::Ui, viewport: egui::Rect, error: &ViewError) {
    let (message, detail) = match error {
        ViewError::Unreadable(detail) => (
            "This file cannot be read: it may have been moved or deleted, or galley may not be allowed to read it.",
            Some(detail),
        ),
        ViewError::Undecodable(detail) => (
            "galley cannot show this image: the file is damaged, not a picture galley reads, or larger than it decodes. Try \"Open file\" to view it in another program.",
            Some(detail),
        ),
        ViewError::Video => {
            ("This is a video: galley does not play videos. \"Open file\" plays it in your system's player.", None)
        }
    };
    let area = egui::Rect::from_center_size(viewport.center(), egui::vec2(viewport.width().min(560.0), 160.0));
    let layout = egui::Layout::top_down(egui::Align::Center);
    ui.scope_builder(egui::UiBuilder::new().max_rect(area).layout(layout), |ui| {
        ui.visuals_mut().override_text_color = Some(BACKDROP_TEXT);
        ui.add(egui::Label::new(message).wrap());
        if let Some(detail) = detail {
            ui.small(format!("Details: {detail}"));
        }
    });
}

/// "12 / 5,000": the image's place in the grid.
pub fn position_text(index: usize, count: usize) -> String {
    format!("{} / {}", thousands((index + 1) as u64), thousands(count as u64))
}

/// What Imgur said of the image, on one line under the toolbar.
fn meta_ui(ui: &mut egui::Ui, meta: &ImageMeta) {
    let mut parts: Vec<String> = Vec::new();
    parts.extend(meta.title.clone());
    if let Some(album) = meta.album_title.as_ref().or(meta.album_id.as_ref()) {
        parts.push(format!("album: {album}"));
    }
    if let Some(account) = &meta.account {
        parts.push(format!("by {account}"));
    }
    if !meta.tags.is_empty() {
        parts.push(format!("tags: {}", meta.tags.join(", ")));
    }
    if let Some(views) = meta.views {
        parts.push(format!("{} views", thousands(views)));
    }
    if !parts.is_empty() {
        ui.label(parts.join(" · "));
    }
    if let Some(description) = &meta.description {
        ui.label(egui::RichText::new(description).weak());
    }
}

/// The largest side the engine is asked to decode at: [`VIEW_SIDE`], or less if the
/// graphics driver's textures are smaller.
pub fn decode_side(ctx: &egui::Context) -> u32 {
    let max_texture = ctx.input(|input| input.max_texture_side);
    VIEW_SIDE.min(u32::try_from(max_texture).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_position_separates_thousands() {
        assert_eq!(position_text(11, 5000), "12 / 5,000");
        assert_eq!(position_text(0, 7), "1 / 7");
        assert_eq!(position_text(999_999, 1_234_567), "1,000,000 / 1,234,567");
    }

    #[test]
    fn sizes_read_as_kilobytes_then_megabytes() {
        assert_eq!(format_bytes(397), "397 bytes");
        assert_eq!(format_bytes(875_000), "875 KB");
        assert_eq!(format_bytes(1_250_000), "1.2 MB");
    }
}
