//! The real app driven with egui_kittest (no display, no GPU) against the demo gallery on
//! 127.0.0.1: type a Client-ID in Settings, set the folder, press Start, and see what a
//! user sees.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::support::app_config as config_in;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use galley::demo::{DemoConfig, DemoKind, demo_gallery};
use galley::engine::{Ending, RunEnding, RunOrigin};
use galley::ui::{AppConfig, FOCUS_RING_WIDTH, GalleyApp, RunState, Settings, Theme};

/// Bound on any wait for the app to reach a state.
const WAIT_BOUND: Duration = Duration::from_secs(120);

struct Fixture {
    _dir: tempfile::TempDir,
    folder: PathBuf,
    harness: Harness<'static, GalleyApp>,
}

/// The app on the demo gallery, with its config, archive and folder in a fresh temp dir.
fn app(demo: DemoConfig) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_in(dir.path(), demo, true);
    // Start with an empty folder field: the test types it in like a user.
    let settings = Settings { folder: String::new(), ..Settings::default() };
    let mut harness = app_harness(config, settings);
    // The demo shows its own folder; the tests type theirs into an empty field.
    harness.state_mut().settings.folder.clear();
    Fixture { folder: dir.path().join("pictures"), _dir: dir, harness }
}

fn app_harness(config: AppConfig, settings: Settings) -> Harness<'static, GalleyApp> {
    // The app is made before the harness (which owns its own context), so the engine's
    // wake-ups go to a context nobody draws; harmless here, as the tests step frames
    // themselves.
    let app = GalleyApp::new(&egui::Context::default(), config, settings).expect("app starts");
    Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(|ui, app: &mut GalleyApp| app.ui_contents(ui), app)
}

/// The demo app with its server up and the Client-ID and folder typed in.
fn ready_app(demo: DemoConfig) -> Fixture {
    let mut fixture = app(demo);
    step_until(&mut fixture.harness, "the demo server", |app| app.demo_server().is_some());
    fill_in(&mut fixture, "demo");
    fixture
}

/// Presses `button` and waits for what it started to end.
fn press_and_wait(harness: &mut Harness<'static, GalleyApp>, button: &str) {
    harness.get_by_label(button).click();
    harness.step();
    wait_until_idle(harness);
}

