//! Where each source of a run stands. A job may name several sources (a queue): they are
//! listed one after another while their images download from one shared pool, so two
//! tasks move each source on: the lister (waiting, listing, listed or failed) and the
//! download loop (one more image saved, skipped or failed). Both write here, and every
//! change is announced as `RunEvent::Source` so a front end can show each source's state.

use std::sync::Mutex;

use super::events::EventSink;
use super::events::RunEvent;
use super::job::Job;
use super::types::{Fatal, RunId, SourceReport, SourceStage};
use crate::lock::lock_or_recover;

/// The sources of one run, in the job's order.
pub struct SourceBook {
    run: RunId,
    events: EventSink,
    sources: Mutex<Vec<SourceReport>>,
}

impl SourceBook {
    pub fn new(run: RunId, job: &Job, events: EventSink) -> Self {
        let sources = job.sources.iter().map(|source| SourceReport::waiting(source.label())).collect();
        Self { run, events, sources: Mutex::new(sources) }
    }

    /// Applies `change` to source `index`, settles its stage, and announces it.
    pub async fn change(&self, index: usize, change: impl FnOnce(&mut SourceReport)) {
        let report = {
            let mut sources = lock_or_recover(&self.sources, "the run's sources");
            let Some(report) = sources.get_mut(index) else { return };
            change(report);
            report.settle();
            report.clone()
        };
        self.events.send(RunEvent::Source { run: self.run, index, report }).await;
    }

    pub async fn listing(&self, index: usize) {
        self.change(index, |report| report.stage = SourceStage::Listing).await;
    }

    /// Its listing ended, having found `found` images.
    pub async fn listed(&self, index: usize, found: u64) {
        self.change(index, |report| {
            report.listing_done = true;
            report.found = found;
        })
        .await;
    }

    /// Its listing failed: the source failed, the run goes on.
    pub async fn failed(&self, index: usize, fatal: Fatal) {
        self.change(index, |report| {
            report.listing_done = true;
            report.stage = SourceStage::Failed(fatal);
        })
        .await;
    }

    /// Whether source `index` has failed already (a follow whose folder is unusable).
    pub fn has_failed(&self, index: usize) -> bool {
        let sources = lock_or_recover(&self.sources, "the run's sources");
        sources.get(index).is_some_and(|report| report.error().is_some())
    }

    /// Every source as it stands when the run ends. A run stopped by `fatal` stopped the
    /// source that was being listed, for that reason.
    pub fn finish(&self, fatal: Option<&Fatal>) -> Vec<SourceReport> {
        let mut sources = lock_or_recover(&self.sources, "the run's sources").clone();
        if let Some(fatal) = fatal {
            for report in sources.iter_mut().filter(|report| report.stage == SourceStage::Listing) {
                report.stage = SourceStage::Failed(fatal.clone());
            }
        }
        sources
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::job::JobInput;
    use crate::engine::types::FatalKind;

    fn book(sources: usize) -> (SourceBook, tokio::sync::mpsc::Receiver<RunEvent>) {
        let links = (0..sources).map(|n| JobInput::Urls(vec![format!("http://h/{n}.jpg")])).collect();
        let job = Job::queue(links, "/tmp/x".into());
        let (events, receiver) = EventSink::channel();
        (SourceBook::new(1, &job, events), receiver)
    }

    #[tokio::test]
    async fn a_source_is_done_when_listed_and_every_image_ended() {
        let (book, _events) = book(2);
        book.listing(0).await;
        book.listed(0, 2).await;
        assert_eq!(book.finish(None)[0].stage, SourceStage::Downloading, "its images wait in the channel");
        book.change(0, |report| report.listed = 2).await;
        book.change(0, |report| report.downloaded += 1).await;
        assert_eq!(book.finish(None)[0].stage, SourceStage::Downloading);
        book.change(0, |report| report.skipped += 1).await;
        let sources = book.finish(None);
        assert_eq!((&sources[0].stage, &sources[1].stage), (&SourceStage::Done, &SourceStage::Waiting));
    }

    #[tokio::test]
    async fn a_run_stopped_mid_listing_fails_the_source_being_listed() {
        let (book, mut events) = book(3);
        book.listing(0).await;
        book.failed(0, Fatal::new(FatalKind::NotFound, "no such album", "")).await;
        book.listing(1).await;
        let offline = Fatal::new(FatalKind::Offline, "offline", "");
        let sources = book.finish(Some(&offline));
        assert_eq!(sources[0].error().map(|fatal| fatal.kind), Some(FatalKind::NotFound));
        assert_eq!(sources[1].error(), Some(&offline));
        assert_eq!(sources[2].stage, SourceStage::Waiting);
        assert!(matches!(events.recv().await, Some(RunEvent::Source { index: 0, .. })));
    }
}
