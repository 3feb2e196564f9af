//! The first frame before anything else. Opening the app starts a demo server (which
//! paints its pictures), reads the runs archive and scans the folder for thumbnails; on 2
//! cores that work, though off the UI thread, held the first frame back by about 100 ms.
//! So the window opens with the app idle (showing the demo's settings with `--demo`) and starts that work once its first frame has
//! been drawn (scripts/startup.sh measures exec to first frame).

use super::{GalleyApp, PendingWork};

/// Wraps the app for eframe: draws frame 0 with nothing started, then starts the
/// background work at the beginning of the next frame.
pub(super) struct FirstFrameFirst {
    app: GalleyApp,
    /// Until the background work has been started.
    pending: Option<PendingWork>,
}

impl FirstFrameFirst {
    pub(super) fn new(app: GalleyApp, pending: PendingWork) -> Self {
        Self { app, pending: Some(pending) }
    }

    /// The app inside.
    pub(super) fn app_mut(&mut self) -> &mut GalleyApp {
        &mut self.app
    }

    pub(super) fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        // A frame counts once it has been completed (painted), however many passes it took.
        if ctx.cumulative_frame_nr() == 0 {
            ctx.request_repaint();
        } else if let Some(pending) = self.pending.take() {
            self.app.start_background_work(&ctx, pending);
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
    use std::time::{Duration, Instant};

    use super::*;
    use crate::demo::DemoConfig;
    use crate::ui::state::{DemoServerState, Server};
    use crate::ui::{AppConfig, Settings};

    /// The demo server's answer, if it has come (taken, so ask once).
    fn demo_answered(app: &GalleyApp) -> bool {
        match &app.server {
            Server::Demo(demo) => match &demo.server {
                DemoServerState::Starting(ready) => ready.try_recv().is_ok(),
                DemoServerState::Ready(_) | DemoServerState::Failed(_) => true,
            },
            Server::Imgur => panic!("--demo opens on the demo gallery"),
        }
    }

    #[test]
    fn background_work_starts_only_after_the_first_frame() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = AppConfig {
            config_dir: dir.path().join("config"),
            archive: Some(dir.path().join("archive.sqlite")),
            demo: DemoConfig { images: 4, ..DemoConfig::default() },
            demo_folder: dir.path().join("pictures"),
            demo_mode: true,
            autostart: false,
            library: crate::library::LibraryPlaces::inside(dir.path()),
            browse: None,
        };
        let (app, pending) = GalleyApp::open(&egui::Context::default(), config, Settings::default()).expect("opens");
        let mut wrapped = FirstFrameFirst::new(app, pending);
        // Frames drawn by hand: a test harness would run several before the first check.
        let ctx = egui::Context::default();
        let draw_frame = |wrapped: &mut FirstFrameFirst| {
            // No renderer here to take the font texture: let it go on purpose.
            ctx.run_ui(egui::RawInput::default(), |ui| wrapped.frame_ui(ui)).textures_delta.clear();
        };

        draw_frame(&mut wrapped);
        assert!(wrapped.app.server.is_demo(), "the first frame shows the demo's settings");
        assert!(wrapped.app.folder.shown.is_none(), "the folder was scanned before the first frame");
        // A 4-image demo server starts in milliseconds; nothing should have asked for it.
        std::thread::sleep(Duration::from_millis(300));
        assert!(!demo_answered(&wrapped.app), "the demo server was started before the first frame");

        draw_frame(&mut wrapped);
        assert_eq!(wrapped.app.folder.shown.as_deref(), Some(dir.path().join("pictures").as_path()));
        let deadline = Instant::now() + Duration::from_secs(30);
        while !demo_answered(&wrapped.app) {
            assert!(Instant::now() < deadline, "the demo server was not started after the first frame");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
