//! The library in the app, driven as a person drives it (egui_kittest): sort, filter,
//! select, move to the trash and back, and a reopen that reads thumbnails from the cache.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use galley::demo::DemoConfig;
use galley::engine::{Engine, Event};
use galley::library::query::SortOrder;
use galley::library::{FIRST_SCREEN, LibraryCommand, LibraryEvent, LibraryPlaces, SortKey, ThumbnailCache};
use galley::ui::{AppConfig, GalleyApp, Settings};

const WAIT_BOUND: Duration = Duration::from_secs(60);

struct Fixture {
    dir: tempfile::TempDir,
    folder: PathBuf,
    harness: Harness<'static, GalleyApp>,
}

/// Images of different names, sizes and kinds: (name, width, height).
const FILES: [(&str, u32, u32); 6] = [
    ("sunset-2.png", 300, 200),
    ("sunset-10.png", 40, 30),
    ("harbour.jpg", 640, 480),
    ("meadow.jpg", 120, 90),
    ("comet.gif", 64, 64),
    ("alley.png", 200, 400),
];

fn write_images(folder: &Path) {
    std::fs::create_dir_all(folder).expect("folder");
    for (name, width, height) in FILES {
        let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        image.save(folder.join(name)).expect("image");
    }
}

pub(crate) fn harness_on(dir: &Path, folder: &Path) -> Harness<'static, GalleyApp> {
    let config = AppConfig {
        config_dir: dir.join("config"),
        archive: None,
        demo: DemoConfig::default(),
        demo_folder: dir.join("demo-pictures"),
        demo_mode: false,
        autostart: false,
        library: LibraryPlaces::inside(&dir.join("library")),
        browse: Some(folder.to_owned()),
    };
    let app = GalleyApp::new(&egui::Context::default(), config, Settings::default()).expect("app starts");
    Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(|ui, app: &mut GalleyApp| app.ui_contents(ui), app)
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("pictures");
    write_images(&folder);
    let mut harness = harness_on(dir.path(), &folder);
    step_until(&mut harness, "the folder's files", |app| app.thumbnails() == FILES.len());
    Fixture { dir, folder, harness }
}

