//! `galley follow`, as a user runs it, against a demo server whose sources grow between
//! checks: what each check saves, and how many API requests it costs per source.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use galley::demo::{DemoConfig, DemoQuirks, DemoServer};

/// Top-level entries per page: the 40-image demo gallery is then 5 pages long.
const PAGE_SIZE: usize = 10;
const IMAGES: usize = 40;

fn galley(archive: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_galley"));
    command
        .env_remove("IMGUR_CLIENT_ID")
        .env("RUST_LOG", "warn")
        // Thumbnails go to a cache under this HOME, not the user's.
        .env("HOME", archive.parent().expect("a folder"))
        .env("XDG_CACHE_HOME", archive.parent().expect("a folder").join("cache"))
        .stdin(Stdio::null())
        .arg("follow")
        .arg("--archive")
        .arg(archive);
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn last_json(output: &Output) -> serde_json::Value {
    let stdout = text(&output.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| panic!("no JSON; stderr: {}", text(&output.stderr)));
    serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"))
}

/// Runs a command off the runtime that serves the demo.
async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("galley runs")).await.expect("ran")
}

async fn check(archive: &Path, server: &DemoServer) -> Output {
    let mut command = galley(archive);
    command.args(["check", "--json", "--client-id", "demo", "--concurrency", "4", "--api-base"]);
    command.arg(server.base_url().as_str());
    run(command).await
}

async fn follow(archive: &Path, source: &str, out: &Path) {
    let mut command = galley(archive);
    command.args(["add", source, "--out"]).arg(out);
    let added = run(command).await;
    assert!(added.status.success(), "stderr: {}", text(&added.stderr));
}

fn files_in(folder: &Path) -> usize {
    std::fs::read_dir(folder).map(|entries| entries.count()).unwrap_or(0)
}

/// API requests made since `before`, by path.
fn requests_since(server: &DemoServer, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let now = server.api_requests_by_path();
    now.into_iter()
        .filter_map(|(path, count)| {
            let new = count - before.get(&path).copied().unwrap_or(0);
            (new > 0).then_some((path, new))
        })
        .collect()
}

/// Listing-page requests (not album expansions) among `requests` whose path starts so.
fn pages_of(requests: &BTreeMap<String, u64>, prefix: &str) -> u64 {
    requests.iter().filter(|(path, _)| path.starts_with(prefix)).map(|(_, count)| count).sum()
}

fn source<'a>(summary: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let sources = summary["sources"].as_array().expect("sources");
    sources.iter().find(|source| source["source"] == name).unwrap_or_else(|| panic!("no {name} in {summary}"))
}

struct Followed {
    _dir: tempfile::TempDir,
    archive: PathBuf,
    folders: Vec<PathBuf>,
}

