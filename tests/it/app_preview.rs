//! Preview and pick in the window, driven with egui_kittest against the demo gallery on
//! 127.0.0.1: Preview a queued source, see its pictures from their small variants (no
//! original fetched), select some (by kind, click, Ctrl-click, Shift-click), download
//! exactly those; and one folder at a time: the folder the grid shows is where files go.

use std::path::{Path, PathBuf};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use galley::demo::DemoConfig;
use galley::ui::{GalleyApp, RunState, Settings, View};

use super::support::{app_config, step_until};

struct Fixture {
    _dir: tempfile::TempDir,
    folder: PathBuf,
    harness: Harness<'static, GalleyApp>,
}

/// The demo app, its server up, saving into a fresh folder (typed after "Saving to").
fn demo_app(images: usize) -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("pictures");
    let config = app_config(dir.path(), DemoConfig { images, ..DemoConfig::default() }, true);
    let app = GalleyApp::new(&egui::Context::default(), config, Settings::default()).expect("app starts");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_ui_state(|ui, app: &mut GalleyApp| app.ui_contents(ui), app);
    step_until(&mut harness, "the demo server", |app| app.demo_server().is_some());
    type_folder(&mut harness, &folder);
    Fixture { _dir: dir, folder, harness }
}

fn type_folder(harness: &mut Harness<'static, GalleyApp>, folder: &Path) {
    let field = harness.get_by_role_and_label(Role::TextInput, "Saving to");
    field.focus();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_role_and_label(Role::TextInput, "Saving to").type_text(&folder.display().to_string());
    harness.step();
    harness.key_press(egui::Key::Tab);
    harness.run_steps(2);
}

