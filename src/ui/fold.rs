//! Folding the engine's events into the app's state: a run's progress, the folder's
//! thumbnails and listing, previews, reposts and follows. Read without waiting, at most
//! `EVENTS_PER_FRAME` a frame.

use super::*;

impl GalleyApp {
    pub(super) fn drain_events(&mut self, ctx: &egui::Context) {
        for _ in 0..EVENTS_PER_FRAME {
            let Ok(event) = self.events.try_recv() else { break };
            self.apply_event(ctx, event);
        }
    }

    pub(super) fn apply_event(&mut self, ctx: &egui::Context, event: Event) {
        match event {
            Event::Run(event) => self.apply_run_event(event),
            Event::Library(event) => self.apply_library_event(event),
            Event::View(ViewEvent { path, result }) => {
                if let Some(viewer) = &mut self.folder.viewer {
                    viewer.loaded(ctx, &path, result);
                }
            }
        }
    }

    /// Folds what the download engine says: a run's progress, previews, the history,
    /// link lists and follows.
    pub(super) fn apply_run_event(&mut self, event: RunEvent) {
        if let Some(run) = event.run() {
            if run < self.latest_run {
                return; // a run that was replaced: its stragglers are not shown
            }
            if run > self.latest_run {
                self.latest_run = run;
                self.run_state = self.run_state.run_began(run);
                self.progress = Some(RunProgress::started_now());
            }
        }
        // The progress on show is the latest run's.
        if let Some(progress) = &mut self.progress
            && event.run() == Some(self.latest_run)
        {
            progress.apply(&event);
        }
        // A picture saved is in the folder now: the preview marks it.
        if let (RunEvent::Saved { id, .. }, Some(previewing)) = (&event, &mut self.previewing) {
            previewing.preview.saved(id);
        }
        match event {
            // A run's thumbnail may bring a new file to the grid.
            RunEvent::Thumbnail { thumbnail, .. } => {
                self.reposts_thumbnail(&thumbnail);
                if self.shows_from_run(&thumbnail.path) {
                    self.folder.grid.insert(thumbnail);
                    self.folder.exists_now();
                }
            }
            RunEvent::Video { path, bytes, .. } if self.shows_from_run(&path) => {
                self.folder.grid.insert_video(&path, bytes);
                self.folder.exists_now();
            }
            // The queue hears only of the run going (RunState's), which is its run if it
            // sent one.
            RunEvent::Source { run, index, report } if self.run_state == RunState::Running(run) => {
                self.queue.reported(index, &report);
            }
            RunEvent::Finished { run, report } => {
                let was_going = self.run_state == RunState::Running(run);
                self.run_state = self.run_state.run_finished(run);
                if was_going && self.queue.finished(&report) {
                    self.actions.push(Action::Start(StartKind::Run));
                }
                if let Some(progress) = self.progress.as_mut().filter(|_| run == self.latest_run) {
                    progress.paused = self.queue.state() == &QueueState::Paused;
                }
                self.after_runs_changed();
                // The run's files are in the grid already; listing the folder again brings
                // what the archive knows of them (titles, tags) and keeps the index current.
                if let Some(folder) = self.folder.shown.clone().filter(|_| !self.run_state.is_comparing()) {
                    self.open_folder(folder);
                }
            }
            RunEvent::CompareStep { concurrency, seconds, saved } => {
                self.comparison.steps.push((concurrency, seconds, saved));
            }
            RunEvent::CompareDone => {
                self.run_state = self.run_state.compare_done();
                self.after_runs_changed();
            }
            RunEvent::Runs(Ok(runs)) => {
                self.history = History { runs, problem: None };
            }
            RunEvent::Runs(Err(reason)) => {
                let problem = Notice::error("The run history could not be read or cleared.", reason.to_string());
                self.history.problem = Some(problem);
            }
            RunEvent::LinkList { path, result } => {
                let name = crate::library::names::shown_file_name(&path);
                match result {
                    Ok(links) => self.queue.add_list(&name, links),
                    Err(reason) => {
                        let text = format!(
                            "The links in {name} could not be read: nothing was queued. Check the file and drop it again."
                        );
                        self.queue.say(Notice::error(text, reason.to_string()));
                    }
                }
            }
            RunEvent::PreviewListed { preview, file, item } => {
                if let Some(previewing) = self.previewing.as_mut().filter(|shown| shown.preview.id == preview) {
                    previewing.preview.listed(file, *item);
                }
            }
            RunEvent::PreviewThumbnail { preview, id, result } => {
                if let Some(previewing) = self.previewing.as_mut().filter(|shown| shown.preview.id == preview) {
                    previewing.preview.picture(&id, result);
                }
            }
            RunEvent::PreviewDone { preview, report } => {
                if let Some(previewing) = self.previewing.as_mut().filter(|shown| shown.preview.id == preview) {
                    previewing.preview.done(&report);
                }
            }
            event @ (RunEvent::Follows(_) | RunEvent::FollowsChecked { .. }) => self.following_event(event),
            _ => {}
        }
    }

