//! Reposts: what finding them costs and how well the hashes tell copies from different
//! pictures (issue 25). Run: `cargo bench --bench dupes` (the bench profile, release-like;
//! one run, about a minute on 2 cores). Prints:
//!
//! 1. Separation: `ORIGINALS` different pictures in the demo gallery's style (plasma,
//!    discs, noise: `galley::demo::painting`, 5 sizes), each saved as a JPEG (quality 85)
//!    and reposted five ways (half size, JPEG quality 35, a PNG copy, a 3% crop scaled
//!    back, 12% brighter) plus a harsher crop (3% off every side). Every file goes
//!    through galley's own thumbnail path (`thumbnail_bytes`, 256 px), and both hashes
//!    are made from those pixels. Printed: the distance between each repost and its
//!    original (largest, mean) per case and hash, and the distances between different
//!    pictures (smallest, 0.1st percentile), and how many pairs each threshold would get
//!    wrong.
//! 2. Cost per image: the thumbnail (decode + downscale) against each hash made from its
//!    pixels, over those files, on one thread.
//! 3. A cold folder: `COLD_FILES` of those files thumbnailed into a fresh cache as the
//!    background thumbnailer does (one thread: read, decode, downscale, PNG into the
//!    cache), against the same with the hash made from those pixels and stored (what
//!    hashing adds to a cold folder), and `find_reposts` on a folder galley never saw
//!    (all that plus the listing, the index rows and the grouping); median of 5.
//! 4. Grouping 50,000 hashes: `GROUPED` synthetic hashes (45,000 random, 5,000 planted
//!    copies 0 to 6 bits from a random original), stored in an index, then read back and
//!    grouped at the default threshold (and others): median of 5 runs, and the most heap
//!    the grouping held at once (this benchmark's allocator counts every byte).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use galley::demo::painting;
use galley::library::hashes::HashStore;
use galley::library::reposts::{self, DEFAULT_THRESHOLD};
use galley::library::{
    FileStat, FindOptions, LibraryPlaces, LibraryStores, ThumbnailCache, ThumbnailPixels, find_reposts, phash,
};
use galley::media::{THUMBNAIL_SIDE, thumbnail_bytes};
use image::{DynamicImage, ImageFormat, RgbImage};

const ORIGINALS: usize = 160;
const SIZES: [(u32, u32); 5] = [(1200, 900), (800, 600), (900, 1200), (1024, 768), (640, 640)];
const COLD_FILES: usize = 300;
const GROUPED: usize = 50_000;

