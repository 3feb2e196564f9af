//! `cargo bench --bench library`: the library at the folder sizes people keep.
//!
//! A folder of `LIBRARY_BENCH_IMAGES` (default 50,000) images of the demo gallery's mix is
//! generated once under target/bench-library/ and reused. The engine is driven as the app
//! drives it (OpenFolder, then Want for the screen the grid shows) and timed:
//! cold first open (fresh cache and index), a scroll to a random position, and a warm
//! reopen. Prints a table; asserts nothing about time (numbers, not a timed test).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use galley::demo::{DemoConfig, demo_gallery};
use galley::engine::{Engine, Event};
use galley::library::{LibraryCommand, LibraryEvent, LibraryPlaces, worker_counts};
use galley::library::{Listing, Query, query};

/// Tiles on one screen of the grid at 1280x820 (8 columns x 6 rows of 144 pt cells).
const SCREEN: usize = 48;
const WAIT: Duration = Duration::from_secs(1800);

fn main() -> anyhow::Result<()> {
    let count: usize = std::env::var("LIBRARY_BENCH_IMAGES").ok().and_then(|n| n.parse().ok()).unwrap_or(50_000);
    let runs: usize = std::env::var("LIBRARY_BENCH_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(7).max(1);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("bench-library");
    let folder = root.join(format!("images-{count}"));
    let started = Instant::now();
    let made = generate(&folder, count)?;
    if made > 0 {
        println!("generated {made} images in {:.1} s", started.elapsed().as_secs_f64());
    }
    let places_dir = root.join("places");
    let _ = std::fs::remove_dir_all(&places_dir);
    let places = LibraryPlaces::inside(&places_dir);
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    println!("library benchmark: {count} images in {}, {cores} cores", folder.display());

    if std::env::var_os("LIBRARY_BENCH_COLD_SCREEN_ONLY").is_some() {
        let cold_screens = cold_first_screens(&root, &folder, runs)?;
        println!("| cold open: folder listed | {} |", cold_screens.summary(0));
        println!("| cold open: first screen ({SCREEN} thumbnails) | {} |", cold_screens.summary(1));
        return Ok(());
    }

    // Cold: no index, no thumbnails.
    let mut cold = Session::start(&places)?;
    let opened = Instant::now();
    let entries = cold.open(&folder)?;
    let listed = opened.elapsed();
    let screen = first_screen(&entries, 0);
    cold.want(&screen)?;
    cold.wait_thumbnails(&screen)?;
    let cold_first_screen = opened.elapsed();
    let total = cold.wait_all_made()?;
    let cold_all = opened.elapsed();

    // A scroll to a random place (the cache is warm now).
    // A fixed "random" place well inside the folder (about 61% of the way down).
    let position = count * 7919 / 13_000;
    let scrolled_to = first_screen(&entries, position.saturating_sub(SCREEN));
    let scrolled = Instant::now();
    cold.want(&scrolled_to)?;
    cold.wait_thumbnails(&scrolled_to)?;
    let scroll = scrolled.elapsed();
    // The app's path in one engine, as the app runs one: the peak so far.
    let one_session_rss = peak_rss_mb();
    drop(cold);

    // Warm: new starts on the same index and cache.
    settle();
    let mut warm = Repeated::default();
    for _ in 0..runs {
        let mut session = Session::start(&places)?;
        let reopened = Instant::now();
        let (indexed, first_listing) = session.first_listing(&folder)?;
        let screen = first_screen(&indexed, 0);
        session.want(&screen)?;
        session.wait_thumbnails(&screen)?;
        let first_screen = reopened.elapsed();
        session.wait_complete(&folder)?;
        warm.push([first_listing, first_screen, reopened.elapsed()]);
    }

    // The cold first screen again, each time on a fresh index and cache of its own (the
    // full cold pass above is a single run, and the time to a first screen swings).
    settle();
    let cold_screens = cold_first_screens(&root, &folder, runs)?;

    // The machine's capacity: a second cold pass with every core thumbnailing in the
    // background (the app keeps one for the window).
    let cache_mb = folder_bytes(&places.thumbnails) as f64 / 1e6;
    let _ = std::fs::remove_dir_all(&places_dir);
    settle();
    let mut all_cores = Session::start_with_workers(&places, (cores, cores))?;
    let opened_again = Instant::now();
    all_cores.open(&folder)?;
    let listed_again = opened_again.elapsed();
    let total_again = all_cores.wait_all_made()?;
    let all_cores_time = opened_again.elapsed() - listed_again;
    drop(all_cores);

    let rate = total as f64 / (cold_all - listed).as_secs_f64().max(1e-9);
    let rate_all_cores = total_again as f64 / all_cores_time.as_secs_f64().max(1e-9);
    let (_, background) = worker_counts();
    println!();
    println!("| measure | result |");
    println!("|---|---|");
    println!(
        "Times in ms are the median of {runs} runs [fastest-slowest] where it says so; the first cold pass is one run."
    );
    println!("| cold open: folder listed | {:.0} ms; {} |", ms(listed), cold_screens.summary(0));
    println!(
        "| cold open: first screen ({SCREEN} thumbnails) | {:.0} ms; {} |",
        ms(cold_first_screen),
        cold_screens.summary(1)
    );
    println!(
        "| cold open: all {total} thumbnails made ({background} background worker(s), the app's policy) | {:.1} s ({rate:.0} images/s) |",
        cold_all.as_secs_f64()
    );
    println!(
        "| cold: all {total_again} thumbnails made with all {cores} cores in the background | {:.1} s ({rate_all_cores:.0} images/s) |",
        all_cores_time.as_secs_f64()
    );
    println!(
        "| thumbnail cache size | {cache_mb:.0} MB ({:.1} KB a thumbnail) |",
        cache_mb * 1000.0 / total.max(1) as f64
    );
    println!("| scroll to position {position}: that screen | {:.0} ms |", ms(scroll));
    println!("| warm reopen: first listing from the index | {} |", warm.summary(0));
    println!("| warm reopen: first screen | {} |", warm.summary(1));
    println!("| warm reopen: whole folder indexed and checked | {} |", warm.summary(2));
    println!("| peak RSS, one engine (cold open, every thumbnail made, a scroll) | {one_session_rss} MB |");
    println!("| peak RSS, the whole benchmark ({} engines one after another) | {} MB |", 2 * runs + 2, peak_rss_mb());
    Ok(())
}

/// The cold first open `runs` times, each on a fresh index and cache of its own: the
/// times to the listing and to the first screen of thumbnails.
fn cold_first_screens(root: &Path, folder: &Path, runs: usize) -> anyhow::Result<Repeated> {
    let mut cold_screens = Repeated::default();
    for run in 0..runs {
        let fresh = LibraryPlaces::inside(&root.join(format!("places-cold-{run}")));
        let mut session = Session::start(&fresh)?;
        let opened = Instant::now();
        let entries = session.open(folder)?;
        let listed = opened.elapsed();
        let screen = first_screen(&entries, 0);
        session.want(&screen)?;
        session.wait_thumbnails(&screen)?;
        cold_screens.push([listed, opened.elapsed(), Duration::ZERO]);
    }
    for run in 0..runs {
        let _ = std::fs::remove_dir_all(root.join(format!("places-cold-{run}")));
    }
    Ok(cold_screens)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Lets the disk write back what the last part wrote (gigabytes of thumbnails), so the
/// next part is not measured under that load.
fn settle() {
    if let Err(error) = std::process::Command::new("sync").status() {
        eprintln!("sync: {error}");
    }
    std::thread::sleep(Duration::from_secs(1));
}

/// Several runs of the same few measures.
#[derive(Default)]
struct Repeated {
    runs: Vec<[Duration; 3]>,
}

impl Repeated {
    fn push(&mut self, measures: [Duration; 3]) {
        self.runs.push(measures);
    }

    /// "median [fastest-slowest]" of measure `which`, in ms.
    fn summary(&self, which: usize) -> String {
        let mut times: Vec<f64> = self.runs.iter().map(|run| ms(run[which])).collect();
        times.sort_by(f64::total_cmp);
        match (times.first(), times.get(times.len() / 2), times.last()) {
            (Some(fastest), Some(median), Some(slowest)) => {
                format!("median {median:.0} ms [{fastest:.0}-{slowest:.0}]")
            }
            _ => "no runs".to_owned(),
        }
    }
}

/// The screen the grid shows from `start` in its default order (date saved, then name),
/// which comes with the listing as it does to the grid.
fn first_screen(listing: &Listing, start: usize) -> Vec<PathBuf> {
    let entries = listing.entries();
    let sorted = listing.sorted().filter(|sorted| sorted.sort == Query::default().sort_order());
    let order = sorted.map_or_else(|| query::order(entries, &Query::default()), |sorted| sorted.order.clone());
    order.iter().skip(start).take(SCREEN).map(|&index| entries[index].path.clone()).collect()
}

/// An engine, as the app holds one.
struct Session {
    engine: Engine,
    events: tokio::sync::mpsc::Receiver<Event>,
    made: HashSet<PathBuf>,
    /// The folder's complete listing has come.
    complete: bool,
}

impl Session {
    fn start(places: &LibraryPlaces) -> anyhow::Result<Self> {
        Self::start_with_workers(places, worker_counts())
    }

    fn start_with_workers(places: &LibraryPlaces, workers: (usize, usize)) -> anyhow::Result<Self> {
        let (engine, events) = Engine::start_with_workers(Arc::new(|| {}), places.clone(), workers)?;
        Ok(Self { engine, events, made: HashSet::new(), complete: false })
    }

    /// The library's next event; a failure the benchmark would otherwise wait on forever
    /// is an error.
    fn next(&mut self, deadline: Instant) -> anyhow::Result<LibraryEvent> {
        loop {
            anyhow::ensure!(Instant::now() < deadline, "timed out");
            match self.events.blocking_recv() {
                None => anyhow::bail!("the engine stopped"),
                Some(Event::Library(event)) => return failed(event),
                Some(Event::Run(_) | Event::View(_)) => {}
            }
        }
    }

    fn note(&mut self, event: &LibraryEvent) {
        if let LibraryEvent::Thumbnail(thumbnail) = event {
            self.made.insert(thumbnail.path.clone());
        }
    }

    /// Opens `folder` and returns its complete listing.
    fn open(&mut self, folder: &Path) -> anyhow::Result<Listing> {
        self.engine
            .send(LibraryCommand::OpenFolder { folder: folder.to_owned(), order: Query::default().sort_order() });
        let deadline = Instant::now() + WAIT;
        loop {
            match self.next(deadline)? {
                LibraryEvent::Folder { listing, complete: true, .. } => return Ok(listing),
                other => self.note(&other),
            }
        }
    }

    /// Opens `folder` and returns the first listing (the index's, on a warm start).
    fn first_listing(&mut self, folder: &Path) -> anyhow::Result<(Listing, Duration)> {
        let opened = Instant::now();
        self.engine
            .send(LibraryCommand::OpenFolder { folder: folder.to_owned(), order: Query::default().sort_order() });
        let deadline = Instant::now() + WAIT;
        loop {
            match self.next(deadline)? {
                LibraryEvent::Folder { listing, complete, .. } => {
                    self.complete = complete;
                    return Ok((listing, opened.elapsed()));
                }
                other => self.note(&other),
            }
        }
    }

    fn wait_complete(&mut self, _folder: &Path) -> anyhow::Result<()> {
        let deadline = Instant::now() + WAIT;
        while !self.complete {
            match self.next(deadline)? {
                LibraryEvent::Folder { complete: true, .. } => self.complete = true,
                other => self.note(&other),
            }
        }
        Ok(())
    }

    /// Asks for the thumbnails of `paths` not come yet, as the grid does when it draws
    /// them (after taking in the events that came).
    fn want(&mut self, paths: &[PathBuf]) -> anyhow::Result<()> {
        while let Ok(event) = self.events.try_recv() {
            if let Event::Library(event) = event {
                self.note(&failed(event)?);
            }
        }
        let missing = paths.iter().filter(|path| !self.made.contains(*path) && !is_video(path)).cloned();
        self.engine.send(LibraryCommand::Want(missing.collect()));
        Ok(())
    }

    fn wait_thumbnails(&mut self, paths: &[PathBuf]) -> anyhow::Result<()> {
        let wanted: HashSet<&PathBuf> = paths.iter().filter(|path| !is_video(path)).collect();
        let deadline = Instant::now() + WAIT;
        while !wanted.iter().all(|path| self.made.contains(*path)) {
            let event = self.next(deadline)?;
            self.note(&event);
        }
        Ok(())
    }

    /// Waits until the background has made every thumbnail; returns how many.
    fn wait_all_made(&mut self) -> anyhow::Result<usize> {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.next(deadline)? {
                LibraryEvent::Progress { made, total, .. } if made >= total => return Ok(total),
                other => self.note(&other),
            }
        }
    }
}

/// A failure the benchmark would otherwise wait on forever, as an error.
fn failed(event: LibraryEvent) -> anyhow::Result<LibraryEvent> {
    match event {
        LibraryEvent::FolderFailed { folder, reason, .. } => anyhow::bail!("{}: {reason}", folder.display()),
        LibraryEvent::ThumbnailFailed { path, reason } => anyhow::bail!("{}: {reason}", path.display()),
        event => Ok(event),
    }
}

fn is_video(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension == "mp4")
}

