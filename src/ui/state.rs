//! What the app is doing, as types. One [`RunState`] answers "is a run going, and which
//! stage is it at?", and [`Server`] says where runs go, with the [`Demo`] value when it is
//! the built-in demo gallery. Combinations that cannot happen (launching and comparing at
//! once, a demo link without a demo) cannot be written.

use std::sync::mpsc as std_mpsc;

use super::queue::Queue;
use super::settings::Settings;
use crate::demo::DemoServer;
use crate::engine::RunId;

/// What Start does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartKind {
    /// One run into the chosen folder.
    Run,
    /// The same gallery at each compare level, into scratch folders.
    Compare,
}

/// What the app is doing with the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    /// Nothing: Start is enabled.
    Idle,
    /// Start was pressed while the demo gallery starts; the run is sent once it is up.
    WaitingForDemo(StartKind),
    /// Sent to the engine, and no event of it has come back yet. Start stays disabled, so
    /// a double click cannot start (and cancel) a second run.
    Launching(StartKind),
    /// A run is going.
    Running(RunId),
    /// A compare series is going (one run per level, one after another).
    Comparing,
}

impl RunState {
    /// Whether Start is disabled and Cancel enabled.
    pub fn is_busy(self) -> bool {
        self != RunState::Idle
    }

    /// Whether the runs going now are a compare series (their images stay out of the grid).
    pub fn is_comparing(self) -> bool {
        matches!(
            self,
            RunState::Comparing
                | RunState::Launching(StartKind::Compare)
                | RunState::WaitingForDemo(StartKind::Compare)
        )
    }

    /// The first event of a new run arrived.
    pub fn run_began(self, run: RunId) -> RunState {
        match self {
            RunState::Launching(StartKind::Run) => RunState::Running(run),
            RunState::Launching(StartKind::Compare) => RunState::Comparing,
            other => other,
        }
    }

    /// Run `run` finished (a compare series goes on until `compare_done`).
    pub fn run_finished(self, run: RunId) -> RunState {
        match self {
            RunState::Running(current) if current == run => RunState::Idle,
            other => other,
        }
    }

    /// The compare series ended.
    pub fn compare_done(self) -> RunState {
        match self {
            RunState::Comparing | RunState::Launching(StartKind::Compare) => RunState::Idle,
            other => other,
        }
    }
}

/// The demo gallery's server, from the moment it was asked for.
pub enum DemoServerState {
    Starting(std_mpsc::Receiver<Result<DemoServer, String>>),
    Ready(DemoServer),
    Failed(String),
}

/// The built-in demo gallery, while runs go to it.
pub struct Demo {
    pub server: DemoServerState,
    /// The user's own settings, put back by "Use Imgur instead"; the demo's settings are
    /// shown meanwhile and never saved.
    pub user_settings: Settings,
    /// The user's own queue, put back the same way; the demo has a queue of its own.
    pub user_queue: Queue,
}

impl Demo {
    /// Takes the server's answer if it came. Returns it once, when the state changes.
    pub fn poll(&mut self) -> Option<Result<(), String>> {
        let DemoServerState::Starting(ready) = &self.server else { return None };
        let started = ready.try_recv().ok()?;
        let (state, answer) = match started {
            Ok(server) => (DemoServerState::Ready(server), Ok(())),
            Err(reason) => (DemoServerState::Failed(reason.clone()), Err(reason)),
        };
        self.server = state;
        Some(answer)
    }

    pub fn ready(&self) -> Option<&DemoServer> {
        match &self.server {
            DemoServerState::Ready(server) => Some(server),
            _ => None,
        }
    }
}

/// Where runs go.
pub enum Server {
    Imgur,
    /// Boxed: it holds a whole `Settings`, and the app keeps one `Server` only.
    Demo(Box<Demo>),
}

impl Server {
    pub fn is_demo(&self) -> bool {
        matches!(self, Server::Demo(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_goes_from_launching_to_running_to_idle() {
        let state = RunState::Launching(StartKind::Run).run_began(4);
        assert_eq!(state, RunState::Running(4));
        assert_eq!(state.run_finished(3), RunState::Running(4), "another run's end changes nothing");
        assert_eq!(state.run_finished(4), RunState::Idle);
    }

    #[test]
    fn a_compare_series_ends_only_when_it_says_so() {
        let state = RunState::Launching(StartKind::Compare).run_began(1);
        assert_eq!(state, RunState::Comparing);
        assert_eq!(state.run_began(2).run_finished(2), RunState::Comparing);
        assert_eq!(state.compare_done(), RunState::Idle);
        assert!(RunState::WaitingForDemo(StartKind::Compare).is_comparing());
    }
}
