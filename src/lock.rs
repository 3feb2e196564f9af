//! Locks that outlive a panic: the one helper the engine's and the library's threads share.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, recovering it if a task panicked while holding it: the data behind
/// these locks (fingerprints, names, a database connection) stays usable, and a poisoned
/// lock must not quietly read as "no duplicate" or "not archived". The panic is logged
/// once where it happened; this says what was recovered.
pub(crate) fn lock_or_recover<'a, T>(mutex: &'a Mutex<T>, what: &str) -> MutexGuard<'a, T> {
    mutex.lock().unwrap_or_else(|poisoned| {
        tracing::warn!("{what} was left locked by a task that panicked; going on with it");
        poisoned.into_inner()
    })
}
