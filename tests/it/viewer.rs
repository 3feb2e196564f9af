//! The viewer driven with egui_kittest (no display, no GPU) on a folder of generated
//! images: zoom about the cursor, 1:1, small images not stretched, stepping with the
//! position label, preloaded neighbours, Esc, full screen, the slideshow, animated GIFs,
//! and the grid revealing the image that was viewed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::ViewportId;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use galley::demo::DemoConfig;
use galley::library::LibraryPlaces;
use galley::ui::{AppConfig, GalleyApp, SLIDESHOW_INTERVAL, Settings};
use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, DynamicImage, Frame, RgbaImage};

/// Bound on any wait for the app to reach a state.
const WAIT_BOUND: Duration = Duration::from_secs(60);
/// Simulated time per frame: fine enough to see each frame of a 100 ms animation.
const STEP: f32 = 0.05;
/// Small images in the folder besides the three named ones: enough that the grid scrolls.
const FILLERS: usize = 60;
const BIG: &str = "big.jpg";
// Named to sort before the fillers, so its tile is on the first screen.
const SMALL: &str = "b-small.png";
const ANIMATION: &str = "animation.gif";

struct Fixture {
    _dir: tempfile::TempDir,
    folder: PathBuf,
    harness: Harness<'static, GalleyApp>,
}

/// The app showing a folder of generated images: a 3000x2000 JPEG, a 200x150 PNG, a
/// four-frame GIF and `FILLERS` small PNGs.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("pictures");
    std::fs::create_dir_all(&folder).expect("folder");
    gradient(3000, 2000).save(folder.join(BIG)).expect("big");
    gradient(200, 150).save(folder.join(SMALL)).expect("small");
    std::fs::write(folder.join(ANIMATION), animated_gif(120, 90, 4)).expect("gif");
    for n in 0..FILLERS {
        gradient(48, 36).save(folder.join(format!("filler-{n:02}.png"))).expect("filler");
    }
    let config = AppConfig {
        config_dir: dir.path().join("config"),
        archive: None,
        demo: DemoConfig::default(),
        demo_folder: dir.path().join("demo-pictures"),
        demo_mode: false,
        autostart: false,
        library: LibraryPlaces::inside(dir.path()),
        browse: None,
    };
    let settings = Settings { folder: folder.display().to_string(), ..Settings::default() };
    let app = GalleyApp::new(&egui::Context::default(), config, settings).expect("app starts");
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .with_step_dt(STEP)
        .build_ui_state(|ui, app: &mut GalleyApp| app.ui_contents(ui), app);
    step_until(&mut harness, "every thumbnail", |app| app.thumbnails() == FILLERS + 3);
    Fixture { _dir: dir, folder, harness }
}

fn gradient(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, 96])
    }))
}

fn animated_gif(width: u32, height: u32, frames: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        encoder.set_repeat(Repeat::Infinite).expect("repeat");
        for n in 0..frames {
            let image = RgbaImage::from_pixel(width, height, image::Rgba([(n * 60) as u8, 80, 160, 255]));
            let frame = Frame::from_parts(image, 0, 0, Delay::from_numer_denom_ms(100, 1));
            encoder.encode_frame(frame).expect("frame");
        }
    }
    out
}