pub(crate) fn step_until(harness: &mut Harness<'static, GalleyApp>, what: &str, done: impl Fn(&GalleyApp) -> bool) {
    let deadline = Instant::now() + WAIT_BOUND;
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The shown order, by file name.
fn names(harness: &Harness<'static, GalleyApp>) -> Vec<String> {
    let grid = harness.state().grid();
    (0..grid.len())
        .filter_map(|index| grid.path(index).and_then(Path::file_name).map(|name| name.to_string_lossy().into_owned()))
        .collect()
}

fn choose_sort(harness: &mut Harness<'static, GalleyApp>, key: &str) {
    harness.get_by_role_and_label(Role::ComboBox, "Order by").click();
    harness.run_steps(2);
    harness.get_by_label(key).click();
    harness.run_steps(2);
}

#[test]
fn sort_by_name_size_and_dimensions_both_ways() {
    let mut fixture = fixture();
    let harness = &mut fixture.harness;
    // The index measures each image as it makes its thumbnail.
    step_until(harness, "every image measured", |app| {
        let grid = app.grid();
        (0..grid.len()).all(|index| grid.entry(index).is_some_and(|entry| entry.dimensions.is_some()))
    });

    choose_sort(harness, "Name");
    assert_eq!(
        names(harness),
        ["alley.png", "comet.gif", "harbour.jpg", "meadow.jpg", "sunset-2.png", "sunset-10.png"],
        "names in natural order: 2 before 10"
    );
    harness.get_by_label("Ascending").click();
    harness.run_steps(2);
    assert_eq!(names(harness).first().map(String::as_str), Some("sunset-10.png"), "reversed");

    choose_sort(harness, "Dimensions");
    assert_eq!(names(harness).first().map(String::as_str), Some("harbour.jpg"), "the most pixels first, descending");
    harness.get_by_label("Descending").click();
    harness.run_steps(2);
    assert_eq!(names(harness).first().map(String::as_str), Some("sunset-10.png"), "the fewest pixels first");

    choose_sort(harness, "File size");
    let grid = harness.state().grid();
    let sizes: Vec<u64> = (0..grid.len()).filter_map(|index| grid.entry(index).map(|entry| entry.bytes)).collect();
    assert!(sizes.windows(2).all(|pair| pair[0] <= pair[1]), "ascending by size: {sizes:?}");
}

#[test]
fn the_filter_box_and_the_kind_boxes_narrow_the_grid() {
    let mut fixture = fixture();
    let harness = &mut fixture.harness;
    let filter = harness.get_by_role_and_label(Role::TextInput, "Filter");
    filter.focus();
    filter.type_text("sunset");
    harness.run_steps(2);
    let mut shown = names(harness);
    shown.sort();
    assert_eq!(shown, ["sunset-10.png", "sunset-2.png"]);
    assert!(harness.query_by_label_contains("2 images of 6 shown").is_some(), "the count says how many are hidden");

    harness.get_by_role_and_label(Role::TextInput, "Filter").focus();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    harness.run_steps(2);
    assert_eq!(names(harness).len(), FILES.len(), "an empty filter shows everything");

    harness.get_by_label("PNG").click();
    harness.get_by_label("JPEG").click();
    harness.run_steps(2);
    assert_eq!(names(harness), ["comet.gif"], "only the kinds still ticked");
}

#[test]
fn click_ctrl_click_shift_click_and_ctrl_a_select() {
    let mut fixture = fixture();
    let harness = &mut fixture.harness;
    choose_sort(harness, "Name");
    let label = |index: usize| FILES_BY_NAME[index];
    harness.get_by_label(label(1)).click();
    harness.run_steps(2);
    assert_eq!(harness.state().grid().selection().len(), 1);
    harness.get_by_label(label(3)).click_modifiers(egui::Modifiers::SHIFT);
    harness.run_steps(2);
    assert_eq!(harness.state().grid().selection().len(), 3, "shift-click selects the range");
    harness.get_by_label(label(2)).click_modifiers(egui::Modifiers::COMMAND);
    harness.run_steps(2);
    assert_eq!(harness.state().grid().selection().len(), 2, "ctrl-click takes one out");
    assert!(harness.query_by_label_contains("2 selected").is_some());
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.run_steps(2);
    assert_eq!(harness.state().grid().selection().len(), FILES.len(), "Ctrl-A selects all");
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
    assert!(harness.state().grid().selection().is_empty(), "Escape clears it");
}

const FILES_BY_NAME: [&str; 6] =
    ["alley.png", "comet.gif", "harbour.jpg", "meadow.jpg", "sunset-2.png", "sunset-10.png"];

#[test]
fn delete_moves_the_selection_to_the_trash_after_asking_and_undo_brings_it_back() {
    let mut fixture = fixture();
    let harness = &mut fixture.harness;
    choose_sort(harness, "Name");
    harness.get_by_label("alley.png").click();
    harness.get_by_label("comet.gif").click_modifiers(egui::Modifiers::COMMAND);
    harness.run_steps(2);
    harness.key_press(egui::Key::Delete);
    harness.run_steps(2);
    assert!(harness.state().confirming_trash(), "Delete asks first");
    assert!(fixture.folder.join("alley.png").exists(), "nothing moves before the answer");
    harness.get_by_label("Move to trash").click();
    step_until(harness, "the files to go", |app| app.thumbnails() == FILES.len() - 2);
    assert!(!fixture.folder.join("alley.png").exists() && !fixture.folder.join("comet.gif").exists());
    let trash = fixture.dir.path().join("library").join("trash");
    assert_eq!(std::fs::read_dir(&trash).expect("the trash").count(), 2, "both are in the trash");
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("Moved 2 files to the trash").is_some());

    harness.get_by_label("Undo").click();
    step_until(harness, "the files to come back", |app| app.thumbnails() == FILES.len());
    assert!(fixture.folder.join("alley.png").exists() && fixture.folder.join("comet.gif").exists());
}

