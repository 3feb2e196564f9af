//! What tests and the benchmark look at: queries of the app's state, with no side
//! effects.

use super::*;

impl GalleyApp {
    /// Tiles shown in the grid: thumbnails and videos.
    pub fn thumbnails(&self) -> usize {
        self.folder.grid.len()
    }

    pub fn runs(&self) -> &[RunRecord] {
        &self.history.runs
    }

    pub fn progress(&self) -> Option<&RunProgress> {
        self.progress.as_ref()
    }

    pub fn run_state(&self) -> RunState {
        self.run_state
    }

    /// The queue on show (the demo's, while runs go to the demo gallery).
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// The app's own message (not a run's), if it shows one.
    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    pub fn grid(&self) -> &ThumbnailGrid {
        &self.folder.grid
    }

    pub fn grid_mut(&mut self) -> &mut ThumbnailGrid {
        &mut self.folder.grid
    }

    /// The viewer, while it is open.
    pub fn viewer(&self) -> Option<&Viewer> {
        self.folder.viewer.as_ref()
    }

    /// Results of the last compare series: (concurrency, seconds, images saved).
    pub fn comparison(&self) -> &[(usize, f64, u64)] {
        &self.comparison.steps
    }

    /// The demo server, once it is up.
    pub fn demo_server(&self) -> Option<&DemoServer> {
        match &self.server {
            Server::Demo(demo) => demo.ready(),
            Server::Imgur => None,
        }
    }

    /// The folder whose images the grid shows.
    pub fn shown_folder(&self) -> Option<&Path> {
        self.folder.shown.as_deref()
    }

    /// What the window says about the shown folder (cannot be listed, moved to trash...).
    pub fn folder_status(&self) -> Option<&Notice> {
        self.folder.status.as_ref()
    }

    /// Background thumbnailing of the shown folder: (made, total).
    pub fn thumbnailing(&self) -> Option<(usize, usize)> {
        self.folder.thumbnailing
    }

    /// Whether the move-to-trash confirmation is open.
    pub fn confirming_trash(&self) -> bool {
        self.folder.confirm_trash.is_some()
    }

    /// The preview on show, if one was asked for.
    pub fn preview(&self) -> Option<&Preview> {
        self.previewing.as_ref().map(|previewing| &previewing.preview)
    }

    /// What the middle of the window shows.
    pub fn view(&self) -> View {
        self.panels.view
    }

    /// Whether the settings view is open.
    pub fn settings_open(&self) -> bool {
        self.panels.settings
    }

    /// The folder galley's own picker shows, while it is open.
    pub fn picker_folder(&self) -> Option<&Path> {
        self.picker.as_ref().map(|picker| picker.folder.as_path())
    }
}
