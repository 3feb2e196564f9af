//! When to try again: exponential backoff with full jitter, and server-given waits.

use std::time::Duration;

/// How many times one image is attempted in all. High enough that a server failing 30% of
/// requests still delivers every image of a 5,000-image gallery (0.3^10 per image).
pub const MAX_ATTEMPTS: u32 = 10;
/// How long one image's attempts and the waits between them may take in all: past it no
/// further attempt starts. Ten attempts at a server asking for a minute's wait each, or
/// dripping a body for 30 s each, held a download slot for five to nine minutes while the
/// rest of the gallery queued behind it; two minutes still outlasts any passing outage.
pub const IMAGE_BUDGET: Duration = Duration::from_secs(120);
/// An image host's `Retry-After` is honoured up to this long (the API's up to
/// [`MAX_SERVER_WAIT`]): each image asks on its own, and its slot waits meanwhile.
pub const MAX_IMAGE_SERVER_WAIT: Duration = Duration::from_secs(30);
/// Attempts at a body that came too slowly (under the pace for 30 s): a server dripping
/// once will most likely drip again, so one more try, not ten.
pub const SLOW_BODY_ATTEMPTS: u32 = 2;
/// First backoff step.
pub const BASE_DELAY: Duration = Duration::from_millis(100);
/// Backoff never grows past this.
pub const MAX_DELAY: Duration = Duration::from_secs(3);
/// A server's Retry-After is honoured up to this long; longer asks are cut to it.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(60);

/// The ceiling of the wait before attempt `attempt + 1` (attempt counts from 1).
pub fn backoff_ceiling(attempt: u32) -> Duration {
    let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
    BASE_DELAY.saturating_mul(factor).min(MAX_DELAY)
}

/// The least a 429 (or another "slow down") makes galley wait, when it is the `in_a_row`th
/// in a row: 250 ms, doubling up to [`MAX_SERVER_WAIT`]. A server that asks for no wait
/// (`Retry-After: 0`, a reset time already past) gets this instead of a request storm.
pub fn throttle_floor(in_a_row: u32) -> Duration {
    let factor = 1u32.checked_shl(in_a_row.saturating_sub(1)).unwrap_or(u32::MAX);
    THROTTLE_FLOOR.saturating_mul(factor).min(MAX_SERVER_WAIT)
}

/// The first [`throttle_floor`].
pub const THROTTLE_FLOOR: Duration = Duration::from_millis(250);

/// Full jitter: uniformly random in [0, ceiling]. Spreads the retries of many failed
/// downloads so they do not hit the server again all at once.
pub fn backoff(attempt: u32, unit_random: f64) -> Duration {
    backoff_ceiling(attempt).mul_f64(unit_random.clamp(0.0, 1.0))
}

/// The wait before the next attempt: the server's own ask when it gave one (bounded),
/// otherwise jittered backoff.
pub fn next_wait(attempt: u32, server_wait: Option<Duration>) -> Duration {
    match server_wait {
        Some(wait) => wait.min(MAX_SERVER_WAIT),
        None => backoff(attempt, rand::random::<f64>()),
    }
}

/// Parses `Retry-After` in its delay-seconds form (Imgur and most CDNs send that).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A wait from `X-RateLimit-UserReset` (a Unix time), relative to `now_unix`.
pub fn wait_until_reset(reset_unix: u64, now_unix: u64) -> Duration {
    Duration::from_secs(reset_unix.saturating_sub(now_unix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_then_caps() {
        assert_eq!(backoff_ceiling(1), Duration::from_millis(100));
        assert_eq!(backoff_ceiling(2), Duration::from_millis(200));
        assert_eq!(backoff_ceiling(3), Duration::from_millis(400));
        assert_eq!(backoff_ceiling(6), Duration::from_millis(3000));
        assert_eq!(backoff_ceiling(60), MAX_DELAY);
    }

    #[test]
    fn jitter_stays_within_the_ceiling() {
        for attempt in 1..12 {
            assert_eq!(backoff(attempt, 0.0), Duration::ZERO);
            assert_eq!(backoff(attempt, 1.0), backoff_ceiling(attempt));
            assert!(backoff(attempt, 0.5) <= backoff_ceiling(attempt));
            assert_eq!(backoff(attempt, 7.0), backoff_ceiling(attempt));
        }
    }

    #[test]
    fn server_waits_are_honoured_but_bounded() {
        assert_eq!(next_wait(1, Some(Duration::from_secs(2))), Duration::from_secs(2));
        assert_eq!(next_wait(1, Some(Duration::from_secs(3600))), MAX_SERVER_WAIT);
    }

    #[test]
    fn throttle_floor_grows_and_caps() {
        assert_eq!(throttle_floor(1), Duration::from_millis(250));
        assert_eq!(throttle_floor(2), Duration::from_millis(500));
        assert_eq!(throttle_floor(5), Duration::from_secs(4));
        assert_eq!(throttle_floor(40), MAX_SERVER_WAIT);
    }

    #[test]
    fn retry_after_parses_seconds_only() {
        assert_eq!(parse_retry_after(" 5 "), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(wait_until_reset(110, 100), Duration::from_secs(10));
        assert_eq!(wait_until_reset(90, 100), Duration::ZERO);
    }
}
