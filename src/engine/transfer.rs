//! A floor under how fast a body must arrive, and a ceiling on how long it may take.
//!
//! A read timeout only catches silence: a server that sends one byte every few seconds is
//! never silent for long, and would hold a download (or an API page) for hours. As curl's
//! `--speed-limit`/`--speed-time`, a body must bring at least `min_bytes_per_second` on
//! average over every `window`, and all of it must be in within `deadline`. Any stream of
//! byte chunks can be paced: image bodies here, API bodies in `imgur`.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::time::Instant;

/// How fast a body must keep coming.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// Least average rate over each window.
    pub min_bytes_per_second: u64,
    /// The span the rate is averaged over; also the longest wait for the response to begin.
    pub window: Duration,
    /// Longest time for a whole body, however fast it comes.
    pub deadline: Duration,
}

impl Default for Pace {
    /// 1 KB/s over 30 s, as `curl --speed-limit 1024 --speed-time 30`; 10 minutes for a body
    /// (64 MB, the largest image, at 110 KB/s).
    fn default() -> Self {
        Self { min_bytes_per_second: 1024, window: Duration::from_secs(30), deadline: Duration::from_secs(600) }
    }
}

/// A body that came too slowly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TooSlow {
    #[error("the body came at under {min_bytes_per_second} bytes a second for {window:?} ({received} bytes)")]
    Rate { min_bytes_per_second: u64, window: Duration, received: u64 },
    #[error("the body was not complete after {0:?}")]
    Deadline(Duration),
    #[error("no response within {0:?}")]
    NoResponse(Duration),
}

/// A stream of chunks held to a `Pace`.
pub struct Paced<S> {
    stream: S,
    pace: Pace,
    deadline: Instant,
    window_start: Instant,
    window_bytes: u64,
}

impl<S, E> Paced<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    /// Paces `stream` from now.
    pub fn new(stream: S, pace: Pace) -> Self {
        let now = Instant::now();
        Self { stream, pace, deadline: now + pace.deadline, window_start: now, window_bytes: 0 }
    }

    /// The next chunk (`Ok(None)` at the end), or why the body is given up on.
    pub async fn next(&mut self) -> Result<Option<Result<Bytes, E>>, TooSlow> {
        loop {
            let window_end = self.window_start + self.pace.window;
            match tokio::time::timeout_at(window_end.min(self.deadline), self.stream.next()).await {
                Ok(chunk) => {
                    if let Some(Ok(bytes)) = &chunk {
                        self.window_bytes += bytes.len() as u64;
                    }
                    self.check(Instant::now())?;
                    return Ok(chunk);
                }
                Err(_) => self.check(Instant::now())?,
            }
        }
    }

    /// At a window's end, its bytes must have kept the pace; a new window then begins.
    fn check(&mut self, now: Instant) -> Result<(), TooSlow> {
        if now >= self.deadline {
            return Err(TooSlow::Deadline(self.pace.deadline));
        }
        if now < self.window_start + self.pace.window {
            return Ok(());
        }
        let window_ms = u64::try_from(self.pace.window.as_millis()).unwrap_or(u64::MAX);
        let needed = self.pace.min_bytes_per_second.saturating_mul(window_ms) / 1000;
        if self.window_bytes < needed {
            let Pace { min_bytes_per_second, window, .. } = self.pace;
            return Err(TooSlow::Rate { min_bytes_per_second, window, received: self.window_bytes });
        }
        self.window_start = now;
        self.window_bytes = 0;
        Ok(())
    }
}

/// Waits for a response to begin, no longer than the pace's window.
pub async fn first_response<T>(pace: Pace, request: impl Future<Output = T>) -> Result<T, TooSlow> {
    tokio::time::timeout(pace.window, request).await.map_err(|_| TooSlow::NoResponse(pace.window))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pace(window_ms: u64, deadline_ms: u64) -> Pace {
        Pace {
            min_bytes_per_second: 100,
            window: Duration::from_millis(window_ms),
            deadline: Duration::from_millis(deadline_ms),
        }
    }

    /// Chunks of `size` bytes, one every `every`.
    fn drip(size: usize, every: Duration, count: usize) -> impl Stream<Item = Result<Bytes, ()>> + Unpin {
        Box::pin(futures_util::stream::unfold(0, move |sent| async move {
            tokio::time::sleep(every).await;
            (sent < count).then(|| (Ok(Bytes::from(vec![0u8; size])), sent + 1))
        }))
    }

    async fn drain<S: Stream<Item = Result<Bytes, ()>> + Unpin>(mut paced: Paced<S>) -> Result<u64, TooSlow> {
        let mut total = 0;
        while let Some(chunk) = paced.next().await? {
            total += chunk.map(|bytes| bytes.len() as u64).unwrap_or(0);
        }
        Ok(total)
    }

    #[tokio::test]
    async fn a_body_that_keeps_the_pace_arrives_whole() {
        // 100 bytes every 10 ms is 10,000 bytes a second, a hundred times the floor.
        let total = drain(Paced::new(drip(100, Duration::from_millis(10), 30), pace(100, 60_000))).await;
        assert_eq!(total, Ok(3000));
    }

    #[tokio::test]
    async fn a_drip_is_given_up_on_at_the_end_of_its_first_slow_window() {
        let started = Instant::now();
        // One byte every 20 ms is 50 bytes a second, half the floor.
        let result = drain(Paced::new(drip(1, Duration::from_millis(20), 10_000), pace(300, 600_000))).await;
        assert!(matches!(result, Err(TooSlow::Rate { .. })), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }

    #[tokio::test]
    async fn silence_ends_the_window_too() {
        let result = drain(Paced::new(drip(10, Duration::from_secs(3600), 2), pace(100, 600_000))).await;
        assert!(matches!(result, Err(TooSlow::Rate { received: 0, .. })), "{result:?}");
    }

    #[tokio::test]
    async fn a_fast_enough_body_still_has_a_deadline() {
        let result = drain(Paced::new(drip(200, Duration::from_millis(10), 1000), pace(100, 300))).await;
        assert_eq!(result, Err(TooSlow::Deadline(Duration::from_millis(300))));
    }
}
