//! Timing of every run: the table of earlier runs (from the archive) and the compare chart
//! (the same gallery at concurrency 1, 4, 16 and 64, side by side).

use egui_extras::{Column, TableBuilder};
use egui_plot::{Bar, BarChart, Plot};

use crate::engine::{RunEnding, RunOrigin, RunRecord, civil_from_days};

/// Concurrency levels of a compare series.
pub const COMPARE_LEVELS: [usize; 4] = [1, 4, 16, 64];

const HEADERS: [&str; 13] = [
    "#",
    "When",
    "Folder",
    "Server",
    "Source",
    "Outcome",
    "Concurrency",
    "Listed",
    "Saved",
    "Skipped",
    "Failed",
    "Seconds",
    "Images/s",
];

/// The runs table. Returns true when "Clear history" was clicked.
pub fn runs_table_ui(ui: &mut egui::Ui, runs: &[RunRecord], can_clear: bool) -> bool {
    if runs.is_empty() {
        ui.label("No runs yet: each run's timing appears here.");
        return false;
    }
    let clear = ui
        .add_enabled(can_clear, egui::Button::new("Clear history"))
        .on_hover_text("Forget these runs. Saved images stay where they are.")
        .on_disabled_hover_text("Wait for the run to end first.")
        .clicked();
    // Thirteen columns are wider than a small window: the table scrolls sideways.
    egui::ScrollArea::horizontal().id_salt("runs-sideways").show(ui, |ui| table_ui(ui, runs));
    clear
}

fn table_ui(ui: &mut egui::Ui, runs: &[RunRecord]) {
    TableBuilder::new(ui)
        .id_salt("runs")
        .striped(true)
        .column(Column::auto())
        .column(Column::auto())
        .column(Column::initial(140.0).clip(true))
        .column(Column::auto())
        .column(Column::initial(100.0).clip(true))
        .column(Column::initial(140.0).clip(true))
        .columns(Column::auto(), HEADERS.len() - 6)
        .max_scroll_height(180.0)
        .header(20.0, |mut header| {
            for title in HEADERS {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(18.0, runs.len(), |mut row| {
                let Some(run) = runs.get(row.index()) else { return };
                for (column, cell) in run_cells(run).into_iter().enumerate() {
                    row.col(|ui| {
                        // One line a row: long folders and reasons are cut short, and
                        // the whole text is on hover.
                        if matches!(column, 2 | 4 | 5) {
                            ui.add(egui::Label::new(&cell).truncate()).on_hover_text(&cell);
                        } else {
                            ui.add(egui::Label::new(&cell).extend());
                        }
                    });
                }
            });
        });
}

/// The texts of one table row, in `HEADERS` order.
pub fn run_cells(run: &RunRecord) -> [String; 13] {
    let counts = &run.counts;
    [
        run.number.to_string(),
        local_time(run.started_at),
        run.out_dir.clone(),
        origin_name(run.origin).to_owned(),
        run.source.clone(),
        ending_text(&run.ending),
        counts.concurrency.to_string(),
        counts.listed.to_string(),
        counts.downloaded.to_string(),
        counts.skipped.to_string(),
        counts.failed.to_string(),
        format!("{:.2}", counts.seconds),
        format!("{:.1}", counts.images_per_second),
    ]
}

fn origin_name(origin: RunOrigin) -> &'static str {
    match origin {
        RunOrigin::Imgur => "Imgur",
        RunOrigin::Demo => "demo",
        RunOrigin::Links => "links",
    }
}

fn ending_text(ending: &RunEnding) -> String {
    match ending {
        RunEnding::Done => "done".to_owned(),
        RunEnding::Cancelled => "cancelled".to_owned(),
        RunEnding::Failed(reason) if reason.is_empty() => "failed".to_owned(),
        RunEnding::Failed(reason) => format!("failed: {reason}"),
    }
}

/// `YYYY-MM-DD HH:MM` in the local time zone (UTC where it is not known).
pub fn local_time(unix_seconds: i64) -> String {
    let local = unix_seconds + utc_offset_seconds(unix_seconds);
    let (days, seconds) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn utc_offset_seconds(unix_seconds: i64) -> i64 {
    let time: libc::time_t = unix_seconds as libc::time_t;
    // SAFETY: `localtime_r` only writes into the `tm` we hand it, and reads `time`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let converted = unsafe { libc::localtime_r(&time, &mut tm) };
    if converted.is_null() { 0 } else { tm.tm_gmtoff }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn utc_offset_seconds(_unix_seconds: i64) -> i64 {
    0
}

/// Results of a compare series so far: (concurrency, seconds, images saved).
#[derive(Debug, Default, Clone)]
pub struct Comparison {
    pub steps: Vec<(usize, f64, u64)>,
}

impl Comparison {
    pub fn ui(&self, ui: &mut egui::Ui, running: bool) {
        if self.steps.is_empty() {
            let text = if running {
                "Comparing: running the gallery at concurrency 1 first..."
            } else {
                "Compare runs this gallery at concurrency 1, 4, 16 and 64 into a scratch folder and shows the seconds side by side."
            };
            ui.label(text);
            return;
        }
        let bars: Vec<Bar> = self
            .steps
            .iter()
            .enumerate()
            .map(|(slot, (level, seconds, _))| Bar::new(slot as f64, *seconds).name(format!("concurrency {level}")))
            .collect();
        let levels: Vec<usize> = self.steps.iter().map(|(level, ..)| *level).collect();
        Plot::new("compare")
            .height(140.0)
            .allow_scroll(false)
            .allow_zoom(false)
            .allow_drag(false)
            .x_axis_formatter(move |mark, _| {
                let slot = mark.value.round();
                match levels.get(slot as usize) {
                    Some(level) if (mark.value - slot).abs() < 1e-6 => format!("C={level}"),
                    _ => String::new(),
                }
            })
            .y_axis_label("seconds")
            .show(ui, |plot| plot.bar_chart(BarChart::new("seconds", bars).width(0.6)));
        let line: Vec<String> = self
            .steps
            .iter()
            .map(|(level, seconds, saved)| format!("C={level}: {seconds:.2} s ({saved} images)"))
            .collect();
        ui.label(line.join("   "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RunCounts;

    #[test]
    fn a_row_says_when_where_from_what_and_how_it_ended() {
        let run = RunRecord {
            number: 7,
            started_at: 1_764_270_000,
            origin: RunOrigin::Demo,
            source: "hot/viral/day".into(),
            out_dir: "/home/me/Pictures/galley-demo".into(),
            counts: RunCounts {
                listed: 40,
                downloaded: 38,
                skipped: 1,
                failed: 1,
                bytes: 2_500_000,
                seconds: 1.234,
                images_per_second: 30.79,
                concurrency: 16,
            },
            ending: RunEnding::Failed("The disk holding /home/me/Pictures is full".into()),
        };
        let cells = run_cells(&run);
        assert_eq!(cells[1], local_time(1_764_270_000));
        assert_eq!(
            cells[2..],
            [
                "/home/me/Pictures/galley-demo",
                "demo",
                "hot/viral/day",
                "failed: The disk holding /home/me/Pictures is full",
                "16",
                "40",
                "38",
                "1",
                "1",
                "1.23",
                "30.8"
            ]
        );
        let cancelled = RunRecord { ending: RunEnding::Cancelled, origin: RunOrigin::Imgur, ..run };
        assert_eq!(run_cells(&cancelled)[3..6], ["Imgur", "hot/viral/day", "cancelled"]);
    }

    #[test]
    fn dates_are_counted_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
