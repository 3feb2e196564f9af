//! What differs by operating system and has no better home: attaching a Windows window
//! program to the console it was started from. (Paths follow each system's conventions
//! through `dirs`; the thumbnail cache's place is in `library::cache`; stop signals in
//! `signals`; "Show in folder" in `ui::desktop`.)

/// On Windows, connects this window program's standard streams to the console of the
/// process that started it, if there is one (a shell), so `galley.exe fetch` typed there
/// prints its progress. Started from the Start menu or Explorer there is none, and
/// nothing happens. Streams already redirected (to a file, a pipe) are kept. Elsewhere
/// it does nothing.
pub fn attach_parent_console() {
    #[cfg(windows)]
    {
        use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};
        // SAFETY: AttachConsole takes a process id and touches only this process's console.
        unsafe {
            AttachConsole(ATTACH_PARENT_PROCESS);
        }
    }
}