/// Writes the demo gallery's first `count` pictures into `folder` (once: a marker says
/// the folder is complete). Returns how many were written now.
fn generate(folder: &Path, count: usize) -> anyhow::Result<usize> {
    let marker = folder.join(".complete");
    if marker.exists() {
        return Ok(0);
    }
    std::fs::create_dir_all(folder)?;
    let gallery = demo_gallery(&DemoConfig { images: count, ..DemoConfig::default() });
    let mut written = 0;
    for image in gallery.images().filter(|image| !image.kind.animated()).take(count) {
        let path = folder.join(format!("{}.{}", image.id, image.kind.extension()));
        std::fs::write(&path, image.bytes()?)?;
        written += 1;
    }
    std::fs::write(marker, b"")?;
    Ok(written)
}

/// The bytes of the files under `folder`, recursively.
fn folder_bytes(folder: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(folder) else { return 0 };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(metadata) if metadata.is_dir() => folder_bytes(&entry.path()),
            Ok(metadata) => metadata.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_rss_mb() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|line| line.starts_with("VmHWM:"));
    let kb: Option<u64> = line.and_then(|line| line.split_whitespace().nth(1)).and_then(|kb| kb.parse().ok());
    kb.map_or("?".to_owned(), |kb| format!("{:.0}", kb as f64 / 1024.0))
}
