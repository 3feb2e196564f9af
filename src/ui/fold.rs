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
        if let Some(run) = event.run().filter(|run| *run != crate::engine::scan::SCAN_RUN) {
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
        if let (Event::Saved { id, .. }, Some(previewing)) = (&event, &mut self.previewing) {
            previewing.preview.saved(id);
        }
        if let Event::Thumbnail { thumbnail, .. } = &event {
            self.reposts_thumbnail(thumbnail);
        }
        match event {
            // A run's thumbnail may bring a new file; the library's only pictures for files
            // the grid has (one that came late for a file moved to the trash is dropped).
            Event::Thumbnail { run, thumbnail } if self.shows(run, &thumbnail.path) => match run {
                crate::engine::scan::SCAN_RUN => self.folder.grid.update(thumbnail),
                _ => {
                    self.folder.grid.insert(thumbnail);
                    self.folder.exists_now();
                }
            },
            Event::Video { run, path, bytes } if self.shows(run, &path) => {
                self.folder.grid.insert_video(&path, bytes);
                self.folder.exists_now();
            }
            // The queue hears only of the run going (RunState's), which is its run if it
            // sent one.
            Event::Source { run, index, report } => {
                if self.run_state == RunState::Running(run) {
                    self.queue.reported(index, &report);
                }
            }
            Event::Finished { run, report } => {
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
            Event::CompareStep { concurrency, seconds, saved } => {
                self.comparison.steps.push((concurrency, seconds, saved));
            }
            Event::CompareDone => {
                self.run_state = self.run_state.compare_done();
                self.after_runs_changed();
            }
            Event::Runs(Ok(runs)) => {
                self.history = History { runs, problem: None };
            }
            Event::Runs(Err(reason)) => {
                let problem = Notice::error("The run history could not be read or cleared.", reason.to_string());
                self.history.problem = Some(problem);
            }
            Event::View { path, result } => {
                if let Some(viewer) = &mut self.folder.viewer {
                    viewer.loaded(ctx, &path, result);
                }
            }
            Event::LinkList { path, result } => {
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
            Event::ThumbnailFailed { path, reason } => {
                tracing::debug!("no thumbnail for {}: {reason}", path.display());
            }
            Event::PreviewListed { preview, file, item } => {
                if let Some(previewing) = self.previewing.as_mut().filter(|shown| shown.preview.id == preview) {
                    previewing.preview.listed(file, *item);
                }
            }
            Event::PreviewThumbnail { preview, id, result } => {
                if let Some(previewing) = self.previewing.as_mut().filter(|shown| shown.preview.id == preview) {
                    previewing.preview.picture(&id, result);
                }
            }
            Event::PreviewDone { preview, report } => {
                if let Some(previewing) = self.previewing.as_mut().filter(|shown| shown.preview.id == preview) {
                    previewing.preview.done(&report);
                }
            }
            other => self.apply_library_event(other),
        }
    }

    /// Folds what the library says of the folder on show (its listing, the trash, the
    /// cache, changes made by other programs).
    pub(super) fn apply_library_event(&mut self, event: Event) {
        match event {
            Event::Folder { folder, listing, complete } if self.folder.shown.as_ref() == Some(&folder) => {
                self.folder.grid.set_listing(listing, complete);
                // A folder that could not be listed (not made yet) can be now. Only that
                // status goes: what the trash or Undo said stays until the next action.
                if std::mem::take(&mut self.folder.listing_failed) {
                    self.folder.status = None;
                    self.folder.missing = false;
                }
            }
            Event::FolderFailed { folder, reason, missing } if self.folder.shown.as_ref() == Some(&folder) => {
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
            Event::Measured { folder, sizes } if self.folder.shown.as_ref() == Some(&folder) => {
                self.folder.grid.measured(&sizes);
            }
            Event::LibraryProgress { folder, made, total } if self.folder.shown.as_ref() == Some(&folder) => {
                self.folder.thumbnailing = Some((made, total));
            }
            Event::Trashed { paths, result } => match result {
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
            Event::Restored { paths, result } => {
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
            Event::ThumbnailsCleared(result) => {
                self.notice = Some(match result {
                    Ok(removed) => {
                        Notice::info(format!("Removed {} thumbnails galley made.", grid::thousands(removed as u64)))
                    }
                    Err(reason) => Notice::error("The thumbnail cache could not be cleared.", reason.to_string()),
                });
            }
            Event::FolderChanged { folder } if self.folder.shown.as_ref() == Some(&folder) => {
                // A run saving here shows its files as they land and lists the folder when
                // it ends; otherwise another program changed it: list it again.
                let saving_here = self.run_state.is_busy() && !self.run_state.is_comparing();
                if !saving_here {
                    self.open_folder(folder);
                }
            }
            Event::IndexRebuilt { moved_to } => {
                self.notice = Some(Notice::error(
                    "The library's index was damaged, so galley started a new one: folders are listed and thumbnails made again as you open them.",
                    format!("the damaged index was moved to {}", moved_to.display()),
                ));
            }
            event @ (Event::RepostsProgress { .. } | Event::Reposts { .. }) => self.reposts_event(event),
            event @ (Event::Follows(_) | Event::FollowsChecked { .. }) => self.following_event(event),
            _ => {}
        }
    }

    /// After a run or a series ended: the history has a new row, and the keyboard goes
    /// back to Start once nothing runs.
    pub(super) fn after_runs_changed(&mut self) {
        if let Some(archive) = &self.config.archive {
            self.engine.send(Command::LoadRuns(archive.clone()));
        }
        if !self.run_state.is_busy() {
            self.focus = Some(FocusTarget::Start);
        }
    }

    /// Whether a file of run `run` belongs in the grid: only the shown folder's files,
    /// and none of a compare series (those go to scratch folders). Paths are compared as
    /// given (the engine joins names onto the folder it was handed), so no disk access
    /// happens here on the UI thread.
    pub(super) fn shows(&self, run: RunId, path: &Path) -> bool {
        let in_shown_folder = path.parent() == self.folder.shown.as_deref();
        in_shown_folder && (run == crate::engine::scan::SCAN_RUN || !self.run_state.is_comparing())
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
