//! What `galley fetch` shows while it runs and when it ends: a progress bar on a terminal,
//! plain lines otherwise, and a summary (human, or one JSON line with `--json`).

use std::io::{IsTerminal, Write};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use tokio::sync::mpsc::Receiver;

use crate::engine::{
    ClientId, Ending, FatalKind, Job, JobInput, PlannedFile, RunEvent, RunReport, SourceReport, SourceStage, Summary,
    Tally, Throttle,
};

const MB: f64 = 1_000_000.0;

/// Follows one run's events on stderr and prints its summary.
pub struct Reporter {
    json: bool,
    bar: Option<ProgressBar>,
    label: String,
    /// How many sources the job lists.
    sources: usize,
    /// Taken out of every line: text from a server may echo them back.
    client_ids: Vec<ClientId>,
}

/// One line on stderr in one write (`eprintln!` makes one per formatted piece, and there
/// is a line per image). A closed stderr is not worth failing the run for.
fn print_line(mut text: String) {
    text.push('\n');
    let _ = std::io::stderr().write_all(text.as_bytes());
}

impl Reporter {
    pub fn new(json: bool, job: &Job) -> Self {
        let client_ids = job.sources.iter().filter_map(JobInput::client_id).cloned().collect();
        Self::with_parts(json, job.label.clone(), job.sources.len(), client_ids)
    }

    /// A reporter for a run of `sources` sources named `label`, sending these Client-IDs.
    pub fn with_parts(json: bool, label: String, sources: usize, client_ids: Vec<ClientId>) -> Self {
        let bar = std::io::stderr().is_terminal().then(progress_bar);
        // The demo's Client-ID is public (and the word "demo" is in many a folder name).
        let client_ids = client_ids.into_iter().filter(|id| id.expose() != crate::demo::DEMO_CLIENT_ID).collect();
        Self { json, bar, label, sources, client_ids }
    }

