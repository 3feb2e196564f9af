//! One frame of the window: take in what came back (engine events, the demo server, the
//! desktop's answers), draw while collecting every click as an [`Action`], then apply
//! the actions (`apply.rs`). Drawing changes nothing but what egui keeps, and sends the
//! engine nothing.

use super::*;

impl GalleyApp {
    // ---- one frame ----

    /// The whole window's contents; `eframe::App::ui` calls this, tests call it directly.
    pub fn ui_contents(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.take_in(&ctx);
        if let Some(progress) = self.progress.as_mut().filter(|progress| progress.is_running()) {
            progress.sample(std::time::Instant::now());
            // Keep the clock and plot moving while a run goes, without busy-looping.
            ctx.request_repaint_after(std::time::Duration::from_millis(250));
        }

        if self.applied_theme != Some(self.settings.theme) {
            ctx.set_theme(self.settings.theme.preference());
            self.applied_theme = Some(self.settings.theme);
        }

        // The viewer covers the whole window: nothing under it is drawn (or takes keys).
        if !self.viewer_ui(ui) {
            // The grid keeps most of the window: the panels are sized to it (at 800x600 the
            // queue takes 250 points and the activity 150).
            let window = ui.available_size();
            egui::Panel::top("sources-bar").show(ui, |ui| self.top_bar_ui(ui));
            egui::Panel::left("queue-panel")
                .resizable(true)
                .default_size((window.x * 0.26).clamp(230.0, 340.0))
                .min_size(210.0)
                .max_size((window.x * 0.45).max(240.0))
                .show(ui, |ui| self.queue_panel_ui(ui));
            egui::Panel::bottom("activity-panel")
                .resizable(self.panels.activity)
                .default_size((window.y * 0.24).clamp(110.0, 240.0))
                .max_size((window.y * 0.6).max(110.0))
                .min_size(if self.panels.activity { 90.0 } else { 0.0 })
                .show(ui, |ui| self.activity_panel_ui(ui));
            egui::CentralPanel::default().show(ui, |ui| {
                self.views_ui(ui);
                match self.panels.view {
                    View::Preview if self.previewing.is_some() => self.preview_ui(ui),
                    View::Following => self.following_ui(ui),
                    _ => self.main_panel_ui(ui),
                }
            });
            self.dialogs_ui(&ctx);
            self.grid_keys_ui(&ctx);
        }
        // A list dropped (or links pasted) while the viewer is open is queued all the same.
        self.drop_ui(&ctx);
        self.check_follows_when_due(&ctx);

        for action in std::mem::take(&mut self.actions) {
            self.apply(&ctx, action);
        }
    }

    /// Folds in what came back since the last frame, without waiting for anything.
    pub(super) fn take_in(&mut self, ctx: &egui::Context) {
        self.drain_events(ctx);
        if let Server::Demo(demo) = &mut self.server
            && let Some(answer) = demo.poll()
        {
            self.demo_answered(ctx, answer);
        }
        while let Some(answer) = self.desktop.poll() {
            self.desktop_answered(ctx, answer);
        }
    }

    // ---- drawing (collects actions; changes nothing else) ----

