//! "Find reposts" in the app, driven as a person drives it (egui_kittest): the groups side
//! by side with the best copy marked, "Keep best" through the grid's confirmation into
//! the (test) trash and back with Undo, "Reposts only" in the grid, and the hashes made by
//! the background thumbnailer, so the search decodes nothing again.

use std::path::{Path, PathBuf};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use galley::ui::GalleyApp;

use super::dupes::{original, reposts_of};
use super::library::{harness_on, step_until};

/// p1 with two reposts, p2 with one, and a picture alone.
fn write_folder(folder: &Path) {
    std::fs::create_dir_all(folder).expect("folder");
    let (bytes, saved) = original(1);
    std::fs::write(folder.join("p1.jpg"), bytes).expect("write");
    for (suffix, bytes) in reposts_of(&saved) {
        if matches!(suffix, "half.jpg" | "copy.png") {
            std::fs::write(folder.join(format!("p1-{suffix}")), bytes).expect("write");
        }
    }
    let (bytes, saved) = original(2);
    std::fs::write(folder.join("p2.jpg"), bytes).expect("write");
    for (suffix, bytes) in reposts_of(&saved) {
        if suffix == "q35.jpg" {
            std::fs::write(folder.join(format!("p2-{suffix}")), bytes).expect("write");
        }
    }
    std::fs::write(folder.join("alone.jpg"), original(9).0).expect("write");
}

struct Fixture {
    dir: tempfile::TempDir,
    folder: PathBuf,
    harness: Harness<'static, GalleyApp>,
}

/// The app on the folder, every thumbnail made, "Find reposts" pressed and answered.
fn found() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("pictures");
    write_folder(&folder);
    let mut harness = harness_on(dir.path(), &folder);
    step_until(&mut harness, "the thumbnails", |app| app.thumbnails() == 6 && app.thumbnailing() == Some((6, 6)));
    harness.get_by_label("Find reposts").click();
    step_until(&mut harness, "the reposts", |app| app.reposts().is_some());
    harness.run_steps(3);
    Fixture { dir, folder, harness }
}

fn trash_count(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("library").join("trash")).map_or(0, |entries| entries.count())
}

#[test]
fn find_reposts_shows_the_groups_with_the_best_copy_marked_from_hashes_the_thumbnailer_made() {
    let mut fixture = found();
    let harness = &mut fixture.harness;
    let report = harness.state().reposts().expect("a report").clone();
    assert_eq!(report.images, 6);
    // No picture is decoded again: its hash came with its thumbnail, in the background.
    // (One whose index row had not landed yet is hashed again from the cached thumbnail.)
    assert_eq!(report.decoded, 0, "no picture decoded again for its hash");
    let names: Vec<Vec<&str>> =
        report.groups.iter().map(|group| group.copies.iter().map(|copy| copy.name.as_str()).collect()).collect();
    assert_eq!(names, [vec!["p1-copy.png", "p1-half.jpg", "p1.jpg"], vec!["p2.jpg", "p2-q35.jpg"]]);
    assert!(harness.state().showing_reposts(), "the groups replace the grid");
    assert_eq!(harness.query_all_by_label("Best copy: kept").count(), 2);
    assert_eq!(harness.query_all_by_label("Keep best, move the rest to the trash").count(), 2);
    assert!(harness.query_by_label_contains("2 groups of reposts, 3 copies beside their best").is_some());
    for name in ["p1-copy.png", "p1-half.jpg", "p2-q35.jpg"] {
        assert!(harness.query_all_by_label(name).count() > 0, "{name} is on a card");
    }
    assert_eq!(harness.query_all_by_label("alone.jpg").count(), 0, "a picture without copies is in no group");
}

#[test]
fn keep_best_asks_moves_the_rest_to_the_trash_and_undo_brings_them_back() {
    let mut fixture = found();
    let harness = &mut fixture.harness;
    harness.get_all_by_label("Keep best, move the rest to the trash").next().expect("group 1's button").click();
    // The click lands on the second frame and the confirmation is drawn on the next.
    harness.run_steps(3);
    assert!(harness.state().confirming_trash(), "the grid's own confirmation asks first");
    assert!(fixture.folder.join("p1.jpg").exists(), "nothing moves before the answer");
    harness.get_by_label("Move to trash").click();
    step_until(harness, "the copies to go", |app| app.thumbnails() == 4);
    assert!(!fixture.folder.join("p1.jpg").exists() && !fixture.folder.join("p1-half.jpg").exists());
    assert!(fixture.folder.join("p1-copy.png").exists(), "the best copy stays");
    assert_eq!(trash_count(fixture.dir.path()), 2);
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("Moved 2 files to the trash").is_some());
    assert_eq!(harness.state().reposts().map(|report| report.groups.len()), Some(1), "the group is settled");

    harness.get_by_label("Undo").click();
    step_until(harness, "the copies to come back", |app| {
        app.thumbnails() == 6 && app.reposts().is_some_and(|report| report.groups.len() == 2)
    });
    assert!(fixture.folder.join("p1.jpg").exists() && fixture.folder.join("p1-half.jpg").exists());
    assert_eq!(trash_count(fixture.dir.path()), 0);
}

#[test]
fn keep_best_everywhere_leaves_one_copy_of_each_picture() {
    let mut fixture = found();
    let harness = &mut fixture.harness;
    harness.get_by_label_contains("Keep the best of every group: move 3 copies").click();
    harness.run_steps(3);
    harness.get_by_label("Move to trash").click();
    step_until(harness, "the copies to go", |app| app.thumbnails() == 3);
    let mut left: Vec<String> = std::fs::read_dir(&fixture.folder)
        .expect("folder")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["alone.jpg", "p1-copy.png", "p2.jpg"]);
    assert_eq!(trash_count(fixture.dir.path()), 3);
}

#[test]
fn the_grid_can_show_reposts_only() {
    let mut fixture = found();
    let harness = &mut fixture.harness;
    harness.get_by_label("Back to the grid").click();
    harness.run_steps(2);
    assert!(!harness.state().showing_reposts());
    harness.get_by_label("Reposts only").click();
    harness.run_steps(2);
    assert_eq!(harness.state().grid().len(), 5, "the five pictures that have copies");
    assert_eq!(harness.query_all_by_label("alone.jpg").count(), 0);
    harness.get_by_label("Reposts only").click();
    harness.run_steps(2);
    assert_eq!(harness.state().grid().len(), 6);
}
