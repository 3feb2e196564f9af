//! The queue: the only list of what will be downloaded. Sources come in through the box
//! at the top of the window (pasted links, the Galleries menu), links pasted onto the
//! window or a `.txt` list dropped on it; each keeps its state and its own options (pages,
//! limit). Start runs the sources not yet done as ONE job (the engine lists them in order and downloads them from one pool of
//! connections, so the concurrency is shared, not per source).
//!
//! Pause stops that run cleanly (the engine removes its temporary files; what was saved
//! stays, whole, and the archive remembers it) and Resume starts a run of the sources not
//! yet done, which skips the files already there. A pause therefore holds no connection or
//! listing open, survives closing the window, and needs nothing of the engine but the
//! start and cancel it already has.

use serde::{Deserialize, Serialize};

use super::progress::Notice;
use crate::engine::{Ending, RunReport, Source, SourceError, SourceReport, SourceStage};

/// Names one queued source for as long as it is queued (indexes move on reorder).
pub type EntryId = u64;

/// Where one queued source stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryStatus {
    /// Not run yet, or left waiting by a run that stopped before reaching it.
    Waiting,
    /// The engine's latest word on it, in the run going or the last one.
    Reported(SourceReport),
    /// Done in an earlier session (its counts were not kept).
    DoneEarlier,
}

/// Gallery pages a new source lists (a gallery, a user, a tag, a search...).
pub const DEFAULT_PAGES: u32 = 1;
/// The most pages one source may list.
pub const MAX_PAGES: u32 = 50;

/// One source in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedSource {
    pub id: EntryId,
    /// As the user pasted it.
    pub text: String,
    pub source: Source,
    pub status: EntryStatus,
    /// Gallery pages to list (paged sources only: an album is one page).
    pub pages: u32,
    /// At most this many images of it; 0 means all.
    pub limit: usize,
}

impl QueuedSource {
    /// Its own cap on images, if it has one.
    pub fn own_limit(&self) -> Option<usize> {
        (self.limit > 0).then_some(self.limit)
    }

    /// Whether every image of it was dealt with (a new run leaves it out).
    pub fn is_done(&self) -> bool {
        match &self.status {
            EntryStatus::DoneEarlier => true,
            EntryStatus::Reported(report) => report.stage == SourceStage::Done,
            EntryStatus::Waiting => false,
        }
    }

    /// Its state in the user's words; `halt` says why an unfinished source is not moving,
    /// `None` while its run goes.
    pub fn state_text(&self, halt: Option<Halt>) -> String {
        let report = match &self.status {
            EntryStatus::Reported(report) if report.stage == SourceStage::Waiting => return self.waiting_text(halt),
            EntryStatus::Waiting => return self.waiting_text(halt),
            EntryStatus::DoneEarlier => return "done".to_owned(),
            EntryStatus::Reported(report) => report,
        };
        let saved = report.downloaded + report.skipped.saturating_sub(report.deleted);
        let listed = report.listed.max(report.found);
        let counts = format!("{saved} of {listed} saved");
        let mut text = match (&report.stage, halt.map(Halt::word)) {
            (SourceStage::Failed(fatal), _) => return format!("failed: {}", fatal.message),
            (SourceStage::Done, _) => format!("done: {counts}"),
            (_, Some(why)) if listed > 0 => format!("{why} at {counts}"),
            (_, Some(why)) => format!("{why} while listing"),
            (SourceStage::Waiting, None) => "waiting".to_owned(),
            (SourceStage::Listing, None) if listed == 0 => "listing".to_owned(),
            (SourceStage::Listing, None) => format!("listing: {counts} so far"),
            (SourceStage::Downloading, None) => counts,
        };
        if report.failed > 0 {
            text.push_str(&format!(", {} failed", report.failed));
        }
        if report.deleted > 0 {
            text.push_str(&format!(", {} deleted on Imgur", report.deleted));
        }
        text
    }

    fn waiting_text(&self, halt: Option<Halt>) -> String {
        match halt {
            Some(Halt::Stopped) | None => "waiting".to_owned(),
            Some(halt) => format!("waiting ({})", halt.word()),
        }
    }

