//! What a front end asks for: a [`Command`] to one subsystem. Runs (and what plans them:
//! previews, follows, the history, link lists) are the download engine's
//! ([`RunCommand`]); folders, thumbnails, the trash and reposts the library's
//! ([`LibraryCommand`]); decodes for the viewer the viewer's ([`ViewRequest`]).

use std::path::PathBuf;

use super::followed::CheckRequest;
use super::job::Job;
use super::source::Source;
use super::types::PreviewId;
use crate::library::LibraryCommand;
use crate::media::ViewRequest;

/// What a front end asks the download engine to do.
#[derive(Debug, Clone)]
pub enum RunCommand {
    /// Start a run; a run already going is cancelled first.
    Start(Job),
    /// Stop the current run (and a compare series): in-flight downloads stop, temporary files go.
    Cancel,
    /// Run the job once per concurrency level into fresh scratch folders, one after another.
    Compare { job: Job, levels: Vec<usize> },
    /// Send the run history (`RunEvent::Runs`).
    LoadRuns(PathBuf),
    /// Forget the run history, then send it (empty) as `RunEvent::Runs`.
    ClearRuns(PathBuf),
    /// Read a text file of links, one a line (`RunEvent::LinkList`): a list dropped on the window.
    ReadLinks(PathBuf),
    /// List `job` without saving anything and fetch each image's small variant (Imgur's
    /// `m`, about 320 px): `RunEvent::PreviewListed`, `PreviewThumbnail`, then `PreviewDone`.
    /// Replaces the preview going; runs are left alone.
    Preview { preview: PreviewId, job: Job },
    /// Stop the preview going (its listing and its thumbnails).
    CancelPreview,
    /// Follow these sources into `out_dir`, in the run archive (`RunEvent::Follows` after).
    Follow { archive: PathBuf, sources: Vec<Source>, out_dir: PathBuf },
    /// Stop following a source, named in its followed form (`RunEvent::Follows` after).
    Unfollow { archive: PathBuf, source: String },
    /// Send the followed sources (`RunEvent::Follows`).
    LoadFollows(PathBuf),
    /// The new images of these followed sources were looked at (`RunEvent::Follows` after).
    FollowsLooked { archive: PathBuf, sources: Vec<String> },
    /// Check every followed source as one run (a run already going is cancelled first):
    /// the run's events as any run's, then `RunEvent::FollowsChecked` and `RunEvent::Follows`.
    CheckFollows(CheckRequest),
}

/// What a front end asks the engine, by the subsystem that serves it.
#[derive(Debug, Clone)]
pub enum Command {
    /// Boxed: a run's job is large, and most commands are the library's small ones.
    Run(Box<RunCommand>),
    Library(LibraryCommand),
    View(ViewRequest),
}

impl From<RunCommand> for Command {
    fn from(command: RunCommand) -> Self {
        Command::Run(Box::new(command))
    }
}

impl From<LibraryCommand> for Command {
    fn from(command: LibraryCommand) -> Self {
        Command::Library(command)
    }
}

impl From<ViewRequest> for Command {
    fn from(request: ViewRequest) -> Self {
        Command::View(request)
    }
}
