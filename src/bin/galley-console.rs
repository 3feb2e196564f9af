//! galley built as a console program, shipped on Windows as `galley.com` beside the window
//! program `galley.exe`. A shell looks for `.com` before `.exe`, so `galley fetch ...`
//! typed in cmd or PowerShell runs this one: the shell waits for it, sees its output and
//! its exit status. Built only with the `windows-console` feature (the packaging script
//! sets it); elsewhere `galley` is a console program already.

use std::process::ExitCode;

fn main() -> ExitCode {
    galley::cli::main()
}
