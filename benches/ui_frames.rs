//! Frame times of the real app with 5,000 thumbnails in the grid, with a burst of 400
//! new thumbnails arriving at once, and browsing a folder of 50,000 entries (taking the
//! listing, scrolling, sorting, filtering); then the process's peak memory.
//!
//! Measures the CPU side of a frame: the app's `ui` (layout of the visible rows, texture
//! uploads queued to egui) plus tessellation, at 1280x900 points, scrolling the grid a
//! little every frame, 60 frames a second. The GPU upload and draw are not included (no
//! display is needed).
//!
//! Run: `cargo bench --bench ui_frames` (`FRAMES=1` also prints each burst frame, in ms).
//! Goals (issues 3 and 5): frames under 16 ms with 5,000
//! thumbnails, under 33 ms during the burst, peak memory under 300 MB.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use galley::demo::DemoConfig;
use galley::library::{Entry, Listed, Listing, Query, SortKey};
use galley::library::{LibraryPlaces, Thumbnail};
use galley::media::MediaKind;
use galley::media::Pixels;
use galley::ui::{AppConfig, GalleyApp, Settings, UPLOADS_PER_FRAME};

const THUMBNAILS: usize = 5_000;
const BURST: usize = 400;
const FRAMES: usize = 300;
const LIBRARY: usize = 50_000;

fn main() -> anyhow::Result<()> {
    // As the app does when it starts (`galley::ui::run`).
    galley::ui::tune_allocator();
    let dir = tempfile::tempdir()?;
    let folder = dir.path().join("pictures");
    std::fs::create_dir_all(&folder)?;
    let config = AppConfig {
        config_dir: dir.path().join("config"),
        archive: None,
        demo: DemoConfig::default(),
        demo_folder: dir.path().join("demo"),
        demo_mode: false,
        autostart: false,
        library: LibraryPlaces::inside(dir.path()),
        browse: None,
    };
    let settings = Settings { folder: folder.display().to_string(), ..Settings::default() };
    // Real files behind the tiles, so thumbnails evicted from the texture budget can be
    // made again when scrolled back into view, as in the app. The app lists the folder
    // when it opens; its thumbnails are then given as a run would give them.
    write_files(&folder, THUMBNAILS)?;
    let ctx = egui::Context::default();
    let mut app = GalleyApp::new(&ctx, config, settings)?;
    let mut clock = 0.0;
    let listed_by = Instant::now() + Duration::from_secs(60);
    while app.grid().total() < THUMBNAILS {
        anyhow::ensure!(Instant::now() < listed_by, "the app did not list the folder");
        frame(&ctx, &mut app, &mut clock, 0.0);
        std::thread::sleep(Duration::from_millis(10));
    }

    for n in 0..THUMBNAILS {
        app.grid_mut().insert(thumbnail(&folder, n));
    }
    // Let the uploads of everything on screen settle before timing steady frames.
    for _ in 0..60 {
        frame(&ctx, &mut app, &mut clock, 0.0);
    }
    let steady = measure(&ctx, &mut app, &mut clock, FRAMES, -40.0);
    report("5,000 thumbnails, scrolling", &steady, app.thumbnails());
    println!("  textures held after scrolling: {}", app.grid_mut().textures());

    for n in THUMBNAILS..THUMBNAILS + BURST {
        app.grid_mut().insert(thumbnail(&folder, n));
    }
    let burst = measure(&ctx, &mut app, &mut clock, BURST.div_ceil(UPLOADS_PER_FRAME) + 10, -40.0);
    if std::env::var_os("FRAMES").is_some() {
        println!("{:?}", burst.iter().map(|d| d.as_secs_f64() * 1000.0).map(|ms| ms.round()).collect::<Vec<_>>());
    }
    report("burst of 400 new thumbnails", &burst, app.thumbnails());

    library(&ctx, &mut app, &mut clock, &dir.path().join("library"));

    println!("peak memory (VmHWM): {}", peak_rss().unwrap_or_else(|| "unknown".to_owned()));
    Ok(())
}

