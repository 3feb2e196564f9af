//! The first frame before anything else. Opening the app starts a demo server (which
//! paints its pictures), reads the runs archive and scans the folder for thumbnails; on 2
//! cores that work, though off the UI thread, held the first frame back by about 100 ms.
//! So the window opens with the app idle and starts that work once its first frame has
//! been drawn (scripts/startup.sh measures exec to first frame).

use super::GalleyApp;

/// Wraps the app for eframe: draws frame 0 with nothing started, then starts the
/// background work at the beginning of the next frame.
pub(super) struct FirstFrameFirst {
    app: GalleyApp,
    /// `Some(autostart)` until the background work has been started.
    pending: Option<bool>,
}

impl FirstFrameFirst {
    pub(super) fn new(app: GalleyApp, autostart: bool) -> Self {
        Self { app, pending: Some(autostart) }
    }

    fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        // A frame counts once it has been completed (painted), however many passes it took.
        if ctx.cumulative_frame_nr() == 0 {
            ctx.request_repaint();
        } else if let Some(autostart) = self.pending.take() {
            self.app.start_background_work(&ctx, autostart);
        }
        self.app.ui_contents(ui);
    }
}

impl eframe::App for FirstFrameFirst {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.app.save(storage);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::DemoConfig;
    use crate::ui::{AppConfig, DemoLink, Settings};

    #[test]
    fn background_work_starts_only_after_the_first_frame() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = AppConfig {
            config_dir: dir.path().join("config"),
            archive: Some(dir.path().join("archive.sqlite")),
            demo: DemoConfig { images: 4, ..DemoConfig::default() },
            demo_mode: true,
            autostart: false,
        };
        let settings = Settings { folder: dir.path().join("pictures").display().to_string(), ..Settings::default() };
        let app = GalleyApp::open(&egui::Context::default(), config, settings).expect("opens");
        let mut wrapped = FirstFrameFirst::new(app, false);
        // Frames drawn by hand: a test harness would run several before the first check.
        let ctx = egui::Context::default();
        let draw_frame = |wrapped: &mut FirstFrameFirst| {
            // No renderer here to take the font texture: let it go on purpose.
            ctx.run_ui(egui::RawInput::default(), |ui| wrapped.frame_ui(ui)).textures_delta.clear();
        };

        draw_frame(&mut wrapped);
        assert!(matches!(wrapped.app.demo, DemoLink::Off), "the demo server was started before the first frame");
        assert!(wrapped.app.shown_folder.is_none(), "the folder was scanned before the first frame");

        draw_frame(&mut wrapped);
        let app = &wrapped.app;
        assert!(!matches!(app.demo, DemoLink::Off), "the demo server was not started after the first frame");
        assert!(app.shown_folder.is_some(), "the folder was not scanned after the first frame");
    }
}
