//! The queue in the window, driven with egui_kittest against the demo gallery on
//! 127.0.0.1: sources pasted into the sources box or dropped on the window as a `.txt`
//! list, reordered and removed, run as one job, paused and resumed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use galley::demo::{DemoConfig, DemoGallery};
use galley::library::LibraryPlaces;
use galley::ui::{AppConfig, GalleyApp, QueueState, Settings};

/// Bound on any wait for the app to reach a state.
const WAIT_BOUND: Duration = Duration::from_secs(120);
use galley::ui::SOURCES_BOX;

struct Fixture {
    dir: tempfile::TempDir,
    folder: PathBuf,
    harness: Harness<'static, GalleyApp>,
}

/// The app on the demo gallery, its server up, saving into a fresh folder `concurrency`
/// images at a time.
fn demo_app(demo: DemoConfig, concurrency: usize) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("pictures");
    let config = AppConfig {
        config_dir: dir.path().join("config"),
        archive: Some(dir.path().join("archive.sqlite")),
        demo,
        demo_folder: folder.clone(),
        demo_mode: true,
        autostart: false,
        library: LibraryPlaces::inside(dir.path()),
        browse: None,
    };
    let app = GalleyApp::new(&egui::Context::default(), config, Settings::default()).expect("app starts");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 1400.0))
        .build_ui_state(|ui, app: &mut GalleyApp| app.ui_contents(ui), app);
    harness.state_mut().settings.concurrency = concurrency;
    step_until(&mut harness, "the demo server", |app| app.demo_server().is_some());
    // The demo's queue starts with its gallery: these tests queue their own sources.
    assert_eq!(entry_texts(harness.state()), ["hot/viral/day"]);
    press(&mut harness, "Remove", 0);
    assert!(harness.state().queue().entries().is_empty());
    Fixture { dir, folder, harness }
}

fn gallery(fixture: &Fixture) -> DemoGallery {
    fixture.harness.state().demo_server().expect("the demo server is up").gallery().clone()
}

/// The demo's albums: (id, images a run saves of it).
fn albums(gallery: &DemoGallery) -> Vec<(String, usize)> {
    let downloadable = |album: &galley::demo::DemoAlbum| album.images.iter().filter(|i| i.kind.downloadable()).count();
    gallery.albums().map(|album| (album.id.clone(), downloadable(album))).collect()
}

