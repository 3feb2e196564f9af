//! The current run as the user sees it: counts, rate, what failed and why, and a live plot
//! of images/s and downloads in flight.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use egui_plot::{Legend, Line, Plot, PlotPoints};

use crate::engine::{Event, Fatal, FatalKind, RateLimits, RunId, Summary};

/// How often a point is added to the live plot.
const SAMPLE_EVERY: Duration = Duration::from_millis(200);
/// Failures listed in the panel; the count covers the rest.
const FAILURES_SHOWN: usize = 200;

/// The state of one run, built from its events.
#[derive(Debug)]
pub struct RunProgress {
    pub run: RunId,
    pub started: Instant,
    pub listed: u64,
    pub listing_done: bool,
    pub saved: u64,
    pub skipped: u64,
    pub failed: u64,
    pub bytes: u64,
    in_flight: HashSet<String>,
    /// The listing's API requests open now.
    listing_requests: usize,
    pub failures: Vec<String>,
    /// When the server asked us to wait, and for how long.
    pub rate_limited: Option<(Instant, Duration)>,
    /// Imgur's quota headers, as last seen.
    pub quota: Option<RateLimits>,
    /// Set once the run ended.
    pub finished: Option<Finished>,
    /// (seconds since start, images/s over the last sample, downloads in flight, listing
    /// requests in flight).
    samples: Vec<[f64; 4]>,
    last_sample: Option<(Instant, u64)>,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct Finished {
    pub summary: Summary,
    pub cancelled: bool,
    pub fatal: Option<Fatal>,
}

impl RunProgress {
    pub fn new(run: RunId) -> Self {
        Self {
            run,
            started: Instant::now(),
            listed: 0,
            listing_done: false,
            saved: 0,
            skipped: 0,
            failed: 0,
            bytes: 0,
            in_flight: HashSet::new(),
            listing_requests: 0,
            failures: Vec::new(),
            rate_limited: None,
            quota: None,
            finished: None,
            samples: Vec::new(),
            last_sample: None,
        }
    }

    pub fn is_running(&self) -> bool {
        self.finished.is_none()
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Folds one event of this run into the state.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Listed { total, .. } => self.listed = self.listed.max(*total),
            Event::ListingDone { total, .. } => {
                self.listed = *total;
                self.listing_done = true;
                self.listing_requests = 0;
            }
            Event::RateLimited { wait, .. } => self.rate_limited = Some((Instant::now(), *wait)),
            Event::RateLimit { limits, .. } => self.quota = Some(limits.clone()),
            Event::ListingRequests { in_flight, .. } => self.listing_requests = *in_flight,
            Event::Started { id, .. } => {
                self.in_flight.insert(id.clone());
            }
            Event::Progress { bytes, .. } => self.bytes += bytes,
            Event::Saved { id, .. } => {
                self.in_flight.remove(id);
                self.saved += 1;
            }
            Event::Skipped { id, .. } => {
                self.in_flight.remove(id);
                self.skipped += 1;
            }
            Event::Failed { id, reason, .. } => {
                self.in_flight.remove(id);
                self.failed += 1;
                if self.failures.len() < FAILURES_SHOWN {
                    self.failures.push(format!("{id}: {reason}"));
                }
            }
            Event::Finished { summary, cancelled, fatal, .. } => {
                self.in_flight.clear();
                self.listing_requests = 0;
                self.bytes = summary.bytes.max(self.bytes);
                self.finished =
                    Some(Finished { summary: summary.clone(), cancelled: *cancelled, fatal: fatal.clone() });
            }
            _ => {}
        }
    }

    /// Adds a plot point if one is due. Called every frame while the run goes.
    pub fn sample(&mut self, now: Instant) {
        let (since, saved_then) = self.last_sample.unwrap_or((self.started, 0));
        let elapsed = now.duration_since(since);
        if elapsed < SAMPLE_EVERY && self.last_sample.is_some() {
            return;
        }
        let rate = (self.saved - saved_then.min(self.saved)) as f64 / elapsed.as_secs_f64().max(1e-3);
        let at = now.duration_since(self.started).as_secs_f64();
        self.samples.push([at, rate, self.in_flight.len() as f64, self.listing_requests as f64]);
        self.last_sample = Some((now, self.saved));
    }

    pub fn seconds(&self) -> f64 {
        match &self.finished {
            Some(finished) => finished.summary.seconds,
            None => self.started.elapsed().as_secs_f64(),
        }
    }

    pub fn images_per_second(&self) -> f64 {
        self.saved as f64 / self.seconds().max(1e-3)
    }

    pub fn ui(&self, ui: &mut egui::Ui) {
        let done = self.saved + self.skipped + self.failed;
        let fraction = if self.listed > 0 { done as f32 / self.listed as f32 } else { 0.0 };
        ui.add(egui::ProgressBar::new(fraction).text(format!("{} saved of {} listed", self.saved, self.listed)));
        ui.label(format!(
            "{:.1} MB   {:.1} images/s   {} in flight   {} skipped   {} failed   {:.2} s",
            self.bytes as f64 / 1e6,
            self.images_per_second(),
            self.in_flight.len(),
            self.skipped,
            self.failed,
            self.seconds()
        ));
        if let Some(quota) = self.quota.as_ref().and_then(quota_text) {
            ui.label(quota);
        }
        if let Some(message) = self.status_message() {
            ui.colored_label(ui.visuals().warn_fg_color, message);
        }
        self.plot_ui(ui);
        if !self.failures.is_empty() {
            egui::CollapsingHeader::new(format!("Failures ({})", self.failed)).show(ui, |ui| {
                egui::ScrollArea::vertical().max_height(120.0).show(ui, |ui| {
                    for failure in &self.failures {
                        ui.label(failure);
                    }
                });
            });
        }
    }