/// Starts the demo gallery run and waits until all `images` are in the grid and the
/// runs table.
fn run_demo_to_the_end(fixture: &mut Fixture, images: usize) {
    step_until(&mut fixture.harness, "the demo server", |app| app.demo_server().is_some());
    fill_in(fixture, "demo");
    fixture.harness.get_by_label("Start").click();
    step_until(&mut fixture.harness, "every thumbnail", |app| app.thumbnails() == images);
    step_until(&mut fixture.harness, "the runs table row", |app| !app.runs().is_empty());
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

/// Opens the settings view from the gear button (it stays open until Close).
fn open_settings(harness: &mut Harness<'static, GalleyApp>) {
    if !harness.state().settings_open() {
        harness.get_by_label("Settings").click();
        harness.run_steps(2);
    }
    assert!(harness.state().settings_open(), "the gear opens the settings");
    // A new window is measured in its first frame and drawn from the next.
    harness.run_steps(3);
    assert!(harness.query_by_label("Clear thumbnails").is_some(), "the settings view shows its fields");
}

fn close_settings(harness: &mut Harness<'static, GalleyApp>) {
    harness.get_by_label("Close").click();
    harness.run_steps(2);
    assert!(!harness.state().settings_open(), "Close closes them");
}

/// Types `text` into the settings' field `label`, as a person would: gear, field, Close.
fn set_in_settings(harness: &mut Harness<'static, GalleyApp>, label: &str, text: &str) {
    open_settings(harness);
    type_into(harness, label, text);
    close_settings(harness);
}

fn fill_in(fixture: &mut Fixture, client_id: &str) {
    let folder = fixture.folder.display().to_string();
    set_in_settings(&mut fixture.harness, "Client-ID", client_id);
    type_into(&mut fixture.harness, "Saving to", &folder);
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
    let mut fixture = app(DemoConfig { images: 40, ..DemoConfig::default() });
    run_demo_to_the_end(&mut fixture, 40);

    let app = fixture.harness.state();
    assert_eq!(app.runs()[0].counts.downloaded, 40);
    assert_eq!((app.runs()[0].origin, &app.runs()[0].ending), (RunOrigin::Demo, &RunEnding::Done));
    assert_eq!(app.progress().map(|progress| progress.tally.saved), Some(40));
    assert_eq!(std::fs::read_dir(&fixture.folder).expect("folder").count(), 40);
    // The row is on screen: its source and its saved count.
    fixture.harness.step();
    let named = fixture.harness.query_all_by_label("hot/viral/day").count();
    assert_eq!(named, 2, "the queue and the runs table name the demo's gallery");
    assert!(fixture.harness.query_by_label("done").is_some(), "and how it ended");
    assert!(fixture.harness.query_by_label_contains("40 saved of 40 listed").is_some());
}

#[test]
fn cancel_mid_run_leaves_no_partial_file() {
    let slow = DemoConfig {
        images: 150,
        latency: Duration::from_millis(200),
        bandwidth: Some(150_000),
        ..DemoConfig::default()
    };
    let mut fixture = ready_app(slow);

    fixture.harness.get_by_label("Start").click();
    step_until(&mut fixture.harness, "downloads in flight", |app| {
        app.progress().is_some_and(|progress| progress.in_flight() > 0 && progress.tally.bytes > 0)
    });
    fixture.harness.get_by_label("Cancel").click();
    step_until(&mut fixture.harness, "the run to stop", |app| {
        app.progress().is_some_and(|progress| !progress.is_running())
    });

    assert_eq!(temporary_files(&fixture.folder), Vec::<String>::new());
    let saved = fixture.harness.state().progress().map(|progress| progress.tally.saved).unwrap_or(0);
    assert!(saved < 150, "cancel stopped the run early ({saved} saved)");
    for entry in std::fs::read_dir(&fixture.folder).expect("folder").flatten() {
        image::open(entry.path()).unwrap_or_else(|error| panic!("{} is not whole: {error}", entry.path().display()));
    }
    fixture.harness.step();
    assert!(fixture.harness.query_by_label_contains("Cancelled").is_some(), "the window says it was cancelled");

    // The runs table says so too, with the count the bar showed.
    step_until(&mut fixture.harness, "the runs table row", |app| !app.runs().is_empty());
    let app = fixture.harness.state();
    let listed_on_the_bar = app.progress().map(|progress| progress.tally.listed);
    assert_eq!(app.runs()[0].ending, RunEnding::Cancelled);
    assert_eq!(Some(app.runs()[0].counts.listed), listed_on_the_bar);
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

    // Said in the progress panel and in the runs table's outcome.
    assert!(fixture.harness.query_all_by_label_contains("The Client-ID was refused").count() >= 1);
    assert_eq!(fixture.harness.state().thumbnails(), 0);
}

#[test]
fn opening_a_folder_of_images_shows_them_without_downloading() {
    // Fill a folder with a first app, then open it in a fresh one.
    let mut fixture = app(DemoConfig { images: 10, ..DemoConfig::default() });
    run_demo_to_the_end(&mut fixture, 10);

    let mut second = app(DemoConfig { images: 10, ..DemoConfig::default() });
    step_until(&mut second.harness, "the demo server", |app| app.demo_server().is_some());
    let requests_before = second.harness.state().demo_server().map(|server| server.stats().image_requests);
    let folder = fixture.folder.display().to_string();
    type_into(&mut second.harness, "Saving to", &folder);
    step_until(&mut second.harness, "the folder's thumbnails", |app| app.thumbnails() == 10);

    let requests_after = second.harness.state().demo_server().map(|server| server.stats().image_requests);
    assert_eq!(requests_before, requests_after, "nothing was downloaded");
    assert!(second.harness.state().progress().is_none(), "no run was started");
}

#[test]
fn clicking_a_thumbnail_opens_the_viewer_and_its_actions_say_how_they_went() {
    let mut fixture = app(DemoConfig { images: 6, ..DemoConfig::default() });
    run_demo_to_the_end(&mut fixture, 6);
    let grid_path = |harness: &Harness<'static, GalleyApp>, index: usize| -> PathBuf {
        harness.state().grid().path(index).expect("a tile").to_owned()
    };
    let first = grid_path(&fixture.harness, 0);
    let name = first.file_name().expect("file name").to_string_lossy().into_owned();
    let shows = |app: &GalleyApp, path: &Path| app.viewer().is_some_and(|v| v.path() == path && v.is_ready());
    // The image after `path` in the grid's order as it is then (the folder is listed again
    // when the run's last events land, and the viewer follows its image).
    let shows_the_one_after = |app: &GalleyApp, path: &Path| {
        app.viewer().is_some_and(|v| {
            let at = (0..app.grid().len()).find(|&index| app.grid().path(index) == Some(path));
            v.is_ready() && v.path() != path && at.is_some_and(|at| app.grid().path(at + 1) == Some(v.path()))
        })
    };

    // A click selects; Enter (or a double click) opens.
    fixture.harness.get_by_label(&name).focus();
    fixture.harness.step();
    fixture.harness.key_press(egui::Key::Enter);
    step_until(&mut fixture.harness, "the first image", |app| shows(app, &first));
    fixture.harness.key_press(egui::Key::ArrowRight);
    step_until(&mut fixture.harness, "the next image", |app| shows_the_one_after(app, &first));

    // Each desktop action says in the window how it went: done, or why not (here, with
    // no desktop, most fail; they must not fail silently).
    let status = |app: &GalleyApp| app.viewer().and_then(|viewer| viewer.status()).map(|status| status.text.clone());
    for (button, done, failed) in [
        ("Copy path", "Copied the path", "Could not copy the path"),
        ("Open file", "Opened the file", "Could not open the file"),
        ("Reveal folder", "Opened the folder", "Could not open the folder"),
    ] {
        fixture.harness.get_by_label(button).click();
        step_until(&mut fixture.harness, button, |app| {
            status(app).is_some_and(|text| text.starts_with(done) || text.starts_with(failed))
        });
        fixture.harness.step();
        let said = status(fixture.harness.state()).unwrap_or_default();
        assert!(fixture.harness.query_by_label_contains(&said).is_some(), "{button}: the window says \"{said}\"");
    }

    fixture.harness.key_press(egui::Key::Escape);
    step_until(&mut fixture.harness, "the viewer to close", |app| app.viewer().is_none());
}