/// A folder of 50,000 entries as the library lists it (no files behind them: only the
/// grid's own work is timed): the frame that takes the listing, scrolling, and the frame
/// after each change of sort and each keystroke in the filter box (the order is
/// recomputed in that frame).
fn library(ctx: &egui::Context, app: &mut GalleyApp, clock: &mut f64, folder: &std::path::Path) {
    let kinds = [MediaKind::Jpeg, MediaKind::Jpeg, MediaKind::Png, MediaKind::Gif];
    let entries: Vec<Entry> = (0..LIBRARY)
        .map(|n| {
            let kind = kinds[n % kinds.len()];
            // Names in no particular order, as a listing gives them; times and sizes
            // scattered, with ties.
            let id = n * 7919 % LIBRARY;
            let name = format!("image{id}.{}", kind.label().to_lowercase());
            let bytes = 100_000 + (n as u64 * 7919) % 400_000;
            let listed = Listed { name, bytes, mtime: 1_700_000_000 + (n as i64 * 31) % 86_400, kind };
            Entry::new(folder, listed).with_dimensions(Some((800 + (n % 800) as u32, 600)))
        })
        .collect();
    // What the engine does before it sends a folder's entries (off the UI thread).
    let listing = Listing::new(entries.clone(), app.grid().query().sort_order());
    let again = Listing::new(entries, app.grid().query().sort_order());
    let opened = timed(|| {
        app.grid_mut().set_listing(listing, true);
        frame(ctx, app, clock, 0.0);
    });
    report_timed("50,000 entries: the frame that takes the listing", &[opened]);
    // A reopen: the index's listing came first, now the folder's own, over the same tiles.
    let relisted = timed(|| {
        app.grid_mut().set_listing(again, true);
        frame(ctx, app, clock, 0.0);
    });
    report_timed("50,000 entries: the frame that takes the complete listing after the index's", &[relisted]);

    let scrolling = measure(ctx, app, clock, 120, -40.0);
    report("50,000 entries, scrolling", &scrolling, app.thumbnails());

    let mut sorts = Vec::new();
    for sort in SortKey::ALL {
        for descending in [false, true] {
            let query = Query { sort, descending, ..app.grid().query().clone() };
            sorts.push(timed(|| {
                app.grid_mut().set_query(query);
                frame(ctx, app, clock, 0.0);
            }));
        }
    }
    report_timed("50,000 entries, the frame after a change of sort (8 sorts)", &sorts);

    let mut typing = Vec::new();
    for text in ["i", "im", "ima", "imag", "image", "image4", "image42", "image4", "image", ""] {
        let query = Query { text: text.to_owned(), ..app.grid().query().clone() };
        typing.push(timed(|| {
            app.grid_mut().set_query(query);
            frame(ctx, app, clock, 0.0);
        }));
    }
    report_timed("50,000 entries, the frame after a keystroke in the filter (10 keys)", &typing);
}

/// Wall time and this thread's CPU time of `work`. On a machine shared with other work
/// the CPU time is the steadier figure: it leaves out the time the thread waited for a core.
fn timed(work: impl FnOnce()) -> (Duration, Duration) {
    let (wall, cpu) = (Instant::now(), thread_cpu());
    work();
    (wall.elapsed(), thread_cpu().saturating_sub(cpu))
}

#[cfg(unix)]
fn thread_cpu() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid timespec for clock_gettime to write.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// This thread's user and kernel time, which Windows counts in 100 ns ticks.
#[cfg(windows)]
fn thread_cpu() -> Duration {
    use windows_sys::Win32::Foundation::FILETIME;
    use windows_sys::Win32::System::Threading::{GetCurrentThread, GetThreadTimes};
    let zero = || FILETIME { dwLowDateTime: 0, dwHighDateTime: 0 };
    let (mut created, mut exited, mut kernel, mut user) = (zero(), zero(), zero(), zero());
    // SAFETY: the current thread's pseudo-handle is always valid, and the four FILETIMEs
    // are valid for GetThreadTimes to write.
    unsafe { GetThreadTimes(GetCurrentThread(), &mut created, &mut exited, &mut kernel, &mut user) };
    let ticks = |time: FILETIME| (u64::from(time.dwHighDateTime) << 32) | u64::from(time.dwLowDateTime);
    Duration::from_nanos((ticks(kernel) + ticks(user)) * 100)
}

