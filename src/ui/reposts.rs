//! "Find reposts": the open folder's near-duplicate pictures, found by the engine
//! (`LibraryCommand::FindReposts`, off this thread) and shown group by group, side by side, the
//! best copy marked; "Keep best, move the rest to the trash" for one group or all goes
//! through the grid's own confirmation, trash and Undo. The grid can show only the
//! pictures that are in a group ("Reposts only").
//!
//! Drawing only, as the other panels: every click comes back as a [`RepostsAction`],
//! applied after the frame by [`GalleyApp::reposts_action`].

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;

use super::browse::TrashRequest;
use super::grid::{format_bytes, thousands};
use super::progress::Notice;
use super::{Action, GalleyApp};
use crate::library::Entry;
use crate::library::reposts::{DEFAULT_THRESHOLD, RepostGroup};
use crate::library::{LibraryCommand, LibraryEvent, RepostReport, Thumbnail};
use crate::media::Pixels;

/// Thumbnails turned into textures per frame.
const UPLOADS_PER_FRAME: usize = 8;
/// Longest side of a copy's picture in the groups view, in points.
const CARD_PICTURE: f32 = 150.0;
/// Width of a copy's card.
const CARD_WIDTH: f32 = 170.0;
/// Height of one group's row (its heading and its cards).
const ROW_HEIGHT: f32 = 330.0;

/// What the repost controls ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum RepostsAction {
    /// Search the folder on show.
    Find,
    /// Show the groups (true) or the grid (false).
    ShowGroups(bool),
    /// The grid shows only pictures that are in a group.
    OnlyReposts(bool),
    /// Ask to keep group `n`'s best copy and move the others to the trash.
    KeepBest(usize),
    /// The same for every group.
    KeepBestEverywhere,
    /// The groups view needs these thumbnails.
    Want(Vec<PathBuf>),
}

/// Where the search stands.
#[derive(Default)]
enum Search {
    #[default]
    NotRun,
    Running {
        done: usize,
        total: usize,
    },
    Found(RepostReport),
    Failed(Notice),
}

/// The repost search of the folder on show, and its groups view.
#[derive(Default)]
pub struct Reposts {
    search: Search,
    /// The groups are on show instead of the grid.
    showing: bool,
    /// The grid shows only pictures in a group.
    only: bool,
    textures: HashMap<PathBuf, egui::TextureHandle>,
    /// Thumbnails asked of the engine and not arrived yet.
    requested: HashSet<PathBuf>,
    /// Thumbnails arrived and waiting for their texture.
    arrived: VecDeque<(PathBuf, Arc<Pixels>)>,
}

impl Reposts {
    /// Whether the groups are on show instead of the grid.
    pub fn is_showing(&self) -> bool {
        self.showing && matches!(self.search, Search::Found(_))
    }

    /// The last search's findings.
    pub fn report(&self) -> Option<&RepostReport> {
        match &self.search {
            Search::Found(report) => Some(report),
            _ => None,
        }
    }

    /// Every picture that is in a group.
    fn grouped_paths(&self) -> HashSet<PathBuf> {
        let groups = self.report().map_or(&[][..], |report| &report.groups);
        groups.iter().flat_map(|group| group.copies.iter().map(|copy| copy.path.clone())).collect()
    }

    /// Keeps a thumbnail the groups view asked for.
    fn thumbnail(&mut self, thumbnail: &Thumbnail) {
        if self.requested.remove(&thumbnail.path) {
            self.arrived.push_back((thumbnail.path.clone(), thumbnail.pixels.clone()));
        }
    }

    /// Forgets files moved to the trash: out of their groups, and a group left with one
    /// copy is no group.
    fn removed(&mut self, paths: &[PathBuf]) {
        let Search::Found(report) = &mut self.search else { return };
        let gone: HashSet<&PathBuf> = paths.iter().collect();
        for group in &mut report.groups {
            group.copies.retain(|copy| !gone.contains(&copy.path));
        }
        report.groups.retain(|group| group.copies.len() > 1);
        for path in paths {
            self.textures.remove(path);
        }
    }

    // ---- drawing ----