#[test]
fn compare_times_each_concurrency_level_into_scratch_folders() {
    let mut fixture = ready_app(DemoConfig { images: 12, latency: Duration::from_millis(20), ..DemoConfig::default() });

    fixture.harness.get_by_label("Compare 1/4/16/64").click();
    step_until(&mut fixture.harness, "four compare steps", |app| app.comparison().len() == 4);
    step_until(&mut fixture.harness, "four runs in the table", |app| app.runs().len() == 4);

    let app = fixture.harness.state();
    let levels: Vec<usize> = app.comparison().iter().map(|(level, ..)| *level).collect();
    assert_eq!(levels, [1, 4, 16, 64]);
    assert!(app.comparison().iter().all(|(_, seconds, saved)| *saved == 12 && *seconds > 0.0));
    assert_eq!(app.thumbnails(), 0, "scratch folders' images stay out of the grid");
    let saved_in_folder = std::fs::read_dir(&fixture.folder).map(Iterator::count).unwrap_or(0);
    assert_eq!(saved_in_folder, 0, "compare leaves the chosen folder alone");
    fixture.harness.step();
    assert!(fixture.harness.query_by_label_contains("C=64:").is_some(), "the chart's caption lists every level");
}

#[test]
fn an_unwritable_folder_is_said_in_plain_words() {
    let mut fixture = app(DemoConfig::default());
    step_until(&mut fixture.harness, "the demo server", |app| app.demo_server().is_some());
    // A folder inside a regular file can be neither created nor written, even by root.
    let blocker = fixture.folder.with_file_name("a-file");
    std::fs::write(&blocker, "not a folder").expect("write");
    type_into(&mut fixture.harness, "Saving to", &blocker.join("pictures").display().to_string());

    fixture.harness.get_by_label("Start").click();
    step_until(&mut fixture.harness, "the run to stop", |app| {
        app.progress().is_some_and(|progress| !progress.is_running())
    });
    fixture.harness.step();

    // What happened first, then what to do; the OS error only as the detail.
    let node = fixture.harness.query_by_label_contains("Choose another folder").expect("the advice is shown");
    let said = node.accesskit_node().label().filter(|label| !label.is_empty()).or_else(|| node.value());
    let said = said.unwrap_or_default();
    assert!(said.starts_with("Cannot create the folder"), "{said}");
    assert!(!said.contains("os error"), "{said}");
    assert_eq!(fixture.harness.state().demo_server().map(|server| server.stats().image_requests), Some(0));
    step_until(&mut fixture.harness, "the runs table row", |app| !app.runs().is_empty());
    let ending = &fixture.harness.state().runs()[0].ending;
    assert!(
        matches!(ending, RunEnding::Failed(reason) if reason.starts_with("Cannot create the folder")),
        "{ending:?}"
    );
}

