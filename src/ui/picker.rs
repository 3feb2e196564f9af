//! A folder picker inside the window, for desktops where no system dialog can open (no
//! xdg-desktop-portal, no zenity: a bare X session, a minimal install). It shows one
//! folder's subfolders at a time; the folders are read by the desktop helper off the UI
//! thread, so a slow disk never stalls a frame.

use std::path::{Path, PathBuf};

/// The picker's state: the folder on show and, once read, its subfolders.
#[derive(Debug)]
pub struct FolderPicker {
    pub folder: PathBuf,
    /// `None` while they are read; `Err` with why they could not be.
    pub subfolders: Option<Result<Vec<String>, String>>,
}

/// What a click in the picker asks for, applied after drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerAction {
    /// Show this folder's subfolders.
    Open(PathBuf),
    /// Use the folder on show.
    Choose(PathBuf),
    Cancel,
}

impl FolderPicker {
    pub fn new(folder: PathBuf) -> Self {
        Self { folder, subfolders: None }
    }

    /// The subfolders of `folder` were read.
    pub fn listed(&mut self, folder: &Path, result: Result<Vec<String>, String>) {
        if folder == self.folder {
            self.subfolders = Some(result);
        }
    }

    pub fn ui(&self, ctx: &egui::Context) -> Option<PickerAction> {
        let mut action = None;
        let modal = egui::Modal::new(egui::Id::unique("folder-picker")).show(ctx, |ui| {
            ui.set_max_width(520.0);
            ui.heading("Choose a folder");
            ui.label("No system folder dialog is available here, so galley shows its own.");
            ui.horizontal_wrapped(|ui| {
                ui.strong(self.folder.display().to_string());
            });
            ui.horizontal(|ui| {
                if let Some(parent) = self.folder.parent()
                    && ui.button("Up").on_hover_text("The folder that holds this one").clicked()
                {
                    action = Some(PickerAction::Open(parent.to_owned()));
                }
                if let Some(home) = dirs::home_dir()
                    && ui.button("Home").clicked()
                {
                    action = Some(PickerAction::Open(home));
                }
            });
            ui.separator();
            egui::ScrollArea::vertical().max_height(300.0).show(ui, |ui| match &self.subfolders {
                None => {
                    ui.weak("Reading the folder...");
                }
                Some(Err(reason)) => {
                    ui.colored_label(ui.visuals().error_fg_color, format!("This folder cannot be read: {reason}"));
                }
                Some(Ok(names)) if names.is_empty() => {
                    ui.weak("No folders in here.");
                }
                Some(Ok(names)) => {
                    for name in names {
                        if ui.selectable_label(false, format!("{name}/")).clicked() {
                            action = Some(PickerAction::Open(self.folder.join(name)));
                        }
                    }
                }
            });
            ui.separator();
            ui.horizontal(|ui| {
                if ui.button("Use this folder").clicked() {
                    action = Some(PickerAction::Choose(self.folder.clone()));
                }
                if ui.button("Cancel").clicked() {
                    action = Some(PickerAction::Cancel);
                }
            });
        });
        if modal.should_close() && action.is_none() {
            action = Some(PickerAction::Cancel);
        }
        action
    }
}

/// The subfolders of `folder`, by name, hidden ones left out, in name order (blocking:
/// call it off the UI thread).
pub fn subfolders(folder: &Path) -> Result<Vec<String>, String> {
    let entries = std::fs::read_dir(folder).map_err(|error| error.to_string())?;
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort_by_key(|name| name.to_lowercase());
    Ok(names)
}
