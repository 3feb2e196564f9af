//! The threads that finish each download: write it, check or thumbnail it, rename it.
//!
//! Why not `spawn_blocking`: tokio's blocking pool starts a thread for each call made while
//! the others are busy and wakes one per call, so 64 downloads finishing together meant
//! dozens of threads and a wake-up per image (about 15% of a no-latency fetch). A fixed set
//! of threads, one per core, drains a queue instead: while there is work nobody sleeps or
//! is woken. The work is decoding (CPU) or writes to the page cache, so more threads than
//! cores would not finish it sooner.

use std::panic::AssertUnwindSafe;

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of worker threads. The threads end when this is dropped and the queue is
/// empty. A clone shares the same threads and queue.
#[derive(Clone)]
pub struct Workers {
    queue: crossbeam_channel::Sender<Job>,
}

impl Workers {
    /// Starts `count` threads (at least one), named `galley-<name>-<n>`.
    pub fn new(count: usize, name: &str) -> std::io::Result<Self> {
        let (queue, jobs) = crossbeam_channel::unbounded::<Job>();
        for n in 0..count.max(1) {
            let jobs = jobs.clone();
            std::thread::Builder::new().name(format!("galley-{name}-{n}")).spawn(move || {
                for job in jobs {
                    // A panic fails that one job (its caller sees `None`), not the thread.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                }
            })?;
        }
        Ok(Self { queue })
    }

    /// One thread per core.
    pub fn per_core(name: &str) -> std::io::Result<Self> {
        Self::new(std::thread::available_parallelism().map_or(2, |n| n.get()), name)
    }

    /// Runs `work` on a worker thread and waits for its result; `None` if it panicked.
    /// Dropping the future before the work starts skips it (a cancelled run does not go on
    /// saving what was queued); once started, the work runs to its end.
    pub async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            if !done.is_closed() {
                let _ = done.send(work());
            }
        });
        self.queue.send(job).ok()?;
        result.await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[tokio::test]
    async fn work_runs_on_the_named_threads_and_returns_its_result() {
        let workers = Workers::new(2, "test").expect("threads start");
        let names: Vec<String> = futures_util::future::join_all(
            (0..16).map(|_| workers.run(|| std::thread::current().name().unwrap_or_default().to_owned())),
        )
        .await
        .into_iter()
        .map(|name| name.expect("no panic"))
        .collect();
        let distinct: HashSet<&str> = names.iter().map(String::as_str).collect();
        assert!(distinct.iter().all(|name| name.starts_with("galley-test-")), "{distinct:?}");
        assert!(distinct.len() <= 2);
    }

    #[tokio::test]
    async fn work_whose_caller_has_gone_is_skipped() {
        use futures_util::FutureExt;
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};

        let workers = Workers::new(1, "test").expect("threads start");
        let (release, wait) = std::sync::mpsc::channel::<()>();
        // Occupy the one thread so the next job waits in the queue.
        let mut busy = Box::pin(workers.run(move || wait.recv().is_ok()));
        assert!(busy.as_mut().now_or_never().is_none(), "queued");
        let ran = Arc::new(AtomicBool::new(false));
        let flag = ran.clone();
        // Queued (polled once), then dropped, as a cancelled download is.
        assert!(workers.run(move || flag.store(true, Ordering::SeqCst)).now_or_never().is_none());
        release.send(()).expect("release");
        assert_eq!(busy.await, Some(true));
        assert_eq!(workers.run(|| 1).await, Some(1), "the queue moved on");
        assert!(!ran.load(Ordering::SeqCst), "the abandoned job did not run");
    }

    #[tokio::test]
    async fn a_panic_fails_its_job_only() {
        let workers = Workers::new(1, "test").expect("threads start");
        assert_eq!(workers.run(|| -> u32 { panic!("boom") }).await, None);
        assert_eq!(workers.run(|| 7).await, Some(7), "the one thread survived");
    }
}
