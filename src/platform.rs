//! What differs by operating system and has no better home: attaching a Windows window
//! program to the console it was started from, and the Recycle Bin's older door. (Paths follow each system's conventions
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

/// Moves `paths` to the Windows Recycle Bin through `SHFileOperationW` with
/// `FOF_ALLOWUNDO`, the shell call every Windows version keeps. The `trash` crate uses the
/// newer `IFileOperation`, which some environments lack (Wine answers "not implemented");
/// this is the fallback then. Silent: no confirmation or progress window of the shell's.
#[cfg(windows)]
pub fn recycle(paths: &[std::path::PathBuf]) -> std::io::Result<()> {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::UI::Shell::{
        FO_DELETE, FOF_ALLOWUNDO, FOF_NOCONFIRMATION, FOF_NOERRORUI, FOF_SILENT, SHFILEOPSTRUCTW, SHFileOperationW,
    };
    // A list of absolute paths, each ending in NUL, the list ending in a second NUL.
    let mut from: Vec<u16> = Vec::new();
    for path in paths {
        let absolute = std::path::absolute(path)?;
        from.extend(absolute.as_os_str().encode_wide());
        from.push(0);
    }
    from.push(0);
    let mut operation = SHFILEOPSTRUCTW {
        wFunc: FO_DELETE,
        pFrom: from.as_ptr(),
        fFlags: (FOF_ALLOWUNDO | FOF_NOCONFIRMATION | FOF_NOERRORUI | FOF_SILENT) as u16,
        ..Default::default()
    };
    // SAFETY: `operation` points at `from`, which outlives the call and is terminated as
    // the shell expects; every other pointer is null.
    let status = unsafe { SHFileOperationW(&mut operation) };
    match (status, operation.fAnyOperationsAborted) {
        (0, 0) => Ok(()),
        (0, _) => Err(std::io::Error::other("the move to the Recycle Bin was aborted")),
        (code, _) => Err(std::io::Error::other(format!("the shell could not recycle the files (code {code:#x})"))),
    }
}