    /// The line under the grid's toolbar: "Find reposts", and what the last search found.
    pub fn bar_ui(&self, ui: &mut egui::Ui, has_folder: bool) -> Option<RepostsAction> {
        let mut action = None;
        ui.horizontal_wrapped(|ui| {
            let running = matches!(self.search, Search::Running { .. });
            let hover = "Group the pictures of this folder that are copies of one another: resized, recompressed, re-encoded, lightly cropped or brightened";
            if ui.add_enabled(has_folder && !running, egui::Button::new("Find reposts")).on_hover_text(hover).clicked() {
                action = Some(RepostsAction::Find);
            }
            match &self.search {
                Search::NotRun => {}
                Search::Running { done, total } => {
                    ui.label(match total {
                        0 => "Finding reposts...".to_owned(),
                        _ => format!("Finding reposts: {} of {} pictures hashed", thousands(*done as u64), thousands(*total as u64)),
                    });
                }
                Search::Failed(notice) => notice.ui(ui),
                Search::Found(report) if report.groups.is_empty() => {
                    ui.label(format!("No reposts among {} pictures.", thousands(report.images as u64)));
                }
                Search::Found(report) => {
                    ui.label(format!(
                        "{} groups of reposts, {} copies beside their best",
                        thousands(report.groups.len() as u64),
                        thousands(report.extra_copies() as u64)
                    ));
                    let (text, hint) = match self.showing {
                        true => ("Back to the grid", "Show every picture of the folder"),
                        false => ("Show the groups", "Show each group side by side, its best copy marked"),
                    };
                    if ui.button(text).on_hover_text(hint).clicked() {
                        action = Some(RepostsAction::ShowGroups(!self.showing));
                    }
                    let mut only = self.only;
                    if ui.checkbox(&mut only, "Reposts only").on_hover_text("The grid shows only pictures that have copies").changed() {
                        action = Some(RepostsAction::OnlyReposts(only));
                    }
                }
            }
        });
        action
    }

    /// The groups, side by side; uploads the thumbnails that came. Returns the click and,
    /// separately, the thumbnails the cards on screen lack.
    pub fn groups_ui(&mut self, ui: &mut egui::Ui) -> (Option<RepostsAction>, Vec<PathBuf>) {
        self.upload(ui.ctx());
        let mut action = None;
        let mut wanted = Vec::new();
        let Search::Found(report) = &self.search else { return (None, wanted) };
        ui.horizontal_wrapped(|ui| {
            ui.heading("Reposts");
            let extra = report.extra_copies();
            let text = format!("Keep the best of every group: move {} copies to the trash", thousands(extra as u64));
            if ui.add_enabled(extra > 0, egui::Button::new(text)).clicked() {
                action = Some(RepostsAction::KeepBestEverywhere);
            }
        });
        ui.weak("The best copy has the most pixels; at equal pixels a PNG before a JPEG before a GIF, then the bigger file, then the one saved first.");
        ui.separator();
        let (textures, requested) = (&self.textures, &mut self.requested);
        egui::ScrollArea::vertical().auto_shrink([false, false]).show_rows(
            ui,
            ROW_HEIGHT,
            report.groups.len(),
            |ui, rows| {
                for number in rows {
                    let group = &report.groups[number];
                    if let Some(clicked) = group_ui(ui, number, group, textures, requested, &mut wanted) {
                        action = Some(clicked);
                    }
                }
            },
        );
        (action, wanted)
    }

    fn upload(&mut self, ctx: &egui::Context) {
        for _ in 0..UPLOADS_PER_FRAME {
            let Some((path, pixels)) = self.arrived.pop_front() else { return };
            let size = [pixels.width as usize, pixels.height as usize];
            if pixels.rgba.len() != size[0] * size[1] * 4 {
                continue;
            }
            let image = egui::ColorImage::from_rgba_unmultiplied(size, &pixels.rgba);
            let texture = ctx.load_texture(format!("repost:{}", path.display()), image, egui::TextureOptions::LINEAR);
            self.textures.insert(path, texture);
        }
        if !self.arrived.is_empty() {
            ctx.request_repaint();
        }
    }
}

