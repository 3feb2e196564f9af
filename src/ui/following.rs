//! The "Following" view: the sources followed in the run archive (the same follows as
//! `galley follow`), each with its folder, when it was last checked, what that check
//! brought and why it failed; "Check now", and a check at start and every few hours while
//! the window is open (Settings). Checks are engine runs (`RunCommand::CheckFollows`): their
//! progress shows as any run's, and the pictures they bring are marked "new" in the grid
//! until they have been looked at.
//!
//! Drawing only, as the other views: every click comes back as a [`FollowingAction`],
//! applied after the frame by [`GalleyApp::following_action`].

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::grid::thousands;
use super::progress::Notice;
use super::state::RunState;
use super::{Action, GalleyApp, View};
use crate::demo::DEMO_CLIENT_ID;
use crate::engine::{ClientId, FollowRow, RunCommand, RunEvent, RunOrigin, Source, ago, newest_first, unix_now};

/// The folder column's width, least and most, in points: a long path is cut short (the
/// whole of it on hover), a short one leaves the others their room.
const FOLDER_WIDTH: (f32, f32) = (160.0, 300.0);
/// The Failed column's width, least and most: a reason wraps within it.
const FAILED_WIDTH: (f32, f32) = (200.0, 360.0);

/// What the Following view and the Follow buttons ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowingAction {
    /// Check every followed source now.
    CheckNow,
    /// Stop following this source (its followed form).
    Unfollow(String),
    /// Show this folder's pictures, the new ones marked.
    ShowFolder(PathBuf),
    /// Follow these sources into the download folder.
    Follow(Vec<Source>),
}

/// The follows as last read, and the checks' timing.
#[derive(Default)]
pub struct Following {
    rows: Vec<FollowRow>,
    /// Read from the archive at least once.
    loaded: bool,
    /// What the last check (or follow) said: the quota, an error, what was added.
    notice: Option<Notice>,
    /// When the next automatic check is due (`None`: none is planned).
    next_check: Option<Instant>,
    /// A check sent to the engine and not ended yet.
    checking: bool,
    /// The check ended whole: the follows read next say how it went.
    summarize: bool,
}

impl Following {
    pub fn rows(&self) -> &[FollowRow] {
        &self.rows
    }

    pub fn is_checking(&self) -> bool {
        self.checking
    }

    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    /// When the next automatic check is due, if one is planned.
    pub fn next_check(&self) -> Option<Instant> {
        self.next_check
    }

    /// The files new since they were last looked at, of every follow saving into `folder`.
    fn new_in(&self, folder: &Path) -> Vec<PathBuf> {
        let rows = self.rows.iter().filter(|row| row.record.out_dir == folder);
        rows.flat_map(|row| row.new_files.iter().cloned()).collect()
    }

    /// The view: `busy` says a run is going (no check can start).
    pub fn ui(&self, ui: &mut egui::Ui, busy: bool, every_hours: u32) -> Option<FollowingAction> {
        let mut action = None;
        ui.horizontal_wrapped(|ui| {
            ui.heading(format!("Following ({})", self.rows.len()));
            let hint = match (self.rows.is_empty(), busy) {
                (true, _) => "Follow a source first: Follow on a queued source, or in the Galleries form",
                (false, true) => "A run is going: check when it ends",
                (false, false) => "Download what is new in every followed source, each into its folder",
            };
            let can_check = !self.rows.is_empty() && !busy;
            let check = ui.add_enabled(can_check, egui::Button::new("Check now"));
            if check.on_hover_text(hint).on_disabled_hover_text(hint).clicked() {
                action = Some(FollowingAction::CheckNow);
            }
            ui.weak(match every_hours {
                0 => "Checked when you press Check now (Settings can check every few hours).".to_owned(),
                1 => "Checked at start and every hour while galley is open (Settings).".to_owned(),
                hours => format!("Checked at start and every {hours} hours while galley is open (Settings)."),
            });
        });
        if let Some(notice) = &self.notice {
            notice.ui(ui);
        }
        if self.rows.is_empty() {
            ui.weak(
                "Nothing is followed yet. Press Follow on a queued source (or in a Galleries form): each check \
                 then downloads only what is new in it, into the folder it was followed into.",
            );
            return action;
        }
        ui.add_space(4.0);
        let now = unix_now();
        egui::ScrollArea::both().auto_shrink([false, false]).show(ui, |ui| {
            egui::Grid::new("following-list").striped(true).num_columns(5).spacing([12.0, 6.0]).show(ui, |ui| {
                for heading in ["Source", "Folder", "Last checked", "New at last check", "Failed"] {
                    ui.strong(heading);
                }
                ui.end_row();
                for row in &self.rows {
                    if let Some(clicked) = row_ui(ui, row, now) {
                        action = Some(clicked);
                    }
                    ui.end_row();
                }
            });
        });
        action
    }
}

