//! `galley`: the desktop app and the command line in one program (see [`galley::cli`]).
//! On Windows this build is a window program: started from the Start menu or Explorer it
//! opens no console. Typed in a console, `galley` runs `galley.com` (the console build,
//! found first by the shell), which prints and returns its exit status as on Linux; this
//! one, run by its full name, still attaches to the console it was started from.
#![cfg_attr(windows, windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    galley::platform::attach_parent_console();
    galley::cli::main()
}
