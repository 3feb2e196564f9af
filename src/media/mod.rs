//! Media: what a file's bytes are (sniffing), whether a download is whole, and decoding
//! pictures into pixels for thumbnails, reposts and the viewer. Pure functions of bytes
//! and files, with bounded memory and time: no network, no engine, no egui. The engine
//! and the library call them on their blocking pools; the viewer's decodes are scheduled
//! by [`viewing`], which a front end asks through the engine ([`ViewRequest`]).

use std::fmt;

pub mod sniff;
pub mod thumbnail;
pub mod view;
pub mod viewing;
pub mod whole;

pub use sniff::MediaKind;
pub use thumbnail::{
    MAX_DECODE_TIME, THUMBNAIL_SIDE, ThumbnailError, header_dimensions, thumbnail_bytes, thumbnail_bytes_within,
};
pub use view::{MAX_ANIMATION_BYTES, MAX_FRAMES, VIEW_SIDE, ViewError, ViewFrame, ViewImage, view_bytes};
pub use viewing::{ViewEvent, ViewRequest, Viewing};
pub use whole::{NotWhole, Shape, check as check_whole};

/// Pixels of a decoded, downscaled image: tightly packed RGBA8.
#[derive(Clone, PartialEq, Eq)]
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl fmt::Debug for Pixels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pixels({}x{})", self.width, self.height)
    }
}