    /// The technical detail of its failure, if it failed.
    pub fn failure_detail(&self) -> Option<&str> {
        match &self.status {
            EntryStatus::Reported(report) => report.error().map(|fatal| fatal.detail.as_str()),
            _ => None,
        }
    }
}

/// Why an unfinished source is not moving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    Paused,
    Pausing,
    /// Queued while a run went: it gets the next one.
    NextRun,
    /// Its run was cancelled, or stopped by an error.
    Stopped,
}

impl Halt {
    fn word(self) -> &'static str {
        match self {
            Halt::Paused => "paused",
            Halt::Pausing => "pausing",
            Halt::NextRun => "next run",
            Halt::Stopped => "stopped",
        }
    }
}

/// What the queue is doing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum QueueState {
    /// No run of it goes: Start runs the sources not yet done.
    #[default]
    Idle,
    /// A run of these entries (in the job's order) was sent. Which run it is is the app's
    /// `RunState` (the one owner of the run going's id): the app tells the queue only of
    /// that run's events.
    Running { entries: Vec<EntryId> },
    /// Pause was pressed: the run is stopping, and ends in `Paused`.
    Pausing { entries: Vec<EntryId> },
    /// Stopped by Pause: Resume (or Start) runs the sources not yet done.
    Paused,
}

impl QueueState {
    /// The entries of the run going, if the queue sent it.
    fn run(&self) -> Option<&[EntryId]> {
        match self {
            QueueState::Running { entries } | QueueState::Pausing { entries } => Some(entries),
            QueueState::Idle | QueueState::Paused => None,
        }
    }
}

/// What a click in the queue asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueAction {
    /// Queue the lines of the sources box.
    AddTyped,
    MoveUp(EntryId),
    MoveDown(EntryId),
    Remove(EntryId),
    /// Remove the sources that are done.
    ClearDone,
    Pause,
    Resume,
    /// A source's pages or limit were changed.
    SetOptions {
        id: EntryId,
        pages: u32,
        limit: usize,
    },
    /// List a source and show its pictures, to pick some.
    Preview(EntryId),
    /// The same for every source queued.
    PreviewAll,
    /// Follow it: each check of the followed sources downloads what is new in it.
    Follow(EntryId),
}

/// What adding lines did.
#[derive(Debug, Default)]
pub struct Addition {
    pub added: usize,
    /// Lines naming a source already queued.
    pub already: usize,
    /// Lines that name no source, with the parser's reason.
    pub rejected: Vec<(String, SourceError)>,
}

/// A queued source as saved between sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedSource {
    pub text: String,
    pub done: bool,
    #[serde(default = "default_pages")]
    pub pages: u32,
    #[serde(default)]
    pub limit: usize,
}

fn default_pages() -> u32 {
    DEFAULT_PAGES
}

/// The queue and its sources box.
#[derive(Debug, Default)]
pub struct Queue {
    entries: Vec<QueuedSource>,
    state: QueueState,
    next_id: EntryId,
    /// The sources box's text.
    pub typed: String,
    /// What the last addition said (lines refused, a list that could not be read).
    notice: Option<Notice>,
}

impl Queue {
    // ---- queries ----

    pub fn entries(&self) -> &[QueuedSource] {
        &self.entries
    }

    pub fn state(&self) -> &QueueState {
        &self.state
    }

    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    /// The sources a run would take now, in order: those not done.
    pub fn runnable(&self) -> Vec<&QueuedSource> {
        self.entries.iter().filter(|entry| !entry.is_done()).collect()
    }

    /// Whether `id` is in the run going (it cannot be removed until the run ends).
    pub fn in_run(&self, id: EntryId) -> bool {
        self.state.run().is_some_and(|entries| entries.contains(&id))
    }

    /// The queued source `id`, if it is queued.
    pub fn entry(&self, id: EntryId) -> Option<&QueuedSource> {
        self.entries.iter().find(|entry| entry.id == id)
    }

