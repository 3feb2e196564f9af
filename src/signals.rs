//! The signals that stop galley cleanly: ctrl-c (SIGINT), SIGTERM (what `kill`, systemd
//! and container runtimes send) and SIGHUP (the terminal closed). `galley fetch`, the app
//! and `galley demo-server` each listen for all three through [`StopSignals`], so none of
//! them dies mid-write on the ones that are not ctrl-c: a run in progress is cancelled
//! (temporary files removed, files that landed recorded, the archive's row finished)
//! before the process exits.

/// SIGHUP's number, for an exit status of 128 + it.
pub const SIGHUP: u8 = 1;
/// SIGINT's number.
pub const SIGINT: u8 = 2;
/// SIGTERM's number.
pub const SIGTERM: u8 = 15;

/// The stop signals, listened for from the moment this is made (a signal that comes
/// before anyone awaits [`StopSignals::first`] is not lost). Make it inside a tokio
/// runtime.
#[cfg(unix)]
pub struct StopSignals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    pub fn listen() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// The number of the first stop signal to arrive.
    pub async fn first(&mut self) -> Option<u8> {
        tokio::select! {
            Some(()) = self.interrupt.recv() => Some(SIGINT),
            Some(()) = self.terminate.recv() => Some(SIGTERM),
            Some(()) = self.hangup.recv() => Some(SIGHUP),
            else => None,
        }
    }
}

/// On Windows: ctrl-c, ctrl-break, and the console window being closed (which gives a
/// process a few seconds before it is ended: enough to cancel the run cleanly), reported
/// as SIGINT, SIGTERM and SIGHUP so exit statuses read as on Linux.
#[cfg(windows)]
pub struct StopSignals {
    interrupt: tokio::signal::windows::CtrlC,
    brk: tokio::signal::windows::CtrlBreak,
    close: tokio::signal::windows::CtrlClose,
}

#[cfg(windows)]
impl StopSignals {
    pub fn listen() -> std::io::Result<Self> {
        use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close};
        Ok(Self { interrupt: ctrl_c()?, brk: ctrl_break()?, close: ctrl_close()? })
    }

    /// The number of the first stop signal to arrive.
    pub async fn first(&mut self) -> Option<u8> {
        tokio::select! {
            Some(()) = self.interrupt.recv() => Some(SIGINT),
            Some(()) = self.brk.recv() => Some(SIGTERM),
            Some(()) = self.close.recv() => Some(SIGHUP),
            else => None,
        }
    }
}

/// Elsewhere only ctrl-c is a stop signal.
#[cfg(not(any(unix, windows)))]
pub struct StopSignals;

#[cfg(not(any(unix, windows)))]
impl StopSignals {
    pub fn listen() -> std::io::Result<Self> {
        Ok(Self)
    }

    pub async fn first(&mut self) -> Option<u8> {
        tokio::signal::ctrl_c().await.ok().map(|()| SIGINT)
    }
}