/// The system allocator, counting the bytes held now and the most held at once.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: passed on unchanged to the system allocator.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let held = HELD.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(held, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `pointer` came from `alloc` with this layout.
        unsafe { System.dealloc(pointer, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// How a picture was reposted.
const CASES: [&str; 6] = ["half size", "JPEG q35", "PNG copy", "3% crop", "12% brighter", "3% off each side"];

fn main() {
    let started = Instant::now();
    println!("dupes benchmark: {ORIGINALS} different pictures in the demo style, each reposted {} ways", CASES.len());
    let corpus = corpus();
    let files: Vec<&Vec<u8>> =
        corpus.iter().flat_map(|picture| std::iter::once(&picture.original).chain(&picture.reposts)).collect();

    // 1 and 2: every file through the thumbnail path, both hashes from its pixels.
    let mut thumbnail_time = Duration::ZERO;
    let (mut dhash_time, mut phash_time) = (Duration::ZERO, Duration::ZERO);
    let mut hashes: Vec<(u64, u64)> = Vec::with_capacity(files.len());
    for bytes in &files {
        let clock = Instant::now();
        let decoded = thumbnail_bytes(bytes, THUMBNAIL_SIDE).expect("the bench's files decode");
        thumbnail_time += clock.elapsed();
        let pixels = &decoded.pixels;
        let clock = Instant::now();
        let d = phash::dhash(&pixels.rgba, pixels.width, pixels.height).expect("a whole buffer");
        dhash_time += clock.elapsed();
        let clock = Instant::now();
        let p = phash::phash(&pixels.rgba, pixels.width, pixels.height).expect("a whole buffer");
        phash_time += clock.elapsed();
        hashes.push((d, p));
    }
    separation(&hashes);
    let per = |time: Duration| time.as_secs_f64() * 1e6 / files.len() as f64;
    println!();
    println!("## Cost per image ({} files, one thread)", files.len());
    println!("| step | µs per image | of the thumbnail |");
    println!("|---|---:|---:|");
    println!("| thumbnail (decode + downscale to 256 px) | {:.0} | 100% |", per(thumbnail_time));
    for (name, time) in [("difference hash (9x8)", dhash_time), ("DCT hash (32x32, 8x8 kept)", phash_time)] {
        println!(
            "| {name} from the thumbnail's pixels | {:.1} | {:.2}% |",
            per(time),
            100.0 * per(time) / per(thumbnail_time)
        );
    }

    cold_folder(&files);
    grouping();
    println!();
    println!(
        "whole run: {:.0} s, peak RSS of the process {} MB",
        started.elapsed().as_secs_f64(),
        peak_rss_kb() / 1024
    );
}

struct Picture {
    original: Vec<u8>,
    reposts: Vec<Vec<u8>>,
}

fn corpus() -> Vec<Picture> {
    (0..ORIGINALS)
        .map(|at| {
            let (width, height) = SIZES[at % SIZES.len()];
            let image = DynamicImage::ImageRgb8(painting(width, height, 1000 + at as u64));
            let original = encode_jpeg(&image, 85);
            // Reposts are made from the original as saved, as a reposter would.
            let saved = image::load_from_memory(&original).expect("decodes");
            Picture { reposts: reposts_of(&saved), original }
        })
        .collect()
}

/// The repost cases of `CASES`, in order.
fn reposts_of(image: &DynamicImage) -> Vec<Vec<u8>> {
    let (width, height) = (image.width(), image.height());
    let half = image.resize_exact(width / 2, height / 2, image::imageops::FilterType::Triangle);
    let crop = |each_side: f64| {
        let (dx, dy) = ((width as f64 * each_side) as u32, (height as f64 * each_side) as u32);
        image.crop_imm(dx, dy, width - 2 * dx, height - 2 * dy).resize_exact(
            width,
            height,
            image::imageops::FilterType::Triangle,
        )
    };
    let brighter = DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        let pixel = image.as_rgb8().map_or(image::Rgb([0, 0, 0]), |rgb| *rgb.get_pixel(x, y));
        image::Rgb(pixel.0.map(|value| (f64::from(value) * 1.12).min(255.0) as u8))
    }));
    let mut png = std::io::Cursor::new(Vec::new());
    image.write_to(&mut png, ImageFormat::Png).expect("encodes");
    vec![
        encode_jpeg(&half, 85),
        encode_jpeg(image, 35),
        png.into_inner(),
        encode_jpeg(&crop(0.015), 85),
        encode_jpeg(&brighter, 85),
        encode_jpeg(&crop(0.03), 85),
    ]
}

fn encode_jpeg(image: &DynamicImage, quality: u8) -> Vec<u8> {
    let mut bytes = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
    image.to_rgb8().write_with_encoder(encoder).expect("encodes");
    bytes
}

/// Prints how far reposts are from their originals and different pictures from each other.
fn separation(hashes: &[(u64, u64)]) {
    let per_picture = 1 + CASES.len();
    println!();
    println!("## Separation (bits of 64 that differ)");
    for (name, pick) in [("difference hash", 0usize), ("DCT hash", 1)] {
        let hash = |at: usize| if pick == 0 { hashes[at].0 } else { hashes[at].1 };
        println!();
        println!("### {name}");
        println!("| repost case | largest | mean |");
        println!("|---|---:|---:|");
        let mut worst_repost = 0;
        let mut repost_distances = Vec::new();
        for (case, label) in CASES.iter().enumerate() {
            let distances: Vec<u32> = (0..ORIGINALS)
                .map(|picture| phash::distance(hash(picture * per_picture), hash(picture * per_picture + 1 + case)))
                .collect();
            let largest = distances.iter().copied().max().unwrap_or(0);
            let mean = distances.iter().sum::<u32>() as f64 / distances.len() as f64;
            println!("| {label} | {largest} | {mean:.1} |");
            // The harsher crop is reported, not required.
            if case < 5 {
                worst_repost = worst_repost.max(largest);
                repost_distances.extend(distances);
            }
        }
        let mut different: Vec<u32> = Vec::new();
        for a in 0..ORIGINALS {
            for b in a + 1..ORIGINALS {
                different.push(phash::distance(hash(a * per_picture), hash(b * per_picture)));
            }
        }
        different.sort_unstable();
        let permille = different[different.len() / 1000];
        println!(
            "| different pictures ({} pairs) | smallest {} | 0.1st percentile {permille}, median {} |",
            different.len(),
            different[0],
            different[different.len() / 2]
        );
        println!(
            "threshold: reposts missed (of {}) / pairs of different pictures grouped (of {}):",
            repost_distances.len(),
            different.len()
        );
        let line: Vec<String> = [4u32, 6, 8, 10, 12, 14, 16]
            .iter()
            .map(|&t| {
                let missed = repost_distances.iter().filter(|&&d| d > t).count();
                let wrong = different.iter().filter(|&&d| d <= t).count();
                format!("{t}: {missed}/{wrong}")
            })
            .collect();
        println!("  {}  (largest required repost distance {worst_repost})", line.join(", "));
    }
}