/// eframe's storage, kept in memory.
#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }

    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }

    fn flush(&mut self) {}
}

#[test]
fn settings_persist_and_the_client_id_only_in_a_private_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = Settings { folder: String::new(), ..Settings::default() };
    let mut first = app_harness(config_in(dir.path(), DemoConfig::default(), false), settings);
    // The settings view opens from the gear, edits in place, and is kept.
    open_settings(&mut first);
    type_into(&mut first, "Client-ID", "secret-id-123");
    first.state_mut().settings.concurrency = 48;
    first.get_by_label("Theme").click();
    first.run_steps(2);
    first.get_by_label("Dark").click();
    first.run_steps(2);
    assert_eq!(first.state().settings.theme, Theme::Dark);
    assert_eq!(first.ctx.theme(), egui::Theme::Dark, "the window turns dark at once");
    close_settings(&mut first);
    type_into(&mut first, "Saving to", "/somewhere/pictures");
    let field = first.get_by_role_and_label(Role::MultilineTextInput, galley::ui::SOURCES_BOX);
    field.focus();
    field.type_text("imgur.com/a/AbC12\nr/pics");
    first.run_steps(2);
    first.get_by_label("Add to queue").click();
    first.run_steps(2);
    let mut storage = MemoryStorage::default();
    eframe::App::save(first.state_mut(), &mut storage);

    let stored: String = storage.0.values().cloned().collect();
    assert!(stored.contains("/somewhere/pictures") && stored.contains("48"), "settings are in eframe's storage");
    assert!(!stored.contains("secret-id-123"), "the Client-ID is not in eframe's storage");
    let secret_file = dir.path().join("config/client-id");
    assert_eq!(std::fs::read_to_string(&secret_file).expect("client-id file"), "secret-id-123");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret_file).expect("client-id file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the user can read the Client-ID");
    }

    // A restart: the settings come back from the storage, the Client-ID from its file.
    let restored = galley::ui::load_settings(Some(&storage)).expect("saved settings");
    assert_eq!((restored.folder.as_str(), restored.concurrency), ("/somewhere/pictures", 48));
    assert_eq!(
        (restored.theme, restored.recent_folders.as_slice()),
        (Theme::Dark, ["/somewhere/pictures".to_owned()].as_slice())
    );
    let mut reopened = app_harness(config_in(dir.path(), DemoConfig::default(), false), restored);
    reopened.step();
    open_settings(&mut reopened);
    let masked = reopened.get_by_role_and_label(Role::PasswordInput, "Client-ID").value();
    assert_eq!(masked.as_deref(), Some("•".repeat(13).as_str()), "the Client-ID is masked");
    reopened.get_by_label("Show").click();
    // One frame takes the click, the next draws the field unmasked.
    reopened.run_steps(2);
    let shown = reopened.get_by_role_and_label(Role::TextInput, "Client-ID").value();
    assert_eq!(shown.as_deref(), Some("secret-id-123"), "the Client-ID field is filled in again");

    // The queue comes back too, in its order.
    reopened.state_mut().restore_queue(galley::ui::load_queue(Some(&storage)));
    let queued: Vec<String> = reopened.state().queue().entries().iter().map(|entry| entry.text.clone()).collect();
    assert_eq!(queued, ["imgur.com/a/AbC12", "r/pics"]);
}

