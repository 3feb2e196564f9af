//! The current run as the user sees it: counts, rate, what failed and why, and a live plot
//! of images/s and downloads in flight. The counts are the engine's [`Tally`], the same
//! one the command line folds its events into.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use egui_plot::{Legend, Line, Plot, PlotPoints};

use crate::engine::{Ending, Fatal, FatalKind, RateLimits, RunEvent, Tally, Throttle};

/// How often a point is added to the live plot.
const SAMPLE_EVERY: Duration = Duration::from_millis(200);
/// The rate is measured over this much of the recent past: over one sample period it
/// saw-tooths between 0 and several images a sample at low concurrency.
const RATE_WINDOW: Duration = Duration::from_secs(2);

/// The state of one run, built from its events: the latest run's (the app keeps which
/// run that is).
#[derive(Debug)]
pub struct RunProgress {
    pub started: Instant,
    pub tally: Tally,
    /// When the server asked us to wait, and for how long.
    pub rate_limited: Option<(Instant, Duration, Throttle)>,
    /// Imgur's quota headers, as last seen.
    pub quota: Option<RateLimits>,
    /// It was stopped by the queue's Pause (and is said so), not by Cancel.
    pub paused: bool,
    /// (seconds since start, images/s over `RATE_WINDOW`, downloads in flight, listing
    /// requests in flight).
    samples: Vec<[f64; 4]>,
    /// (when, images saved by then), covering the last `RATE_WINDOW` of samples.
    recent: VecDeque<(Instant, u64)>,
}

/// A sentence for the user: what happened and what to do, with the technical detail
/// apart (shown on hover).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub detail: Option<String>,
    pub error: bool,
}

impl Notice {
    pub fn error(text: impl Into<String>, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self { text: text.into(), detail: (!detail.is_empty()).then_some(detail), error: true }
    }

    pub fn info(text: impl Into<String>) -> Self {
        Self { text: text.into(), detail: None, error: false }
    }

    pub fn ui(&self, ui: &mut egui::Ui) {
        let color = if self.error { ui.visuals().error_fg_color } else { ui.visuals().weak_text_color() };
        let response = ui.add(egui::Label::new(egui::RichText::new(&self.text).color(color)).wrap());
        if let Some(detail) = &self.detail {
            response.on_hover_text(format!("Details: {detail}"));
            ui.small(format!("Details: {detail}"));
        }
    }
}

impl RunProgress {
    /// A run's progress, its clock starting now (at the run's first event).
    pub fn started_now() -> Self {
        Self {
            started: Instant::now(),
            tally: Tally::default(),
            rate_limited: None,
            quota: None,
            paused: false,
            samples: Vec::new(),
            recent: VecDeque::new(),
        }
    }

    pub fn is_running(&self) -> bool {
        self.tally.report().is_none()
    }

    pub fn in_flight(&self) -> usize {
        self.tally.in_flight()
    }

    /// Folds one event of this run into the state.
    pub fn apply(&mut self, event: &RunEvent) {
        self.tally.apply(event);
        match event {
            RunEvent::RateLimited { wait, why, .. } => self.rate_limited = Some((Instant::now(), *wait, *why)),
            RunEvent::RateLimit { limits, .. } => self.quota = Some(limits.clone()),
            _ => {}
        }
    }

    /// Adds a plot point if one is due. Called every frame while the run goes.
    pub fn sample(&mut self, now: Instant) {
        if let Some((last, _)) = self.recent.back()
            && now.duration_since(*last) < SAMPLE_EVERY
        {
            return;
        }
        let saved = self.tally.saved;
        self.recent.push_back((now, saved));
        while self.recent.len() > 2 && self.recent.get(1).is_some_and(|(at, _)| now.duration_since(*at) >= RATE_WINDOW)
        {
            self.recent.pop_front();
        }
        let (since, saved_then) = match self.recent.front() {
            Some(&(at, saved_then)) if self.recent.len() > 1 => (at, saved_then),
            _ => (self.started, 0),
        };
        let span = now.duration_since(since).as_secs_f64();
        let rate = if span > 0.0 { saved.saturating_sub(saved_then) as f64 / span } else { 0.0 };
        let at = now.duration_since(self.started).as_secs_f64();
        let (downloads, listing) = (self.tally.in_flight() as f64, self.tally.listing_requests as f64);
        self.samples.push([at, rate, downloads, listing]);
    }

    pub fn seconds(&self) -> f64 {
        match self.tally.report() {
            Some(report) => report.summary.seconds,
            None => self.started.elapsed().as_secs_f64(),
        }
    }

    pub fn images_per_second(&self) -> f64 {
        self.tally.saved as f64 / self.seconds().max(1e-3)
    }

    /// The progress bar's words: what was saved, and what was already there.
    pub fn bar_text(&self) -> String {
        let tally = &self.tally;
        let mut text = format!("{} saved of {} listed", tally.saved, tally.listed);
        if tally.already_present > 0 {
            text = match tally.saved {
                0 => format!("{} already in this folder: nothing new to save", tally.already_present),
                _ => format!("{text}, {} already in this folder", tally.already_present),
            };
        }
        if tally.deleted > 0 {
            text = format!("{text}; {} deleted on Imgur", tally.deleted);
        }
        text
    }