#[test]
fn keep_in_the_confirmation_moves_nothing() {
    let mut fixture = fixture();
    let harness = &mut fixture.harness;
    harness.get_by_label("meadow.jpg").click();
    harness.run_steps(2);
    harness.get_by_label_contains("Move to trash (1)").click();
    // The pointer moves on to the dialog, as a person's does (and the button's tooltip goes).
    harness.hover_at(egui::pos2(640.0, 450.0));
    harness.run_steps(3);
    harness.get_by_label("Keep the files").click();
    harness.run_steps(2);
    assert!(!harness.state().confirming_trash());
    assert!(fixture.folder.join("meadow.jpg").exists());
}

/// A second start reads the thumbnails from the cache: the images themselves are cut
/// (undecodable) but keep their size and time, and the grid still fills.
#[test]
fn a_reopen_reads_thumbnails_from_the_cache_without_decoding_the_images() {
    let Fixture { dir, folder, mut harness } = fixture();
    step_until(&mut harness, "every thumbnail made", |app| {
        app.thumbnailing().is_some_and(|(made, total)| made == total)
    });
    drop(harness);

    for (name, ..) in FILES {
        let path = folder.join(name);
        let (len, modified) = {
            let metadata = std::fs::metadata(&path).expect("metadata");
            (metadata.len(), metadata.modified().expect("mtime"))
        };
        // Same length, same time, but no longer a picture: a decode would fail.
        std::fs::write(&path, vec![0u8; len as usize]).expect("cut");
        let file = std::fs::File::options().write(true).open(&path).expect("open");
        file.set_modified(modified).expect("keep the time");
    }

    let mut again = harness_on(dir.path(), &folder);
    step_until(&mut again, "the folder", |app| app.thumbnails() == FILES.len());
    step_until(&mut again, "every texture", |app| app.grid().textures() == FILES.len());
}

#[test]
fn a_folder_that_does_not_exist_is_said_in_the_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut harness = harness_on(dir.path(), &dir.path().join("nowhere"));
    step_until(&mut harness, "the answer", |app| app.folder_status().is_some());
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("This folder does not exist yet").is_some());
    let status = harness.state().folder_status().expect("said");
    assert!(!status.error && status.detail.is_none(), "a folder a first run will make is not an error: {status:?}");
}

#[test]
fn a_folder_a_run_makes_stops_saying_it_does_not_exist_as_the_first_image_lands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("made-by-the-run");
    let config = AppConfig {
        config_dir: dir.path().join("config"),
        archive: None,
        demo: DemoConfig { images: 30, latency: Duration::from_millis(20), ..DemoConfig::default() },
        demo_folder: folder.clone(),
        demo_mode: true,
        autostart: false,
        library: LibraryPlaces::inside(&dir.path().join("library")),
        browse: None,
    };
    let app = GalleyApp::new(&egui::Context::default(), config, Settings::default()).expect("app starts");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(|ui, app: &mut GalleyApp| app.ui_contents(ui), app);
    harness.state_mut().settings.concurrency = 2;
    let says_missing =
        |app: &GalleyApp| app.folder_status().is_some_and(|status| status.text.contains("does not exist yet"));
    step_until(&mut harness, "the notice", says_missing);
    step_until(&mut harness, "the demo server", |app| app.demo_server().is_some());
    harness.get_by_label("Start").click();
    step_until(&mut harness, "the first image", |app| app.thumbnails() > 0);
    assert!(harness.state().folder_status().is_none(), "the notice goes with the first image, not at the run's end");
    assert!(harness.state().run_state().is_busy(), "the run is still going");
}