#[test]
fn settings_and_a_queue_of_an_older_galley_still_load() {
    let mut storage = MemoryStorage::default();
    // Written by a galley that had the gallery form: its fields are ignored.
    let old = r#"(kind: Album, section: Hot, sort: Viral, window: Day, subreddit: "aww", album: "AbC12", search: "", pages: 3, limit: 0, folder: "/pics", concurrency: 32)"#;
    eframe::Storage::set_string(&mut storage, "galley-settings", old.to_owned());
    eframe::Storage::set_string(&mut storage, "galley-queue", r#"[(text: "r/pics", done: false)]"#.to_owned());
    let settings = galley::ui::load_settings(Some(&storage)).expect("the old settings load");
    assert_eq!((settings.folder.as_str(), settings.concurrency), ("/pics", 32));
    assert_eq!(settings.theme, Theme::System);
    let queue = galley::ui::load_queue(Some(&storage));
    assert_eq!((queue[0].text.as_str(), queue[0].pages, queue[0].limit), ("r/pics", 1, 0));
}

/// The app on Imgur (not the demo) with these settings, in a fresh temp dir.
fn imgur_app(settings: Settings) -> (tempfile::TempDir, Harness<'static, GalleyApp>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_in(dir.path(), DemoConfig { images: 12, ..DemoConfig::default() }, false);
    let harness = app_harness(config, settings);
    (dir, harness)
}

fn files_in(folder: &Path) -> usize {
    std::fs::read_dir(folder).map(Iterator::count).unwrap_or(0)
}

fn wait_until_idle(harness: &mut Harness<'static, GalleyApp>) {
    step_until(harness, "the run to end", |app| {
        app.run_state() == RunState::Idle && app.progress().is_some_and(|progress| !progress.is_running())
    });
}

#[test]
fn the_demo_button_runs_the_demo_gallery_into_its_own_folder_whatever_the_settings() {
    let user_folder = tempfile::tempdir().expect("tempdir");
    let mine = user_folder.path().join("mine");
    let settings = Settings { folder: mine.display().to_string(), ..Settings::default() };
    let (dir, mut harness) = imgur_app(settings);
    harness.state_mut().restore_queue(vec![galley::ui::SavedSource {
        text: "album/AbCdE12".into(),
        done: false,
        pages: 1,
        limit: 0,
    }]);
    harness.get_by_label("Try the demo gallery").click();
    harness.step();
    wait_until_idle(&mut harness);

    let app = harness.state();
    let report = app.progress().and_then(|progress| progress.tally.report()).expect("a report");
    assert_eq!(report.ending, Ending::Done, "the demo's own gallery, not the album in the user's queue");
    assert_eq!(files_in(&dir.path().join("demo-pictures")), 12, "into the demo's own folder");
    assert_eq!(files_in(&mine), 0, "the user's folder is left alone");
    step_until(&mut harness, "the runs table row", |app| !app.runs().is_empty());
    assert_eq!(harness.state().runs()[0].origin, RunOrigin::Demo);

    // Back to Imgur: the user's settings come back, and the Client-ID is asked for again.
    harness.get_by_label("Use Imgur instead").click();
    harness.run_steps(2);
    let queued: Vec<String> = harness.state().queue().entries().iter().map(|entry| entry.text.clone()).collect();
    assert_eq!(queued, ["album/AbCdE12"], "the user's queue comes back");
    assert_eq!(harness.state().shown_folder(), Some(mine.as_path()));
    open_settings(&mut harness);
    let field = harness.get_by_role_and_label(Role::PasswordInput, "Client-ID");
    let hint = field.accesskit_node().placeholder().unwrap_or_default().to_owned();
    assert!(!hint.contains("not needed"), "the hint no longer says the Client-ID is not needed: {hint}");
    assert!(hint.contains("api.imgur.com"), "{hint}");
}

#[test]
fn a_second_run_on_a_full_folder_says_the_images_are_already_there() {
    let mut fixture = app(DemoConfig { images: 12, ..DemoConfig::default() });
    run_demo_to_the_end(&mut fixture, 12);
    wait_until_idle(&mut fixture.harness);
    press_and_wait(&mut fixture.harness, "Start");
    fixture.harness.step();
    assert!(fixture.harness.query_by_label_contains("12 already in this folder").is_some());
}

#[test]
fn after_start_the_keyboard_is_on_cancel_and_back_on_start_at_the_end() {
    let mut fixture = ready_app(DemoConfig { images: 6, latency: Duration::from_millis(100), ..DemoConfig::default() });
    fixture.harness.get_by_label("Start").click();
    fixture.harness.run_steps(3);
    assert!(fixture.harness.get_by_label("Cancel").is_focused(), "Cancel has the keyboard focus");
    wait_until_idle(&mut fixture.harness);
    fixture.harness.run_steps(3);
    assert!(fixture.harness.get_by_label("Start").is_focused(), "Start has it back");
}

#[test]
fn a_focused_thumbnail_shows_a_focus_ring() {
    let mut fixture = app(DemoConfig { images: 3, ..DemoConfig::default() });
    run_demo_to_the_end(&mut fixture, 3);
    let ring =
        |harness: &Harness<'static, GalleyApp>| {
            harness.output().shapes.iter().any(
                |clipped| matches!(&clipped.shape, egui::Shape::Rect(rect) if rect.stroke.width == FOCUS_RING_WIDTH),
            )
        };
    fixture.harness.step();
    assert!(!ring(&fixture.harness), "no ring while nothing has focus");
    let name = fixture.harness.state().grid().path(0).and_then(Path::file_name).expect("a tile").to_owned();
    fixture.harness.get_by_label(&name.to_string_lossy()).focus();
    fixture.harness.run_steps(2);
    assert!(ring(&fixture.harness), "the focused thumbnail has a ring");
}