    /// What to keep for the next session.
    pub fn saved(&self) -> Vec<SavedSource> {
        let saved = |entry: &QueuedSource| SavedSource {
            text: entry.text.clone(),
            done: entry.is_done(),
            pages: entry.pages,
            limit: entry.limit,
        };
        self.entries.iter().map(saved).collect()
    }

    // ---- changes ----

    /// The queue a session saved; lines that no longer parse are dropped (and logged).
    pub fn restored(saved: Vec<SavedSource>) -> Self {
        let mut queue = Queue::default();
        for SavedSource { text, done, pages, limit } in saved {
            match text.parse::<Source>() {
                Ok(source) => {
                    let status = if done { EntryStatus::DoneEarlier } else { EntryStatus::Waiting };
                    queue.push(text, source, status);
                    queue.set_options(queue.next_id - 1, pages, limit);
                }
                Err(error) => tracing::warn!("a saved queue entry is dropped: {error}"),
            }
        }
        queue
    }

    fn push(&mut self, text: String, source: Source, status: EntryStatus) {
        let (pages, limit) = (DEFAULT_PAGES, 0);
        self.entries.push(QueuedSource { id: self.next_id, text, source, status, pages, limit });
        self.next_id += 1;
    }

    /// A source's own options: its pages (1..=50) and its limit (0: all).
    pub fn set_options(&mut self, id: EntryId, pages: u32, limit: usize) {
        if let Some(entry) = self.entries.iter_mut().find(|entry| entry.id == id) {
            entry.pages = pages.clamp(1, MAX_PAGES);
            entry.limit = limit;
        }
    }

    /// Parses each line with the source parser; good lines join the queue (once).
    pub fn add_lines(&mut self, lines: impl IntoIterator<Item = String>) -> Addition {
        let mut addition = Addition::default();
        for line in lines {
            let line = line.trim().to_owned();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line.parse::<Source>() {
                Ok(source) if self.entries.iter().any(|entry| entry.source == source) => addition.already += 1,
                Ok(source) => {
                    self.push(line, source, EntryStatus::Waiting);
                    addition.added += 1;
                }
                Err(error) => addition.rejected.push((line, error)),
            }
        }
        addition
    }

    /// Queues sources already made (the Galleries menu's), each shown by its short form.
    pub fn add_sources(&mut self, sources: Vec<Source>) {
        let mut addition = Addition::default();
        for source in sources {
            if self.entries.iter().any(|entry| entry.source == source) {
                addition.already += 1;
            } else {
                self.push(source.to_string(), source, EntryStatus::Waiting);
                addition.added += 1;
            }
        }
        self.notice = Some(addition_notice(&addition, ""));
    }

    /// Queues the sources box's lines; the lines refused stay in the box to be fixed.
    pub fn add_typed(&mut self) {
        let typed = std::mem::take(&mut self.typed);
        let addition = self.add_lines(typed.lines().map(str::to_owned));
        self.typed = addition.rejected.iter().map(|(line, _)| line.as_str()).collect::<Vec<_>>().join("\n");
        self.notice = Some(addition_notice(&addition, "left in the box to fix"));
    }

    /// Queues the links of a list dropped on (or pasted onto) the window, named `origin`.
    pub fn add_list(&mut self, origin: &str, lines: Vec<String>) {
        if lines.is_empty() {
            self.notice = Some(Notice::error(format!("{origin} lists no links: nothing was queued."), ""));
            return;
        }
        let addition = self.add_lines(lines);
        self.notice = Some(addition_notice(&addition, &format!("fix them in {origin} and drop it again")));
    }

    pub fn say(&mut self, notice: Notice) {
        self.notice = Some(notice);
    }

    pub fn move_by(&mut self, id: EntryId, up: bool) {
        let Some(index) = self.entries.iter().position(|entry| entry.id == id) else { return };
        let other = if up { index.checked_sub(1) } else { Some(index + 1).filter(|next| *next < self.entries.len()) };
        if let Some(other) = other {
            self.entries.swap(index, other);
        }
    }