/// Steps frames until `done` holds, or panics after `WAIT_BOUND`.
fn step_until(harness: &mut Harness<'static, GalleyApp>, what: &str, done: impl Fn(&GalleyApp) -> bool) {
    let deadline = Instant::now() + WAIT_BOUND;
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn index_of(harness: &Harness<'static, GalleyApp>, name: &str) -> usize {
    let grid = harness.state().grid();
    (0..grid.len()).find(|&index| grid.path(index).is_some_and(|path| path.ends_with(name))).expect("in the grid")
}

fn path_at(harness: &Harness<'static, GalleyApp>, index: usize) -> PathBuf {
    harness.state().grid().path(index).expect("a tile").to_owned()
}

/// Opens the thumbnail of `name` as a person does with the keyboard (a click selects;
/// Enter or a double click opens).
fn open_tile(harness: &mut Harness<'static, GalleyApp>, name: &str) {
    harness.get_by_label(name).focus();
    harness.step();
    harness.key_press(egui::Key::Enter);
}

/// Opens the thumbnail of `name` and waits until the viewer shows it, drawn.
fn open(fixture: &mut Fixture, name: &str) {
    open_tile(&mut fixture.harness, name);
    let path = fixture.folder.join(name);
    step_until(&mut fixture.harness, name, |app| {
        app.viewer().is_some_and(|viewer| viewer.path() == path && viewer.image_rect().is_some())
    });
}

fn image_rect(harness: &Harness<'static, GalleyApp>) -> egui::Rect {
    harness.state().viewer().and_then(|viewer| viewer.image_rect()).expect("a picture on show")
}

/// Where `point` falls on the picture, as fractions of its width and height.
fn on_picture(rect: egui::Rect, point: egui::Pos2) -> egui::Vec2 {
    (point - rect.min) / rect.size()
}

fn wheel(harness: &mut Harness<'static, GalleyApp>, notches: f32) {
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: egui::vec2(0.0, notches),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    });
    harness.step();
}

fn press(harness: &mut Harness<'static, GalleyApp>, key: egui::Key) {
    harness.key_press(key);
    harness.step();
}

fn close(a: f32, b: f32) -> bool {
    (a - b).abs() < 0.5
}

#[test]
fn wheel_and_plus_zoom_about_the_cursor_and_one_toggles_one_to_one() {
    let mut fixture = fixture();
    open(&mut fixture, BIG);
    let harness = &mut fixture.harness;
    let fitted = image_rect(harness);
    let zoom = |harness: &Harness<'static, GalleyApp>| harness.state().viewer().and_then(|v| v.zoom()).expect("zoom");
    assert!(zoom(harness) < 1.0, "a large image is fitted: {}", zoom(harness));

    let cursor = fitted.min + fitted.size() * egui::vec2(0.3, 0.6);
    harness.hover_at(cursor);
    harness.step();
    wheel(harness, 1.0);
    let zoomed = image_rect(harness);
    assert!(close(zoomed.width(), fitted.width() * 1.25), "{fitted:?} -> {zoomed:?}");
    let kept = on_picture(zoomed, cursor);
    assert!((kept - egui::vec2(0.3, 0.6)).length() < 1e-3, "the point under the cursor moved to {kept:?}");

    press(harness, egui::Key::Plus);
    let plus = image_rect(harness);
    assert!(close(plus.width(), zoomed.width() * 1.25), "{zoomed:?} -> {plus:?}");
    assert!((on_picture(plus, cursor) - egui::vec2(0.3, 0.6)).length() < 1e-3);
    press(harness, egui::Key::Minus);
    assert!(close(image_rect(harness).width(), zoomed.width()));

    press(harness, egui::Key::Num0);
    assert_eq!(image_rect(harness), fitted, "0 fits again");

    press(harness, egui::Key::Num1);
    assert!((zoom(harness) - 1.0).abs() < 1e-4, "1 shows one image pixel per screen pixel");
    let pixels_per_point = harness.ctx.pixels_per_point();
    assert!(close(image_rect(harness).width(), 3000.0 / pixels_per_point));

    // Dragging pans by as much as the pointer moved.
    let before = image_rect(harness);
    let start = before.center().clamp(fitted.min, fitted.max);
    harness.hover_at(start);
    harness.drag_at(start);
    harness.step();
    harness.hover_at(start + egui::vec2(60.0, -25.0));
    harness.step();
    harness.drop_at(start + egui::vec2(60.0, -25.0));
    harness.step();
    let moved = image_rect(harness).center() - before.center();
    assert!(close(moved.x, 60.0) && close(moved.y, -25.0), "moved {moved:?}");

    press(harness, egui::Key::Num1);
    assert_eq!(image_rect(harness), fitted, "1 again goes back to fitting");
}