#[test]
fn at_800_by_600_every_control_is_in_sight() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = GalleyApp::new(
        &egui::Context::default(),
        config_in(dir.path(), DemoConfig::default(), false),
        Settings::default(),
    )
    .expect("app starts");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(800.0, 600.0))
        .build_ui_state(|ui, app: &mut GalleyApp| app.ui_contents(ui), app);
    harness.state_mut().restore_queue(vec![galley::ui::SavedSource {
        text: "r/pics".into(),
        done: false,
        pages: 1,
        limit: 0,
    }]);
    harness.run_steps(3);
    let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(800.0, 600.0));
    let in_sight = |harness: &Harness<'static, GalleyApp>, label: &str| {
        let mut found = 0;
        for node in harness.get_all_by_label(label) {
            let rect = node.rect();
            assert!(window.contains_rect(rect), "{label} is cut off at 800x600: {rect:?}");
            found += 1;
        }
        assert!(found > 0, "no {label} at 800x600");
    };
    for label in [
        "Add to queue",
        "Galleries",
        "Settings",
        "Start",
        "Cancel",
        "Compare 1/4/16/64",
        "Preview all",
        "Preview",
        "Remove",
        "Choose...",
        "Recent",
        "Open folder",
        "Hide activity",
    ] {
        in_sight(&harness, label);
    }
    open_settings(&mut harness);
    for label in ["Client-ID", "Concurrency", "File names", "Theme", "Clear thumbnails", "Close"] {
        in_sight(&harness, label);
    }
}

#[test]
fn a_hover_card_goes_when_the_pointer_leaves_its_tile_or_the_window() {
    let mut fixture = app(DemoConfig { images: 3, ..DemoConfig::default() });
    run_demo_to_the_end(&mut fixture, 3);
    wait_until_idle(&mut fixture.harness);
    let name = fixture.harness.state().grid().path(0).and_then(Path::file_name).expect("a tile").to_owned();
    let card = |harness: &Harness<'static, GalleyApp>| harness.query_by_label_contains(" px").is_some();
    let hover = |harness: &mut Harness<'static, GalleyApp>| {
        harness.get_by_label(&name.to_string_lossy()).hover();
        for _ in 0..60 {
            harness.step();
            if card(harness) {
                return;
            }
        }
        panic!("no hover card over the tile");
    };
    hover(&mut fixture.harness);
    // Onto the activity panel: the card goes.
    fixture.harness.event(egui::Event::PointerMoved(egui::pos2(1270.0, 890.0)));
    fixture.harness.run_steps(3);
    assert!(!card(&fixture.harness), "the card went when the pointer left the tile");
    // Out of the window: it goes too.
    hover(&mut fixture.harness);
    fixture.harness.event(egui::Event::PointerGone);
    fixture.harness.run_steps(3);
    assert!(!card(&fixture.harness), "the card went when the pointer left the window");
}

