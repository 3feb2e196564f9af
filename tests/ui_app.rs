//! The real app driven with egui_kittest (no display, no GPU) against the demo gallery on
//! 127.0.0.1: type a Client-ID, set the folder, press Start, and see what a user sees.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use galley::demo::DemoConfig;
use galley::ui::{AppConfig, GalleyApp, Settings};

/// Bound on any wait for the app to reach a state.
const WAIT_BOUND: Duration = Duration::from_secs(120);

struct Fixture {
    _dir: tempfile::TempDir,
    folder: PathBuf,
    harness: Harness<'static, GalleyApp>,
}

fn app(demo: DemoConfig) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("pictures");
    let config = AppConfig {
        config_dir: dir.path().join("config"),
        archive: Some(dir.path().join("archive.sqlite")),
        demo,
        demo_mode: true,
        autostart: false,
    };
    // Start with an empty folder field: the test types it in like a user.
    let settings = Settings { folder: String::new(), ..Settings::default() };
    let app = GalleyApp::new(&egui::Context::default(), config, settings).expect("app starts");
    let harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(|ui, app: &mut GalleyApp| app.ui_contents(ui), app);
    Fixture { _dir: dir, folder, harness }
}

/// Steps frames until `done` holds, or panics after `WAIT_BOUND`.
fn step_until(harness: &mut Harness<'static, GalleyApp>, what: &str, done: impl Fn(&GalleyApp) -> bool) {
    let deadline = Instant::now() + WAIT_BOUND;
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn type_into(harness: &mut Harness<'static, GalleyApp>, label: &str, text: &str) {
    let role = if label == "Client-ID" { Role::PasswordInput } else { Role::TextInput };
    let field = harness.get_by_role_and_label(role, label);
    field.focus();
    field.type_text(text);
    harness.step();
    // Leaving the field is what commits a folder (it is then scanned).
    harness.key_press(egui::Key::Tab);
    harness.step();
}

fn fill_in(fixture: &mut Fixture, client_id: &str) {
    let folder = fixture.folder.display().to_string();
    type_into(&mut fixture.harness, "Client-ID", client_id);
    type_into(&mut fixture.harness, "Folder", &folder);
}

fn temporary_files(folder: &Path) -> Vec<String> {
    std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with(".galley-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn start_fills_the_grid_and_adds_a_row_to_the_runs_table() {
    let mut fixture = app(DemoConfig { images: 24, ..DemoConfig::default() });
    step_until(&mut fixture.harness, "the demo server", |app| app.demo_server().is_some());
    fill_in(&mut fixture, "demo");

    fixture.harness.get_by_label("Start").click();
    step_until(&mut fixture.harness, "every thumbnail", |app| app.thumbnails() == 24);
    step_until(&mut fixture.harness, "the runs table row", |app| !app.runs().is_empty());

    let app = fixture.harness.state();
    assert_eq!(app.runs()[0].summary.downloaded, 24);
    assert_eq!(app.progress().map(|progress| progress.saved), Some(24));
    assert_eq!(std::fs::read_dir(&fixture.folder).expect("folder").count(), 24);
    // The row is on screen: its source and its saved count.
    fixture.harness.step();
    assert!(fixture.harness.query_by_label("hot/viral/day").is_some(), "the runs table shows the run");
    assert!(fixture.harness.query_by_label_contains("24 saved of 24 listed").is_some());
}

#[test]
fn cancel_mid_run_leaves_no_partial_file() {
    let slow = DemoConfig {
        images: 150,
        latency: Duration::from_millis(200),
        bandwidth: Some(150_000),
        ..DemoConfig::default()
    };
    let mut fixture = app(slow);
    step_until(&mut fixture.harness, "the demo server", |app| app.demo_server().is_some());
    fill_in(&mut fixture, "demo");

    fixture.harness.get_by_label("Start").click();
    step_until(&mut fixture.harness, "downloads in flight", |app| {
        app.progress().is_some_and(|progress| progress.in_flight() > 0 && progress.bytes > 0)
    });
    fixture.harness.get_by_label("Cancel").click();
    step_until(&mut fixture.harness, "the run to stop", |app| {
        app.progress().is_some_and(|progress| !progress.is_running())
    });

    assert_eq!(temporary_files(&fixture.folder), Vec::<String>::new());
    let saved = fixture.harness.state().progress().map(|progress| progress.saved).unwrap_or(0);
    assert!(saved < 150, "cancel stopped the run early ({saved} saved)");
    for entry in std::fs::read_dir(&fixture.folder).expect("folder").flatten() {
        image::open(entry.path()).unwrap_or_else(|error| panic!("{} is not whole: {error}", entry.path().display()));
    }
    fixture.harness.step();
    assert!(fixture.harness.query_by_label_contains("Cancelled").is_some(), "the window says it was cancelled");
}

#[test]
fn a_refused_client_id_is_said_in_plain_words() {
    let mut fixture = app(DemoConfig::default());
    step_until(&mut fixture.harness, "the demo server", |app| app.demo_server().is_some());
    fill_in(&mut fixture, "bad");

    fixture.harness.get_by_label("Start").click();
    step_until(&mut fixture.harness, "the run to stop", |app| {
        app.progress().is_some_and(|progress| !progress.is_running())
    });
    fixture.harness.step();

    assert!(fixture.harness.query_by_label_contains("The Client-ID was refused").is_some());
    assert_eq!(fixture.harness.state().thumbnails(), 0);
}

#[test]
fn opening_a_folder_of_images_shows_them_without_downloading() {
    let mut fixture = app(DemoConfig { images: 10, ..DemoConfig::default() });
    step_until(&mut fixture.harness, "the demo server", |app| app.demo_server().is_some());
    // Fill a folder with a first app, then open it in a fresh one.
    fill_in(&mut fixture, "demo");
    fixture.harness.get_by_label("Start").click();
    step_until(&mut fixture.harness, "the first run", |app| app.thumbnails() == 10 && !app.runs().is_empty());

    let mut second = app(DemoConfig { images: 10, ..DemoConfig::default() });
    step_until(&mut second.harness, "the demo server", |app| app.demo_server().is_some());
    let requests_before = second.harness.state().demo_server().map(|server| server.stats().image_requests);
    let folder = fixture.folder.display().to_string();
    type_into(&mut second.harness, "Folder", &folder);
    step_until(&mut second.harness, "the folder's thumbnails", |app| app.thumbnails() == 10);

    let requests_after = second.harness.state().demo_server().map(|server| server.stats().image_requests);
    assert_eq!(requests_before, requests_after, "nothing was downloaded");
    assert!(second.harness.state().progress().is_none(), "no run was started");
}