/// A folder just opened is thumbnailed in the grid's order, its first screen before the
/// grid asks for anything: 300 images shown by name, last name first (an order a person
/// chose, neither the files' nor their dates'), and when the first screen's thumbnails are
/// all in the cache, none of the last screen's is yet.
#[test]
fn a_folder_is_thumbnailed_in_the_grids_order_its_first_screen_first() {
    const IMAGES: usize = 300;
    const SCREEN: usize = 48;
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("pictures");
    std::fs::create_dir_all(&folder).expect("folder");
    let path = |n: usize| folder.join(format!("img-{n}.png"));
    // Written last name first, so the newest file is img-0.
    for n in (0..IMAGES).rev() {
        let image = image::RgbImage::from_fn(480, 360, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, n as u8]));
        image.save(path(n)).expect("image");
    }
    let places = LibraryPlaces::inside(&dir.path().join("library"));
    let (engine, _events) = Engine::start_with_workers(Arc::new(|| {}), places.clone(), (2, 1)).expect("engine");
    let order = SortOrder { key: SortKey::Name, descending: true };
    engine.send(LibraryCommand::OpenFolder { folder: folder.clone(), order });

    let cache = ThumbnailCache::new(&places.thumbnails);
    let cached = |n: usize| cache.large_path(&path(n)).expect("absolute").exists();
    let first_screen: Vec<usize> = (IMAGES - SCREEN..IMAGES).rev().collect();
    let deadline = Instant::now() + WAIT_BOUND;
    while !first_screen.iter().all(|&n| cached(n)) {
        assert!(Instant::now() < deadline, "timed out waiting for the first screen");
        std::thread::sleep(Duration::from_millis(2));
    }
    let last_screen: Vec<usize> = (0..SCREEN).filter(|&n| cached(n)).collect();
    assert!(last_screen.is_empty(), "made before the first screen was: {last_screen:?}");
}

/// `dir/pictures`, holding `count` PNGs of `size` pixels, each a little different, named
/// as [`numbered`] names them.
fn numbered_pngs(dir: &Path, count: usize, (width, height): (u32, u32)) -> PathBuf {
    let folder = dir.join("pictures");
    std::fs::create_dir_all(&folder).expect("folder");
    for n in 0..count {
        let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, n as u8]));
        image.save(numbered(&folder, n)).expect("image");
    }
    folder
}

fn numbered(folder: &Path, n: usize) -> PathBuf {
    folder.join(format!("img-{n:03}.png"))
}

