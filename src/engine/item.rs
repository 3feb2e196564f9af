//! One image a listing found: what a run downloads, a preview shows and a name is made of.

use crate::archive::ImageMeta;
use crate::media::MediaKind;

/// One thing to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageItem {
    /// Imgur's id (untrusted: cleaned before it becomes a file name).
    pub id: String,
    /// The link to fetch (untrusted: checked before it is fetched).
    pub link: String,
    /// What the listing claims it is; the bytes have the last word.
    pub claimed: Option<MediaKind>,
    /// The listing's claimed size, if any.
    pub size: Option<u64>,
    /// What the API said of it (and of its album), kept in the archive for the library.
    pub meta: ImageMeta,
    /// Which source of the job listed it (0-based, in the job's order).
    pub source: usize,
    /// Its place in its album, or else in its source, in listing order (`{num}`). An image
    /// outside albums handed over ahead of its place has none (0): that happens only when
    /// nothing reads it (see `imgur::ListRequest::ahead`).
    pub position: Position,
}

/// An item's place in listing order: 1-based, and out of how many when that is known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    pub num: u32,
    /// The album's size; `None` in a source whose end is not known yet.
    pub of: Option<u32>,
}

impl std::fmt::Display for Position {
    /// Zero-padded so that names sort in order: to the album size's digits (at least
    /// two), or three in a source of unknown length.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let width = self.of.map_or(3, |of| of.to_string().len().max(2));
        write!(f, "{:0width$}", self.num)
    }
}