    /// Removes a source, unless the run going holds it.
    pub fn remove(&mut self, id: EntryId) {
        if !self.in_run(id) {
            self.entries.retain(|entry| entry.id != id);
        }
    }

    pub fn clear_done(&mut self) {
        let state = &self.state;
        self.entries.retain(|entry| !entry.is_done() || state.run().is_some_and(|run| run.contains(&entry.id)));
    }

    /// A run of `entries` was sent to the engine.
    pub fn started(&mut self, entries: Vec<EntryId>) {
        for entry in self.entries.iter_mut().filter(|entry| entries.contains(&entry.id)) {
            entry.status = EntryStatus::Waiting;
        }
        self.notice = None;
        self.state = QueueState::Running { entries };
    }

    /// Source `index` of the queue's run moved on.
    pub fn reported(&mut self, index: usize, report: &SourceReport) {
        let Some(entries) = self.state.run() else { return };
        let Some(id) = entries.get(index).copied() else { return };
        if let Some(entry) = self.entries.iter_mut().find(|entry| entry.id == id) {
            entry.status = EntryStatus::Reported(report.clone());
        }
    }

    /// Pause was pressed: returns whether there is a run to stop.
    pub fn pause(&mut self) -> bool {
        match std::mem::take(&mut self.state) {
            QueueState::Running { entries } => {
                self.state = QueueState::Pausing { entries };
                true
            }
            other => {
                self.state = other;
                false
            }
        }
    }

    /// The run going was stopped before it began (the demo server never came up).
    pub fn not_started(&mut self) {
        self.state = match self.state {
            QueueState::Pausing { .. } => QueueState::Paused,
            _ => QueueState::Idle,
        };
    }

    /// The queue's run ended. Returns whether sources queued while it went are waiting
    /// for a run of their own (the queue goes on with them, as a queue does).
    pub fn finished(&mut self, report: &RunReport) -> bool {
        let Some(ran) = self.state.run() else { return false };
        let ran = ran.to_vec();
        for (id, source) in ran.iter().zip(&report.sources) {
            if let Some(entry) = self.entries.iter_mut().find(|entry| entry.id == *id) {
                entry.status = EntryStatus::Reported(source.clone());
            }
        }
        let paused = matches!(self.state, QueueState::Pausing { .. });
        self.state = if paused { QueueState::Paused } else { QueueState::Idle };
        let added_meanwhile =
            self.entries.iter().any(|entry| entry.status == EntryStatus::Waiting && !ran.contains(&entry.id));
        !paused && report.ending == Ending::Done && added_meanwhile
    }

    /// Why source `id`, if unfinished, is not moving; `None` while its run goes.
    pub fn halt(&self, id: EntryId) -> Option<Halt> {
        match &self.state {
            QueueState::Paused => Some(Halt::Paused),
            QueueState::Pausing { .. } => Some(Halt::Pausing),
            QueueState::Running { entries, .. } if !entries.contains(&id) => Some(Halt::NextRun),
            QueueState::Running { .. } => None,
            QueueState::Idle => Some(Halt::Stopped),
        }
    }
}

/// What adding lines did, in the user's words. `fix` says what to do with refused lines.
fn addition_notice(addition: &Addition, fix: &str) -> Notice {
    let mut said = match addition.added {
        0 => "Nothing was queued.".to_owned(),
        1 => "1 source queued.".to_owned(),
        n => format!("{n} sources queued."),
    };
    if addition.already > 0 {
        said.push_str(&format!(" {} already in the queue.", addition.already));
    }
    let Some((line, error)) = addition.rejected.first() else { return Notice::info(said) };
    let reason = match error {
        // The keyword's message does not name the line.
        SourceError::Keyword { .. } => format!("'{line}': {error}"),
        SourceError::Unrecognised(_) | SourceError::BadName(..) => error.to_string(),
    };
    let lines = match addition.rejected.len() {
        1 => "1 line was not queued".to_owned(),
        n => format!("{n} lines were not queued"),
    };
    Notice::error(format!("{said} {lines} ({fix}): {reason}"), "")
}