/// A folder's first screen reaches the window without the grid asking for it (the grid
/// takes the listing and asks a frame later), each thumbnail once; the rest of the folder
/// goes to the cache only.
#[test]
fn a_folders_first_screen_comes_unasked_and_the_rest_only_to_the_cache() {
    const IMAGES: usize = FIRST_SCREEN + 24;
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = numbered_pngs(dir.path(), IMAGES, (40, 30));
    let path = |n: usize| numbered(&folder, n);
    let places = LibraryPlaces::inside(&dir.path().join("library"));
    let (engine, mut events) = Engine::start_with_workers(Arc::new(|| {}), places.clone(), (2, 1)).expect("engine");
    engine.send(LibraryCommand::OpenFolder {
        folder: folder.clone(),
        order: SortOrder { key: SortKey::Name, descending: false },
    });

    let mut sent = Vec::new();
    let deadline = Instant::now() + WAIT_BOUND;
    loop {
        assert!(Instant::now() < deadline, "timed out; thumbnails sent: {}", sent.len());
        match events.blocking_recv().expect("the engine runs") {
            Event::Library(LibraryEvent::Thumbnail(thumbnail)) => sent.push(thumbnail.path.clone()),
            Event::Library(LibraryEvent::Progress { made, total, .. }) if made == total => break,
            _ => {}
        }
    }
    let first_screen: Vec<PathBuf> = (0..FIRST_SCREEN).map(path).collect();
    sent.sort();
    assert_eq!(sent, first_screen, "the first screen, each once, and nothing else");
    // The screen's thumbnails are written to the cache just after it is made.
    let cache = ThumbnailCache::new(&places.thumbnails);
    let uncached = || (0..IMAGES).filter(|&n| !cache.large_path(&path(n)).expect("absolute").exists()).count();
    while uncached() > 0 {
        assert!(Instant::now() < deadline, "{} thumbnails never reached the cache", uncached());
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A change of sort after the folder opened: the rest of the folder is thumbnailed in the
/// new order (the first screen, already under way, stays first).
#[test]
fn a_change_of_sort_reorders_the_background() {
    const IMAGES: usize = 300;
    const SCREEN: usize = 48;
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = numbered_pngs(dir.path(), IMAGES, (240, 180));
    let path = |n: usize| numbered(&folder, n);
    let places = LibraryPlaces::inside(&dir.path().join("library"));
    let (engine, _events) = Engine::start_with_workers(Arc::new(|| {}), places.clone(), (2, 1)).expect("engine");
    let by_name = |descending| SortOrder { key: SortKey::Name, descending };
    engine.send(LibraryCommand::OpenFolder { folder: folder.clone(), order: by_name(false) });
    engine.send(LibraryCommand::Reorder(by_name(true)));

    let cache = ThumbnailCache::new(&places.thumbnails);
    let cached = |n: usize| cache.large_path(&path(n)).expect("absolute").exists();
    let last_screen: Vec<usize> = (IMAGES - SCREEN..IMAGES).collect();
    let deadline = Instant::now() + WAIT_BOUND;
    while !last_screen.iter().all(|&n| cached(n)) {
        assert!(Instant::now() < deadline, "timed out waiting for the last names");
        std::thread::sleep(Duration::from_millis(2));
    }
    let after_first_screen: Vec<usize> = (FIRST_SCREEN..FIRST_SCREEN + SCREEN).filter(|&n| cached(n)).collect();
    assert!(after_first_screen.is_empty(), "made in the old order: {after_first_screen:?}");
}

/// Home, End, Page Up and Page Down move the grid's view, as in a file manager.
#[test]
fn home_end_and_page_keys_move_the_grid() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("many");
    std::fs::create_dir_all(&folder).expect("folder");
    for n in 0..200 {
        let image = image::RgbImage::from_fn(16, 12, |x, y| image::Rgb([x as u8 * 9, y as u8 * 9, n as u8]));
        image.save(folder.join(format!("img-{n:03}.png"))).expect("image");
    }
    let mut harness = harness_on(dir.path(), &folder);
    step_until(&mut harness, "the folder's files", |app| app.thumbnails() == 200);
    choose_sort(&mut harness, "Name");
    let shown = |harness: &Harness<'static, GalleyApp>, name: &str| harness.query_by_label(name).is_some();
    assert!(shown(&harness, "img-000.png") && !shown(&harness, "img-199.png"), "the top first");

    // A tile clicked with the mouse has the keyboard focus: the keys still work.
    harness.get_by_label("img-001.png").focus();
    harness.run_steps(2);
    harness.key_press(egui::Key::End);
    harness.run_steps(3);
    assert!(shown(&harness, "img-199.png") && !shown(&harness, "img-000.png"), "End: the last tiles");

    harness.key_press(egui::Key::Home);
    harness.run_steps(3);
    assert!(shown(&harness, "img-000.png") && !shown(&harness, "img-199.png"), "Home: the first tiles");

    harness.key_press(egui::Key::PageDown);
    harness.run_steps(3);
    assert!(!shown(&harness, "img-000.png"), "Page Down leaves the first row");
    harness.key_press(egui::Key::PageUp);
    harness.run_steps(3);
    assert!(shown(&harness, "img-000.png"), "Page Up comes back");
}

/// The index is a cache: a damaged one is moved aside and started afresh, said once in the
/// window, and "Clear thumbnails" still works.
#[test]
fn a_damaged_index_is_started_afresh_and_said_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("pictures");
    write_images(&folder);
    std::fs::create_dir_all(dir.path().join("library")).expect("library folder");
    std::fs::write(dir.path().join("library/library.sqlite"), vec![0x42; 32 * 1024]).expect("garbage index");

    let mut harness = harness_on(dir.path(), &folder);
    step_until(&mut harness, "the folder's files", |app| app.thumbnails() == FILES.len());
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("The library's index was damaged").is_some(), "said in the window");
    let moved: Vec<_> = std::fs::read_dir(dir.path().join("library"))
        .expect("library")
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().contains(".damaged-"))
        .collect();
    assert_eq!(moved.len(), 1, "the damaged index is kept aside, once");

    harness.get_by_label("Settings").click();
    harness.run_steps(3);
    harness.get_by_label("Clear thumbnails").click();
    step_until(&mut harness, "the cache cleared", |app| {
        app.notice().is_some_and(|notice| notice.text.starts_with("Removed"))
    });
}