/// Steps frames until `done` holds, or panics after `WAIT_BOUND`.
fn step_until(harness: &mut Harness<'static, GalleyApp>, what: &str, mut done: impl FnMut(&GalleyApp) -> bool) {
    let deadline = Instant::now() + WAIT_BOUND;
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn entry_texts(app: &GalleyApp) -> Vec<String> {
    app.queue().entries().iter().map(|entry| entry.text.clone()).collect()
}

fn all_done(app: &GalleyApp) -> bool {
    app.queue().state() == &QueueState::Idle && app.queue().entries().iter().all(|entry| entry.is_done())
}

fn files_in(folder: &Path) -> Vec<String> {
    let names = std::fs::read_dir(folder).map(|entries| {
        entries.flatten().map(|entry| entry.file_name().to_string_lossy().into_owned()).collect::<Vec<_>>()
    });
    names.unwrap_or_default()
}

/// Clicks the `nth` button called `label`, then lets the layout settle (the queue's rows
/// move when one is added, moved or removed, and a click lands where a button was drawn).
fn press(harness: &mut Harness<'static, GalleyApp>, label: &str, nth: usize) {
    harness.get_all_by_label(label).nth(nth).unwrap_or_else(|| panic!("no button {label} #{nth}")).click();
    harness.step();
    harness.step();
}

fn paste_into_sources_box(harness: &mut Harness<'static, GalleyApp>, lines: &[String]) {
    let field = harness.get_by_role_and_label(Role::MultilineTextInput, SOURCES_BOX);
    field.focus();
    field.type_text(&lines.join("\n"));
    // The box grows a row a line: let the layout settle before clicking below it.
    harness.step();
    harness.step();
    press(harness, "Add to queue", 0);
}

#[test]
fn pasted_sources_are_queued_reordered_removed_and_run_as_one_job_to_done() {
    let mut fixture =
        demo_app(DemoConfig { images: 60, latency: Duration::from_millis(60), ..DemoConfig::default() }, 2);
    let gallery = gallery(&fixture);
    let albums = albums(&gallery);
    assert!(albums.len() >= 3, "the demo has albums: {albums:?}");
    let in_albums: Vec<&str> =
        gallery.albums().flat_map(|album| album.images.iter().map(|image| image.id.as_str())).collect();
    let single = gallery
        .images()
        .find(|image| image.kind.downloadable() && !in_albums.contains(&image.id.as_str()))
        .expect("a lone image");
    let lines = vec![
        format!("album/{}", albums[0].0),
        format!("https://imgur.com/a/{}", albums[1].0),
        "https://example.com/not/imgur".to_owned(),
        format!("image/{}", single.id),
        format!("imgur.com/a/{}?share=1", albums[2].0),
        "album/nOsUcHa".to_owned(),
    ];

    paste_into_sources_box(&mut fixture.harness, &lines);

    let app = fixture.harness.state();
    assert_eq!(entry_texts(app), [lines[0].as_str(), &lines[1], &lines[3], &lines[4], &lines[5]]);
    assert_eq!(app.queue().typed, lines[2], "the bad line stays in the box to be fixed");
    let said = fixture.harness.query_by_label_contains("is not an Imgur source galley knows");
    assert!(said.is_some(), "the window says the line was refused, and what galley accepts");
    assert!(fixture.harness.query_by_label_contains("imgur.com/user/NAME").is_some());
    assert_eq!(fixture.harness.query_all_by_label("waiting").count(), 5, "each queued source shows its state");

    // The lone image goes first, the third album leaves the queue.
    press(&mut fixture.harness, "Up", 2);
    press(&mut fixture.harness, "Up", 1);
    press(&mut fixture.harness, "Remove", 3);
    assert_eq!(entry_texts(fixture.harness.state()), [lines[3].as_str(), &lines[0], &lines[1], &lines[5]]);

    press(&mut fixture.harness, "Start", 0);
    let mut seen = Vec::new();
    step_until(&mut fixture.harness, "every source done or failed", |app| {
        let states: Vec<String> =
            app.queue().entries().iter().map(|entry| entry.state_text(app.queue().halt(entry.id))).collect();
        let settled = states.iter().all(|state| state.starts_with("done") || state.starts_with("failed"));
        seen.extend(states);
        settled && app.queue().state() == &QueueState::Idle
    });

    let expected = 1 + albums[0].1 + albums[1].1;
    let mut saved = files_in(&fixture.folder);
    saved.sort();
    assert_eq!(saved.len(), expected, "{saved:?}");
    assert!(saved.iter().any(|name| name.starts_with(single.id.as_str())));
    assert!(
        seen.iter().any(|state| state.contains(" saved") && !state.starts_with("done")),
        "a state between waiting and done was shown: {seen:?}"
    );
    fixture.harness.step();
    let done = format!("done: {} of {} saved", albums[0].1, albums[0].1);
    assert!(fixture.harness.query_by_label(&done).is_some(), "the window shows \"{done}\"");
    assert_eq!(fixture.harness.query_all_by_label_contains("done: ").count(), 3);
    let failed = fixture.harness.query_by_label_contains("failed: ");
    assert!(failed.is_some(), "the missing album says it failed, and why");
    let reason = fixture.harness.state().queue().entries()[3].state_text(None);
    assert!(reason.starts_with("failed: ") && reason.len() > "failed: ".len() + 10, "{reason}");

    // One job: one row in the history, naming the three sources in the queue's order.
    step_until(&mut fixture.harness, "the runs table row", |app| !app.runs().is_empty());
    let run = &fixture.harness.state().runs()[0];
    assert_eq!(fixture.harness.state().runs().len(), 1);
    let order = format!("image/{}, album/{}, album/{}, album/nOsUcHa", single.id, albums[0].0, albums[1].0);
    assert_eq!(run.source, order);
    assert_eq!(run.counts.downloaded as usize, expected);

    press(&mut fixture.harness, "Clear done", 0);
    assert_eq!(entry_texts(fixture.harness.state()), [lines[5].as_str()], "the failed source stays to be retried");
}

/// A file dropped on the window, as egui-winit hands it over.
#[derive(Debug)]
struct DroppedFile(PathBuf);

impl egui::DroppedFile for DroppedFile {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|error| error.to_string())
    }
}