    /// Folds what the library says of the folder on show (its listing, its thumbnails, the
    /// trash, the cache, changes made by other programs, reposts).
    pub(super) fn apply_library_event(&mut self, event: LibraryEvent) {
        match event {
            // The library's pictures are only for files the grid has (one that came late
            // for a file moved to the trash is dropped).
            LibraryEvent::Thumbnail(thumbnail) => {
                self.reposts_thumbnail(&thumbnail);
                if self.in_shown_folder(&thumbnail.path) {
                    self.folder.grid.update(thumbnail);
                }
            }
            LibraryEvent::ThumbnailFailed { path, reason } => {
                tracing::debug!("no thumbnail for {}: {reason}", path.display());
            }
            LibraryEvent::Folder { folder, listing, complete } if self.folder.shown.as_ref() == Some(&folder) => {
                self.folder.grid.set_listing(listing, complete);
                // A folder that could not be listed (not made yet) can be now. Only that
                // status goes: what the trash or Undo said stays until the next action.
                if std::mem::take(&mut self.folder.listing_failed) {
                    self.folder.status = None;
                    self.folder.missing = false;
                }
            }
            LibraryEvent::FolderFailed { folder, reason, missing } if self.folder.shown.as_ref() == Some(&folder) => {
                // A folder that was shown and is gone was deleted or moved while open: its
                // tiles go. One not made yet is what a first run expects, not an error.
                let gone = missing && self.folder.grid.total() > 0;
                if gone {
                    let emptied = self.folder.grid.emptied();
                    grid::drop_elsewhere(std::mem::replace(&mut self.folder.grid, emptied));
                }
                self.folder.status = Some(match missing {
                    true if gone => Notice::error(
                        "This folder is gone: it was deleted or moved while galley showed it. Choose another folder, or download into it to make it again.",
                        reason.to_string(),
                    ),
                    true => Notice::info("This folder does not exist yet: it is made when the first image is saved."),
                    false => Notice::error(
                        "This folder cannot be listed: check that it exists and that you may read it.",
                        reason.to_string(),
                    ),
                });
                self.folder.missing = missing;
                self.folder.listing_failed = true;
            }
            LibraryEvent::Measured { folder, sizes } if self.folder.shown.as_ref() == Some(&folder) => {
                self.folder.grid.measured(&sizes);
            }
            LibraryEvent::Progress { folder, made, total } if self.folder.shown.as_ref() == Some(&folder) => {
                self.folder.thumbnailing = Some((made, total));
            }
            LibraryEvent::Trashed { paths, result } => match result {
                Ok(()) => {
                    self.folder.grid.remove(&paths);
                    self.reposts_trashed(&paths);
                    self.folder.status = Some(Notice::info(format!("Moved {} to the trash.", files(paths.len()))));
                    self.folder.trashed = paths;
                }
                Err(reason) => {
                    let text =
                        "Nothing was moved to the trash: galley could not reach it. The files are where they were.";
                    self.folder.status = Some(Notice::error(text, reason.to_string()));
                }
            },
            LibraryEvent::Restored { paths, result } => {
                self.folder.status = Some(match result {
                    Ok(taken) if taken.is_empty() => Notice::info(format!("Brought back {}.", files(paths.len()))),
                    Ok(taken) => {
                        let names: Vec<String> =
                            taken.iter().map(|path| crate::library::names::shown_file_name(path)).collect();
                        Notice::error(
                            format!(
                                "Brought back {}; {} not: a new file has that name in the folder now, so the old one is still in the trash.",
                                files(paths.len()),
                                names.join(", ")
                            ),
                            "",
                        )
                    }
                    Err(reason) => Notice::error(
                        "Some files could not be brought back: look for them in the trash.",
                        reason.to_string(),
                    ),
                });
                if let Some(folder) = self.folder.shown.clone() {
                    self.open_folder(folder);
                }
                self.reposts_restored();
            }
            LibraryEvent::ThumbnailsCleared(result) => {
                self.notice = Some(match result {
                    Ok(removed) => {
                        Notice::info(format!("Removed {} thumbnails galley made.", grid::thousands(removed as u64)))
                    }
                    Err(reason) => Notice::error("The thumbnail cache could not be cleared.", reason.to_string()),
                });
            }
            LibraryEvent::FolderChanged { folder } if self.folder.shown.as_ref() == Some(&folder) => {
                // A run saving here shows its files as they land and lists the folder when
                // it ends; otherwise another program changed it: list it again.
                let saving_here = self.run_state.is_busy() && !self.run_state.is_comparing();
                if !saving_here {
                    self.open_folder(folder);
                }
            }
            LibraryEvent::IndexRebuilt { moved_to } => {
                self.notice = Some(Notice::error(
                    "The library's index was damaged, so galley started a new one: folders are listed and thumbnails made again as you open them.",
                    format!("the damaged index was moved to {}", moved_to.display()),
                ));
            }
            event @ (LibraryEvent::RepostsProgress { .. } | LibraryEvent::Reposts { .. }) => self.reposts_event(event),
            // Another folder's listing, measurements or changes: not on show any more.
            LibraryEvent::Folder { .. }
            | LibraryEvent::FolderFailed { .. }
            | LibraryEvent::Measured { .. }
            | LibraryEvent::Progress { .. }
            | LibraryEvent::FolderChanged { .. } => {}
        }
    }