/// A cold folder: thumbnailing alone against the whole search for reposts.
fn cold_folder(files: &[&Vec<u8>]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("pictures");
    std::fs::create_dir_all(&folder).expect("folder");
    let count = files.len().min(COLD_FILES);
    for (at, bytes) in files.iter().take(count).enumerate() {
        let extension = if bytes.starts_with(b"\x89PNG") { "png" } else { "jpg" };
        std::fs::write(folder.join(format!("{at:04}.{extension}")), bytes).expect("write");
    }
    let stat_of = |path: &std::path::Path| {
        let metadata = std::fs::metadata(path).expect("stat");
        let mtime = metadata.modified().expect("mtime").duration_since(std::time::UNIX_EPOCH).expect("after 1970");
        FileStat { mtime: mtime.as_secs() as i64, bytes: metadata.len() }
    };
    let mut paths: Vec<_> = std::fs::read_dir(&folder).expect("list").flatten().map(|entry| entry.path()).collect();
    paths.sort();

    // Each pass thumbnails the folder into a fresh cache as the background thumbnailer
    // does (read, decode, downscale, PNG into the cache); "with the hash" also makes the
    // DCT hash from those pixels and stores it (as `remember_hash` and the flush after a
    // batch do). Interleaved, so both see the same machine.
    let thumbnail_pass = |cache: &ThumbnailCache, hashes: Option<&HashStore>| {
        let clock = Instant::now();
        for path in &paths {
            let decoded = thumbnail_bytes(&std::fs::read(path).expect("read"), THUMBNAIL_SIDE).expect("decodes");
            let pixels = &decoded.pixels;
            let stored = ThumbnailPixels {
                rgba: &pixels.rgba,
                width: pixels.width,
                height: pixels.height,
                image_size: Some((decoded.width, decoded.height)),
            };
            cache.store(path, stat_of(path), stored).expect("stored");
            if let Some(hashes) = hashes {
                let hash = phash::repost_hash(&pixels.rgba, pixels.width, pixels.height).expect("hash");
                hashes.record(path, stat_of(path), hash);
            }
        }
        if let Some(hashes) = hashes {
            hashes.flush().expect("hashes stored");
        }
        clock.elapsed().as_secs_f64()
    };
    let mut thumbnailing = Vec::new();
    let mut with_hash = Vec::new();
    let mut searching = Vec::new();
    for round in 0..5 {
        thumbnailing.push(thumbnail_pass(&ThumbnailCache::new(dir.path().join(format!("thumbs-{round}"))), None));
        let hashes = HashStore::new(&dir.path().join(format!("hashes-{round}.sqlite")));
        let cache = ThumbnailCache::new(dir.path().join(format!("thumbs-hashed-{round}")));
        with_hash.push(thumbnail_pass(&cache, Some(&hashes)));

        let places = LibraryPlaces::inside(&dir.path().join(format!("library-{round}")));
        let stores = LibraryStores::new(&places);
        let options = FindOptions { threshold: DEFAULT_THRESHOLD, workers: 1 };
        let clock = Instant::now();
        let report = find_reposts(&places, &stores, &folder, options, &Default::default(), &|_, _| {}).expect("found");
        searching.push(clock.elapsed().as_secs_f64());
        assert_eq!(report.decoded, count, "a cold search decodes every picture once");
        if round == 0 {
            let clock = Instant::now();
            let again =
                find_reposts(&places, &stores, &folder, options, &Default::default(), &|_, _| {}).expect("found");
            println!();
            println!(
                "## A cold folder ({count} files, one thread; median of 5)\nwarm search again (every hash in the index): {:.0} ms, {} groups",
                clock.elapsed().as_secs_f64() * 1000.0,
                again.groups.len()
            );
        }
    }
    let (thumbs, hashed, search) = (median(&mut thumbnailing), median(&mut with_hash), median(&mut searching));
    println!("| pass | seconds | per file | over thumbnailing |");
    println!("|---|---:|---:|---:|");
    let row = |what: &str, seconds: f64| {
        println!(
            "| {what} | {seconds:.2} | {:.2} ms | {:+.1}% |",
            seconds * 1000.0 / count as f64,
            100.0 * (seconds - thumbs) / thumbs
        );
    };
    row("thumbnailing (read, decode, downscale, PNG into the cache)", thumbs);
    row("thumbnailing with the hash (+ DCT hash, stored in the index)", hashed);
    row("galley dupes on a folder never seen (+ listing, index rows, grouping)", search);
}

