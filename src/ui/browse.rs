//! The grid's toolbar (sort, filter, kinds, size, open folder, trash) and the dialogs and
//! lines around it (delete confirmation, undo, thumbnailing progress). Drawing only:
//! every click comes back as a [`BrowseAction`].

use std::path::PathBuf;

use super::grid::{CELL_RANGE, thousands};
use super::progress::Notice;
use crate::library::{Query, SortKey};
use crate::media::MediaKind;

/// What the toolbar and its dialogs ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum BrowseAction {
    Query(Query),
    CellSize(f32),
    /// Show the folder in the desktop's file manager.
    OpenFolder,
    /// Ask before moving the selection to the trash.
    AskTrash,
    ConfirmTrash,
    CancelTrash,
    /// Bring back what the last "Move to trash" moved.
    UndoTrash,
}

/// Files waiting for the user to confirm that they go to the trash.
#[derive(Debug, Clone, PartialEq)]
pub struct TrashRequest {
    pub paths: Vec<PathBuf>,
}

/// What the toolbar needs to know to draw itself.
pub struct ToolbarView<'a> {
    pub query: &'a Query,
    pub cell: f32,
    pub shown: usize,
    pub total: usize,
    pub selected: usize,
    pub has_folder: bool,
}

pub fn toolbar_ui(ui: &mut egui::Ui, view: &ToolbarView<'_>) -> Option<BrowseAction> {
    let mut action = None;
    let mut query = view.query.clone();
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Order by");
        egui::ComboBox::from_id_salt("sort-key")
            .selected_text(query.sort.label())
            .show_ui(ui, |ui| {
                for key in SortKey::ALL {
                    ui.selectable_value(&mut query.sort, key, key.label());
                }
            })
            .response
            .labelled_by(label.id);
        let direction = if query.descending { "Descending" } else { "Ascending" };
        if ui.button(direction).on_hover_text("Reverse the order").clicked() {
            query.descending = !query.descending;
        }
        ui.separator();
        // The label and its field wrap together on a narrow window.
        ui.horizontal(|ui| {
            let label = ui.label("Filter");
            let field = egui::TextEdit::singleline(&mut query.text).hint_text("name, title, tag, album");
            ui.add(field.desired_width(160.0)).labelled_by(label.id);
        });
        for kind in MediaKind::ALL {
            let mut shown = query.shows_kind(kind);
            if ui.checkbox(&mut shown, kind.label()).changed() {
                match shown {
                    true => query.kinds.push(kind),
                    false => query.kinds.retain(|k| *k != kind),
                }
                query.kinds.sort();
            }
        }
    });
    ui.horizontal_wrapped(|ui| {
        let mut cell = view.cell;
        let label = ui.label("Size");
        let slider = ui.add(egui::Slider::new(&mut cell, CELL_RANGE).show_value(false)).labelled_by(label.id);
        if slider.changed() {
            action = Some(BrowseAction::CellSize(cell));
        }
        ui.separator();
        if ui
            .add_enabled(view.has_folder, egui::Button::new("Open folder"))
            .on_hover_text("Show it in the file manager")
            .clicked()
        {
            action = Some(BrowseAction::OpenFolder);
        }
        let trash = egui::Button::new(format!("Move to trash ({})", thousands(view.selected as u64)));
        let hover = "Select thumbnails (click, Ctrl-click, Shift-click, Ctrl-A), then press Delete or this button";
        if ui.add_enabled(view.selected > 0, trash).on_hover_text(hover).clicked() {
            action = Some(BrowseAction::AskTrash);
        }
    });
    if query != *view.query {
        action = Some(BrowseAction::Query(query));
    }
    action
}

/// "12 images and 2 videos in <folder>", "40 of 5,000 shown in <folder>", "· 3 selected".
pub fn count_line(images: usize, videos: usize, total: usize, selected: usize, folder: &str) -> String {
    let plural = |count: usize, one: &str, many: &str| {
        format!("{} {}", thousands(count as u64), if count == 1 { one } else { many })
    };
    let shown = match videos {
        0 => plural(images, "image", "images"),
        _ => format!("{} and {}", plural(images, "image", "images"), plural(videos, "video", "videos")),
    };
    let mut line = match images + videos == total {
        true => format!("{shown} in {folder}"),
        false => format!("{shown} of {} shown, in {folder}", thousands(total as u64)),
    };
    if selected > 0 {
        line.push_str(&format!(" · {} selected", thousands(selected as u64)));
    }
    line
}

/// The confirmation before moving files to the trash.
pub fn confirm_trash_ui(ctx: &egui::Context, request: &TrashRequest) -> Option<BrowseAction> {
    let mut action = None;
    let modal = egui::Modal::new(egui::Id::unique("confirm-trash")).show(ctx, |ui| {
        let count = request.paths.len();
        let what = match count {
            1 => crate::library::names::shown_file_name(&request.paths[0]),
            _ => format!("these {} files", thousands(count as u64)),
        };
        ui.heading("Move to trash?");
        let them = if count == 1 { "it" } else { "them" };
        ui.label(format!("Move {what} to the trash? You can bring {them} back with Undo, or from the trash."));
        ui.horizontal(|ui| {
            if ui.button("Move to trash").clicked() {
                action = Some(BrowseAction::ConfirmTrash);
            }
            if ui.button("Keep the files").clicked() {
                action = Some(BrowseAction::CancelTrash);
            }
        });
    });
    if modal.should_close() && action.is_none() {
        action = Some(BrowseAction::CancelTrash);
    }
    action
}

/// After a move to the trash: what happened, with Undo.
pub fn trashed_ui(ui: &mut egui::Ui, notice: &Notice, can_undo: bool) -> Option<BrowseAction> {
    let mut action = None;
    // Wrapped: a long detail (a path, an OS error) must not widen the grid's panel.
    ui.horizontal_wrapped(|ui| {
        notice.ui(ui);
        if can_undo && ui.button("Undo").clicked() {
            action = Some(BrowseAction::UndoTrash);
        }
    });
    action
}