/// The queue's list: Pause/Resume, Clear done and Preview all, then each source with its
/// options and state. Every click is returned.
pub fn queue_ui(ui: &mut egui::Ui, queue: &Queue, busy: bool) -> Option<QueueAction> {
    let mut action = None;
    if queue.entries.is_empty() {
        ui.weak("Nothing queued yet. Paste Imgur links into the box at the top, pick a gallery from Galleries, or drop a .txt list of links on the window.");
        return action;
    }
    ui.horizontal_wrapped(|ui| {
        if let Some(clicked) = queue_buttons_ui(ui, queue, busy) {
            action = Some(clicked);
        }
    });
    // The list scrolls on its own, so a long queue never pushes the buttons out of sight.
    let last = queue.entries.len() - 1;
    egui::ScrollArea::vertical().id_salt("queue-list").auto_shrink([false, true]).show(ui, |ui| {
        for (index, entry) in queue.entries.iter().enumerate() {
            if let Some(clicked) = entry_ui(ui, queue, entry, (index > 0, index < last)) {
                action = Some(clicked);
            }
        }
    });
    action
}

/// Pause (Resume when paused) and Clear done. Both are always drawn, enabled or not, so
/// that a button never moves under the pointer when a run ends.
fn queue_buttons_ui(ui: &mut egui::Ui, queue: &Queue, busy: bool) -> Option<QueueAction> {
    let mut action = None;
    match &queue.state {
        QueueState::Paused => {
            let resume = ui.add_enabled(!busy, egui::Button::new("Resume"));
            if resume.on_hover_text("Download the sources not yet done; what is saved is skipped").clicked() {
                action = Some(QueueAction::Resume);
            }
        }
        QueueState::Pausing { .. } => {
            ui.add_enabled(false, egui::Button::new("Pause"));
            ui.weak("pausing...");
        }
        QueueState::Running { .. } | QueueState::Idle => {
            let running = matches!(queue.state, QueueState::Running { .. });
            let pause = ui.add_enabled(running, egui::Button::new("Pause"));
            let pause = pause.on_hover_text("Stop the run now (what is saved stays); Resume goes on from there");
            if pause.clicked() {
                action = Some(QueueAction::Pause);
            }
        }
    }
    let any_done = queue.entries.iter().any(QueuedSource::is_done);
    let clear = ui.add_enabled(any_done, egui::Button::new("Clear done"));
    if clear.on_hover_text("Remove the sources that are done from the list").clicked() {
        action = Some(QueueAction::ClearDone);
    }
    let preview = ui.button("Preview all").on_hover_text(
        "List every queued source and show its pictures (small versions, nothing saved), to pick what to download",
    );
    if preview.clicked() {
        action = Some(QueueAction::PreviewAll);
    }
    action
}

