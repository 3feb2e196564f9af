//! Applying the actions a frame collected, after drawing: this is where clicks become
//! engine commands, runs start and stop, and the folder, the queue and the settings
//! change.

use super::*;

impl GalleyApp {
    pub(super) fn apply(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::Start(kind) => self.start(ctx, kind),
            Action::Cancel => self.cancel(),
            Action::TryDemo => {
                self.enter_demo(ctx);
                self.start(ctx, StartKind::Run);
            }
            Action::UseImgur => self.use_imgur(),
            Action::ChooseFolder => match self.engine.runtime() {
                Some(runtime) => {
                    self.desktop.choose_folder(runtime, ctx, PathBuf::from(self.settings.folder.trim()));
                }
                None => self.notice = Some(Notice::error("The folder dialog cannot open: the engine has stopped.", "")),
            },
            Action::FolderEdited => {
                let folder = PathBuf::from(self.settings.folder.trim());
                if !folder.as_os_str().is_empty() {
                    self.change_folder(folder);
                }
            }
            Action::UseFolder(folder) => self.change_folder(folder),
            Action::Picker(action) => self.picker_action(ctx, action),
            Action::Sources(action) => self.sources_action(action),
            Action::ToggleSettings => self.panels.settings = !self.panels.settings,
            Action::Settings(SettingsAction::Close) => {
                self.panels.settings = false;
                if !self.server.is_demo() {
                    self.save_client_id_in_background();
                }
            }
            Action::Settings(SettingsAction::ClearThumbnails) => self.engine.send(LibraryCommand::ClearThumbnails),
            Action::ShowView(view) => {
                self.panels.view = view;
                self.mark_new_pictures();
            }
            Action::Preview(action) => self.preview_action(ctx, action),
            Action::ClearHistory => {
                if let Some(archive) = &self.config.archive {
                    self.engine.send(RunCommand::ClearRuns(archive.clone()));
                }
            }
            Action::Rethumbnail(paths) => self.engine.send(LibraryCommand::Want(paths)),
            Action::OpenViewer(index) => self.open_viewer(ctx, index),
            Action::DecodeForViewer { paths, max_side } => self.engine.send(ViewRequest { paths, max_side }),
            Action::Viewer(action) => self.viewer_action(ctx, action),
            Action::Grid(action) => self.grid_action(ctx, action),
            Action::Browse(action) => self.browse_action(ctx, action),
            Action::ToggleActivity => self.panels.activity = !self.panels.activity,
            Action::Queue(action) => self.queue_action(ctx, action),
            Action::Dropped(paths) => self.dropped(paths),
            Action::PastedLinks(text) => {
                self.queue.add_list("the pasted text", engine::link_lines(&text));
            }
            Action::Reposts(action) => self.reposts_action(action),
            Action::Following(action) => self.following_action(action),
        }
    }

    pub(super) fn queue_action(&mut self, ctx: &egui::Context, action: QueueAction) {
        match action {
            QueueAction::AddTyped => self.queue.add_typed(),
            QueueAction::MoveUp(id) => self.queue.move_by(id, true),
            QueueAction::MoveDown(id) => self.queue.move_by(id, false),
            QueueAction::Remove(id) => self.queue.remove(id),
            QueueAction::ClearDone => self.queue.clear_done(),
            QueueAction::Pause => {
                if self.queue.pause() {
                    self.cancel();
                }
            }
            QueueAction::Resume => self.start(ctx, StartKind::Run),
            QueueAction::SetOptions { id, pages, limit } => self.queue.set_options(id, pages, limit),
            QueueAction::Preview(id) => self.start_preview(Some(id)),
            QueueAction::PreviewAll => self.start_preview(None),
            QueueAction::Follow(id) => {
                if let Some(entry) = self.queue.entries().iter().find(|entry| entry.id == id) {
                    self.follow_source(entry.source.clone());
                }
            }
        }
    }

    pub(super) fn sources_action(&mut self, action: SourcesAction) {
        match action {
            SourcesAction::AddTyped => self.queue.add_typed(),
            SourcesAction::OpenForm(kind) => self.form = Some(GalleryForm::new(kind)),
            SourcesAction::CloseForm => self.form = None,
            SourcesAction::FollowForm => {
                let Some(form) = &mut self.form else { return };
                match form.source() {
                    Ok(source) => {
                        self.follow_source(source);
                        self.form = None;
                    }
                    Err(problem) => form.problem = Some(problem),
                }
            }
            SourcesAction::AddForm => {
                let Some(form) = &mut self.form else { return };
                match form.source() {
                    Ok(source) => {
                        self.queue.add_sources(vec![source]);
                        self.form = None;
                    }
                    Err(problem) => form.problem = Some(problem),
                }
            }
        }
    }

    /// Lists the queued source `scope` (every queued source: `None`) and shows its
    /// pictures to pick from; a preview going is replaced.
    pub(super) fn start_preview(&mut self, scope: Option<EntryId>) {
        let api_base = match self.server_url() {
            Ok(url) => url,
            Err(NoServer::Starting) => {
                self.notice =
                    Some(Notice::info("The demo gallery is still starting: press Preview again in a moment."));
                return;
            }
            Err(NoServer::Failed(notice)) => {
                self.notice = Some(notice);
                return;
            }
        };
        let entries: Vec<&QueuedSource> = match scope {
            Some(id) => self.queue.entry(id).into_iter().collect(),
            None => self.queue.entries().iter().collect(),
        };
        let label = match entries.as_slice() {
            [] => {
                self.notice = Some(Notice::error("Nothing is queued to preview: add a source at the top first.", ""));
                return;
            }
            [one] => one.text.clone(),
            many => format!("{} sources", many.len()),
        };
        let job = match self.job(&api_base, &entries) {
            Ok(job) => job,
            Err(message) => {
                self.notice = Some(Notice::error(message, ""));
                return;
            }
        };
        self.notice = None;
        self.latest_preview += 1;
        let preview = Preview::new(self.latest_preview, label);
        self.previewing = Some(Previewing { preview, scope });
        self.panels.view = View::Preview;
        self.engine.send(RunCommand::Preview { preview: self.latest_preview, job });
    }

    pub(super) fn preview_action(&mut self, ctx: &egui::Context, action: PreviewAction) {
        let Some(previewing) = &mut self.previewing else { return };
        match action {
            PreviewAction::Close => {
                self.previewing = None;
                self.panels.view = View::Pictures;
                self.engine.send(RunCommand::CancelPreview);
            }
            PreviewAction::DownloadSelected => self.download_selected(ctx),
            other => previewing.preview.apply(&other),
        }
    }

    /// Runs the normal engine on exactly the pictures selected in the preview, into the
    /// folder (the grid shows them land).
    pub(super) fn download_selected(&mut self, ctx: &egui::Context) {
        if self.run_state.is_busy() {
            self.notice = Some(Notice::error(
                "A run is going: wait for it to end (or Cancel it), then download the selection.",
                "",
            ));
            return;
        }
        let Some(previewing) = &self.previewing else { return };
        let items = previewing.preview.selected_items();
        if items.is_empty() {
            return;
        }
        let input = JobInput::Items { label: previewing.preview.label.clone(), items };
        let job = match self.job_of(vec![input], Vec::new()) {
            Ok(job) => job,
            Err(message) => {
                self.notice = Some(Notice::error(message, ""));
                return;
            }
        };
        self.notice = None;
        self.progress = None;
        self.show_folder(job.out_dir.clone());
        self.engine.send(RunCommand::Start(job));
        self.run_state = RunState::Launching(StartKind::Run);
        self.focus = Some(FocusTarget::Cancel);
        self.panels.view = View::Pictures;
        ctx.request_repaint();
    }

    /// Downloads go to `folder` now, and the grid shows it (one folder at a time); it
    /// heads the Recent menu. An open preview is listed again, to mark what this folder
    /// holds.
    pub(super) fn change_folder(&mut self, folder: PathBuf) {
        self.settings.use_folder(&folder);
        self.notice = None;
        let changed = self.folder.shown.as_ref() != Some(&folder);
        self.show_folder(folder);
        if changed && let Some(scope) = self.previewing.as_ref().map(|previewing| previewing.scope) {
            self.start_preview(scope);
        }
    }

    pub(super) fn picker_action(&mut self, ctx: &egui::Context, action: picker::PickerAction) {
        match action {
            picker::PickerAction::Open(folder) => self.open_picker(ctx, folder),
            picker::PickerAction::Choose(folder) => {
                self.picker = None;
                self.change_folder(folder);
            }
            picker::PickerAction::Cancel => self.picker = None,
        }
    }

    /// Shows `folder` in galley's own picker and asks for its subfolders (read off the UI
    /// thread).
    pub(super) fn open_picker(&mut self, ctx: &egui::Context, folder: PathBuf) {
        match self.engine.runtime() {
            Some(runtime) => {
                self.desktop.list_subfolders(runtime, ctx, folder.clone());
                self.picker = Some(picker::FolderPicker::new(folder));
            }
            None => self.notice = Some(Notice::error("No folder can be chosen: the engine has stopped.", "")),
        }
    }

    /// Lists of links dropped on the window are read by the engine (off this thread);
    /// anything else is refused by its name alone, without touching the disk.
    pub(super) fn dropped(&mut self, paths: Vec<PathBuf>) {
        for path in paths {
            let is_list = path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("txt"));
            let name = crate::library::names::shown_file_name(&path);
            if is_list {
                self.queue.say(Notice::info(format!("Reading the links in {name}...")));
                self.engine.send(RunCommand::ReadLinks(path));
            } else {
                let text = format!(
                    "{name} was not queued: drop a .txt file with one Imgur link per line, or paste links into the sources box."
                );
                self.queue.say(Notice::error(text, ""));
            }
        }
    }

    /// The queue the last session saved goes to the user's own queue (the demo's is
    /// on show with `--demo`).
    pub fn restore_queue(&mut self, saved: Vec<SavedSource>) {
        let restored = Queue::restored(saved);
        match &mut self.server {
            Server::Demo(demo) => demo.user_queue = restored,
            Server::Imgur => self.queue = restored,
        }
    }

    pub(super) fn grid_action(&mut self, ctx: &egui::Context, action: GridAction) {
        let grid = &mut self.folder.grid;
        match action {
            GridAction::Open(position) => {
                let video = grid.entry(position).filter(|entry| entry.kind.is_video()).map(|entry| entry.path.clone());
                match (video, self.engine.runtime().cloned()) {
                    // galley plays no video: the desktop's player does.
                    (Some(path), Some(runtime)) => self.desktop.open(&runtime, ctx, path.clone(), path),
                    (Some(_), None) => {
                        self.folder.status = Some(Notice::error("The engine has stopped: restart galley.", ""));
                    }
                    (None, _) => self.open_viewer(ctx, position),
                }
            }
            GridAction::Click { position, toggle, range } => grid.click(position, toggle, range),
            GridAction::SelectAll => grid.select_all(),
            GridAction::DeleteSelection => self.ask_trash(),
            GridAction::Jump(jump) => grid.jump(jump),
        }
    }

    pub(super) fn browse_action(&mut self, ctx: &egui::Context, action: BrowseAction) {
        match action {
            BrowseAction::Query(query) => {
                let order = query.sort_order();
                let reordered = order != self.folder.grid.query().sort_order();
                self.folder.grid.set_query(query);
                // The background makes the folder's thumbnails in the order now shown.
                if reordered && self.folder.shown.is_some() {
                    self.engine.send(LibraryCommand::Reorder(order));
                }
            }
            BrowseAction::CellSize(cell) => {
                self.folder.grid.cell = cell.clamp(*grid::CELL_RANGE.start(), *grid::CELL_RANGE.end());
            }
            BrowseAction::OpenFolder => {
                if let (Some(folder), Some(runtime)) = (self.folder.shown.clone(), self.engine.runtime().cloned()) {
                    self.desktop.open(&runtime, ctx, folder.clone(), folder);
                }
            }
            BrowseAction::AskTrash => self.ask_trash(),
            BrowseAction::ConfirmTrash => {
                if let Some(request) = self.folder.confirm_trash.take() {
                    self.folder.status =
                        Some(Notice::info(format!("Moving {} to the trash...", files(request.paths.len()))));
                    self.engine.send(LibraryCommand::Trash(request.paths));
                }
            }
            BrowseAction::CancelTrash => {
                if self.folder.confirm_trash.take().is_none() {
                    self.folder.grid.clear_selection();
                }
            }
            BrowseAction::UndoTrash => {
                let paths = std::mem::take(&mut self.folder.trashed);
                if !paths.is_empty() {
                    self.folder.status = Some(Notice::info(format!("Bringing back {}...", files(paths.len()))));
                    self.engine.send(LibraryCommand::Restore(paths));
                }
            }
        }
    }

    /// Opens the confirmation for the selected files (nothing happens without a selection).
    pub(super) fn ask_trash(&mut self) {
        let paths = self.folder.grid.selection();
        if !paths.is_empty() {
            self.folder.confirm_trash = Some(TrashRequest { paths });
        }
    }

    /// Where runs go now: the API root, or why there is none yet.
    pub(super) fn server_url(&self) -> Result<url::Url, NoServer> {
        match &self.server {
            Server::Imgur => url::Url::parse(IMGUR_API_BASE).map_err(|error| {
                NoServer::Failed(Notice::error("galley's Imgur address is broken (a bug).", error.to_string()))
            }),
            Server::Demo(demo) => match &demo.server {
                DemoServerState::Ready(server) => Ok(server.base_url()),
                DemoServerState::Failed(reason) => Err(NoServer::Failed(demo_failed(reason))),
                DemoServerState::Starting(_) => Err(NoServer::Starting),
            },
        }
    }

    /// Starts a run of the queue (or a compare series of it); waits for the demo server
    /// first when it is the one to use and is not up yet.
    pub(super) fn start(&mut self, ctx: &egui::Context, kind: StartKind) {
        if self.run_state.is_busy() {
            return;
        }
        self.notice = None;
        let api_base = match self.server_url() {
            Ok(url) => url,
            Err(NoServer::Failed(notice)) => {
                self.notice = Some(notice);
                return;
            }
            Err(NoServer::Starting) => {
                self.run_state = RunState::WaitingForDemo(kind);
                self.focus = Some(FocusTarget::Cancel);
                ctx.request_repaint();
                return;
            }
        };
        // Start runs the sources not yet done (all of them again when every one is done);
        // a compare series times the whole queue.
        let runnable = self.queue.runnable();
        let entries: Vec<&QueuedSource> = match kind {
            StartKind::Run if !runnable.is_empty() => runnable,
            StartKind::Run | StartKind::Compare => self.queue.entries().iter().collect(),
        };
        if entries.is_empty() {
            self.notice = Some(Notice::error(
                "Nothing is queued: paste an Imgur link into the box at the top, or pick one of Galleries.",
                "",
            ));
            return;
        }
        let ids: Vec<EntryId> = entries.iter().map(|entry| entry.id).collect();
        let job = match self.job(&api_base, &entries) {
            Ok(job) => job,
            Err(message) => {
                self.notice = Some(Notice::error(message, ""));
                return;
            }
        };
        if !self.server.is_demo() {
            self.save_client_id_in_background();
        }
        self.progress = None;
        match kind {
            StartKind::Run => {
                self.show_folder(job.out_dir.clone());
                self.engine.send(RunCommand::Start(job));
                self.queue.started(ids);
            }
            StartKind::Compare => {
                self.comparison = Comparison::default();
                self.engine.send(RunCommand::Compare { job, levels: COMPARE_LEVELS.to_vec() });
            }
        }
        self.run_state = RunState::Launching(kind);
        self.focus = Some(FocusTarget::Cancel);
    }

    pub(super) fn cancel(&mut self) {
        match self.run_state {
            RunState::Idle => {}
            // Nothing was sent yet: there is nothing for the engine to stop.
            RunState::WaitingForDemo(_) => {
                self.run_state = RunState::Idle;
                self.queue.not_started();
                self.focus = Some(FocusTarget::Start);
            }
            // The run's `Finished` (or the series' `CompareDone`) brings the state back to idle.
            RunState::Launching(_) | RunState::Running(_) | RunState::Comparing => self.engine.send(RunCommand::Cancel),
        }
    }

    /// The job of these queued sources, each with its own pages and limit, with the
    /// settings' folder and choices, or why there is none (in the window's words). A
    /// query: it saves nothing and sends nothing.
    pub(super) fn job(&self, api_base: &url::Url, entries: &[&QueuedSource]) -> Result<Job, String> {
        let demo = self.server.is_demo();
        let client_id = match self.credentials.field.text.trim() {
            "" if demo => DEMO_CLIENT_ID.to_owned(),
            "" => {
                return Err(
                    "Enter a Client-ID in Settings (register an application at api.imgur.com/oauth2/addclient), or try the demo gallery.".to_owned()
                );
            }
            id => id.to_owned(),
        };
        let client_id = ClientId::new(client_id);
        // The demo serves its whole gallery; Imgur is listed page by page as asked.
        let input = |entry: &&QueuedSource| JobInput::Imgur {
            api_base: api_base.clone(),
            client_id: client_id.clone(),
            source: entry.source.clone(),
            pages: (!demo).then_some(entry.pages),
        };
        let limits = entries.iter().map(|entry| entry.own_limit()).collect();
        self.job_of(entries.iter().map(input).collect(), limits)
    }

    /// A job of `inputs` (each capped by its `limits`) into the download folder, with the
    /// settings' choices.
    pub(super) fn job_of(&self, inputs: Vec<JobInput>, limits: Vec<Option<usize>>) -> Result<Job, String> {
        let folder = PathBuf::from(self.settings.folder.trim());
        if folder.as_os_str().is_empty() {
            return Err("Choose a folder to save the images in (Saving to, above the pictures).".to_owned());
        }
        let mut job = Job::planned(inputs, folder, self.run_choices()?);
        job.source_limits = limits;
        if self.server.is_demo() {
            job.origin = RunOrigin::Demo;
        }
        Ok(job)
    }

    /// What the settings choose for a run (a follow check's too).
    pub(super) fn run_choices(&self) -> Result<RunChoices, String> {
        Ok(RunChoices {
            concurrency: self.settings.concurrency,
            moving: self.settings.moving_pictures(),
            naming: self.settings.name_template()?,
            album_folders: self.settings.album_folders,
            write_metadata: false,
            thumbnails: true,
            archive: self.config.archive.clone(),
            // Thumbnails made while saving go to the library's cache: the grid then
            // shows the folder without decoding its images again.
            thumbnail_cache: Some(self.config.library.thumbnails.clone()),
        })
    }

    /// Runs go to the demo gallery, with the demo's own settings (its gallery, its
    /// folder); the user's settings wait for "Use Imgur instead".
    pub(super) fn enter_demo(&mut self, ctx: &egui::Context) {
        if self.server.is_demo() {
            return;
        }
        let ready = self.show_demo();
        self.spawn_demo_server(ctx, ready);
        self.show_folder(self.config.demo_folder.clone());
    }

    /// Puts the demo's settings on show, its server "starting"; returns where the server
    /// that [`Self::spawn_demo_server`] starts is to be sent.
    pub(super) fn show_demo(&mut self) -> DemoServerReady {
        let demo_settings = Settings { theme: self.settings.theme, ..Settings::demo(&self.config.demo_folder) };
        let user_settings = std::mem::replace(&mut self.settings, demo_settings);
        // The demo's queue holds its gallery, ready to Start or Preview.
        let user_queue = std::mem::take(&mut self.queue);
        self.queue.add_lines([Source::default().to_string()]);
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let server = DemoServerState::Starting(ready_rx);
        self.server = Server::Demo(Box::new(Demo { server, user_settings, user_queue }));
        self.notice = None;
        ready_tx
    }

    pub(super) fn use_imgur(&mut self) {
        if let Server::Demo(demo) = std::mem::replace(&mut self.server, Server::Imgur) {
            self.settings = demo.user_settings;
            self.queue = demo.user_queue;
        }
        if self.credentials.field.text.trim().is_empty() {
            self.credentials.field.text = self.credentials.saved.clone();
        }
        self.notice = None;
        self.show_folder(PathBuf::from(self.settings.folder.trim()));
    }

    pub(super) fn spawn_demo_server(&self, ctx: &egui::Context, ready: DemoServerReady) {
        let Some(runtime) = self.engine.runtime() else {
            // Read by the next frame's poll, which shows the failure.
            let _ = ready.send(Err("the engine has stopped".to_owned()));
            return;
        };
        let (config, ctx) = (self.config.demo.clone(), ctx.clone());
        runtime.spawn(async move {
            let started = DemoServer::start(config, 0).await.map_err(|error| error.to_string());
            if ready.send(started).is_ok() {
                ctx.request_repaint();
            }
        });
    }

    pub(super) fn demo_answered(&mut self, ctx: &egui::Context, answer: Result<(), String>) {
        let RunState::WaitingForDemo(kind) = self.run_state else {
            if let Err(reason) = answer {
                self.notice = Some(demo_failed(&reason));
            }
            return;
        };
        self.run_state = RunState::Idle;
        match answer {
            Ok(()) => self.start(ctx, kind),
            Err(reason) => self.notice = Some(demo_failed(&reason)),
        }
    }

    /// Asks the engine for `folder`'s listing and thumbnails, made in the grid's order.
    pub(super) fn open_folder(&self, folder: PathBuf) {
        let order = self.folder.grid.query().sort_order();
        self.engine.send(LibraryCommand::OpenFolder { folder, order });
    }

    /// Shows the images already in `folder` (no download), if it is not the one shown.
    pub(super) fn show_folder(&mut self, folder: PathBuf) {
        if folder.as_os_str().is_empty() || self.folder.shown.as_ref() == Some(&folder) {
            return;
        }
        let grid = self.folder.grid.emptied();
        let old = std::mem::replace(
            &mut self.folder,
            FolderView { shown: Some(folder.clone()), grid, ..FolderView::default() },
        );
        // A grid of 50,000 files takes a frame's time to free.
        grid::drop_elsewhere(old.grid);
        self.open_folder(folder);
        self.mark_new_pictures();
    }

    /// Opens the viewer on the tile at `index` (or moves the open one there); the grid
    /// scrolls to that tile and highlights it.
    pub(super) fn open_viewer(&mut self, ctx: &egui::Context, index: usize) {
        let Some(path) = self.folder.grid.path(index).map(Path::to_owned) else { return };
        match &mut self.folder.viewer {
            Some(viewer) => viewer.show(index, path),
            None => {
                // Nothing under the viewer keeps the keyboard (a focused tile would take
                // Space as a click).
                ctx.memory_mut(|memory| memory.stop_text_input());
                if let Some(focused) = ctx.memory(|memory| memory.focused()) {
                    ctx.memory_mut(|memory| memory.surrender_focus(focused));
                }
                self.folder.viewer = Some(Viewer::new(index, path));
            }
        }
        self.folder.grid.reveal(index);
        ctx.request_repaint();
    }

    pub(super) fn viewer_action(&mut self, ctx: &egui::Context, action: ViewerAction) {
        let Some(viewer) = &mut self.folder.viewer else { return };
        let path = viewer.path().to_owned();
        let runtime = self.engine.runtime().cloned();
        match (action, runtime) {
            (ViewerAction::Close, _) => {
                viewer.leave_fullscreen(ctx);
                self.folder.viewer = None;
            }
            (ViewerAction::Show(index), _) => self.open_viewer(ctx, index),
            (ViewerAction::OpenFile, Some(runtime)) => self.desktop.open(&runtime, ctx, path.clone(), path),
            (ViewerAction::RevealFolder, Some(runtime)) => {
                let folder = path.parent().map(Path::to_owned).unwrap_or_else(|| path.clone());
                self.desktop.open(&runtime, ctx, path, folder);
            }
            (ViewerAction::CopyPath, Some(runtime)) => self.desktop.copy_path(&runtime, ctx, path),
            (_, None) => viewer.answered(&path, Err("The engine has stopped: restart galley.".to_owned())),
        }
    }

    pub(super) fn desktop_answered(&mut self, ctx: &egui::Context, answer: DesktopAnswer) {
        match answer {
            DesktopAnswer::FolderChosen(folder) => self.change_folder(folder),
            // No system dialog here: galley's own picker, which always works.
            DesktopAnswer::NoDialog { start_in } => self.open_picker(ctx, start_in),
            DesktopAnswer::Subfolders { folder, result } => {
                if let Some(picker) = &mut self.picker {
                    picker.listed(&folder, result);
                }
            }
            DesktopAnswer::NoFolderChosen(message) => self.notice = Some(Notice::error(message, "")),
            DesktopAnswer::PreviewAction { path, result } => match &mut self.folder.viewer {
                Some(viewer) => viewer.answered(&path, result),
                // Opened from the grid (a video, or the folder): the line above the grid says.
                None => {
                    self.folder.status = Some(match result {
                        Ok(done) => Notice::info(done),
                        Err(failed) => Notice::error(failed, ""),
                    });
                }
            },
        }
    }
}
