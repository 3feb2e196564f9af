//! What the demo gallery is made of: the kinds of media it lists, which file of an item
//! a request names, and the base pictures of each kind (their sizes and noise), from
//! which every image of the gallery is stamped. A leaf of the demo: the gallery lays
//! itself out from these, the pictures are painted from them.

use super::paint::{Spec, sparse, spec};

/// The kind of one piece of media.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemoKind {
    Jpeg,
    Png,
    /// A still GIF.
    Gif,
    /// A GIF with several frames; Imgur also offers it as an mp4.
    AnimatedGif,
    /// A video-only entry (`video/mp4`): not an image, a default fetch skips it.
    Video,
}

impl DemoKind {
    /// The MIME type Imgur reports in `type`.
    pub fn mime(self) -> &'static str {
        match self {
            DemoKind::Jpeg => "image/jpeg",
            DemoKind::Png => "image/png",
            DemoKind::Gif | DemoKind::AnimatedGif => "image/gif",
            DemoKind::Video => "video/mp4",
        }
    }

    /// The extension of its `link`.
    pub fn extension(self) -> &'static str {
        match self {
            DemoKind::Jpeg => "jpg",
            DemoKind::Png => "png",
            DemoKind::Gif | DemoKind::AnimatedGif => "gif",
            DemoKind::Video => "mp4",
        }
    }

    /// Imgur's `animated` flag.
    pub fn animated(self) -> bool {
        matches!(self, DemoKind::AnimatedGif | DemoKind::Video)
    }

    /// Whether a default fetch saves it: every image, animated GIFs included (as .gif);
    /// videos only when asked for.
    pub fn downloadable(self) -> bool {
        self != DemoKind::Video
    }
}

/// Which file of an item a request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rendition {
    /// The file at `link`.
    Original,
    /// The mp4 at `mp4` (animated GIFs only; a video's link already is its mp4).
    Mp4,
}

// The noise amplitudes and densities below were tuned (see `print_base_sizes`) so files
// range from about 100 KB to 520 KB and a default mix averages about 170 KB, the size of
// the workload the performance goals were set on (issue 5).
pub(crate) const JPEG_SPECS: [Spec; 8] = [
    spec(1024, 768, 5),
    spec(800, 600, 8),
    spec(1280, 960, 4),
    spec(640, 480, 13),
    spec(1600, 1200, 4),
    spec(900, 1200, 5),
    spec(1200, 800, 4),
    spec(720, 720, 9),
];
pub(crate) const PNG_SPECS: [Spec; 8] = [
    sparse(800, 600, 1, 6),
    sparse(640, 480, 2, 6),
    sparse(1024, 768, 1, 2),
    sparse(500, 700, 1, 11),
    sparse(600, 600, 2, 6),
    sparse(960, 540, 1, 8),
    sparse(450, 800, 2, 11),
    sparse(1200, 900, 2, 6),
];
pub(crate) const GIF_SPECS: [Spec; 6] =
    [spec(480, 400, 2), spec(640, 480, 1), spec(400, 400, 3), spec(800, 600, 1), spec(500, 500, 2), spec(600, 450, 1)];
pub(crate) const ANIMATED_SPECS: [Spec; 3] = [sparse(480, 400, 1, 8), sparse(400, 400, 1, 16), sparse(520, 400, 0, 0)];
/// Videos are never painted: these only give their listing a plausible size.
pub(crate) const VIDEO_SPECS: [Spec; 3] = [spec(1280, 720, 0), spec(720, 1280, 0), spec(640, 640, 0)];

fn specs(kind: DemoKind) -> &'static [Spec] {
    match kind {
        DemoKind::Jpeg => &JPEG_SPECS,
        DemoKind::Png => &PNG_SPECS,
        DemoKind::Gif => &GIF_SPECS,
        DemoKind::AnimatedGif => &ANIMATED_SPECS,
        DemoKind::Video => &VIDEO_SPECS,
    }
}

/// How many base pictures `kind` has.
pub(crate) fn variants(kind: DemoKind) -> usize {
    specs(kind).len()
}

/// The size in pixels of base picture `variant` of `kind`.
pub(crate) fn dimensions(kind: DemoKind, variant: usize) -> (u32, u32) {
    let spec = spec_of(kind, variant);
    (spec.width, spec.height)
}

pub(crate) fn spec_of(kind: DemoKind, variant: usize) -> &'static Spec {
    let specs = specs(kind);
    specs.get(variant).unwrap_or(&specs[0])
}