fn files_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| entries.flatten().map(|entry| entry.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Clicks the tile of the preview's picture `index`, with `modifiers` held.
fn click_tile(harness: &mut Harness<'static, GalleyApp>, index: usize, modifiers: egui::Modifiers) {
    let name = harness.state().preview().expect("a preview").entries[index].file.file.display().to_string();
    harness.get_by_label(&name).click_modifiers(modifiers);
    harness.run_steps(2);
}

fn selected(app: &GalleyApp) -> Vec<usize> {
    let preview = app.preview().expect("a preview");
    (0..preview.entries.len()).filter(|&index| preview.entries[index].selected).collect()
}

#[test]
fn preview_shows_small_pictures_then_download_selected_saves_exactly_the_selection() {
    let mut fixture = demo_app(24);
    // The demo's queue holds its gallery: Preview it.
    fixture.harness.get_by_label("Preview").click();
    step_until(&mut fixture.harness, "the preview's pictures", |app| {
        app.preview().is_some_and(|preview| preview.entries.len() == 24 && preview.pictures() == 24)
    });
    fixture.harness.run_steps(3);
    let app = fixture.harness.state();
    assert_eq!(app.view(), View::Preview);
    let stats = app.demo_server().expect("server").stats();
    assert_eq!(stats.image_requests, 0, "a preview fetches no original");
    assert_eq!(stats.small_requests, 24, "it shows the small variants");
    assert!(!fixture.folder.exists(), "nor does it make the folder");
    assert_eq!(selected(app).len(), 24, "what the folder lacks is selected to start with");
    assert!(fixture.harness.query_by_label("Download selected (24)").is_some());

    // By kind, then a click, a Ctrl-click and a Shift-click, as in a file manager.
    fixture.harness.get_by_label("None").click();
    fixture.harness.run_steps(2);
    assert!(selected(fixture.harness.state()).is_empty());
    fixture.harness.get_by_label("GIF").click();
    fixture.harness.run_steps(2);
    let gifs = selected(fixture.harness.state());
    let kinds = fixture
        .harness
        .state()
        .preview()
        .map(|preview| preview.entries.iter().filter(|entry| entry.file.kind == Some("gif")).count());
    assert_eq!(Some(gifs.len()), kinds, "GIF selects exactly the GIFs");
    click_tile(&mut fixture.harness, 1, egui::Modifiers::NONE);
    assert_eq!(selected(fixture.harness.state()), [1]);
    click_tile(&mut fixture.harness, 3, egui::Modifiers::SHIFT);
    assert_eq!(selected(fixture.harness.state()), [1, 2, 3]);
    click_tile(&mut fixture.harness, 2, egui::Modifiers::COMMAND);
    click_tile(&mut fixture.harness, 6, egui::Modifiers::COMMAND);
    let picked = selected(fixture.harness.state());
    assert_eq!(picked, [1, 3, 6]);
    let expected: Vec<String> = {
        let preview = fixture.harness.state().preview().expect("a preview");
        let mut names: Vec<String> =
            picked.iter().map(|&index| preview.entries[index].file.file.display().to_string()).collect();
        names.sort();
        names
    };

    fixture.harness.get_by_label("Download selected (3)").click();
    fixture.harness.step();
    step_until(&mut fixture.harness, "the run of the selection", |app| {
        app.run_state() == RunState::Idle && app.progress().is_some_and(|progress| !progress.is_running())
    });
    assert_eq!(files_in(&fixture.folder), expected, "exactly the selection, under the names the preview showed");
    let app = fixture.harness.state();
    assert_eq!(app.demo_server().expect("server").stats().image_requests, 3, "three originals fetched");
    assert_eq!(app.view(), View::Pictures, "the grid shows them land");
    step_until(&mut fixture.harness, "their tiles", |app| app.thumbnails() == 3);
    assert_eq!(fixture.harness.state().preview().map(|preview| preview.present()), Some(3), "marked in the folder");

    // Back in the preview: the three are marked, and a new preview marks them too.
    fixture.harness.get_by_label("Preview (24)").click();
    fixture.harness.run_steps(2);
    assert_eq!(fixture.harness.query_all_by_label_contains("3 already in the folder").count(), 1);
    fixture.harness.get_by_label("Preview all").click();
    step_until(&mut fixture.harness, "the new preview", |app| {
        app.preview().is_some_and(|preview| preview.entries.len() == 24 && preview.present() == 3)
    });
    fixture.harness.get_by_label("Close preview").click();
    fixture.harness.run_steps(2);
    assert!(fixture.harness.state().preview().is_none() && fixture.harness.state().view() == View::Pictures);
}

#[test]
fn the_folder_the_grid_shows_is_where_files_go_and_recent_brings_one_back() {
    let mut fixture = demo_app(6);
    fixture.harness.get_by_label("Start").click();
    step_until(&mut fixture.harness, "the demo gallery in the grid", |app| app.thumbnails() == 6);
    step_until(&mut fixture.harness, "the run's end", |app| app.run_state() == RunState::Idle);

    // Another folder: the grid shows it (empty) and downloads would go there.
    let other = fixture.folder.with_file_name("other");
    type_folder(&mut fixture.harness, &other);
    step_until(&mut fixture.harness, "the other folder", |app| app.shown_folder() == Some(other.as_path()));
    assert_eq!(fixture.harness.state().thumbnails(), 0);
    assert_eq!(Path::new(&fixture.harness.state().settings.folder), other);

    // Recent brings the first back, grid and downloads both.
    fixture.harness.get_by_label("Recent").click();
    fixture.harness.run_steps(2);
    fixture.harness.get_by_role_and_label(Role::Button, &fixture.folder.display().to_string()).click();
    fixture.harness.run_steps(2);
    step_until(&mut fixture.harness, "the first folder again", |app| app.thumbnails() == 6);
    let app = fixture.harness.state();
    assert_eq!(app.shown_folder(), Some(fixture.folder.as_path()));
    assert_eq!(Path::new(&app.settings.folder), fixture.folder);
    let saving_to = fixture.harness.get_by_role_and_label(Role::TextInput, "Saving to").value();
    assert_eq!(saving_to.as_deref().map(Path::new), Some(fixture.folder.as_path()), "the window says where files go");
}
