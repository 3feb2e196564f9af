//! Timing of every run: the table of earlier runs (from the archive) and the compare chart
//! (the same gallery at concurrency 1, 4, 16 and 64, side by side).

use egui_extras::{Column, TableBuilder};
use egui_plot::{Bar, BarChart, Plot};

use crate::engine::RunRecord;

/// Concurrency levels of a compare series.
pub const COMPARE_LEVELS: [usize; 4] = [1, 4, 16, 64];

const HEADERS: [&str; 10] =
    ["#", "Source", "Concurrency", "Listed", "Saved", "Skipped", "Failed", "MB", "Seconds", "Images/s"];

/// The runs table.
pub fn runs_table_ui(ui: &mut egui::Ui, runs: &[RunRecord]) {
    if runs.is_empty() {
        ui.label("No runs yet: each run's timing appears here.");
        return;
    }
    TableBuilder::new(ui)
        .id_salt("runs")
        .striped(true)
        .column(Column::auto())
        .column(Column::initial(160.0).clip(true))
        .columns(Column::auto(), HEADERS.len() - 2)
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
                for cell in run_cells(run) {
                    row.col(|ui| {
                        ui.label(cell);
                    });
                }
            });
        });
}

/// The texts of one table row, in `HEADERS` order.
pub fn run_cells(run: &RunRecord) -> [String; 10] {
    let summary = &run.summary;
    [
        run.number.to_string(),
        run.source.clone(),
        summary.concurrency.to_string(),
        summary.listed.to_string(),
        summary.downloaded.to_string(),
        summary.skipped.to_string(),
        summary.failed.to_string(),
        format!("{:.1}", summary.bytes as f64 / 1e6),
        format!("{:.2}", summary.seconds),
        format!("{:.1}", summary.images_per_second),
    ]
}

/// Results of a compare series so far: (concurrency, seconds, images saved).
#[derive(Debug, Default, Clone)]
pub struct Comparison {
    pub steps: Vec<(usize, f64, u64)>,
    pub running: bool,
}

impl Comparison {
    pub fn ui(&self, ui: &mut egui::Ui) {
        if self.steps.is_empty() {
            let text = if self.running {
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
    use crate::engine::Summary;

    #[test]
    fn a_row_shows_every_column() {
        let run = RunRecord {
            number: 7,
            started_at: 0,
            source: "hot/viral/day".into(),
            out_dir: "/tmp".into(),
            summary: Summary {
                listed: 40,
                downloaded: 38,
                skipped: 1,
                failed: 1,
                bytes: 2_500_000,
                seconds: 1.234,
                images_per_second: 30.79,
                concurrency: 16,
            },
        };
        assert_eq!(run_cells(&run), ["7", "hot/viral/day", "16", "40", "38", "1", "1", "2.5", "1.23", "30.8"]);
    }
}