    /// The box at the top: sources in (pasted links, the Galleries menu and its form), the
    /// gear that opens the settings, and what adding said.
    pub(super) fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let gear = ui
                    .button("Settings")
                    .on_hover_text("Client-ID, downloads at once, file names, videos, animated GIFs, theme");
                if gear.clicked() {
                    self.actions.push(Action::ToggleSettings);
                }
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    if let Some(action) = sources::sources_ui(ui, &mut self.queue.typed) {
                        self.actions.push(Action::Sources(action));
                    }
                });
            });
        });
        if let Some(action) = self.form.as_mut().and_then(|form| sources::form_ui(ui, form)) {
            self.actions.push(Action::Sources(action));
        }
        if let Some(notice) = self.queue.notice() {
            notice.ui(ui);
        }
        if let Some(notice) = &self.notice {
            notice.ui(ui);
        }
        ui.add_space(2.0);
    }

    /// The queue on the left: Start and its kin, where runs go, then the queued sources.
    pub(super) fn queue_panel_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(4.0);
        ui.heading(format!("Queue ({})", self.queue.entries().len()));
        self.buttons_ui(ui);
        self.server_ui(ui);
        ui.separator();
        if let Some(action) = queue::queue_ui(ui, &self.queue, self.run_state.is_busy()) {
            self.actions.push(Action::Queue(action));
        }
    }

    /// The tabs of the middle of the window: the folder's pictures, the preview, and room
    /// for more views.
    pub(super) fn views_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let view = self.panels.view;
            if ui
                .selectable_label(view == View::Pictures, "Pictures")
                .on_hover_text("The pictures in the folder downloads go into")
                .clicked()
            {
                self.actions.push(Action::ShowView(View::Pictures));
            }
            if let Some(previewing) = &self.previewing {
                let label = format!("Preview ({})", grid::thousands(previewing.preview.entries.len() as u64));
                if ui.selectable_label(view == View::Preview, label).clicked() {
                    self.actions.push(Action::ShowView(View::Preview));
                }
            }
            let label = format!("Following ({})", self.following.rows().len());
            let tab = ui.selectable_label(view == View::Following, label);
            if tab.on_hover_text("The followed sources: what each check brought, Check now").clicked() {
                self.actions.push(Action::ShowView(View::Following));
            }
        });
        ui.separator();
    }

    pub(super) fn preview_ui(&mut self, ui: &mut egui::Ui) {
        self.destination_ui(ui);
        let Some(previewing) = &mut self.previewing else { return };
        if let Some(action) = previewing.preview.ui(ui) {
            self.actions.push(Action::Preview(action));
        }
    }

    /// Where downloads go, which is the folder the grid shows: its path (to type one),
    /// Choose..., and the folders used before.
    pub(super) fn destination_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.strong("Saving to");
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.add_enabled_ui(!self.settings.recent_folders.is_empty(), |ui| {
                    ui.menu_button("Recent", |ui| {
                        for folder in &self.settings.recent_folders {
                            if ui.button(folder).clicked() {
                                self.actions.push(Action::UseFolder(PathBuf::from(folder)));
                                ui.close();
                            }
                        }
                    })
                    .response
                    .on_hover_text("Folders used before");
                });
                let choose =
                    ui.button("Choose...").on_hover_text("Pick the folder downloads go into (and the grid shows)");
                if choose.clicked() {
                    self.actions.push(Action::ChooseFolder);
                }
                let field = egui::TextEdit::singleline(&mut self.settings.folder)
                    .hint_text("a folder for the images")
                    .desired_width(ui.available_width());
                let edit = ui.add(field).labelled_by(label.id);
                if edit.lost_focus() {
                    self.actions.push(Action::FolderEdited);
                }
            });
        });
    }

    /// What floats over the window: the trash confirmation, the folder picker, settings.
    pub(super) fn dialogs_ui(&mut self, ctx: &egui::Context) {
        if let Some(request) = &self.folder.confirm_trash
            && let Some(action) = browse::confirm_trash_ui(ctx, request)
        {
            self.actions.push(Action::Browse(action));
        }
        if let Some(action) = self.picker.as_ref().and_then(|picker| picker.ui(ctx)) {
            self.actions.push(Action::Picker(action));
        }
        if self.panels.settings {
            let demo = self.server.is_demo();
            let field = &mut self.credentials.field;
            if let Some(action) = settings::settings_window(ctx, &mut self.settings, field, demo) {
                self.actions.push(Action::Settings(action));
            }
        }
    }

    pub(super) fn server_ui(&mut self, ui: &mut egui::Ui) {
        let idle = !self.run_state.is_busy();
        let Server::Demo(demo) = &self.server else {
            ui.label("Gallery server: Imgur");
            let folder = self.config.demo_folder.display();
            let hover = format!(
                "Downloads the built-in demo gallery (no account needed) into {folder}. \
                 \"Use Imgur instead\" brings your settings back."
            );
            if ui.add_enabled(idle, egui::Button::new("Try the demo gallery")).on_hover_text(hover).clicked() {
                self.actions.push(Action::TryDemo);
            }
            return;
        };
        let status = match &demo.server {
            DemoServerState::Ready(server) => {
                format!("Gallery server: the built-in demo gallery ({})", server.base_url())
            }
            DemoServerState::Failed(_) => "Gallery server: the demo gallery (it could not start)".to_owned(),
            DemoServerState::Starting(_) => "Gallery server: starting the demo gallery...".to_owned(),
        };
        ui.label(status);
        if ui.add_enabled(idle, egui::Link::new("Use Imgur instead")).clicked() {
            self.actions.push(Action::UseImgur);
        }
    }

    pub(super) fn buttons_ui(&mut self, ui: &mut egui::Ui) {
        let busy = self.run_state.is_busy();
        ui.horizontal_wrapped(|ui| {
            let (hint, can_start) = match (self.queue.runnable().len(), self.queue.entries().len()) {
                (_, 0) => (
                    "Queue a source first: paste an Imgur link into the box at the top, or pick one of Galleries"
                        .to_owned(),
                    false,
                ),
                (0, _) => {
                    ("Download the queued sources again: what is in the folder already is skipped".to_owned(), true)
                }
                (1, _) => ("Download the queued source not yet done".to_owned(), true),
                (n, _) => (format!("Download the {n} queued sources not yet done, as one run"), true),
            };
            let start = ui
                .add_enabled(!busy && can_start, egui::Button::new("Start"))
                .on_disabled_hover_text(&hint)
                .on_hover_text(&hint);
            if start.clicked() {
                self.actions.push(Action::Start(StartKind::Run));
            }
            let cancel = ui.add_enabled(busy, egui::Button::new("Cancel"));
            if cancel.clicked() {
                self.actions.push(Action::Cancel);
            }
            let compare = ui.add_enabled(!busy && can_start, egui::Button::new("Compare 1/4/16/64")).on_hover_text(
                "Time the queue at 1, 4, 16 and 64 downloads at once, into scratch folders (your folder is left alone)",
            );
            if compare.clicked() {
                self.actions.push(Action::Start(StartKind::Compare));
            }
            // Focus moves once the button can take it (it was disabled when asked).
            match self.focus {
                Some(FocusTarget::Cancel) if busy => {
                    cancel.request_focus();
                    self.focus = None;
                }
                Some(FocusTarget::Start) if !busy => {
                    start.request_focus();
                    self.focus = None;
                }
                _ => {}
            }
        });
        match self.run_state {
            RunState::WaitingForDemo(_) => {
                ui.label("Starting the demo gallery; the run begins as soon as it is up.");
            }
            RunState::Launching(_) => {
                ui.label("Starting...");
            }
            _ => {}
        }
    }

    /// The bottom panel: the run's progress on one line when folded; with the runs table
    /// and the compare chart when open. Out of the grid's way either way.
    pub(super) fn activity_panel_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = if self.panels.activity { "Hide activity" } else { "Show activity" };
            let toggle = ui.button(label).on_hover_text("Show or hide the runs table and the chart");
            if toggle.clicked() {
                self.actions.push(Action::ToggleActivity);
            }
            match (&self.progress, self.panels.activity) {
                // Open, the panel shows the whole progress below.
                (Some(_), true) => {}
                (Some(progress), false) => {
                    ui.label(progress.summary_line());
                }
                (None, _) => {
                    ui.label("Press Start to download the queue; thumbnails appear above as images land.");
                }
            }
        });
        if !self.panels.activity {
            return;
        }
        // The run on the left, the history (and the compare chart) on the right: both in
        // sight in a panel a fifth of the window high.
        ui.columns(2, |columns| {
            egui::ScrollArea::vertical().id_salt("activity-run").auto_shrink([false, false]).show(
                &mut columns[0],
                |ui| {
                    if let Some(progress) = &self.progress {
                        progress.ui(ui);
                    }
                },
            );
            egui::ScrollArea::vertical().id_salt("activity-runs").auto_shrink([false, false]).show(
                &mut columns[1],
                |ui| {
                    ui.strong(format!("Runs ({})", self.history.runs.len()));
                    if let Some(problem) = &self.history.problem {
                        problem.ui(ui);
                    }
                    if runs::runs_table_ui(ui, &self.history.runs, !self.run_state.is_busy()) {
                        self.actions.push(Action::ClearHistory);
                    }
                    ui.add_space(4.0);
                    self.comparison.ui(ui, self.run_state.is_comparing());
                },
            );
        });
    }

    /// The grid and its toolbar: all the room the panels leave.
    pub(super) fn main_panel_ui(&mut self, ui: &mut egui::Ui) {
        self.destination_ui(ui);
        self.folder.grid.refresh_order();
        let grid = &self.folder.grid;
        let view = browse::ToolbarView {
            query: grid.query(),
            cell: grid.cell,
            shown: grid.len(),
            total: grid.total(),
            selected: grid.selection().len(),
            has_folder: self.folder.shown.is_some(),
        };
        if let Some(action) = browse::toolbar_ui(ui, &view) {
            self.actions.push(Action::Browse(action));
        }
        if let Some(action) = self.folder.reposts.bar_ui(ui, self.folder.shown.is_some()) {
            self.actions.push(Action::Reposts(action));
        }
        ui.horizontal_wrapped(|ui| {
            let folder = self.folder.shown.as_ref().map(|f| f.display().to_string()).unwrap_or_default();
            let videos = grid.videos();
            ui.label(browse::count_line(view.shown - videos, videos, view.total, view.selected, &folder));
            let new = grid.new_shown();
            if new > 0 {
                let text = egui::RichText::new(format!("{} new", grid::thousands(new as u64))).strong();
                ui.label(text).on_hover_text("Brought by a check of the followed sources since you last looked");
            }
            if let Some((made, total)) = self.folder.thumbnailing.filter(|(made, total)| made < total) {
                ui.weak(format!(
                    "· making thumbnails {} / {}",
                    grid::thousands(made as u64),
                    grid::thousands(total as u64)
                ));
            }
        });
        if let Some(status) = &self.folder.status {
            let can_undo = !self.folder.trashed.is_empty();
            if let Some(action) = browse::trashed_ui(ui, status, can_undo) {
                self.actions.push(Action::Browse(action));
            }
        }
        if self.folder.shown.is_some() && self.folder.grid.total() == 0 && self.folder.status.is_none() {
            ui.weak("No images here yet. Queue a source and press Start, or Preview it to pick what to download.");
        }
        if self.reposts_view_ui(ui) {
            return;
        }
        let output = self.folder.grid.ui(ui);
        if !output.wanted.is_empty() {
            self.actions.push(Action::Rethumbnail(output.wanted));
        }
        if let Some(action) = output.action {
            self.actions.push(Action::Grid(action));
        }
    }

    /// Keys for the grid when nothing else has the keyboard: Ctrl-A selects all, Delete
    /// asks to move the selection to the trash, Escape clears the selection, Home, End,
    /// Page Up and Page Down move the view.
    pub(super) fn grid_keys_ui(&mut self, ctx: &egui::Context) {
        // Only a text field keeps these keys: a clicked tile has the keyboard focus too.
        let busy_elsewhere = self.folder.viewer.is_some()
            || self.folder.confirm_trash.is_some()
            || self.picker.is_some()
            || self.panels.view != View::Pictures
            || self.folder.reposts.is_showing()
            || ctx.text_edit_focused();
        if busy_elsewhere {
            return;
        }
        let (select_all, delete, escape, jump) = ctx.input(|input| {
            let jump = [
                (egui::Key::Home, grid::Jump::Start),
                (egui::Key::End, grid::Jump::End),
                (egui::Key::PageUp, grid::Jump::PageUp),
                (egui::Key::PageDown, grid::Jump::PageDown),
            ]
            .into_iter()
            .find_map(|(key, jump)| input.key_pressed(key).then_some(jump));
            (
                input.modifiers.command && input.key_pressed(egui::Key::A),
                input.key_pressed(egui::Key::Delete),
                input.key_pressed(egui::Key::Escape),
                jump,
            )
        });
        if let Some(jump) = jump {
            self.actions.push(Action::Grid(GridAction::Jump(jump)));
        }
        if select_all {
            self.actions.push(Action::Grid(GridAction::SelectAll));
        }
        if delete {
            self.actions.push(Action::Grid(GridAction::DeleteSelection));
        }
        if escape {
            self.actions.push(Action::Browse(BrowseAction::CancelTrash));
        }
    }

    /// Files dragged over the window: says what dropping does; files dropped and text
    /// pasted outside any field become actions (their links join the queue).
    pub(super) fn drop_ui(&mut self, ctx: &egui::Context) {
        let (hovering, dropped, pasted) = ctx.input(|input| {
            let pasted: Vec<String> = input
                .events
                .iter()
                .filter_map(|event| match event {
                    egui::Event::Paste(text) => Some(text.clone()),
                    _ => None,
                })
                .collect();
            let dropped: Vec<PathBuf> = input.raw.dropped_files.iter().map(|file| file.path().to_owned()).collect();
            (!input.raw.hovered_files.is_empty(), dropped, pasted)
        });
        if hovering {
            let layer = egui::LayerId::new(egui::Order::Foreground, egui::Id::unique("drop-links"));
            let painter = ctx.layer_painter(layer);
            let rect = ctx.content_rect();
            painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(180));
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "Drop a .txt file of Imgur links (one a line) to queue them",
                egui::FontId::proportional(22.0),
                egui::Color32::WHITE,
            );
        }
        if !dropped.is_empty() {
            self.actions.push(Action::Dropped(dropped));
        }
        // Paste into a field belongs to the field.
        if !ctx.egui_wants_keyboard_input() {
            self.actions.extend(pasted.into_iter().map(Action::PastedLinks));
        }
    }

    /// Draws the viewer if it is open; returns whether it is. The grid's order may have
    /// changed under it (a sort, a deletion): it follows its image, or takes the one now
    /// in its place.
    pub(super) fn viewer_ui(&mut self, ui: &mut egui::Ui) -> bool {
        let Some(viewer) = &mut self.folder.viewer else { return false };
        let grid = &self.folder.grid;
        if grid.path(viewer.index()) != Some(viewer.path()) {
            let moved = (0..grid.len()).find(|&index| grid.path(index) == Some(viewer.path()));
            match moved.or_else(|| grid.len().checked_sub(1).map(|last| viewer.index().min(last))) {
                Some(index) => self.actions.push(Action::OpenViewer(index)),
                None => self.actions.push(Action::Viewer(ViewerAction::Close)),
            }
        }
        if let Some(paths) = viewer.requests(grid) {
            self.actions.push(Action::DecodeForViewer { paths, max_side: viewer::decode_side(ui.ctx()) });
        }
        if let Some(action) = viewer.ui(ui, grid) {
            self.actions.push(Action::Viewer(action));
        }
        true
    }
}
