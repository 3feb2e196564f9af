//! The program's entry, shared by the binaries: `galley` everywhere, and on Windows also
//! the console build shipped as `galley.com` (see `src/bin/galley-console.rs`). It parses
//! the command line and hands over to the app or the command it names.

use std::process::ExitCode;

use clap::Parser;

use super::{Cli, CliCommand};

/// Runs galley as the command line asks; the exit status follows DESIGN.md's contract.
pub fn main() -> ExitCode {
    limit_malloc_arenas();
    crate::engine::raise_open_file_limit();
    let cli = Cli::parse();
    init_logging();
    let outcome = match &cli.command {
        None => {
            let options = crate::ui::AppOptions { demo: cli.demo, folder: cli.folder.clone() };
            crate::ui::run(&options).map(|()| ExitCode::SUCCESS)
        }
        Some(CliCommand::Fetch(args)) => super::fetch(args),
        Some(CliCommand::DemoServer(args)) => super::demo_server(args).map(|()| ExitCode::SUCCESS),
        Some(CliCommand::Dupes(args)) => super::dupes(args),
        Some(CliCommand::Follow(args)) => super::follow(args),
        Some(CliCommand::Completions { shell }) => super::completions(*shell).map(|()| ExitCode::SUCCESS),
        Some(CliCommand::Manpages { dir }) => super::write_manpages(dir).map(|_| ExitCode::SUCCESS),
    };
    outcome.unwrap_or_else(|error| {
        super::print_error(&error);
        ExitCode::from(super::EXIT_FAILED)
    })
}

/// Logs go to stderr; `RUST_LOG` overrides the default of warnings only.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Colours only for a terminal: a log file or a pipe gets plain text.
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colours).init();
}

/// glibc gives each thread that allocates under contention its own heap (up to 8 per
/// core) and seldom returns their memory: with decodes and file writes hopping across the
/// blocking pool, a 5,000-image fetch peaked at 205 MB. Two heaps keep it near 70 MB at
/// the same speed (measured; see the README).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    // SAFETY: mallopt only sets an allocator tunable; it is called first thing in main,
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