fn report_timed(name: &str, frames: &[(Duration, Duration)]) {
    let ms = |pick: fn(&(Duration, Duration)) -> Duration| -> (f64, f64) {
        let all: Vec<f64> = frames.iter().map(|frame| pick(frame).as_secs_f64() * 1000.0).collect();
        (all.iter().sum::<f64>() / all.len().max(1) as f64, all.iter().copied().fold(0.0, f64::max))
    };
    let ((wall_mean, wall_max), (cpu_mean, cpu_max)) = (ms(|frame| frame.0), ms(|frame| frame.1));
    println!(
        "{name}: wall mean {wall_mean:.2} ms, max {wall_max:.2} ms; CPU mean {cpu_mean:.2} ms, max {cpu_max:.2} ms"
    );
}

fn write_files(folder: &std::path::Path, count: usize) -> anyhow::Result<()> {
    let image = image::RgbImage::from_fn(1200, 900, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut jpeg = std::io::Cursor::new(Vec::new());
    image.write_to(&mut jpeg, image::ImageFormat::Jpeg)?;
    for n in 0..count {
        std::fs::write(folder.join(format!("image{n:05}.jpg")), jpeg.get_ref())?;
    }
    Ok(())
}

/// A synthetic 256x192 thumbnail (the largest size the engine sends is 256x256).
fn thumbnail(folder: &std::path::Path, n: usize) -> Thumbnail {
    let (width, height) = (256u32, 192u32);
    let shade = (n % 251) as u8;
    let rgba = (0..width * height).flat_map(|i| [shade, (i % 256) as u8, 255 - shade, 255]).collect();
    Thumbnail {
        path: PathBuf::from(folder).join(format!("image{n:05}.jpg")),
        bytes: 150_000,
        width: 1200,
        height: 900,
        pixels: Arc::new(Pixels { width, height, rgba }),
    }
}

fn frame(ctx: &egui::Context, app: &mut GalleyApp, clock: &mut f64, scroll: f32) -> Duration {
    *clock += 1.0 / 60.0;
    let mut input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1280.0, 900.0))),
        time: Some(*clock),
        ..Default::default()
    };
    input.events.push(egui::Event::PointerMoved(egui::pos2(900.0, 700.0)));
    if scroll != 0.0 {
        input.events.push(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, scroll),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
    }
    let started = Instant::now();
    let output = ctx.run_ui(input, |ui| app.ui_contents(ui));
    let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
    std::hint::black_box(primitives);
    started.elapsed()
}

/// Runs frames paced at 60 per second, as a display would, so the engine's background
/// work (re-thumbnailing evicted tiles as they scroll back into view) competes for the
/// cores as it does in the app.
fn measure(ctx: &egui::Context, app: &mut GalleyApp, clock: &mut f64, frames: usize, scroll: f32) -> Vec<Duration> {
    let budget = Duration::from_micros(16_667);
    (0..frames)
        .map(|_| {
            let took = frame(ctx, app, clock, scroll);
            std::thread::sleep(budget.saturating_sub(took));
            took
        })
        .collect()
}

fn report(name: &str, frames: &[Duration], thumbnails: usize) {
    let mut ms: Vec<f64> = frames.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let mean = ms.iter().sum::<f64>() / ms.len().max(1) as f64;
    let p99 = ms.get((ms.len() * 99 / 100).min(ms.len().saturating_sub(1))).copied().unwrap_or(0.0);
    let max = ms.last().copied().unwrap_or(0.0);
    println!(
        "{name}: {} frames, {thumbnails} thumbnails: mean {mean:.2} ms, p99 {p99:.2} ms, max {max:.2} ms",
        ms.len()
    );
}

fn peak_rss() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(format!("{:.0} MB", kb / 1024.0))
}