    /// After a run or a series ended: the history has a new row, and the keyboard goes
    /// back to Start once nothing runs.
    pub(super) fn after_runs_changed(&mut self) {
        if let Some(archive) = &self.config.archive {
            self.engine.send(RunCommand::LoadRuns(archive.clone()));
        }
        if !self.run_state.is_busy() {
            self.focus = Some(FocusTarget::Start);
        }
    }

    /// Whether `path` is a file of the folder on show. Paths are compared as given (the
    /// engine joins names onto the folder it was handed), so no disk access happens here
    /// on the UI thread.
    pub(super) fn in_shown_folder(&self, path: &Path) -> bool {
        path.parent() == self.folder.shown.as_deref()
    }

    /// Whether a file a run saved belongs in the grid: only the shown folder's files, and
    /// none of a compare series (those go to scratch folders).
    fn shows_from_run(&self, path: &Path) -> bool {
        self.in_shown_folder(path) && !self.run_state.is_comparing()
    }

    // ---- the Client-ID ----

    /// Saves the Client-ID on the engine's blocking pool, so a slow disk never holds a frame.
    pub(super) fn save_client_id_in_background(&self) {
        let Some(runtime) = self.engine.runtime() else { return };
        let (store, client_id) = (self.credentials.store.clone(), self.credentials.field.text.clone());
        runtime.spawn_blocking(move || {
            if let Err(error) = store.save(&client_id) {
                tracing::warn!("cannot save the Client-ID: {error}");
            }
        });
    }

    /// The settings worth keeping: the user's own, never the demo's.
    pub(super) fn settings_to_save(&self) -> &Settings {
        match &self.server {
            Server::Demo(demo) => &demo.user_settings,
            Server::Imgur => &self.settings,
        }
    }

    /// The queue worth keeping: the user's own, never the demo's.
    pub(super) fn queue_to_save(&self) -> &Queue {
        match &self.server {
            Server::Demo(demo) => &demo.user_queue,
            Server::Imgur => &self.queue,
        }
    }
}
