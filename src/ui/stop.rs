//! The app stops on ctrl-c, SIGTERM and SIGHUP as `galley fetch` does (the same
//! [`StopSignals`]): a run in progress is cancelled, and the window closes once the run
//! has finished, so no temporary file is left and the archive's row of the run is
//! written. Without this the process died at once on any of them. A run that does not
//! finish within [`STOP_GRACE`] of the signal does not hold the exit up.

use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use super::GalleyApp;
use super::startup::FirstFrameFirst;
use crate::signals::StopSignals;

/// The longest the window waits for a cancelled run to finish before it closes anyway.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// Starts listening for the stop signals on the engine's runtime; each one that arrives
/// is sent on the returned channel and wakes the window.
pub(super) fn listen(app: &GalleyApp, ctx: &egui::Context) -> anyhow::Result<std_mpsc::Receiver<u8>> {
    use anyhow::Context as _;
    let runtime = app.engine.runtime().context("the engine has stopped")?;
    let mut signals = {
        let _inside = runtime.enter();
        StopSignals::listen().context("cannot listen for signals")?
    };
    let (sender, receiver) = std_mpsc::channel();
    let ctx = ctx.clone();
    runtime.spawn(async move {
        while let Some(signal) = signals.first().await {
            if sender.send(signal).is_err() {
                break;
            }
            ctx.request_repaint();
        }
    });
    Ok(receiver)
}

/// The app as eframe runs it: stopped cleanly by a signal.
pub(super) struct StopOnSignal {
    inner: FirstFrameFirst,
    signals: std_mpsc::Receiver<u8>,
    /// When a stop signal came, if one has.
    stopping_since: Option<Instant>,
}

impl StopOnSignal {
    pub(super) fn new(inner: FirstFrameFirst, signals: std_mpsc::Receiver<u8>) -> Self {
        Self { inner, signals, stopping_since: None }
    }

    /// One frame; asks the window to close once a signalled stop is done.
    pub(super) fn frame_ui(&mut self, ui: &mut egui::Ui) {
        if let Ok(signal) = self.signals.try_recv()
            && self.stopping_since.is_none()
        {
            tracing::info!("signal {signal}: stopping the run, then closing");
            self.stopping_since = Some(Instant::now());
            self.inner.app_mut().cancel();
        }
        self.inner.frame_ui(ui);
        let Some(since) = self.stopping_since else { return };
        let ctx = ui.ctx();
        if !self.inner.app_mut().run_state().is_busy() || since.elapsed() >= STOP_GRACE {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        } else {
            ctx.request_repaint_after(STOP_GRACE.saturating_sub(since.elapsed()));
        }
    }
}

impl eframe::App for StopOnSignal {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::App::save(&mut self.inner, storage);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{Archive, RunEnding};
    use crate::demo::DemoConfig;
    use crate::ui::{AppConfig, RunState, Settings};

    fn files_in(dir: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|entries| entries.flatten().map(|entry| entry.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_stop_signal_cancels_the_run_and_closes_the_window_once_it_has_finished() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (archive, pictures) = (dir.path().join("archive.sqlite"), dir.path().join("pictures"));
        let config = AppConfig {
            config_dir: dir.path().join("config"),
            archive: Some(archive.clone()),
            // Slow enough that the run is surely going when the signal comes.
            demo: DemoConfig { images: 24, latency: Duration::from_millis(300), ..DemoConfig::default() },
            demo_folder: pictures.clone(),
            demo_mode: true,
            autostart: true,
            library: crate::library::LibraryPlaces::inside(dir.path()),
            browse: None,
        };
        let ctx = egui::Context::default();
        let (app, pending) = GalleyApp::open(&ctx, config, Settings::default()).expect("opens");
        let (signal, signals) = std_mpsc::channel();
        let mut window = StopOnSignal::new(FirstFrameFirst::new(app, pending), signals);
        // Frames drawn by hand; true once the frame asked for the window to close.
        let frame = |window: &mut StopOnSignal| {
            let mut output = ctx.run_ui(egui::RawInput::default(), |ui| window.frame_ui(ui));
            output.textures_delta.clear();
            let root = output.viewport_output.remove(&egui::ViewportId::ROOT);
            root.is_some_and(|root| root.commands.contains(&egui::ViewportCommand::Close))
        };

        let deadline = Instant::now() + Duration::from_secs(60);
        while !files_in(&pictures).iter().any(|name| !name.starts_with('.')) {
            assert!(!frame(&mut window), "closed before any signal");
            assert!(Instant::now() < deadline, "the run saved nothing");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(matches!(window.inner.app_mut().run_state(), RunState::Running(_)));
        signal.send(crate::signals::SIGTERM).expect("send");
        let signalled = Instant::now();
        while !frame(&mut window) {
            assert!(signalled.elapsed() < STOP_GRACE, "the window did not close");
            std::thread::sleep(Duration::from_millis(10));
        }

        assert_eq!(window.inner.app_mut().run_state(), RunState::Idle, "closed after the run finished");
        assert!(files_in(&pictures).iter().all(|name| !name.starts_with(".galley-")), "{:?}", files_in(&pictures));
        let runs = Archive::open(&archive).expect("archive").runs(10).expect("runs");
        assert_eq!(runs.len(), 1, "the run's row is finished");
        assert_eq!(runs[0].ending, RunEnding::Cancelled);
        assert!(runs[0].counts.downloaded < 24, "stopped before the end");
    }
}