    /// One line for the folded activity panel: what was saved, how fast, how it ended.
    pub fn summary_line(&self) -> String {
        let mut line =
            format!("{} · {:.1} images/s · {:.1} s", self.bar_text(), self.images_per_second(), self.seconds());
        if let Some(notice) = self.status() {
            line = format!("{line} · {}", notice.text);
        }
        line
    }

    pub fn ui(&self, ui: &mut egui::Ui) {
        let tally = &self.tally;
        let fraction = if tally.listed > 0 { tally.done() as f32 / tally.listed as f32 } else { 0.0 };
        ui.add(egui::ProgressBar::new(fraction).text(self.bar_text()));
        ui.label(format!(
            "{:.1} MB   {:.1} images/s   {} in flight   {} skipped   {} failed   {:.2} s",
            tally.bytes as f64 / 1e6,
            self.images_per_second(),
            tally.in_flight(),
            tally.skipped,
            tally.failed,
            self.seconds()
        ));
        if let Some(quota) = self.quota.as_ref().and_then(quota_text) {
            ui.label(quota);
        }
        if let Some(notice) = self.status() {
            notice.ui(ui);
        }
        if self.has_plot() {
            self.plot_ui(ui);
        }
        if !tally.failures.is_empty() {
            egui::CollapsingHeader::new(format!("Failures ({})", tally.failed)).show(ui, |ui| {
                egui::ScrollArea::vertical().max_height(120.0).show(ui, |ui| {
                    for failure in &tally.failures {
                        ui.label(failure);
                    }
                });
            });
        }
    }

    /// A sentence about a wait or how the run ended, if there is one to say.
    pub fn status(&self) -> Option<Notice> {
        if let Some(report) = self.tally.report() {
            return match &report.ending {
                Ending::Failed(fatal) => Some(plain_words(fatal)),
                Ending::Cancelled if self.paused => Some(Notice::info(format!(
                    "Paused after {} of {} images: Resume downloads the rest. Nothing half-written was left behind.",
                    self.tally.done(),
                    self.tally.listed
                ))),
                Ending::Cancelled => Some(Notice::info(format!(
                    "Cancelled after {} of {} images. Nothing half-written was left behind.",
                    self.tally.done(),
                    self.tally.listed
                ))),
                Ending::Done => None,
            };
        }
        let (since, wait, why) = self.rate_limited?;
        let left = wait.saturating_sub(since.elapsed());
        let seconds = left.as_secs_f64().ceil();
        (!left.is_zero()).then(|| {
            Notice::info(match why {
                Throttle::TooManyRequests => {
                    format!("Rate-limited by the server: waiting {seconds:.0} s before asking again.")
                }
                Throttle::OverCapacity => {
                    format!("Imgur is over capacity for now: going on in {seconds:.0} s by itself.")
                }
            })
        })
    }

    /// A plot needs two points in time; a run that stopped at once has nothing to draw.
    pub fn has_plot(&self) -> bool {
        self.samples.len() >= 2
    }