/// One group: its heading and "Keep best", then its copies side by side.
fn group_ui(
    ui: &mut egui::Ui,
    number: usize,
    group: &RepostGroup,
    textures: &HashMap<PathBuf, egui::TextureHandle>,
    requested: &mut HashSet<PathBuf>,
    wanted: &mut Vec<PathBuf>,
) -> Option<RepostsAction> {
    let mut action = None;
    ui.allocate_ui(egui::vec2(ui.available_width(), ROW_HEIGHT), |ui| {
        ui.horizontal(|ui| {
            ui.strong(format!("Group {}: {} copies", number + 1, group.copies.len()));
            let keep = egui::Button::new("Keep best, move the rest to the trash");
            let hover = format!(
                "Keeps {} and moves the other {} to the trash, after asking",
                best_name(group),
                group.rest().len()
            );
            if ui.add(keep).on_hover_text(hover).clicked() {
                action = Some(RepostsAction::KeepBest(number));
            }
        });
        egui::ScrollArea::horizontal().id_salt(("repost-group", number)).show(ui, |ui| {
            ui.horizontal_top(|ui| {
                for (at, copy) in group.copies.iter().enumerate() {
                    let texture = textures.get(&copy.path);
                    if texture.is_none() && requested.insert(copy.path.clone()) {
                        wanted.push(copy.path.clone());
                    }
                    card_ui(ui, copy, at == 0, texture);
                }
            });
        });
        ui.separator();
    });
    action
}

fn best_name(group: &RepostGroup) -> String {
    group.best().map_or_else(String::new, |best| best.shown_name().into_owned())
}

/// One copy: its picture, name and what is known of it; the best one marked.
fn card_ui(ui: &mut egui::Ui, copy: &Entry, best: bool, texture: Option<&egui::TextureHandle>) {
    let stroke = match best {
        true => egui::Stroke::new(2.0, egui::Color32::from_rgb(70, 170, 90)),
        false => ui.visuals().widgets.noninteractive.bg_stroke,
    };
    egui::Frame::group(ui.style()).stroke(stroke).show(ui, |ui| {
        ui.set_width(CARD_WIDTH);
        ui.vertical(|ui| {
            let name = copy.shown_name();
            match texture {
                Some(texture) => {
                    let image = egui::Image::from_texture(texture).max_size(egui::vec2(CARD_PICTURE, CARD_PICTURE));
                    ui.add(image.alt_text(name.as_ref()));
                }
                None => {
                    ui.add_sized([CARD_PICTURE, CARD_PICTURE], egui::Label::new("(thumbnail coming)"));
                }
            }
            match best {
                true => ui
                    .label(egui::RichText::new("Best copy: kept").strong().color(egui::Color32::from_rgb(70, 170, 90))),
                false => ui.weak("Goes with Keep best"),
            };
            ui.add(egui::Label::new(egui::RichText::new(name.as_ref()).strong()).truncate());
            let dimensions =
                copy.dimensions.map_or("size unknown".to_owned(), |(width, height)| format!("{width} x {height} px"));
            ui.label(format!("{dimensions} · {} · {}", copy.kind.label(), format_bytes(copy.bytes)));
            ui.label(format!("Saved {}", super::runs::local_time(copy.mtime)));
            if let Some(meta) = &copy.meta {
                if let Some(title) = &meta.title {
                    ui.add(
                        egui::Label::new(egui::RichText::new(format!("\u{201c}{title}\u{201d}")).italics()).truncate(),
                    );
                }
                if let Some(album) = meta.album_title.as_ref().or(meta.album_id.as_ref()) {
                    ui.add(egui::Label::new(format!("Album: {album}")).truncate());
                }
            }
        });
    });
}

// ---- what the app does with it (hooks from `GalleyApp`) ----

impl GalleyApp {
    /// The last search for reposts in the folder on show, if it found anything yet.
    pub fn reposts(&self) -> Option<&RepostReport> {
        self.folder.reposts.report()
    }

    /// Whether the groups view is on show.
    pub fn showing_reposts(&self) -> bool {
        self.folder.reposts.is_showing()
    }