/// 50,000 hashes: stored, read back, grouped.
fn grouping() {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let originals = GROUPED - GROUPED / 10;
    let mut hashes: Vec<u64> = (0..originals).map(|_| next()).collect();
    let mut planted = Vec::new();
    for _ in originals..GROUPED {
        let of = (next() % originals as u64) as usize;
        let mut copy = hashes[of];
        for _ in 0..next() % 7 {
            copy ^= 1 << (next() % 64);
        }
        planted.push((of, hashes.len()));
        hashes.push(copy);
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let index = dir.path().join("library.sqlite");
    let folder = std::path::Path::new("/bench/pictures");
    let store = HashStore::new(&index);
    for (at, &hash) in hashes.iter().enumerate() {
        store.record(&folder.join(format!("{at:05}.jpg")), FileStat { mtime: 1, bytes: 2 }, hash);
    }
    store.flush().expect("written");

    println!();
    println!("## Grouping {GROUPED} hashes (45,000 random + 5,000 copies 0-6 bits away; median of 5)");
    println!("| threshold | read from the index | grouped | groups | planted copies found |");
    println!("|---:|---:|---:|---:|---:|");
    for threshold in [8, DEFAULT_THRESHOLD, 16] {
        let (mut reads, mut groupings) = (Vec::new(), Vec::new());
        let mut found = Vec::new();
        for _ in 0..5 {
            let store = HashStore::new(&index);
            let clock = Instant::now();
            let stored = store.load_folder(folder).expect("read");
            let mut values: Vec<(String, u64)> = stored.into_iter().map(|(name, (_, hash))| (name, hash)).collect();
            values.sort_unstable();
            reads.push(clock.elapsed().as_secs_f64());
            let values: Vec<u64> = values.into_iter().map(|(_, hash)| hash).collect();
            let clock = Instant::now();
            found = reposts::group(&values, threshold);
            groupings.push(clock.elapsed().as_secs_f64());
        }
        let mut group_of = vec![usize::MAX; hashes.len()];
        for (number, group) in found.iter().enumerate() {
            group.iter().for_each(|&member| group_of[member] = number);
        }
        let together =
            planted.iter().filter(|&&(a, b)| group_of[a] != usize::MAX && group_of[a] == group_of[b]).count();
        println!(
            "| {threshold} | {:.0} ms | {:.0} ms | {} | {together} of {} |",
            median(&mut reads) * 1000.0,
            median(&mut groupings) * 1000.0,
            found.len(),
            planted.len()
        );
    }
    let before = HELD.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let found = reposts::group(&hashes, DEFAULT_THRESHOLD);
    let peak = PEAK.load(Ordering::Relaxed);
    println!(
        "memory: grouping 50,000 hashes at the default threshold held at most {:.1} MB of heap at once (its tables, one union-find per thread, the {} groups); the hashes themselves are 0.4 MB",
        peak.saturating_sub(before) as f64 / 1e6,
        found.len()
    );
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|line| line.starts_with(field))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

fn peak_rss_kb() -> u64 {
    status_kb("VmHWM:")
}
