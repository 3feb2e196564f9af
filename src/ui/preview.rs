//! The large preview of one image: decoded by the engine off the UI thread, shown in a
//! window with next/previous (arrow keys) and open / reveal / copy-path actions.

use std::path::PathBuf;
use std::sync::Arc;

use super::progress::Notice;
use crate::engine::Pixels;

/// Longest side a preview is decoded at.
pub const PREVIEW_SIDE: u32 = 1600;

/// What the preview window asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewAction {
    /// Show the image `offset` places away in the grid (-1 previous, +1 next).
    Step(isize),
    Close,
    /// Open the file with the desktop's program for it.
    OpenFile,
    /// Open the folder holding the file.
    RevealFolder,
    /// Put the file's path on the clipboard.
    CopyPath,
}

pub struct Preview {
    pub index: usize,
    pub path: PathBuf,
    state: PreviewState,
    /// How the last action went (opened, copied, or why not).
    status: Option<Notice>,
}

enum PreviewState {
    Loading,
    Ready(egui::TextureHandle),
    Failed(String),
}

impl Preview {
    pub fn new(index: usize, path: PathBuf) -> Self {
        Self { index, path, state: PreviewState::Loading, status: None }
    }

    /// How an action on `path` went (ignored if the user moved on meanwhile).
    pub fn answered(&mut self, path: &std::path::Path, result: Result<String, String>) {
        if path == self.path {
            self.status = Some(match result {
                Ok(done) => Notice::info(done),
                Err(failed) => Notice::error(failed, ""),
            });
        }
    }

    /// What the window says about the last action, if anything.
    pub fn status(&self) -> Option<&Notice> {
        self.status.as_ref()
    }

    pub fn is_ready(&self) -> bool {
        matches!(self.state, PreviewState::Ready(_))
    }

    /// The engine's answer for `path` (ignored if the user moved on meanwhile).
    pub fn loaded(&mut self, ctx: &egui::Context, path: &std::path::Path, result: Result<Arc<Pixels>, String>) {
        if path != self.path {
            return;
        }
        self.state = match result {
            Ok(pixels) if pixels.rgba.len() == pixels.width as usize * pixels.height as usize * 4 => {
                let size = [pixels.width as usize, pixels.height as usize];
                let image = egui::ColorImage::from_rgba_unmultiplied(size, &pixels.rgba);
                PreviewState::Ready(ctx.load_texture("preview", image, egui::TextureOptions::LINEAR))
            }
            Ok(_) => PreviewState::Failed("the decoded image has the wrong size".to_owned()),
            Err(reason) => PreviewState::Failed(reason),
        };
    }

    pub fn ui(&self, ctx: &egui::Context) -> Option<PreviewAction> {
        let mut action = None;
        let mut open = true;
        let name = self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        egui::Window::new(format!("Preview: {name}"))
            .id(egui::Id::unique("galley-preview"))
            .open(&mut open)
            .default_size([900.0, 700.0])
            .show(ctx, |ui| {
                action = self.actions_ui(ui);
                ui.label(self.path.display().to_string());
                if let Some(status) = &self.status {
                    status.ui(ui);
                }
                match &self.state {
                    PreviewState::Loading => {
                        ui.spinner();
                    }
                    PreviewState::Failed(reason) => {
                        ui.colored_label(ui.visuals().error_fg_color, format!("Cannot show this image: {reason}"));
                    }
                    PreviewState::Ready(texture) => {
                        ui.add(egui::Image::new(texture).shrink_to_fit());
                    }
                }
            });
        // Arrow keys belong to a text field while one is being edited.
        if !ctx.egui_wants_keyboard_input() {
            action = action.or_else(|| ctx.input(keyboard_action));
        }
        if !open {
            action = Some(PreviewAction::Close);
        }
        action
    }

    fn actions_ui(&self, ui: &mut egui::Ui) -> Option<PreviewAction> {
        let mut action = None;
        ui.horizontal(|ui| {
            if ui.button("< Previous").clicked() {
                action = Some(PreviewAction::Step(-1));
            }
            if ui.button("Next >").clicked() {
                action = Some(PreviewAction::Step(1));
            }
            if ui.button("Open file").clicked() {
                action = Some(PreviewAction::OpenFile);
            }
            if ui.button("Reveal folder").clicked() {
                action = Some(PreviewAction::RevealFolder);
            }
            if ui.button("Copy path").clicked() {
                action = Some(PreviewAction::CopyPath);
            }
        });
        action
    }
}

/// Next, previous or close, from the keys pressed this frame.
fn keyboard_action(input: &egui::InputState) -> Option<PreviewAction> {
    if input.key_pressed(egui::Key::ArrowRight) {
        Some(PreviewAction::Step(1))
    } else if input.key_pressed(egui::Key::ArrowLeft) {
        Some(PreviewAction::Step(-1))
    } else if input.key_pressed(egui::Key::Escape) {
        Some(PreviewAction::Close)
    } else {
        None
    }
}