#[test]
fn a_small_image_is_not_stretched_when_fitting() {
    let mut fixture = fixture();
    open(&mut fixture, SMALL);
    let rect = image_rect(&fixture.harness);
    let pixels_per_point = fixture.harness.ctx.pixels_per_point();
    assert_eq!(rect.size(), egui::vec2(200.0, 150.0) / pixels_per_point);
    // Zoomed (the wheel over the picture), it may grow past 1:1.
    fixture.harness.hover_at(rect.center());
    fixture.harness.step();
    wheel(&mut fixture.harness, 2.0);
    assert!(image_rect(&fixture.harness).width() > rect.width());
}

#[test]
fn arrows_step_with_the_position_label_neighbours_preloaded_and_the_grid_reveals_the_last_image() {
    let mut fixture = fixture();
    let count = FILLERS + 3;
    let first = path_at(&fixture.harness, 0);
    open(&mut fixture, &first.file_name().expect("name").to_string_lossy());
    assert!(fixture.harness.query_by_label(&format!("1 / {count}")).is_some(), "the position is shown");

    // The next image is decoded before it is asked for, so stepping shows it at once.
    let second = path_at(&fixture.harness, 1);
    step_until(&mut fixture.harness, "the next image preloaded", |app| {
        app.viewer().is_some_and(|viewer| viewer.has_decoded(&second))
    });
    fixture.harness.key_press(egui::Key::ArrowRight);
    fixture.harness.step();
    let viewer = fixture.harness.state().viewer().expect("open");
    assert_eq!((viewer.index(), viewer.path(), viewer.is_ready()), (1, second.as_path(), true));
    fixture.harness.step();
    assert!(fixture.harness.query_by_label(&format!("2 / {count}")).is_some());

    // Left steps back and stops at the first image; End and Home jump; Right stops at the end.
    let index = |harness: &Harness<'static, GalleyApp>| harness.state().viewer().map(|viewer| viewer.index());
    for (key, expected) in [
        (egui::Key::ArrowLeft, 0),
        (egui::Key::ArrowLeft, 0),
        (egui::Key::PageDown, 1),
        (egui::Key::End, count - 1),
        (egui::Key::ArrowRight, count - 1),
        (egui::Key::Home, 0),
        (egui::Key::End, count - 1),
    ] {
        press(&mut fixture.harness, key);
        assert_eq!(index(&fixture.harness), Some(expected), "after {key:?}");
    }
    fixture.harness.step();
    assert!(fixture.harness.query_by_label(&format!("{count} / {count}")).is_some());

    // Esc closes; the grid has scrolled to the last image (laid out, so on screen) and
    // highlights it.
    let last = path_at(&fixture.harness, count - 1);
    press(&mut fixture.harness, egui::Key::Escape);
    assert!(fixture.harness.state().viewer().is_none(), "Esc closes the viewer");
    fixture.harness.step();
    fixture.harness.step();
    assert_eq!(fixture.harness.state().grid().revealed(), Some(count - 1));
    let name = last.file_name().expect("name").to_string_lossy().into_owned();
    assert!(fixture.harness.query_by_label(&name).is_some(), "the grid scrolled to {name}");
}