    /// A sentence about a wait or an error, if there is one to say.
    pub fn status_message(&self) -> Option<String> {
        if let Some(finished) = &self.finished {
            return match &finished.fatal {
                Some(fatal) => Some(plain_words(fatal)),
                None if finished.cancelled => Some("Cancelled. Nothing half-written was left behind.".to_owned()),
                None => None,
            };
        }
        let (since, wait) = self.rate_limited?;
        let left = wait.saturating_sub(since.elapsed());
        (!left.is_zero()).then(|| {
            format!("Rate-limited by the server: waiting {:.0} s before asking again.", left.as_secs_f64().ceil())
        })
    }

    fn plot_ui(&self, ui: &mut egui::Ui) {
        let rate: PlotPoints = self.samples.iter().map(|[at, rate, ..]| [*at, *rate]).collect();
        let in_flight: PlotPoints = self.samples.iter().map(|[at, _, flight, _]| [*at, *flight]).collect();
        let listing: PlotPoints = self.samples.iter().map(|[at, .., listing]| [*at, *listing]).collect();
        Plot::new("live-plot")
            .height(140.0)
            .legend(Legend::default())
            .x_axis_label("seconds since start")
            .allow_scroll(false)
            .allow_zoom(false)
            .allow_drag(false)
            .show(ui, |plot| {
                plot.line(Line::new("images/s", rate));
                plot.line(Line::new("downloads in flight", in_flight));
                plot.line(Line::new("listing requests", listing));
            });
    }
}

/// What is left of the Imgur quota, when the server said.
fn quota_text(quota: &RateLimits) -> Option<String> {
    let parts: Vec<String> = [("Client-ID", quota.client_remaining), ("user", quota.user_remaining)]
        .into_iter()
        .filter_map(|(whose, left)| left.map(|left| format!("{left} requests left for this {whose}")))
        .collect();
    (!parts.is_empty()).then(|| format!("Imgur quota: {}", parts.join(", ")))
}

/// A run-stopping error, said plainly with what to do about it.
pub fn plain_words(fatal: &Fatal) -> String {
    let advice = match fatal.kind {
        FatalKind::Auth => "Check the Client-ID (Settings > Client-ID), or try the demo gallery.",
        FatalKind::Offline => "You seem to be offline, or the server is down. Check the connection and start again.",
        FatalKind::Destination => "Choose another folder, one you can write to and with free space.",
        FatalKind::RateLimited => "Imgur is rate-limiting this Client-ID. Wait a while and start again.",
        FatalKind::Api => "The server answered something galley cannot use.",
        FatalKind::Archive => "The run history could not be opened.",
        FatalKind::Usage => "Check the gallery settings.",
    };
    format!("{} {advice}", capitalise(&fatal.message))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn counts_follow_the_events() {
        let mut progress = RunProgress::new(3);
        progress.apply(&Event::Listed { run: 3, id: "a".into(), total: 1 });
        progress.apply(&Event::Listed { run: 3, id: "b".into(), total: 2 });
        progress.apply(&Event::Started { run: 3, id: "a".into() });
        progress.apply(&Event::Started { run: 3, id: "b".into() });
        assert_eq!(progress.in_flight(), 2);
        progress.apply(&Event::Saved {
            run: 3,
            id: "a".into(),
            path: PathBuf::from("a.jpg"),
            bytes: 10,
            elapsed: Duration::from_millis(5),
        });
        progress.apply(&Event::Failed { run: 3, id: "b".into(), reason: "HTTP 404".into() });
        assert_eq!((progress.saved, progress.failed, progress.in_flight()), (1, 1, 0));
        assert_eq!(progress.failures, ["b: HTTP 404"]);
        assert!(progress.is_running());
    }

    #[test]
    fn a_rate_limit_says_how_long_it_waits() {
        let mut progress = RunProgress::new(1);
        progress.apply(&Event::RateLimited { run: 1, wait: Duration::from_secs(30) });
        let message = progress.status_message().expect("a message while waiting");
        assert!(message.contains("Rate-limited") && message.contains("waiting 30 s"), "{message}");
    }

    #[test]
    fn the_quota_is_shown_when_known() {
        let limits = RateLimits { client_remaining: Some(12_000), user_remaining: None, user_reset: None };
        assert_eq!(quota_text(&limits).as_deref(), Some("Imgur quota: 12000 requests left for this Client-ID"));
        assert_eq!(quota_text(&RateLimits::default()), None);
    }

    #[test]
    fn offline_and_unwritable_folders_are_said_plainly() {
        let offline = Fatal { kind: FatalKind::Offline, message: "cannot reach http://127.0.0.1:9/3/gallery".into() };
        assert!(plain_words(&offline).contains("offline"));
        let folder = Fatal { kind: FatalKind::Destination, message: "the folder /x is not writable: denied".into() };
        assert!(plain_words(&folder).starts_with("The folder /x is not writable"));
    }

    #[test]
    fn a_refusal_is_said_plainly() {
        let fatal = Fatal { kind: FatalKind::Auth, message: "the Client-ID was refused by /3/gallery".into() };
        let text = plain_words(&fatal);
        assert!(text.starts_with("The Client-ID was refused"));
        assert!(text.contains("try the demo gallery"));
    }
}