    /// Reports events until the run's `Finished` (or the channel closes).
    pub async fn follow(&self, mut events: Receiver<RunEvent>) {
        let started = std::time::Instant::now();
        let mut tally = Tally::default();
        let mut stages: Vec<SourceStage> = Vec::new();
        while let Some(event) = events.recv().await {
            if matches!(event, RunEvent::Finished { .. }) {
                break;
            }
            tally.apply(&event);
            if let RunEvent::Source { index, report, .. } = &event {
                self.show_source(&mut stages, *index, report);
            }
            self.show(event);
            if let Some(bar) = &self.bar {
                let rate = tally.saved as f64 / started.elapsed().as_secs_f64().max(1e-3);
                bar.set_length(tally.listed);
                bar.set_position(tally.done());
                bar.set_message(format!(
                    "{:.1} MB  {rate:.1} img/s  {} in flight",
                    tally.bytes as f64 / MB,
                    tally.in_flight()
                ));
            }
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    /// A line when a source of a queue is listed or fails (`stages`: each one's last).
    /// A job of one source says the same in its summary.
    fn show_source(&self, stages: &mut Vec<SourceStage>, index: usize, report: &SourceReport) {
        if self.sources < 2 {
            return;
        }
        if stages.len() <= index {
            stages.resize(index + 1, SourceStage::Waiting);
        }
        let before = std::mem::replace(&mut stages[index], report.stage.clone());
        let listed_now = report.listing_done && matches!(before, SourceStage::Waiting | SourceStage::Listing);
        match &report.stage {
            SourceStage::Failed(fatal) if before != report.stage => {
                self.line(&format!("could not list {}: {fatal}; going on with the others", report.label));
            }
            SourceStage::Downloading | SourceStage::Done if listed_now => {
                self.line(&format!("listed {} images from {}", report.listed, report.label));
            }
            _ => {}
        }
    }

    /// The lines an event is worth (the counts are the tally's).
    fn show(&self, event: RunEvent) {
        match event {
            RunEvent::ListingDone { total, .. } => self.line(&format!("listed {total} images from {}", self.label)),
            RunEvent::RateLimited { wait, why: Throttle::TooManyRequests, .. } => {
                self.line(&format!("rate limited: waiting {:.0} s as the server asks", wait.as_secs_f64()));
            }
            RunEvent::RateLimited { wait, why: Throttle::OverCapacity, .. } => self.line(&format!(
                "Imgur is over capacity (HTTP 403): waiting {:.0} s, then going on",
                wait.as_secs_f64()
            )),
            RunEvent::Retrying { id, attempt, reason, wait, .. } => {
                self.plain_line(&format!("retrying {id} (attempt {attempt}) in {} ms: {reason}", wait.as_millis()));
            }
            RunEvent::Saved { path, bytes, elapsed, .. } => self.plain_line(&format!(
                "saved {} ({:.0} KB, {:.2} s)",
                path.display(),
                bytes as f64 / 1000.0,
                elapsed.as_secs_f64()
            )),
            RunEvent::Skipped { path, reason, .. } => self.plain_line(&format!("skipped {}: {reason}", path.display())),
            RunEvent::Failed { id, reason, .. } => self.line(&format!("failed {id}: {reason}")),
            RunEvent::WouldSave { file, .. } => self.would_save(&file),
            _ => {}
        }
    }

    /// One image `fetch --list` would save, on stdout: a JSON object with `--json`, else its
    /// file name and link (both escaped: they come from a server).
    fn would_save(&self, file: &PlannedFile) {
        let line = match self.json {
            true => match serde_json::to_string(file) {
                Ok(line) => line,
                Err(error) => {
                    tracing::warn!("cannot write {} as JSON: {error}", file.id);
                    return;
                }
            },
            false => {
                let name = super::for_terminal(&file.file.to_string_lossy()).into_owned();
                format!("{name}\t{}", super::for_terminal(&file.link))
            }
        };
        // A closed stdout (`| head`) ends nothing: the listing goes on, unprinted.
        let print = || {
            let _ = writeln!(std::io::stdout().lock(), "{line}");
        };
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }

    /// `text` without the Client-IDs and with control characters escaped: most of what
    /// is printed holds text from a server.
    fn redacted(&self, text: &str) -> String {
        let text = self.client_ids.iter().fold(text.to_owned(), |text, client_id| client_id.redact(&text));
        super::for_terminal(&text).into_owned()
    }

    /// A line that matters on a terminal too (printed above the bar).
    fn line(&self, text: &str) {
        let text = self.redacted(text);
        match &self.bar {
            Some(bar) => bar.println(text),
            None => print_line(text),
        }
    }

    /// A per-image line, only when there is no bar to show the same.
    fn plain_line(&self, text: &str) {
        if self.bar.is_none() {
            print_line(self.redacted(text));
        }
    }

    /// Prints the end of the run: the error if one stopped it, then the summary.
    pub fn summary(&self, report: &RunReport) -> anyhow::Result<()> {
        self.check_summary(report, &[], None)
    }

    /// [`Reporter::summary`] of a follow check: with the sources the quota left for later
    /// (`not_checked`) and when it can go on (`resume`), which `--json` adds as
    /// `not_checked` and `resume` when there are any.
    pub fn check_summary(
        &self,
        report: &RunReport,
        not_checked: &[String],
        resume: Option<&str>,
    ) -> anyhow::Result<()> {
        match &report.ending {
            Ending::Failed(fatal) => {
                let message = self.redacted(&fatal.to_string());
                match advice(fatal.kind) {
                    Some(advice) => eprintln!("galley: {message}\n  {advice}"),
                    None => eprintln!("galley: {message}"),
                }
            }
            Ending::Cancelled => eprintln!("galley: cancelled; nothing half-written was left behind"),
            Ending::Done => {}
        }
        let mut stdout = std::io::stdout().lock();
        if self.json {
            let error = report.fatal().map(|fatal| self.redacted(&fatal.to_string()));
            let sources = report.sources.iter().map(|source| self.json_source(source)).collect();
            let line = JsonSummary {
                summary: &report.summary,
                cancelled: report.cancelled(),
                error: error.as_deref(),
                deleted: report.sources.iter().map(|source| source.deleted).sum(),
                sources,
                not_checked: (!not_checked.is_empty()).then_some(not_checked),
                resume: resume.map(|resume| self.redacted(resume)),
            };
            let text = serde_json::to_string(&line).context("cannot write the JSON summary")?;
            writeln!(stdout, "{text}").context("cannot write to stdout")?;
        } else if report.fatal().is_none() || report.summary.listed > 0 {
            if report.sources.len() > 1 {
                for source in &report.sources {
                    writeln!(stdout, "{}", self.redacted(&source_line(source))).context("cannot write to stdout")?;
                }
            }
            writeln!(stdout, "{}", human_summary(&report.summary)).context("cannot write to stdout")?;
        }
        Ok(())
    }

    fn json_source<'a>(&self, source: &'a SourceReport) -> JsonSource<'a> {
        JsonSource {
            source: &source.label,
            listed: source.listed,
            downloaded: source.downloaded,
            skipped: source.skipped,
            failed: source.failed,
            deleted: source.deleted,
            error: source.error().map(|fatal| self.redacted(&fatal.to_string())),
        }
    }
}