#[test]
fn f_toggles_full_screen_and_space_the_slideshow() {
    let mut fixture = fixture();
    let last = FILLERS + 2;
    let first = path_at(&fixture.harness, 0);
    open(&mut fixture, &first.file_name().expect("name").to_string_lossy());
    let harness = &mut fixture.harness;
    press(harness, egui::Key::End);
    press(harness, egui::Key::ArrowLeft);
    assert_eq!(harness.state().viewer().map(|viewer| viewer.index()), Some(last - 1));
    let fullscreen_sent = |harness: &Harness<'static, GalleyApp>| {
        let commands = &harness.output().viewport_output[&ViewportId::ROOT].commands;
        commands.iter().find_map(|command| match command {
            egui::ViewportCommand::Fullscreen(on) => Some(*on),
            _ => None,
        })
    };

    harness.key_down(egui::Key::F);
    harness.step();
    assert_eq!(fullscreen_sent(harness), Some(true), "f asks the window for full screen");
    assert!(harness.state().viewer().is_some_and(|viewer| viewer.is_fullscreen()));
    harness.key_up(egui::Key::F);
    harness.key_down(egui::Key::F11);
    harness.step();
    assert_eq!(fullscreen_sent(harness), Some(false), "F11 leaves it");
    harness.key_up(egui::Key::F11);
    harness.step();

    press(harness, egui::Key::Space);
    assert!(harness.state().viewer().is_some_and(|viewer| viewer.is_playing_slideshow()));
    assert!(harness.query_by_label_contains("Slideshow: 3 s an image").is_some());
    let started = harness.ctx.input(|input| input.time);
    step_until(harness, "the slideshow to step", |app| app.viewer().is_some_and(|viewer| viewer.index() == last));
    let waited = harness.ctx.input(|input| input.time) - started;
    assert!(waited >= SLIDESHOW_INTERVAL.as_secs_f64(), "stepped after {waited} s");
    // At the last image it stops, and says so.
    step_until(harness, "the slideshow to stop", |app| {
        app.viewer().is_some_and(|viewer| !viewer.is_playing_slideshow())
    });
    harness.step();
    assert!(harness.query_by_label_contains("The slideshow stopped at the last image").is_some());

    // Space starts it again and stops it.
    press(harness, egui::Key::Space);
    press(harness, egui::Key::Space);
    assert!(harness.state().viewer().is_some_and(|viewer| !viewer.is_playing_slideshow()));
}

#[test]
fn an_animated_gif_plays_its_frames_in_turn() {
    let mut fixture = fixture();
    open(&mut fixture, ANIMATION);
    let frame = |harness: &Harness<'static, GalleyApp>| harness.state().viewer().and_then(|v| v.animation_frame());
    assert_eq!(frame(&fixture.harness).map(|(_, frames)| frames), Some(4));
    assert!(fixture.harness.query_by_label("4 frames").is_some());
    let mut seen = vec![frame(&fixture.harness).map_or(0, |(index, _)| index)];
    for _ in 0..20 {
        fixture.harness.step();
        let index = frame(&fixture.harness).map_or(0, |(index, _)| index);
        if seen.last() != Some(&index) {
            seen.push(index);
        }
    }
    assert!(seen.len() >= 5, "frames shown: {seen:?}");
    for pair in seen.windows(2) {
        assert_eq!(pair[1], (pair[0] + 1) % 4, "frames in order: {seen:?}");
    }
}

#[test]
fn an_image_that_cannot_be_decoded_is_explained_in_the_viewer() {
    let mut fixture = fixture();
    // Damaged after the grid thumbnailed it.
    let small = fixture.folder.join(SMALL);
    let bytes = std::fs::read(&small).expect("read");
    std::fs::write(&small, &bytes[..bytes.len() / 2]).expect("cut");
    open_tile(&mut fixture.harness, SMALL);
    step_until(&mut fixture.harness, "the viewer to say so", |app| app.viewer().is_some());
    let deadline = Instant::now() + WAIT_BOUND;
    while fixture.harness.query_by_label_contains("galley cannot show this image").is_none() {
        assert!(Instant::now() < deadline, "no explanation shown");
        fixture.harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(fixture.harness.query_by_label_contains("Details:").is_some(), "with the technical detail after");
    // Stepping on still works.
    let index = index_of(&fixture.harness, SMALL);
    if index + 1 < FILLERS + 3 {
        press(&mut fixture.harness, egui::Key::ArrowRight);
        assert_eq!(fixture.harness.state().viewer().map(|viewer| viewer.index()), Some(index + 1));
    }
}