    fn plot_ui(&self, ui: &mut egui::Ui) {
        let rate: PlotPoints = self.samples.iter().map(|[at, rate, ..]| [*at, *rate]).collect();
        let in_flight: PlotPoints = self.samples.iter().map(|[at, _, flight, _]| [*at, *flight]).collect();
        let listing: PlotPoints = self.samples.iter().map(|[at, .., listing]| [*at, *listing]).collect();
        Plot::new("live-plot")
            .height(140.0)
            .legend(Legend::default())
            .x_axis_label("seconds since start")
            .include_x(0.0)
            .include_y(0.0)
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

/// A run-stopping error: what happened and what to do, then the technical detail.
pub fn plain_words(fatal: &Fatal) -> Notice {
    let advice = match fatal.kind {
        FatalKind::Auth => "Check the Client-ID, or try the demo gallery.",
        FatalKind::Offline => "Check your internet connection, then press Start again.",
        FatalKind::Destination => "Choose another folder, one you can write to and with free space.",
        FatalKind::RateLimited => "Wait a while, then press Start again.",
        FatalKind::NotFound => "Check the album id or URL, or pick another gallery.",
        FatalKind::Quota => "Press Start again once it has reset.",
        FatalKind::Region => "The demo gallery still works from here.",
        FatalKind::Api => "Try again later, or another gallery.",
        FatalKind::Archive => "Check that your data folder can be written, then press Start again.",
        FatalKind::Usage => "Check the gallery settings.",
        FatalKind::Internal => "This is a bug in galley: please report it with the details.",
    };
    Notice::error(format!("{}. {advice}", fatal.message), fatal.detail.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{RunReport, SkipReason, Summary};
    use std::path::PathBuf;

    fn saved(id: &str) -> RunEvent {
        RunEvent::Saved { run: 3, id: id.into(), path: PathBuf::from(id), bytes: 10, elapsed: Duration::ZERO }
    }

    fn finished(ending: Ending) -> RunEvent {
        RunEvent::Finished { run: 3, report: RunReport { summary: Summary::default(), ending, sources: Vec::new() } }
    }

    #[test]
    fn counts_follow_the_events() {
        let mut progress = RunProgress::started_now();
        progress.apply(&RunEvent::Listed { run: 3, id: "a".into(), total: 1 });
        progress.apply(&RunEvent::Listed { run: 3, id: "b".into(), total: 2 });
        progress.apply(&RunEvent::Started { run: 3, id: "a".into() });
        progress.apply(&RunEvent::Started { run: 3, id: "b".into() });
        assert_eq!(progress.in_flight(), 2);
        progress.apply(&saved("a"));
        progress.apply(&RunEvent::Failed { run: 3, id: "b".into(), reason: crate::engine::ItemFailure::http_404() });
        assert_eq!((progress.tally.saved, progress.tally.failed, progress.in_flight()), (1, 1, 0));
        assert_eq!(progress.tally.failures, ["b: HTTP 404"]);
        assert!(progress.is_running());
    }

    #[test]
    fn the_rate_is_smooth_at_a_steady_pace() {
        // Five images a second, one at a time, sampled every 200 ms: the rate stays near 5.
        let mut progress = RunProgress::started_now();
        let start = progress.started;
        for tick in 1..=50u64 {
            let now = start + Duration::from_millis(tick * 100);
            if tick % 2 == 0 {
                progress.apply(&saved(&tick.to_string()));
            }
            progress.sample(now);
        }
        let late: Vec<f64> = progress.samples.iter().filter(|[at, ..]| *at >= 2.5).map(|[_, rate, ..]| *rate).collect();
        assert!(!late.is_empty());
        for rate in late {
            assert!((4.0..=6.0).contains(&rate), "rate {rate} strays from 5 images/s");
        }
    }

    #[test]
    fn a_run_that_failed_at_once_draws_no_plot() {
        let mut progress = RunProgress::started_now();
        progress.sample(progress.started);
        let fatal = Fatal::new(FatalKind::Offline, "Cannot reach the gallery server", "dns error");
        progress.apply(&finished(Ending::Failed(fatal)));
        assert!(!progress.has_plot());
    }

    #[test]
    fn a_full_folder_says_what_is_already_there() {
        let mut progress = RunProgress::started_now();
        for id in ["a", "b"] {
            progress.apply(&RunEvent::Listed { run: 3, id: id.into(), total: 2 });
            let path = PathBuf::from(id);
            progress.apply(&RunEvent::Skipped { run: 3, id: id.into(), path, reason: SkipReason::AlreadyPresent });
        }
        assert_eq!(progress.bar_text(), "2 already in this folder: nothing new to save");
        let path = PathBuf::from("gone");
        progress.apply(&RunEvent::Skipped { run: 3, id: "gone".into(), path, reason: SkipReason::Deleted });
        assert!(progress.bar_text().contains("1 deleted on Imgur"), "{}", progress.bar_text());
    }

    #[test]
    fn a_rate_limit_says_how_long_it_waits() {
        let mut progress = RunProgress::started_now();
        progress.apply(&RunEvent::RateLimited {
            run: 1,
            wait: Duration::from_secs(30),
            why: Throttle::TooManyRequests,
        });
        let notice = progress.status().expect("a message while waiting");
        assert!(notice.text.contains("Rate-limited") && notice.text.contains("waiting 30 s"), "{notice:?}");
        progress.apply(&RunEvent::RateLimited { run: 1, wait: Duration::from_secs(12), why: Throttle::OverCapacity });
        let notice = progress.status().expect("a countdown while Imgur is over capacity");
        assert!(notice.text.contains("over capacity") && notice.text.contains("in 12 s"), "{notice:?}");
    }

    #[test]
    fn the_quota_is_shown_when_known() {
        let limits = RateLimits { client_remaining: Some(12_000), user_remaining: None, user_reset: None };
        assert_eq!(quota_text(&limits).as_deref(), Some("Imgur quota: 12000 requests left for this Client-ID"));
        assert_eq!(quota_text(&RateLimits::default()), None);
    }

    #[test]
    fn errors_lead_with_what_happened_and_keep_the_machinery_apart() {
        let offline = Fatal::new(
            FatalKind::Offline,
            "Cannot reach the gallery server",
            "/3/gallery: client error (Connect): dns error: failed to lookup address",
        );
        let notice = plain_words(&offline);
        assert_eq!(
            notice.text,
            "Cannot reach the gallery server. Check your internet connection, then press Start again."
        );
        assert!(notice.detail.is_some_and(|detail| detail.contains("dns error")));
        let folder = Fatal::new(
            FatalKind::Destination,
            "Cannot create the folder /proc/x",
            "No such file or directory (os error 2)",
        );
        let notice = plain_words(&folder);
        assert!(notice.text.starts_with("Cannot create the folder /proc/x. Choose another folder"), "{notice:?}");
        assert!(!notice.text.contains("os error"));
    }
}