/// Three sources followed, each into a folder of its own.
async fn three_follows() -> Followed {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("archive.sqlite");
    let mut folders = Vec::new();
    for (source, folder) in [("user/ana", "ana"), ("t/cats", "cats"), ("r/pics", "pics")] {
        let folder = dir.path().join(folder);
        follow(&archive, source, &folder).await;
        folders.push(folder);
    }
    Followed { _dir: dir, archive, folders }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_save_everything_then_exactly_the_new_posts_then_cost_one_request_per_source() {
    let config = DemoConfig { images: IMAGES, page_size: PAGE_SIZE, ..DemoConfig::default() };
    let server = DemoServer::start(config, 0).await.expect("demo server");
    let follows = three_follows().await;

    // First check: every source is listed to its end and saved whole.
    let first = check(&follows.archive, &server).await;
    assert!(first.status.success(), "stderr: {}", text(&first.stderr));
    let summary = last_json(&first);
    for key in ["listed", "downloaded", "skipped", "failed", "bytes", "seconds", "images_per_second", "concurrency"] {
        assert!(summary.get(key).is_some(), "fetch's summary key {key} missing: {summary}");
    }
    assert_eq!(summary["downloaded"], 3 * IMAGES as u64, "{summary}");
    assert_eq!(summary["concurrency"], 4);
    for folder in &follows.folders {
        assert_eq!(files_in(folder), IMAGES, "{}", folder.display());
    }

    // Second check, after 3 new posts to the user and 12 (more than a page) to the tag.
    let ana = server.post("user/ana", 3).expect("a user");
    let cats = server.post("t/cats", 12).expect("a tag");
    let before = server.api_requests_by_path();
    let second = check(&follows.archive, &server).await;
    assert!(second.status.success(), "stderr: {}", text(&second.stderr));
    let summary = last_json(&second);
    let asked = requests_since(&server, &before);
    assert_eq!(summary["downloaded"], 15, "{summary}");
    assert_eq!((summary["skipped"].as_u64(), summary["failed"].as_u64()), (Some(0), Some(0)), "{summary}");
    assert_eq!(source(&summary, "user/ana")["downloaded"], 3);
    assert_eq!(source(&summary, "t/cats/time/week")["downloaded"], 12);
    assert_eq!(source(&summary, "r/pics/time/day")["downloaded"], 0);
    for id in ana.iter().chain(&cats) {
        let saved = follows.folders.iter().any(|folder| folder.join(format!("{id}.jpg")).is_file())
            || follows.folders.iter().any(|folder| folder.join(format!("{id}.png")).is_file());
        assert!(saved, "new post {id} saved");
    }
    assert_eq!(files_in(&follows.folders[0]), IMAGES + 3);
    assert_eq!(files_in(&follows.folders[1]), IMAGES + 12);
    assert_eq!(pages_of(&asked, "/3/account/ana/submissions/"), 1, "{asked:?}");
    assert_eq!(pages_of(&asked, "/3/gallery/t/cats/"), 2, "12 new posts fill a page and part of the next: {asked:?}");
    assert_eq!(pages_of(&asked, "/3/gallery/r/pics/"), 1, "{asked:?}");
    assert_eq!(asked.values().sum::<u64>(), 4, "only listing pages: {asked:?}");

    // Third check, nothing new: one request per source, nothing downloaded.
    let before = server.api_requests_by_path();
    let third = check(&follows.archive, &server).await;
    assert!(third.status.success(), "stderr: {}", text(&third.stderr));
    let summary = last_json(&third);
    let asked = requests_since(&server, &before);
    assert_eq!((summary["listed"].as_u64(), summary["downloaded"].as_u64()), (Some(0), Some(0)), "{summary}");
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert!(asked.iter().all(|(path, count)| *count == 1 && path.ends_with("/0")), "{asked:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_that_fails_does_not_stop_the_others_and_the_list_says_why() {
    let config = DemoConfig { images: 20, page_size: PAGE_SIZE, ..DemoConfig::default() };
    let server = DemoServer::start(config, 0).await.expect("demo server");
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("archive.sqlite");
    follow(&archive, "album/NoSuch1", &dir.path().join("gone")).await;
    follow(&archive, "user/ana", &dir.path().join("ana")).await;
    // A folder that cannot be made (a file is in its way) fails its source alone too.
    std::fs::write(dir.path().join("blocked"), b"a file").expect("written");
    follow(&archive, "t/cats", &dir.path().join("blocked")).await;

    let checked = check(&archive, &server).await;
    assert_eq!(checked.status.code(), Some(1), "a failed source exits 1; stderr: {}", text(&checked.stderr));
    let summary = last_json(&checked);
    assert_eq!(source(&summary, "user/ana")["downloaded"], 20, "{summary}");
    let failed = source(&summary, "album/NoSuch1");
    assert!(failed["error"].as_str().is_some_and(|error| !error.is_empty()), "{summary}");
    assert_eq!(files_in(&dir.path().join("ana")), 20);
    let blocked = source(&summary, "t/cats/time/week");
    assert!(blocked["error"].as_str().is_some_and(|error| error.contains("folder")), "{summary}");
    assert_eq!(blocked["listed"], 0, "a source with nowhere to save is not listed: {summary}");

    let mut list = galley(&archive);
    list.args(["list", "--json"]);
    let listed = last_json(&run(list).await);
    let follows = listed["follows"].as_array().expect("follows");
    let gone = follows.iter().find(|follow| follow["source"] == "album/NoSuch1").expect("listed");
    assert!(gone["error"].as_str().is_some_and(|error| error.contains("no such")), "{listed}");
    assert!(gone["checked_at"].is_i64());
    let ana = follows.iter().find(|follow| follow["source"] == "user/ana").expect("listed");
    assert_eq!((ana["new_at_last_check"].as_u64(), ana["error"].is_null()), (Some(20), true), "{listed}");

    let mut remove = galley(&archive);
    remove.args(["remove", "https://imgur.com/a/NoSuch1"]);
    assert!(run(remove).await.status.success());
    let mut list = galley(&archive);
    list.args(["list", "--json"]);
    assert_eq!(last_json(&run(list).await)["follows"].as_array().map(Vec::len), Some(2));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_deleted_upstream_or_here_are_not_fetched_again_and_a_grown_album_gets_its_new_images() {
    let quirks = DemoQuirks { deleted: 2, ..DemoQuirks::default() };
    let config = DemoConfig { images: 20, page_size: 30, quirks, ..DemoConfig::default() };
    let server = DemoServer::start(config, 0).await.expect("demo server");
    let album = server.gallery().albums().next().expect("the demo has albums").clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("archive.sqlite");
    let (posts, pictures) = (dir.path().join("posts"), dir.path().join("album"));
    follow(&archive, "user/ana", &posts).await;
    follow(&archive, &format!("https://imgur.com/a/{}", album.id), &pictures).await;

    let first = last_json(&check(&archive, &server).await);
    assert_eq!(source(&first, "user/ana")["deleted"], 2, "{first}");
    assert_eq!(source(&first, "user/ana")["downloaded"], 18, "{first}");
    // The user removes one picture by hand; the album gains two images on Imgur.
    let removed = std::fs::read_dir(&posts).expect("posts").flatten().next().expect("a file").path();
    std::fs::remove_file(&removed).expect("removed");
    let added = server.grow_album(&album.id, 2).expect("grows");

    let second = last_json(&check(&archive, &server).await);
    // The user's posts hold the album too (on the page the check lists): its two new
    // images are all that is listed there; the deleted ones are not asked for again.
    let user = source(&second, "user/ana");
    assert_eq!((user["listed"].as_u64(), user["downloaded"].as_u64()), (Some(2), Some(2)), "{second}");
    assert_eq!((user["skipped"].as_u64(), user["deleted"].as_u64()), (Some(0), Some(0)), "{second}");
    let grown = source(&second, &format!("album/{}", album.id));
    assert_eq!((grown["listed"].as_u64(), grown["downloaded"].as_u64()), (Some(2), Some(2)), "{second}");
    assert!(!removed.exists(), "a file removed by hand stays removed");
    let names: Vec<String> = std::fs::read_dir(&pictures)
        .expect("album")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(added.iter().all(|id| names.iter().any(|name| name.starts_with(id.as_str()))), "{names:?}");
    let in_posts = |id: &String| {
        std::fs::read_dir(&posts)
            .expect("posts")
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with(id.as_str()))
    };
    assert!(added.iter().all(in_posts), "the user's copy of the album grew too");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_stops_before_the_quota_is_spent_and_the_next_waits_saying_when() {
    let config = DemoConfig { images: IMAGES, page_size: PAGE_SIZE, ..DemoConfig::default() };
    let server = DemoServer::start(config, 0).await.expect("demo server");
    let follows = three_follows().await;
    // 20 requests left this hour: with 4 at once and galley's reserve of 10, a few pages.
    server.set_quota(None, Some(20));

    let first = check(&follows.archive, &server).await;
    assert_eq!(first.status.code(), Some(1), "stderr: {}", text(&first.stderr));
    let summary = last_json(&first);
    let error = summary["error"].as_str().unwrap_or_default().to_owned();
    assert!(error.contains("quota") && error.contains("resets at"), "{summary}");
    let spent = server.stats().api_requests;
    assert!(spent <= 20, "stopped before the quota ran out: {spent} requests");

    // The next check plans from the quota it saw: nothing left to spend, so it asks
    // nothing and says when it can go on.
    let second = check(&follows.archive, &server).await;
    assert_eq!(second.status.code(), Some(1), "stderr: {}", text(&second.stderr));
    let summary = last_json(&second);
    assert_eq!(server.stats().api_requests, spent, "no request: {summary}");
    assert_eq!(summary["not_checked"].as_array().map(Vec::len), Some(3), "{summary}");
    assert!(summary["resume"].as_str().is_some_and(|resume| resume.contains("resets at")), "{summary}");
    server.shutdown().await;
}

/// The window's Following view, driven with egui_kittest on the demo gallery: a queued
/// source followed with its Follow button, checked with Check now, listed with its folder
/// and what the check brought; after new posts, the next check's pictures are marked new
/// in the grid ("3 new").
mod window {
    use std::time::{Duration, Instant};

    use egui::accesskit::Role;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;
    use galley::demo::DemoConfig;
    use galley::ui::{GalleyApp, SOURCES_BOX, Settings, View};

    fn step_until(harness: &mut Harness<'static, GalleyApp>, what: &str, done: impl Fn(&GalleyApp) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !done(harness.state()) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            harness.step();
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn press(harness: &mut Harness<'static, GalleyApp>, label: &str, nth: usize) {
        harness.get_all_by_label(label).nth(nth).unwrap_or_else(|| panic!("no button {label} #{nth}")).click();
        harness.step();
        harness.step();
    }

    fn checked(app: &GalleyApp) -> bool {
        !app.following().is_checking() && !app.run_state().is_busy()
    }

    #[test]
    fn the_following_list_shows_each_follow_and_marks_what_a_check_brought_as_new() {
        let dir = tempfile::tempdir().expect("tempdir");
        let demo = DemoConfig { images: 12, ..DemoConfig::default() };
        let config = crate::support::app_config(dir.path(), demo, true);
        let folder = config.demo_folder.clone();
        let app = GalleyApp::new(&egui::Context::default(), config, Settings::default()).expect("app starts");
        let mut harness = Harness::builder()
            .with_size(egui::vec2(1400.0, 1200.0))
            .build_ui_state(|ui, app: &mut GalleyApp| app.ui_contents(ui), app);
        step_until(&mut harness, "the demo server", |app| app.demo_server().is_some());
        assert_eq!(harness.state().settings.follow_check_hours, 0, "the demo checks only when asked");

        // Queue a user and follow it with the queued source's Follow button.
        press(&mut harness, "Remove", 0);
        let field = harness.get_by_role_and_label(Role::MultilineTextInput, SOURCES_BOX);
        field.focus();
        field.type_text("user/ana");
        harness.step();
        harness.step();
        press(&mut harness, "Add to queue", 0);
        press(&mut harness, "Follow", 0);
        step_until(&mut harness, "the follow", |app| app.following().rows().len() == 1);
        press(&mut harness, "Following (1)", 0);
        assert_eq!(harness.state().view(), View::Following);
        assert_eq!(harness.query_all_by_label("user/ana").count(), 2, "the source, queued and followed");
        assert!(harness.query_by_label(&folder.display().to_string()).is_some(), "with its folder");
        assert!(harness.query_all_by_label("never").next().is_some(), "never checked yet");

        press(&mut harness, "Check now", 0);
        step_until(&mut harness, "the first check", |app| {
            checked(app) && app.following().rows().first().is_some_and(|row| row.record.checked_at.is_some())
        });
        let row = harness.state().following().rows()[0].clone();
        assert_eq!((row.record.new_at_check, row.record.error.as_deref()), (12, None));
        assert!(harness.query_all_by_label("just now").next().is_some(), "last checked");
        assert!(harness.query_all_by_label("12").next().is_some(), "new at last check");
        assert!(harness.query_all_by_label("none").next().is_some(), "nothing failed");

        // The pictures it brought are new until looked at: Show marks them in the grid.
        assert_eq!(harness.state().following().rows()[0].new_files.len(), 12);
        press(&mut harness, "Show 12 new", 0);
        step_until(&mut harness, "the grid with 12 marked", |app| {
            app.view() == View::Pictures && app.grid().new_shown() == 12
        });
        step_until(&mut harness, "looked at", |app| app.following().rows()[0].new_files.is_empty());

        // Three new posts; the next check brings them, and only they are new now.
        let posted = harness.state().demo_server().expect("up").post("user/ana", 3).expect("a user");
        press(&mut harness, "Following (1)", 0);
        press(&mut harness, "Check now", 0);
        step_until(&mut harness, "the second check", |app| {
            checked(app) && app.following().rows().first().is_some_and(|row| row.record.new_at_check == 3)
        });
        assert!(harness.query_all_by_label("3").next().is_some(), "new at last check");
        press(&mut harness, "Show 3 new", 0);
        step_until(&mut harness, "the grid with the new pictures marked", |app| {
            app.view() == View::Pictures && app.grid().new_shown() == 3 && app.grid().len() == 15
        });
        for id in &posted {
            let marked =
                (0..harness.state().grid().len()).filter_map(|at| harness.state().grid().path(at)).any(|path| {
                    path.file_stem().is_some_and(|stem| stem == id.as_str()) && harness.state().grid().is_new(path)
                });
            assert!(marked, "{id} is marked new");
        }
        assert!(harness.query_all_by_label("3 new").next().is_some(), "the grid says how many are new");
    }

    #[test]
    fn with_the_setting_on_a_check_starts_by_itself_and_the_next_is_planned() {
        let dir = tempfile::tempdir().expect("tempdir");
        let demo = DemoConfig { images: 6, ..DemoConfig::default() };
        let config = crate::support::app_config(dir.path(), demo, true);
        let archive = config.archive.clone().expect("an archive");
        let followed = galley::archive::Archive::open(&archive).expect("archive");
        followed.follow("t/cats/time/week", &dir.path().join("cats"), 1).expect("followed");
        drop(followed);
        let app = GalleyApp::new(&egui::Context::default(), config, Settings::default()).expect("app starts");
        let mut harness = Harness::builder()
            .with_size(egui::vec2(1200.0, 900.0))
            .build_ui_state(|ui, app: &mut GalleyApp| app.ui_contents(ui), app);
        step_until(&mut harness, "the demo server and the follows", |app| {
            app.demo_server().is_some() && app.following().rows().len() == 1
        });
        for _ in 0..20 {
            harness.step();
        }
        assert!(harness.state().following().rows()[0].record.checked_at.is_none(), "off: no check by itself");

        harness.state_mut().settings.follow_check_hours = 2;
        step_until(&mut harness, "the check the setting starts", |app| {
            checked(app) && app.following().rows()[0].record.checked_at.is_some()
        });
        assert_eq!(harness.state().following().rows()[0].record.new_at_check, 6);
        assert_eq!(std::fs::read_dir(dir.path().join("cats")).expect("saved").count(), 6);
        let next = harness.state().following().next_check().expect("the next one is planned");
        let hours = next.saturating_duration_since(Instant::now()).as_secs_f64() / 3600.0;
        assert!((1.9..=2.0).contains(&hours), "in two hours: {hours:.2}");
    }

    #[test]
    fn the_galleries_form_follows_a_tag_newest_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = crate::support::app_config(dir.path(), DemoConfig::default(), true);
        let app = GalleyApp::new(&egui::Context::default(), config, Settings::default()).expect("app starts");
        let mut harness = Harness::builder()
            .with_size(egui::vec2(1200.0, 900.0))
            .build_ui_state(|ui, app: &mut GalleyApp| app.ui_contents(ui), app);
        step_until(&mut harness, "the follows read", |app| app.demo_server().is_some());
        harness.get_by_label("Galleries").click();
        harness.run_steps(2);
        harness.get_by_label("A tag...").click();
        harness.run_steps(2);
        let field = harness.get_by_role_and_label(Role::TextInput, "Tag");
        field.focus();
        field.type_text("cats");
        harness.step();
        // The form's Follow (the queued demo gallery has one too: the form's comes first).
        press(&mut harness, "Follow", 0);
        step_until(&mut harness, "the follow", |app| app.following().rows().len() == 1);
        assert_eq!(harness.state().following().rows()[0].record.source, "t/cats/time/week");
        assert_eq!(harness.state().queue().entries().len(), 1, "followed, not queued");
        assert!(harness.query_all_by_label("Queue it").next().is_none(), "the form closes");
    }
}