/// One queued source: its name, its options (pages, limit), then Preview / Up / Down /
/// Remove and its state. `can_move` says whether it can go up and down.
fn entry_ui(ui: &mut egui::Ui, queue: &Queue, entry: &QueuedSource, can_move: (bool, bool)) -> Option<QueueAction> {
    let mut action = None;
    ui.separator();
    let name = ui.add(egui::Label::new(egui::RichText::new(&entry.text).strong()).truncate());
    name.on_hover_text(format!("{} (as galley reads it: {})", entry.text, entry.source));
    let held = queue.in_run(entry.id);
    ui.horizontal_wrapped(|ui| {
        let (mut pages, mut limit) = (entry.pages, entry.limit);
        if entry.source.is_paged() {
            let label = ui.label("Pages");
            let field = egui::DragValue::new(&mut pages).range(1..=MAX_PAGES);
            ui.add_enabled(!held, field)
                .labelled_by(label.id)
                .on_hover_text("Gallery pages to list (about 60 posts a page)");
        }
        let label = ui.label("Limit");
        let field = egui::DragValue::new(&mut limit).range(0..=100_000).custom_formatter(|value, _| match value {
            0.0 => "all".to_owned(),
            value => format!("{value}"),
        });
        ui.add_enabled(!held, field).labelled_by(label.id).on_hover_text("At most this many images of it (0: all)");
        if (pages, limit) != (entry.pages, entry.limit) {
            action = Some(QueueAction::SetOptions { id: entry.id, pages, limit });
        }
    });
    ui.horizontal_wrapped(|ui| {
        let preview = ui
            .add(egui::Button::new("Preview").small())
            .on_hover_text("List it and show its pictures (small versions, nothing saved), to pick what to download");
        if preview.clicked() {
            action = Some(QueueAction::Preview(entry.id));
        }
        let follow = ui.add(egui::Button::new("Follow").small()).on_hover_text(
            "Follow it into the download folder: each check (Following) downloads only what is new in it",
        );
        if follow.clicked() {
            action = Some(QueueAction::Follow(entry.id));
        }
        if ui.add_enabled(can_move.0, egui::Button::new("Up").small()).clicked() {
            action = Some(QueueAction::MoveUp(entry.id));
        }
        if ui.add_enabled(can_move.1, egui::Button::new("Down").small()).clicked() {
            action = Some(QueueAction::MoveDown(entry.id));
        }
        let remove = ui.add_enabled(!held, egui::Button::new("Remove").small());
        if remove.on_disabled_hover_text("Pause the queue to remove a source of the run going").clicked() {
            action = Some(QueueAction::Remove(entry.id));
        }
    });
    let state = egui::RichText::new(entry.state_text(queue.halt(entry.id)));
    let failed = matches!(&entry.status, EntryStatus::Reported(report) if report.error().is_some());
    let state =
        ui.add(egui::Label::new(if failed { state.color(ui.visuals().error_fg_color) } else { state.weak() }).wrap());
    if let Some(detail) = entry.failure_detail().filter(|detail| !detail.is_empty()) {
        state.on_hover_text(format!("Details: {detail}"));
    }
    action
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Fatal, FatalKind, Summary};

    fn queue_of(lines: &[&str]) -> Queue {
        let mut queue = Queue::default();
        let addition = queue.add_lines(lines.iter().map(|line| (*line).to_owned()));
        assert!(addition.rejected.is_empty(), "{:?}", addition.rejected);
        queue
    }

    fn report(stage: SourceStage, listed: u64, downloaded: u64) -> SourceReport {
        SourceReport { stage, listing_done: true, listed, downloaded, ..SourceReport::waiting("x".into()) }
    }

    fn finished(ending: Ending, sources: Vec<SourceReport>) -> RunReport {
        RunReport { summary: Summary::default(), ending, sources }
    }

    #[test]
    fn good_lines_join_once_and_bad_ones_stay_in_the_box_with_the_parsers_reason() {
        let typed = "album/AbC12\n\n https://imgur.com/t/cats \nnot a source!\nalbum/AbC12\nhot/sideways";
        let mut queue = Queue { typed: typed.into(), ..Queue::default() };
        queue.add_typed();
        let texts: Vec<&str> = queue.entries().iter().map(|entry| entry.text.as_str()).collect();
        assert_eq!(texts, ["album/AbC12", "https://imgur.com/t/cats"]);
        assert_eq!(queue.typed, "not a source!\nhot/sideways");
        let notice = queue.notice().expect("a notice");
        assert!(notice.error);
        assert!(notice.text.starts_with("2 sources queued. 1 already in the queue. 2 lines were not queued"));
        assert!(notice.text.contains("imgur.com/user/NAME"), "names what galley accepts: {}", notice.text);
    }

    #[test]
    fn a_run_moves_its_entries_on_and_pause_ends_in_paused_with_the_rest_runnable() {
        let mut queue = queue_of(&["album/AAAAA", "album/BBBBB"]);
        let ids: Vec<EntryId> = queue.runnable().into_iter().map(|entry| entry.id).collect();
        queue.started(ids.clone());
        queue.reported(0, &report(SourceStage::Done, 3, 3));
        queue.reported(1, &report(SourceStage::Downloading, 4, 1));
        assert_eq!(queue.entries()[1].state_text(queue.halt(ids[1])), "1 of 4 saved");
        assert!(!queue.in_run(99) && queue.in_run(ids[0]));
        assert!(queue.pause());
        let more = queue.finished(&finished(
            Ending::Cancelled,
            vec![report(SourceStage::Done, 3, 3), report(SourceStage::Downloading, 4, 2)],
        ));
        assert!(!more);
        assert_eq!(queue.state(), &QueueState::Paused);
        assert_eq!(queue.entries()[1].state_text(queue.halt(ids[1])), "paused at 2 of 4 saved");
        assert_eq!(queue.runnable().len(), 1, "only the unfinished source runs again");
        assert_eq!(queue.entries()[0].state_text(None), "done: 3 of 3 saved");
    }

    #[test]
    fn sources_added_during_a_run_get_the_next_one() {
        let mut queue = queue_of(&["album/AAAAA"]);
        queue.started(vec![0]);
        queue.add_lines(["album/BBBBB".to_owned()]);
        assert_eq!(queue.entries()[1].state_text(queue.halt(1)), "waiting (next run)");
        assert!(queue.finished(&finished(Ending::Done, vec![report(SourceStage::Done, 1, 1)])));
        assert_eq!(queue.state(), &QueueState::Idle);
    }

    #[test]
    fn a_failed_source_says_why_and_is_tried_again_by_the_next_run() {
        let mut queue = queue_of(&["album/AAAAA"]);
        queue.started(vec![0]);
        let fatal = Fatal::new(FatalKind::NotFound, "This album does not exist.", "HTTP 404");
        let failed = SourceReport { stage: SourceStage::Failed(fatal), ..SourceReport::waiting("x".into()) };
        queue.finished(&finished(Ending::Done, vec![failed]));
        assert_eq!(queue.entries()[0].state_text(None), "failed: This album does not exist.");
        assert_eq!(queue.entries()[0].failure_detail(), Some("HTTP 404"));
        assert_eq!(queue.runnable().len(), 1);
    }

    #[test]
    fn reorder_remove_and_clear_done_keep_the_run_going_whole() {
        let mut queue = queue_of(&["album/AAAAA", "album/BBBBB", "album/CCCCC"]);
        queue.move_by(2, true);
        queue.move_by(0, true);
        queue.move_by(0, false);
        let order: Vec<EntryId> = queue.entries().iter().map(|entry| entry.id).collect();
        assert_eq!(order, [2, 0, 1]);
        queue.started(vec![0]);
        queue.remove(0);
        queue.remove(1);
        assert_eq!(queue.entries().len(), 2, "the run's source stays; another goes");
        queue.finished(&finished(Ending::Done, vec![report(SourceStage::Done, 1, 1)]));
        queue.clear_done();
        let left: Vec<EntryId> = queue.entries().iter().map(|entry| entry.id).collect();
        assert_eq!(left, [2]);
    }

    #[test]
    fn a_sources_options_are_its_own_and_kept_in_range() {
        let mut queue = queue_of(&["r/pics", "album/AAAAA"]);
        queue.set_options(0, 999, 25);
        queue.set_options(1, 0, 0);
        let entries = queue.entries();
        assert_eq!((entries[0].pages, entries[0].own_limit()), (MAX_PAGES, Some(25)));
        assert_eq!((entries[1].pages, entries[1].own_limit()), (1, None), "0 pages is 1, a limit of 0 is none");
    }

    #[test]
    fn the_saved_queue_comes_back_with_what_was_done() {
        let saved = vec![
            SavedSource { text: "album/AAAAA".into(), done: true, pages: 1, limit: 0 },
            SavedSource { text: "not any more!".into(), done: false, pages: 1, limit: 0 },
            SavedSource { text: "r/pics".into(), done: false, pages: 3, limit: 40 },
        ];
        let queue = Queue::restored(saved);
        assert_eq!(queue.entries().len(), 2);
        assert_eq!(queue.runnable().len(), 1);
        assert_eq!(queue.saved()[0], SavedSource { text: "album/AAAAA".into(), done: true, pages: 1, limit: 0 });
        assert_eq!((queue.entries()[1].pages, queue.entries()[1].own_limit()), (3, Some(40)), "its options too");
    }
}