/// One followed source's row.
fn row_ui(ui: &mut egui::Ui, row: &FollowRow, now: i64) -> Option<FollowingAction> {
    let mut action = None;
    let follow = &row.record;
    // The source with its buttons under it: the list keeps to the width of a small window.
    ui.vertical(|ui| {
        ui.label(&follow.source);
        ui.horizontal(|ui| {
            let label = match row.new_files.len() {
                0 => "Show".to_owned(),
                new => format!("Show {} new", thousands(new as u64)),
            };
            let show = ui.add(egui::Button::new(label).small());
            if show.on_hover_text("Show its folder's pictures, the new ones marked").clicked() {
                action = Some(FollowingAction::ShowFolder(follow.out_dir.clone()));
            }
            let stop = ui.add(egui::Button::new("Unfollow").small());
            if stop.on_hover_text("Stop following it; its pictures stay in the folder").clicked() {
                action = Some(FollowingAction::Unfollow(follow.source.clone()));
            }
        });
    });
    let folder = follow.out_dir.display().to_string();
    ui.scope(|ui| {
        ui.set_min_width(FOLDER_WIDTH.0);
        ui.set_max_width(FOLDER_WIDTH.1);
        ui.add(egui::Label::new(&folder).truncate()).on_hover_text(&folder);
    });
    ui.label(follow.checked_at.map_or_else(|| "never".to_owned(), |at| ago(at, now)));
    match follow.checked_at {
        None => ui.label("-"),
        Some(_) => ui.label(thousands(follow.new_at_check)),
    };
    ui.scope(|ui| {
        ui.set_min_width(FAILED_WIDTH.0);
        ui.set_max_width(FAILED_WIDTH.1);
        failed_ui(ui, follow);
    });
    action
}

/// What failed at the source's last check: nothing, pictures that could not be saved, or
/// why it could not be listed (wrapped in its column, the whole reason on hover).
fn failed_ui(ui: &mut egui::Ui, follow: &crate::archive::FollowRecord) {
    let red = ui.visuals().error_fg_color;
    match (&follow.error, follow.failed_at_check) {
        _ if follow.checked_at.is_none() => {
            ui.label("-");
        }
        (Some(error), _) => {
            let text = egui::RichText::new(format!("could not be listed: {error}")).color(red);
            ui.add(egui::Label::new(text).wrap()).on_hover_text(error);
        }
        (None, 0) => {
            ui.label("none");
        }
        (None, failed) => {
            let text = format!("{} could not be saved (tried again next check)", thousands(failed));
            ui.add(egui::Label::new(egui::RichText::new(text).color(red)).wrap());
        }
    }
}

impl GalleyApp {
    /// The follows, as the archive holds them (tests and the window read them).
    pub fn following(&self) -> &Following {
        &self.following
    }

    pub(super) fn following_ui(&mut self, ui: &mut egui::Ui) {
        let busy = self.run_state.is_busy();
        if let Some(action) = self.following.ui(ui, busy, self.settings.follow_check_hours) {
            self.actions.push(Action::Following(action));
        }
    }