/// Undo after the name was used again: the new file is kept, and the window says the old
/// one is still in the trash (it used to say nothing).
#[test]
fn undo_after_the_name_was_reused_keeps_the_new_file_and_says_so() {
    let mut fixture = fixture();
    let harness = &mut fixture.harness;
    harness.get_by_label("meadow.jpg").click();
    harness.run_steps(2);
    harness.key_press(egui::Key::Delete);
    harness.run_steps(2);
    harness.get_by_label("Move to trash").click();
    step_until(harness, "the file to go", |app| app.thumbnails() == FILES.len() - 1);
    std::fs::write(fixture.folder.join("meadow.jpg"), b"a new file of mine").expect("reuse the name");

    harness.get_by_label("Undo").click();
    step_until(harness, "the answer", |app| {
        app.folder_status().is_some_and(|status| status.text.contains("still in the trash"))
    });
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("meadow.jpg not").is_some(), "the name is said");
    assert_eq!(std::fs::read(fixture.folder.join("meadow.jpg")).expect("kept"), b"a new file of mine");
    let trash = fixture.dir.path().join("library").join("trash");
    assert_eq!(std::fs::read_dir(&trash).expect("the trash").count(), 1, "the old one is still in the trash");
}

/// A file whose name is not UTF-8 is in the grid (shown as `caf\\xE9.png`), after a reopen from
/// the index too, and can be moved to the trash.
#[cfg(target_os = "linux")]
#[test]
fn a_file_whose_name_is_not_utf8_is_shown_and_can_be_trashed() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("pictures");
    write_images(&folder);
    let odd = folder.join(std::ffi::OsStr::from_bytes(b"caf\xe9.png"));
    image::RgbImage::from_pixel(30, 20, image::Rgb([200, 10, 10]))
        .save_with_format(&odd, image::ImageFormat::Png)
        .expect("odd");
    let shown = "caf\\xE9.png";

    let harness = harness_on(dir.path(), &folder);
    let mut harness = harness;
    step_until(&mut harness, "every file", |app| app.thumbnails() == FILES.len() + 1);
    step_until(&mut harness, "every thumbnail made", |app| {
        app.thumbnailing().is_some_and(|(made, total)| made == total)
    });
    drop(harness);

    let mut again = harness_on(dir.path(), &folder);
    step_until(&mut again, "every file, from the index", |app| app.thumbnails() == FILES.len() + 1);
    again.run_steps(2);
    again.get_by_label(shown).click();
    again.run_steps(2);
    again.key_press(egui::Key::Delete);
    again.run_steps(2);
    again.get_by_label("Move to trash").click();
    step_until(&mut again, "the file to go", |app| app.thumbnails() == FILES.len());
    assert!(!odd.exists(), "the file itself went to the trash");
}

/// The open folder is watched: a file another program adds appears, one it removes goes,
/// and a folder deleted while open is said in the window.
#[test]
fn the_grid_follows_changes_made_to_the_folder_by_other_programs() {
    let Fixture { dir: _dir, folder, mut harness } = fixture();

    // As another `galley fetch` would: a temporary name first, then renamed into place.
    let image = image::RgbImage::from_pixel(50, 40, image::Rgb([10, 200, 10]));
    image.save_with_format(folder.join(".incoming.part"), image::ImageFormat::Png).expect("write");
    std::fs::rename(folder.join(".incoming.part"), folder.join("arrived.png")).expect("rename");
    step_until(&mut harness, "the new file", |app| app.thumbnails() == FILES.len() + 1);

    std::fs::remove_file(folder.join("meadow.jpg")).expect("remove");
    step_until(&mut harness, "the removed file to go", |app| app.thumbnails() == FILES.len());

    std::fs::remove_dir_all(&folder).expect("delete the folder");
    step_until(&mut harness, "the folder to go", |app| {
        app.thumbnails() == 0 && app.folder_status().is_some_and(|status| status.text.contains("This folder is gone"))
    });
}

/// One folder at a time: `galley FOLDER` makes FOLDER where downloads go as well, and the
/// window says so.
#[test]
fn the_folder_browsed_is_where_downloads_go() {
    let Fixture { dir: _dir, folder, mut harness } = fixture();
    assert_eq!(Path::new(harness.state().settings.folder.trim()), folder);
    harness.run_steps(2);
    let saving_to = harness.get_by_role_and_label(Role::TextInput, "Saving to").value();
    assert_eq!(saving_to.as_deref().map(Path::new), Some(folder.as_path()), "the window says where files go");
    assert_eq!(harness.state().settings.recent_folders.first().map(Path::new), Some(folder.as_path()));
}