fn drop_file(harness: &mut Harness<'static, GalleyApp>, path: PathBuf) {
    harness.input_mut().dropped_files.push(Arc::new(DroppedFile(path)));
    harness.step();
}

#[test]
fn a_dropped_list_is_queued_and_pause_then_resume_saves_the_rest_without_fetching_twice() {
    let slow = DemoConfig {
        images: 36,
        album_size: Some(12),
        latency: Duration::from_millis(80),
        bandwidth: Some(400_000),
        ..DemoConfig::default()
    };
    let mut fixture = demo_app(slow, 2);
    let albums = albums(&gallery(&fixture));
    assert_eq!(albums.len(), 3, "{albums:?}");
    let total: usize = albums.iter().map(|(_, images)| images).sum();

    // Not a list: refused by its name, nothing read.
    drop_file(&mut fixture.harness, fixture.dir.path().join("holiday.jpg"));
    fixture.harness.step();
    assert!(fixture.harness.query_by_label_contains("holiday.jpg was not queued").is_some());

    let list = fixture.dir.path().join("links.txt");
    let text: Vec<String> = albums.iter().map(|(id, _)| format!("https://imgur.com/a/{id}")).collect();
    std::fs::write(&list, format!("# three albums\n{}\n", text.join("\n"))).expect("write the list");
    drop_file(&mut fixture.harness, list);
    step_until(&mut fixture.harness, "the list's sources", |app| app.queue().entries().len() == 3);
    fixture.harness.step();
    assert!(fixture.harness.query_by_label_contains("3 sources queued").is_some());

    press(&mut fixture.harness, "Start", 0);
    step_until(&mut fixture.harness, "a few images saved", |app| {
        app.progress().is_some_and(|progress| progress.tally.saved >= 4)
    });
    press(&mut fixture.harness, "Pause", 0);
    step_until(&mut fixture.harness, "the queue to pause", |app| app.queue().state() == &QueueState::Paused);
    fixture.harness.step();

    let before_resume = files_in(&fixture.folder);
    assert!(before_resume.iter().all(|name| !name.starts_with(".galley-")), "no partial file: {before_resume:?}");
    assert!((4..total).contains(&before_resume.len()), "paused part way: {} of {total}", before_resume.len());
    assert!(fixture.harness.query_all_by_label_contains("paused at").count() >= 1, "the window says it is paused");
    assert!(fixture.harness.query_by_label("Resume").is_some());
    assert!(fixture.harness.query_by_label_contains("Resume downloads the rest").is_some(), "not \"Cancelled\"");

    press(&mut fixture.harness, "Resume", 0);
    step_until(&mut fixture.harness, "every source done", all_done);

    assert_eq!(files_in(&fixture.folder).len(), total);
    let resumed = &fixture.harness.state().progress().expect("the resumed run").tally;
    assert_eq!(resumed.saved as usize, total - before_resume.len(), "only what was missing was downloaded");
    fixture.harness.step();
    assert_eq!(fixture.harness.query_all_by_label_contains("done: ").count(), 3);
}

#[test]
fn links_pasted_on_the_window_join_the_queue_and_a_paste_into_a_field_stays_there() {
    let mut fixture = demo_app(DemoConfig { images: 10, ..DemoConfig::default() }, 4);

    fixture.harness.event(egui::Event::Paste("# mine\nimgur.com/t/cats\nr/pics\n".to_owned()));
    fixture.harness.step();
    fixture.harness.step();
    assert_eq!(entry_texts(fixture.harness.state()), ["imgur.com/t/cats", "r/pics"]);
    assert!(fixture.harness.query_by_label_contains("2 sources queued").is_some());

    // Into the sources box, a paste is the box's: nothing more is queued until Add.
    let field = fixture.harness.get_by_role_and_label(Role::MultilineTextInput, SOURCES_BOX);
    field.focus();
    fixture.harness.step();
    fixture.harness.event(egui::Event::Paste("album/AbC12".to_owned()));
    fixture.harness.step();
    fixture.harness.step();
    assert_eq!(fixture.harness.state().queue().entries().len(), 2);
    assert_eq!(fixture.harness.state().queue().typed, "album/AbC12");
}