    pub(super) fn following_action(&mut self, action: FollowingAction) {
        let Some(archive) = self.config.archive.clone() else {
            self.following.notice =
                Some(Notice::error("Following needs the run archive, and galley has none here.", ""));
            return;
        };
        match action {
            FollowingAction::CheckNow => self.check_follows(),
            FollowingAction::Unfollow(source) => self.engine.send(RunCommand::Unfollow { archive, source }),
            FollowingAction::ShowFolder(folder) => {
                self.panels.view = View::Pictures;
                self.change_folder(folder);
                self.mark_new_pictures();
            }
            FollowingAction::Follow(sources) => {
                let out_dir = PathBuf::from(self.settings.folder.trim());
                if out_dir.as_os_str().is_empty() {
                    let text = "Choose a folder to save the images in (Saving to, above the pictures), then Follow.";
                    self.following.notice = Some(Notice::error(text, ""));
                    return;
                }
                let names: Vec<String> = sources.iter().map(ToString::to_string).collect();
                let said = Notice::info(format!(
                    "Following {} into {}: Check now (in Following) downloads what is new.",
                    names.join(", "),
                    out_dir.display()
                ));
                // Said where the Follow button was pressed, and in the Following view.
                self.notice = Some(said.clone());
                self.following.notice = Some(said);
                self.engine.send(RunCommand::Follow { archive, sources, out_dir });
            }
        }
    }

    /// A queued or typed source, to follow: in the form a check lists (newest first).
    pub(super) fn follow_source(&mut self, source: Source) {
        let shown = source.to_string();
        match newest_first(source) {
            Ok(source) => self.actions.push(Action::Following(FollowingAction::Follow(vec![source]))),
            Err(error) => self.notice = Some(Notice::error(format!("{shown} cannot be followed."), error.to_string())),
        }
    }

    /// Sends a check of every followed source, if one can go now.
    fn check_follows(&mut self) {
        if self.run_state.is_busy() || self.following.rows.is_empty() {
            return;
        }
        let Some(archive) = self.config.archive.clone() else { return };
        let Ok(api_base) = self.server_url() else {
            let text = "The gallery server is not up yet (or could not start): check again in a moment.";
            self.following.notice = Some(Notice::error(text, ""));
            return;
        };
        let demo = self.server.is_demo();
        let client_id = match self.credentials.field.text.trim() {
            "" if demo => DEMO_CLIENT_ID.to_owned(),
            "" => {
                let text = "Enter a Client-ID in Settings to check the followed sources.";
                self.following.notice = Some(Notice::error(text, ""));
                return;
            }
            id => id.to_owned(),
        };
        let request = crate::engine::CheckRequest {
            archive,
            api_base,
            client_id: ClientId::new(client_id),
            concurrency: self.settings.concurrency,
            thumbnails: true,
            // As any run of the app: thumbnails made while saving go to the library's cache.
            thumbnail_cache: Some(self.config.library.thumbnails.clone()),
            origin: if demo { RunOrigin::Demo } else { RunOrigin::Imgur },
        };
        self.following.notice = Some(Notice::info("Checking the followed sources..."));
        self.following.checking = true;
        self.progress = None;
        self.run_state = RunState::Launching(super::StartKind::Run);
        self.engine.send(RunCommand::CheckFollows(request));
    }

    /// Starts the automatic check when it is due (at start, then every few hours, as the
    /// settings say), once nothing else runs; and wakes the window for the next one.
    pub(super) fn check_follows_when_due(&mut self, ctx: &egui::Context) {
        let hours = self.settings.follow_check_hours;
        if hours == 0 || !self.following.loaded {
            self.following.next_check = None;
            return;
        }
        let due = *self.following.next_check.get_or_insert_with(Instant::now);
        let now = Instant::now();
        if due > now {
            ctx.request_repaint_after(due - now);
            return;
        }
        let server_up = self.server_url().is_ok();
        if self.following.rows.is_empty() || self.run_state.is_busy() || !server_up {
            // Tried again later: after the run going, or once the demo server is up.
            ctx.request_repaint_after(Duration::from_secs(1));
            return;
        }
        self.following.next_check = Some(now + Duration::from_secs(u64::from(hours) * 3600));
        self.check_follows();
    }

