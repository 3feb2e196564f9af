//! Open files. Each download in flight holds a connection and, while its body is stored, a
//! temporary file; with a low limit (macOS starts processes at 256) and many downloads at
//! once, a third of the images failed with "Too many open files". So the soft limit is
//! raised toward the hard one at start, and a run takes no more downloads at once than the
//! limit leaves room for.

/// Descriptors kept back for what is not a download: standard streams, the runtime, the
/// archive and its journal, the app's window.
const RESERVED: u64 = 48;
/// Descriptors one download in flight may use: its connection, its temporary file, and the
/// server's end when the demo gallery runs in the same process.
const PER_DOWNLOAD: u64 = 3;
/// Raises the soft open-file limit toward the hard one, where allowed. Returns the soft
/// limit after, if known. Called once, first thing, by the binary.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast, reason = "rlim_t is u64 here, not on every Unix")]
pub fn raise_open_file_limit() -> Option<u64> {
    /// The soft limit is raised to at most this (macOS refuses more than 10,240 anyway).
    const WANTED: u64 = 10_240;
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        let wanted = (limit.rlim_max as u64).min(WANTED) as libc::rlim_t;
        if wanted > limit.rlim_cur {
            let raised = libc::rlimit { rlim_cur: wanted, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    Some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
pub fn raise_open_file_limit() -> Option<u64> {
    None
}

#[cfg(unix)]
#[allow(clippy::unnecessary_cast, reason = "rlim_t is u64 here, not on every Unix")]
fn soft_limit() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit only writes the struct passed.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0).then_some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
fn soft_limit() -> Option<u64> {
    None
}

/// Descriptors this process has open now.
fn open_now() -> Option<u64> {
    let listing = std::fs::read_dir("/proc/self/fd").or_else(|_| std::fs::read_dir("/dev/fd")).ok()?;
    Some(listing.count() as u64)
}

/// How many of `requested` downloads at once fit in the open-file limit (at least one).
pub fn downloads_that_fit(requested: usize) -> usize {
    let Some(soft) = soft_limit() else { return requested };
    fit(requested, soft, open_now().unwrap_or(16))
}

fn fit(requested: usize, soft_limit: u64, open: u64) -> usize {
    let room = soft_limit.saturating_sub(open).saturating_sub(RESERVED) / PER_DOWNLOAD;
    requested.min(usize::try_from(room).unwrap_or(usize::MAX)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_are_cut_to_what_the_limit_leaves_room_for() {
        assert_eq!(fit(256, 256, 10), 66);
        assert_eq!(fit(16, 256, 10), 16);
        assert_eq!(fit(256, 1_048_576, 10), 256);
        assert_eq!(fit(64, 40, 30), 1, "always at least one");
    }

    #[cfg(unix)]
    #[test]
    fn the_soft_limit_is_known_and_not_lowered() {
        let before = soft_limit().expect("a soft limit");
        assert!(raise_open_file_limit().expect("known") >= before);
    }
}