#[test]
fn animated_gifs_are_saved_as_gifs_by_default_and_the_grid_counts_what_the_bar_counts() {
    let demo = DemoConfig { images: 60, ..DemoConfig::default() };
    let gallery = demo_gallery(&demo);
    let ids_of = |kind: DemoKind| -> Vec<String> {
        gallery.media().filter(|image| image.kind == kind).map(|image| image.id.clone()).collect()
    };
    let (animated, videos) = (ids_of(DemoKind::AnimatedGif), ids_of(DemoKind::Video));
    assert!(!animated.is_empty() && !videos.is_empty(), "the demo gallery has animated GIFs and videos");
    let saved_names = |folder: &Path| -> Vec<String> {
        let entries = std::fs::read_dir(folder).expect("folder").flatten();
        entries.map(|entry| entry.file_name().to_string_lossy().into_owned()).collect()
    };

    // A new user's settings: every image, each animated GIF as its .gif, no videos.
    let mut default = ready_app(demo.clone());
    assert_eq!(default.harness.state().settings.moving_pictures(), galley::engine::MovingPictures::default());
    press_and_wait(&mut default.harness, "Start");
    let saved = saved_names(&default.folder);
    assert_eq!(saved.len(), 60, "every image of the gallery, animated GIFs included");
    assert!(animated.iter().all(|id| saved.contains(&format!("{id}.gif"))), "each animated GIF as .gif: {saved:?}");
    assert!(videos.iter().all(|id| !saved.iter().any(|name| name.starts_with(id.as_str()))), "no video");
    let bar = default.harness.state().progress().map(|progress| progress.tally.saved).unwrap_or(0) as usize;
    assert_eq!(bar, 60);
    step_until(&mut default.harness, "a tile for each saved image", |app| app.thumbnails() == bar);

    // Both choices ticked: animated GIFs as their MP4, and the videos too.
    let mut moving = ready_app(demo);
    moving.harness.state_mut().settings.save_videos = true;
    moving.harness.state_mut().settings.animated_as_mp4 = true;
    press_and_wait(&mut moving.harness, "Start");
    let saved = saved_names(&moving.folder);
    assert!(animated.iter().chain(&videos).all(|id| saved.contains(&format!("{id}.mp4"))), "{saved:?}");
    let bar = moving.harness.state().progress().map(|progress| progress.tally.saved).unwrap_or(0) as usize;
    step_until(&mut moving.harness, "every tile", |app| app.thumbnails() == bar);
    assert_eq!(moving.harness.state().grid().videos(), animated.len() + videos.len(), "the MP4s are in the grid");
    moving.harness.step();
    assert!(moving.harness.query_by_label_contains("videos in").is_some(), "the caption counts the videos");
}

#[test]
fn the_history_says_how_each_run_ended_and_can_be_cleared() {
    let mut fixture = app(DemoConfig { images: 4, ..DemoConfig::default() });
    run_demo_to_the_end(&mut fixture, 4);
    wait_until_idle(&mut fixture.harness);
    fixture.harness.step();
    fixture.harness.get_by_label("Clear history").click();
    step_until(&mut fixture.harness, "an empty history", |app| app.runs().is_empty());
    fixture.harness.step();
    assert!(fixture.harness.query_by_label_contains("No runs yet").is_some());
}

