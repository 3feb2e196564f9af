//! Soak: 5,000 images at fail rate 0.3 with 200 downloads at once. Every image must arrive
//! whole, and memory must stay flat (peak RSS is printed). Slow in a debug build, so it is
//! ignored by default; run it with
//! `cargo test --release --test soak -- --ignored --nocapture`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use galley::engine::{ClientId, EventSink, Job, JobInput, Source, run_job};
use tokio_util::sync::CancellationToken;

const IMAGES: usize = 5_000;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<f64>().ok()? / 1024.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "three minutes in a debug build (15 s in release); run it with --release --ignored"]
async fn five_thousand_images_at_fail_rate_0_3_all_arrive_with_flat_memory() {
    // The server is its own process, so the peak memory measured here is the engine's.
    let mut child = Command::new(env!("CARGO_BIN_EXE_galley"))
        .args(["demo-server", "--port", "0", "--images", &IMAGES.to_string(), "--fail-rate", "0.3", "--seed", "11"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("demo-server starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
    let _server = Server(child);
    let base = line.trim().strip_prefix("listening on ").expect("address").to_owned();

    let out = tempfile::tempdir().expect("tempdir");
    let input = JobInput::Imgur {
        api_base: base.parse().expect("url"),
        client_id: ClientId::new("demo"),
        source: Source::default(),
        pages: None,
    };
    let mut job = Job::new(input, out.path().to_owned());
    job.concurrency = 200;
    let (events, mut receiver) = EventSink::channel();
    tokio::spawn(async move { while receiver.recv().await.is_some() {} });

    let started = Instant::now();
    let report = tokio::time::timeout(Duration::from_secs(900), run_job(1, job, events, CancellationToken::new()))
        .await
        .expect("the soak ends in bounded time");

    let peak = peak_rss_mb().unwrap_or(0.0);
    println!(
        "soak: {} listed, {} saved, {} failed in {:.1} s; peak RSS {peak:.0} MB",
        report.summary.listed,
        report.summary.downloaded,
        report.summary.failed,
        started.elapsed().as_secs_f64()
    );
    assert_eq!(report.summary.listed, IMAGES as u64);
    assert_eq!(report.summary.failed, 0);
    assert_eq!(report.summary.downloaded, IMAGES as u64);
    let files = std::fs::read_dir(out.path()).expect("out").count();
    assert_eq!(files, IMAGES, "every image on disk, no temporary file");
    assert!(peak < 400.0, "memory stays bounded ({peak:.0} MB)");
}
