//! What the library's thumbnails (as opposed to a run's) are reported under. A folder's
//! thumbnails are the library's work (see `browse`); the viewer's decodes are `view`'s.

/// Thumbnails of the library (not of a run) report under this run id.
pub const SCAN_RUN: u64 = 0;
