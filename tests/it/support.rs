//! Shared by the integration tests: run a job to the end with its events collected.

use std::time::Duration;

use galley::engine::{EventSink, Job, RunEvent, RunOptions, RunReport, run_job_with};
use tokio_util::sync::CancellationToken;

/// Runs `job` until it ends (or `cancel` stops it), collecting every event it sends.
/// Panics if it takes longer than `bound`, so a hang fails the test instead of CI.
pub async fn run_collecting(
    job: Job,
    options: RunOptions,
    cancel: CancellationToken,
    bound: Duration,
) -> (RunReport, Vec<RunEvent>) {
    let (events, mut receiver) = EventSink::channel();
    let collector = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Some(event) = receiver.recv().await {
            all.push(event);
        }
        all
    });
    let report = tokio::time::timeout(bound, run_job_with(1, job, events, cancel, options))
        .await
        .expect("the run ends in bounded time");
    (report, collector.await.expect("collector"))
}

/// Bound on any wait for the window to reach a state.
pub const APP_WAIT: Duration = Duration::from_secs(120);

/// The window's config with everything (settings, archive, library, demo folder) in `dir`.
pub fn app_config(dir: &std::path::Path, demo: galley::demo::DemoConfig, demo_mode: bool) -> galley::ui::AppConfig {
    galley::ui::AppConfig {
        config_dir: dir.join("config"),
        archive: Some(dir.join("archive.sqlite")),
        demo,
        demo_folder: dir.join("demo-pictures"),
        demo_mode,
        autostart: false,
        library: galley::library::LibraryPlaces::inside(dir),
        browse: None,
    }
}

/// Steps the window's frames until `done` holds, or panics after [`APP_WAIT`].
pub fn step_until(
    harness: &mut egui_kittest::Harness<'static, galley::ui::GalleyApp>,
    what: &str,
    done: impl Fn(&galley::ui::GalleyApp) -> bool,
) {
    let deadline = std::time::Instant::now() + APP_WAIT;
    while !done(harness.state()) {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
}
