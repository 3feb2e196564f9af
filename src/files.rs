//! Opening and writing files in places galley does not fully control: the thumbnail
//! cache, a folder being browsed, the settings folder. Anyone who can write there can
//! plant a FIFO (an `open` that never returns), a device, or a link to a file of yours
//! (which a plain write would truncate and chmod). So galley opens only regular files,
//! never through a link at the last component, and writes by a new temporary file renamed
//! into place, which replaces a planted link instead of following it.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

/// Opens `path` for reading if it is a regular file, not following a link at its last
/// component and never waiting on a FIFO or a device: on unix it is opened with
/// `O_NOFOLLOW | O_NONBLOCK` and the opened handle is checked (so it cannot be swapped
/// between a check and the open), then set back to blocking for plain reads.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let file = open_no_follow(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular(path));
    }
    #[cfg(unix)]
    set_blocking(&file)?;
    Ok(file)
}

/// The bytes of the regular file at `path` (see [`open_regular`]); more than `cap` bytes is
/// an error of kind `FileTooLarge`, found without reading past the cap.
pub fn read_regular(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("{} is larger than {cap} bytes", path.display()),
        ));
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` whole or not at all: into a new temporary file beside it
/// (created with mode 0600 on unix, so a secret is never readable by others), synced,
/// then renamed over `path`. A link planted at `path` is replaced, its target untouched.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let folder = path.parent().filter(|folder| !folder.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new().prefix(".galley-").suffix(".tmp").tempfile_in(folder)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    Ok(())
}

fn not_regular(path: &Path) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("{} is not a regular file", path.display()))
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path).map_err(
        |error| match error.raw_os_error() {
            // What O_NOFOLLOW answers for a link.
            Some(libc::ELOOP) => not_regular(path),
            _ => error,
        },
    )
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> io::Result<File> {
    if std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(not_regular(path));
    }
    File::open(path)
}

#[cfg(unix)]
fn set_blocking(file: &File) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this function's caller owns, with integer arguments.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Planting what an attacker would, for tests.
#[cfg(all(test, unix))]
pub(crate) mod planted {
    use std::path::Path;

    /// Makes a FIFO at `path`: opening it for reading blocks until a writer comes.
    pub fn fifo(path: &Path) {
        let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: mkfifo with a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo");
    }

    /// Runs `work` on a thread of its own and gives its result, or panics if it has not
    /// returned in 10 s (so a test of something that used to block fails, not hangs).
    pub fn within_10s<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || sender.send(work()));
        receiver.recv_timeout(std::time::Duration::from_secs(10)).expect("returned within 10 s, without blocking")
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::planted::fifo;
    use super::*;

    #[test]
    fn a_fifo_a_device_and_a_link_are_refused_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pipe = dir.path().join("pipe.png");
        fifo(&pipe);
        // Returns at once: a blocking open of a FIFO with no writer would wait forever.
        assert_eq!(open_regular(&pipe).expect_err("a FIFO").kind(), io::ErrorKind::InvalidInput);
        assert_eq!(open_regular(Path::new("/dev/zero")).expect_err("a device").kind(), io::ErrorKind::InvalidInput);
        let target = dir.path().join("target.txt");
        std::fs::write(&target, "mine").expect("write");
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert_eq!(open_regular(&link).expect_err("a link").kind(), io::ErrorKind::InvalidInput);
        assert_eq!(read_regular(&target, 4).expect("a regular file"), b"mine");
        assert_eq!(read_regular(&target, 3).expect_err("over the cap").kind(), io::ErrorKind::FileTooLarge);
    }

    #[test]
    fn writing_replaces_a_planted_link_and_leaves_its_target_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("precious.txt");
        std::fs::write(&target, "precious").expect("write");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let link = dir.path().join("client-id");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");

        write_private(&link, b"secret").expect("write");

        assert_eq!(std::fs::read_to_string(&target).expect("target"), "precious");
        assert_eq!(std::fs::metadata(&target).expect("target").permissions().mode() & 0o777, 0o644);
        let written = std::fs::symlink_metadata(&link).expect("written");
        assert!(written.is_file(), "the link itself was replaced");
        assert_eq!(written.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&link).expect("read"), "secret");
    }
}