#[test]
fn a_gallery_from_the_menu_is_queued_and_a_bad_name_is_said_plainly() {
    let (_dir, mut harness) = imgur_app(Settings::default());
    harness.get_by_label("Galleries").click();
    harness.run_steps(2);
    harness.get_by_label("A subreddit...").click();
    harness.run_steps(2);
    type_into(&mut harness, "Subreddit", "no spaces please");
    harness.get_by_label("Queue it").click();
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("is not a subreddit: use letters, digits and _ only").is_some());
    assert!(harness.state().queue().entries().is_empty(), "nothing was queued");

    let field = harness.get_by_role_and_label(Role::TextInput, "Subreddit");
    field.focus();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    field.type_text("aww");
    harness.step();
    harness.get_by_label("Queue it").click();
    harness.run_steps(2);
    let queued: Vec<String> = harness.state().queue().entries().iter().map(|entry| entry.text.clone()).collect();
    assert_eq!(queued, ["r/aww/time/day"]);
    assert!(harness.query_by_label_contains("1 source queued").is_some());
    assert!(harness.query_by_label("Queue it").is_none(), "the form closes once its gallery is queued");

    // Start without a Client-ID says where to put one.
    harness.get_by_label("Start").click();
    harness.run_steps(2);
    let notice = harness.state().notice().map(|notice| notice.text.clone()).unwrap_or_default();
    assert!(notice.starts_with("Enter a Client-ID in Settings"), "{notice}");
}

#[test]
fn choose_opens_galleys_own_picker_where_no_dialog_can_and_it_picks_a_folder() {
    let dialog_possible = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|address| !address.is_empty())
        || std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("zenity").is_file()));
    if dialog_possible {
        eprintln!("skipped: this desktop can show a folder dialog, which would wait for a person");
        return;
    }
    let pictures = tempfile::tempdir().expect("tempdir");
    for name in ["holiday", "work", ".hidden"] {
        std::fs::create_dir(pictures.path().join(name)).expect("mkdir");
    }
    let settings = Settings { folder: pictures.path().display().to_string(), ..Settings::default() };
    let (_dir, mut harness) = imgur_app(settings);
    harness.get_by_label("Choose...").click();
    step_until(&mut harness, "the picker", |app| app.picker_folder() == Some(pictures.path()));
    let deadline = Instant::now() + WAIT_BOUND;
    while harness.query_by_label("holiday/").is_none() {
        assert!(Instant::now() < deadline, "timed out waiting for the subfolders");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    // A click lands on what the last frame drew: let the list be drawn once more.
    harness.run_steps(2);
    assert!(harness.query_by_label("holiday/").is_some() && harness.query_by_label("work/").is_some());
    assert!(harness.query_by_label(".hidden/").is_none(), "hidden folders are left out");

    harness.get_by_label("holiday/").click();
    let holiday = pictures.path().join("holiday");
    step_until(&mut harness, "the picker in holiday", |app| app.picker_folder() == Some(holiday.as_path()));
    harness.run_steps(2);
    harness.get_by_label("Use this folder").click();
    harness.run_steps(2);

    let app = harness.state();
    assert_eq!(app.picker_folder(), None, "the picker closed");
    assert_eq!(app.shown_folder(), Some(holiday.as_path()), "the grid shows the folder picked");
    assert_eq!(app.settings.folder, holiday.display().to_string(), "and downloads go there");
    assert_eq!(app.settings.recent_folders.first(), Some(&holiday.display().to_string()));
}

#[test]
fn file_names_and_album_folders_come_from_the_settings_panel() {
    let mut fixture = ready_app(DemoConfig { images: 12, ..DemoConfig::default() });
    fixture.harness.state_mut().settings.file_names.clear();
    set_in_settings(&mut fixture.harness, "File names", "{nope}");
    fixture.harness.get_by_label("Start").click();
    fixture.harness.run_steps(2);
    let notice = fixture.harness.state().notice().map(|notice| notice.text.clone()).unwrap_or_default();
    assert!(notice.contains("The file names \"{nope}\" cannot be used"), "{notice}");

    fixture.harness.state_mut().settings.file_names.clear();
    open_settings(&mut fixture.harness);
    type_into(&mut fixture.harness, "File names", "{album_title}-{num}.{ext}");
    fixture.harness.get_by_label("A folder per album, named by its title").click();
    close_settings(&mut fixture.harness);
    press_and_wait(&mut fixture.harness, "Start");
    let folders =
        std::fs::read_dir(&fixture.folder).expect("folder").flatten().filter(|entry| entry.path().is_dir()).count();
    assert!(folders > 0, "the albums are in folders of their own");
}