    /// The groups view in the grid's place; false when the grid is to be drawn.
    pub(super) fn reposts_view_ui(&mut self, ui: &mut egui::Ui) -> bool {
        if !self.folder.reposts.is_showing() {
            return false;
        }
        let (action, wanted) = self.folder.reposts.groups_ui(ui);
        if !wanted.is_empty() {
            self.actions.push(Action::Reposts(RepostsAction::Want(wanted)));
        }
        if let Some(action) = action {
            self.actions.push(Action::Reposts(action));
        }
        true
    }

    pub(super) fn reposts_action(&mut self, action: RepostsAction) {
        let reposts = &mut self.folder.reposts;
        match action {
            RepostsAction::Find => {
                if let Some(folder) = self.folder.shown.clone() {
                    reposts.search = Search::Running { done: 0, total: 0 };
                    self.engine.send(LibraryCommand::FindReposts { folder, threshold: DEFAULT_THRESHOLD });
                }
            }
            RepostsAction::ShowGroups(show) => reposts.showing = show,
            RepostsAction::OnlyReposts(only) => {
                reposts.only = only;
                self.folder.grid.show_only(only.then(|| reposts.grouped_paths()));
            }
            RepostsAction::KeepBest(number) => {
                let group = reposts.report().and_then(|report| report.groups.get(number));
                let paths: Vec<PathBuf> = group.map_or_else(Vec::new, |group| paths_of(group.rest()));
                self.ask_to_trash(paths);
            }
            RepostsAction::KeepBestEverywhere => {
                let groups = reposts.report().map_or(&[][..], |report| &report.groups);
                let paths: Vec<PathBuf> = groups.iter().flat_map(|group| paths_of(group.rest())).collect();
                self.ask_to_trash(paths);
            }
            RepostsAction::Want(paths) => self.engine.send(LibraryCommand::Want(paths)),
        }
    }

    /// The grid's own confirmation, for these files.
    fn ask_to_trash(&mut self, paths: Vec<PathBuf>) {
        if !paths.is_empty() {
            self.folder.confirm_trash = Some(TrashRequest { paths });
        }
    }

    /// Folds in what the engine says of a search (for the folder on show only).
    pub(super) fn reposts_event(&mut self, event: LibraryEvent) {
        let shown = self.folder.shown.as_deref();
        let reposts = &mut self.folder.reposts;
        match event {
            LibraryEvent::RepostsProgress { folder, done, total } if shown == Some(folder.as_path()) => {
                if matches!(reposts.search, Search::Running { .. }) {
                    reposts.search = Search::Running { done, total };
                }
            }
            LibraryEvent::Reposts { folder, result } if shown == Some(folder.as_path()) => {
                reposts.search = match result {
                    Ok(report) => Search::Found(report),
                    Err(reason) => Search::Failed(Notice::error(
                        "Reposts could not be looked for in this folder. Try again; if it keeps failing, Clear thumbnails rebuilds the index.",
                        reason.to_string(),
                    )),
                };
                reposts.showing = matches!(reposts.search, Search::Found(_));
                let only = reposts.only.then(|| reposts.grouped_paths());
                self.folder.grid.show_only(only);
            }
            _ => {}
        }
    }

    /// A thumbnail came: the groups view keeps it if it asked for it.
    pub(super) fn reposts_thumbnail(&mut self, thumbnail: &Thumbnail) {
        self.folder.reposts.thumbnail(thumbnail);
    }

    /// Files went to the trash: they leave their groups too.
    pub(super) fn reposts_trashed(&mut self, paths: &[PathBuf]) {
        let reposts = &mut self.folder.reposts;
        reposts.removed(paths);
        if reposts.only {
            self.folder.grid.show_only(Some(reposts.grouped_paths()));
        }
    }

    /// Files came back from the trash: a search that was shown is run again (the hashes
    /// are in the index, so it is quick) to put them back in their groups.
    pub(super) fn reposts_restored(&mut self) {
        if self.folder.reposts.report().is_some() {
            self.reposts_action(RepostsAction::Find);
        }
    }
}

fn paths_of(copies: &[Entry]) -> Vec<PathBuf> {
    copies.iter().map(|copy| copy.path.clone()).collect()
}
