//! One run's running counts, folded from its events. Both front ends keep one: the
//! command line for its progress bar, the app for its progress panel, so "how many are
//! saved, skipped, in flight" means the same thing in both.

use std::collections::HashSet;

use super::events::RunEvent;
use super::types::{RunReport, SkipReason};

/// Failure reasons kept for display; the count covers the rest.
pub const FAILURES_KEPT: usize = 200;

/// What the events of one run have said so far.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Images the listing found so far (the whole listing once `listing_done`).
    pub listed: u64,
    pub listing_done: bool,
    pub saved: u64,
    /// Already in the folder, whole (a subset of `skipped`).
    pub already_present: u64,
    /// Deleted on Imgur (a subset of `skipped`).
    pub deleted: u64,
    /// Skipped for any reason: already present, or the same bytes under another name.
    pub skipped: u64,
    pub failed: u64,
    /// Bytes received so far.
    pub bytes: u64,
    /// "id: reason" of the first [`FAILURES_KEPT`] failures.
    pub failures: Vec<String>,
    /// The listing's API requests open now.
    pub listing_requests: usize,
    /// Bodies being received now: started, not yet arrived, failed or skipped.
    in_flight: HashSet<String>,
    /// Set by `Finished`.
    report: Option<RunReport>,
}

impl Tally {
    /// Folds one event of the run in. Events of other runs must not be passed.
    pub fn apply(&mut self, event: &RunEvent) {
        match event {
            RunEvent::Listed { total, .. } => self.listed = self.listed.max(*total),
            RunEvent::ListingDone { total, .. } => {
                self.listed = self.listed.max(*total);
                self.listing_done = true;
                self.listing_requests = 0;
            }
            RunEvent::ListingRequests { in_flight, .. } => self.listing_requests = *in_flight,
            RunEvent::Started { id, .. } => {
                self.in_flight.insert(id.clone());
            }
            RunEvent::Received { id, .. } => {
                self.in_flight.remove(id);
            }
            RunEvent::Progress { bytes, .. } => self.bytes += bytes,
            RunEvent::Saved { id, .. } => {
                self.in_flight.remove(id);
                self.saved += 1;
            }
            RunEvent::Skipped { id, reason, .. } => {
                self.in_flight.remove(id);
                self.skipped += 1;
                match reason {
                    SkipReason::AlreadyPresent => self.already_present += 1,
                    SkipReason::Deleted => self.deleted += 1,
                    SkipReason::Duplicate(_) => {}
                }
            }
            RunEvent::Failed { id, reason, .. } => {
                self.in_flight.remove(id);
                self.failed += 1;
                if self.failures.len() < FAILURES_KEPT {
                    self.failures.push(format!("{id}: {reason}"));
                }
            }
            RunEvent::Finished { report, .. } => {
                self.in_flight.clear();
                self.listing_requests = 0;
                // The run's own count is the last word: it is what the archive keeps, so
                // the bar and the runs table agree even for a cancelled run.
                self.listed = report.summary.listed;
                self.bytes = self.bytes.max(report.summary.bytes);
                self.report = Some(report.clone());
            }
            _ => {}
        }
    }

    /// Downloads whose body is still arriving.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Images dealt with: saved, skipped or failed.
    pub fn done(&self) -> u64 {
        self.saved + self.skipped + self.failed
    }

    /// How the run ended, once it has.
    pub fn report(&self) -> Option<&RunReport> {
        self.report.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;

    fn saved(id: &str) -> RunEvent {
        RunEvent::Saved { run: 1, id: id.into(), path: PathBuf::from(id), bytes: 10, elapsed: Duration::ZERO }
    }

    #[test]
    fn a_download_leaves_flight_when_its_body_arrives() {
        let mut tally = Tally::default();
        tally.apply(&RunEvent::Started { run: 1, id: "a".into() });
        tally.apply(&RunEvent::Received { run: 1, id: "a".into() });
        // At concurrency 1 the next download starts while the first is being checked.
        tally.apply(&RunEvent::Started { run: 1, id: "b".into() });
        assert_eq!(tally.in_flight(), 1);
        tally.apply(&saved("a"));
        assert_eq!((tally.in_flight(), tally.saved), (1, 1));
    }

    #[test]
    fn skips_tell_already_present_from_duplicates() {
        let mut tally = Tally::default();
        let skipped = |id: &str, reason| RunEvent::Skipped { run: 1, id: id.into(), path: PathBuf::from(id), reason };
        tally.apply(&skipped("a", SkipReason::AlreadyPresent));
        tally.apply(&skipped("b", SkipReason::Duplicate(PathBuf::from("a"))));
        tally.apply(&skipped("d", SkipReason::Deleted));
        assert_eq!((tally.deleted, tally.skipped), (1, 3));
        tally.skipped -= 1;
        tally.apply(&RunEvent::Failed { run: 1, id: "c".into(), reason: crate::engine::ItemFailure::http_404() });
        assert_eq!((tally.skipped, tally.already_present, tally.failed, tally.done()), (2, 1, 1, 3));
        assert_eq!(tally.failures, ["c: HTTP 404"]);
    }
}