    /// Folds what the engine says of the follows.
    pub(super) fn following_event(&mut self, event: RunEvent) {
        match event {
            RunEvent::Follows(Ok(rows)) => {
                if std::mem::take(&mut self.following.summarize) {
                    self.following.notice = Some(check_summary(&rows));
                }
                self.following.rows = rows;
                self.following.loaded = true;
                self.mark_new_pictures();
            }
            RunEvent::Follows(Err(reason)) => {
                self.following.notice =
                    Some(Notice::error("The followed sources could not be read or changed.", reason.to_string()));
            }
            RunEvent::FollowsChecked { not_checked, resume, error } => {
                self.following.checking = false;
                // A check that found nothing to run (or could not start) never began a run.
                if self.run_state == RunState::Launching(super::StartKind::Run) {
                    self.run_state = RunState::Idle;
                }
                self.following.notice = Some(match (error, resume) {
                    (Some(error), resume) => Notice::error(
                        resume.unwrap_or_else(|| "The check stopped before every source was checked.".to_owned()),
                        error.to_string(),
                    ),
                    (None, Some(resume)) => Notice::error(resume, not_checked.join(", ")),
                    (None, None) => {
                        self.following.summarize = true;
                        Notice::info("Checked every followed source.")
                    }
                });
            }
            _ => {}
        }
    }

    /// Marks in the grid the pictures new since they were last looked at, of the follows
    /// saving into the folder on show, when the grid is on show: they count as looked at
    /// from then on (and stay marked until newer ones come, or another folder is shown).
    pub(super) fn mark_new_pictures(&mut self) {
        if self.panels.view != View::Pictures {
            return;
        }
        let Some(folder) = self.folder.shown.clone() else { return };
        let new = self.following.new_in(&folder);
        if new.is_empty() {
            return;
        }
        self.folder.grid.mark_new(new);
        let Some(archive) = self.config.archive.clone() else { return };
        let sources =
            self.following.rows.iter().filter(|row| row.record.out_dir == folder && !row.new_files.is_empty());
        let sources = sources.map(|row| row.record.source.clone()).collect();
        self.engine.send(RunCommand::FollowsLooked { archive, sources });
    }
}

/// How a whole check went, from the follows as it left them.
fn check_summary(rows: &[FollowRow]) -> Notice {
    let new: u64 = rows.iter().map(|row| row.record.new_at_check).sum();
    let unlisted = rows.iter().filter(|row| row.record.error.is_some()).count();
    let failed: u64 = rows.iter().map(|row| row.record.failed_at_check).sum();
    let mut text = format!("Checked every followed source: {} new pictures", thousands(new));
    if failed > 0 {
        text.push_str(&format!(", {} could not be saved", thousands(failed)));
    }
    match unlisted {
        0 if failed == 0 => Notice::info(format!("{text}.")),
        0 => Notice::error(format!("{text} (tried again next check)."), ""),
        1 => Notice::error(format!("{text}; 1 source could not be listed (see Failed)."), ""),
        n => Notice::error(format!("{text}; {n} sources could not be listed (see Failed)."), ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::FollowRecord;

    fn row(source: &str, folder: &str, new: &[&str]) -> FollowRow {
        FollowRow {
            record: FollowRecord {
                source: source.into(),
                out_dir: folder.into(),
                added_at: 0,
                checked_at: None,
                new_at_check: 0,
                failed_at_check: 0,
                error: None,
                caught_up: false,
                looked_upto: 0,
            },
            new_files: new.iter().map(PathBuf::from).collect(),
        }
    }

    #[test]
    fn a_check_is_summed_up_with_what_could_not_be_listed() {
        let mut rows = vec![row("user/a", "/p", &[]), row("t/b", "/p", &[])];
        rows[0].record.new_at_check = 5;
        assert_eq!(check_summary(&rows), Notice::info("Checked every followed source: 5 new pictures."));
        rows[1].record.error = Some("There is no such album".into());
        let said = check_summary(&rows);
        assert!(said.error && said.text.ends_with("1 source could not be listed (see Failed)."), "{said:?}");
    }

    #[test]
    fn the_new_pictures_of_a_folder_are_those_of_every_follow_saving_there() {
        let following = Following {
            rows: vec![
                row("user/a", "/p", &["/p/1.jpg"]),
                row("t/b", "/p", &["/p/2.jpg"]),
                row("r/c", "/q", &["/q/3"]),
            ],
            ..Following::default()
        };
        assert_eq!(following.new_in(Path::new("/p")), [PathBuf::from("/p/1.jpg"), PathBuf::from("/p/2.jpg")]);
        assert!(following.new_in(Path::new("/elsewhere")).is_empty());
    }
}