/// One source of a queue in the human summary.
fn source_line(source: &SourceReport) -> String {
    let counts = format!(
        "listed {}, saved {}, skipped {}, failed {}",
        source.listed, source.downloaded, source.skipped, source.failed
    );
    match source.error() {
        Some(fatal) => format!("  {}: {counts}; could not be listed: {fatal}", source.label),
        None if source.stage == SourceStage::Waiting => format!("  {}: not listed (the run ended first)", source.label),
        None => format!("  {}: {counts}", source.label),
    }
}

/// What to do about a run-stopping error, in the command line's terms.
fn advice(kind: FatalKind) -> Option<&'static str> {
    match kind {
        FatalKind::Auth => {
            Some("check --client-id (or IMGUR_CLIENT_ID); register one at https://api.imgur.com/oauth2/addclient")
        }
        FatalKind::Destination => Some("choose another --out folder, one you can write to and with free space"),
        FatalKind::Offline => Some("check the connection (and --api-base), then try again"),
        FatalKind::RateLimited => Some("wait a while, then try again"),
        FatalKind::NotFound => Some("check the --source"),
        FatalKind::Quota => Some("run the same command again once the quota has reset"),
        FatalKind::Region => Some("try --demo to see galley work; Imgur itself cannot be reached from here"),
        FatalKind::Internal => Some("this is a bug in galley: please report it"),
        FatalKind::Api | FatalKind::Archive | FatalKind::Usage => None,
    }
}

/// The `--json` line: the fixed keys of DESIGN.md, plus how the run ended and each
/// source's part.
#[derive(Serialize)]
struct JsonSummary<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    cancelled: bool,
    error: Option<&'a str>,
    /// Of `skipped`: deleted on Imgur (their links lead to `removed.png`).
    deleted: u64,
    sources: Vec<JsonSource<'a>>,
    /// A follow check: the followed sources the quota left for later.
    #[serde(skip_serializing_if = "Option::is_none")]
    not_checked: Option<&'a [String]>,
    /// A follow check: why some sources were left, and when it can go on.
    #[serde(skip_serializing_if = "Option::is_none")]
    resume: Option<String>,
}

/// One source in the `--json` line; `error` says why it could not be listed.
#[derive(Serialize)]
struct JsonSource<'a> {
    source: &'a str,
    listed: u64,
    downloaded: u64,
    skipped: u64,
    failed: u64,
    /// Of `skipped`: deleted on Imgur.
    deleted: u64,
    error: Option<String>,
}

fn human_summary(summary: &Summary) -> String {
    format!(
        "listed {}, saved {}, skipped {}, failed {}, {:.1} MB in {:.2} s, {:.1} images/s at concurrency {}",
        summary.listed,
        summary.downloaded,
        summary.skipped,
        summary.failed,
        summary.bytes as f64 / MB,
        summary.seconds,
        summary.images_per_second,
        summary.concurrency
    )
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(10));
    let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:32} {pos}/{len} {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_summary_has_the_fixed_keys() {
        let summary = Summary { listed: 3, downloaded: 2, skipped: 1, concurrency: 16, ..Summary::default() };
        let line = JsonSummary {
            summary: &summary,
            cancelled: false,
            error: None,
            deleted: 0,
            sources: Vec::new(),
            not_checked: None,
            resume: None,
        };
        let value: serde_json::Value = serde_json::to_value(&line).expect("serialises");
        for key in ["listed", "downloaded", "skipped", "failed", "bytes", "seconds", "images_per_second", "concurrency"]
        {
            assert!(value.get(key).is_some(), "missing {key} in {value}");
        }
        assert_eq!(value["downloaded"], 2);
    }

    #[test]
    fn human_summary_reads_as_a_sentence() {
        let summary = Summary {
            listed: 40,
            downloaded: 40,
            bytes: 12_500_000,
            seconds: 0.5,
            images_per_second: 80.0,
            concurrency: 16,
            ..Summary::default()
        };
        assert_eq!(
            human_summary(&summary),
            "listed 40, saved 40, skipped 0, failed 0, 12.5 MB in 0.50 s, 80.0 images/s at concurrency 16"
        );
    }
}
