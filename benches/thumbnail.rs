//! The thumbnail path on its own: decode a saved file's bytes and downscale to fit 256 px,
//! on one core, with the demo gallery's real files (the JPEG, PNG and GIF pictures a
//! `galley fetch --demo` saves, 140-520 KB, 450x800 to 1600x1200).
//!
//! Run: `cargo bench --bench thumbnail`. Criterion prints `thrpt` in elements (images) per
//! second; the benchmark runs on one thread, so that is images/s per core. The goal (issue
//! 5) is at least 400 on the mix.
//!
//! The `viewer` group decodes the same files as the viewer does (at up to `VIEW_SIDE`, every
//! frame of an animated GIF): its time per image is how long a step to an image that was
//! not preloaded waits.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use galley::demo::{DemoConfig, DemoKind, demo_gallery};
use galley::media::{THUMBNAIL_SIDE, VIEW_SIDE, thumbnail_bytes, view_bytes};

/// Enough images that every base picture of every kind appears, in the demo's usual mix.
const IMAGES: usize = 200;

fn demo_files() -> Vec<(DemoKind, Vec<u8>)> {
    let gallery = demo_gallery(&DemoConfig { images: IMAGES, ..DemoConfig::default() });
    gallery
        .images()
        .filter(|image| image.kind.downloadable())
        .map(|image| {
            let bytes = image.bytes().expect("the demo makes its own pictures");
            (image.kind, bytes.to_vec())
        })
        .collect()
}

fn bench_kind(criterion: &mut Criterion, group: &str, name: &str, files: &[&[u8]], decode: fn(&[u8])) {
    if files.is_empty() {
        return;
    }
    let mut group = criterion.benchmark_group(group);
    group.throughput(Throughput::Elements(files.len() as u64));
    group.bench_function(name, |bench| {
        bench.iter(|| {
            for bytes in files {
                decode(black_box(bytes));
            }
        });
    });
    group.finish();
}

fn thumbnail(bytes: &[u8]) {
    black_box(thumbnail_bytes(bytes, THUMBNAIL_SIDE).expect("demo files decode"));
}

fn view(bytes: &[u8]) {
    black_box(view_bytes(bytes, VIEW_SIDE).expect("demo files decode"));
}

fn thumbnails(criterion: &mut Criterion) {
    let files = demo_files();
    let of_kind = |kind: DemoKind| -> Vec<&[u8]> {
        files.iter().filter(|(each, _)| *each == kind).map(|(_, bytes)| bytes.as_slice()).collect()
    };
    let all: Vec<&[u8]> = files.iter().map(|(_, bytes)| bytes.as_slice()).collect();
    let mean_kb = all.iter().map(|bytes| bytes.len()).sum::<usize>() as f64 / all.len() as f64 / 1000.0;
    println!("{} demo files, mean {mean_kb:.0} KB", all.len());
    bench_kind(criterion, "thumbnail", "mix", &all, thumbnail);
    for (kind, name) in [(DemoKind::Jpeg, "jpeg"), (DemoKind::Png, "png"), (DemoKind::Gif, "gif")] {
        bench_kind(criterion, "thumbnail", name, &of_kind(kind), thumbnail);
    }
    bench_kind(criterion, "viewer", "mix", &all, view);
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(Duration::from_secs(8));
    targets = thumbnails
}
criterion_main!(benches);
