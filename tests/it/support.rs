//! Shared by the integration tests: run a job to the end with its events collected.

use std::time::Duration;

use galley::engine::{Event, EventSink, Job, RunOptions, RunReport, run_job_with};
use tokio_util::sync::CancellationToken;

/// Runs `job` until it ends (or `cancel` stops it), collecting every event it sends.
/// Panics if it takes longer than `bound`, so a hang fails the test instead of CI.
pub async fn run_collecting(
    job: Job,
    options: RunOptions,
    cancel: CancellationToken,
    bound: Duration,
) -> (RunReport, Vec<Event>) {
    let (events, mut receiver) = EventSink::channel();
    let collector = tokio::spawn(async move {
        let mut all = Vec::new();
        while let Some(event) = receiver.recv().await {
            all.push(event);
        }
        all
    });
    let report = tokio::time::timeout(bound, run_job_with(1, job, events, cancel, options))
        .await
        .expect("the run ends in bounded time");
    (report, collector.await.expect("collector"))
}
