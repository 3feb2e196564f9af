//! What a file really is, from its first bytes. A server's Content-Type is a claim; the
//! magic bytes are the evidence, and they decide the extension a file is saved under.

/// The kinds of file galley saves, downloads, decodes and shows: the one media-kind enum
/// of the crate (the engine names files by it, the library sorts and filters by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum MediaKind {
    Jpeg,
    Png,
    Gif,
    Mp4,
}

impl MediaKind {
    pub const ALL: [MediaKind; 4] = [MediaKind::Jpeg, MediaKind::Png, MediaKind::Gif, MediaKind::Mp4];

    /// Its lower-case name, as `fetch --list --json` gives it.
    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "jpeg",
            MediaKind::Png => "png",
            MediaKind::Gif => "gif",
            MediaKind::Mp4 => "mp4",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "jpg",
            MediaKind::Png => "png",
            MediaKind::Gif => "gif",
            MediaKind::Mp4 => "mp4",
        }
    }

    /// From a MIME type such as Imgur's `type` field.
    pub fn from_mime(mime: &str) -> Option<MediaKind> {
        let essence = mime.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(MediaKind::Jpeg),
            "image/png" => Some(MediaKind::Png),
            "image/gif" => Some(MediaKind::Gif),
            "video/mp4" => Some(MediaKind::Mp4),
            _ => None,
        }
    }

    /// From a file extension (case-insensitive).
    pub fn from_extension(extension: &str) -> Option<MediaKind> {
        match extension.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" | "jpe" => Some(MediaKind::Jpeg),
            "png" => Some(MediaKind::Png),
            "gif" => Some(MediaKind::Gif),
            "mp4" => Some(MediaKind::Mp4),
            _ => None,
        }
    }

    pub fn is_image(self) -> bool {
        self != MediaKind::Mp4
    }

    pub fn is_video(self) -> bool {
        self == MediaKind::Mp4
    }

    /// Its upper-case label, as the grid's badges and filters show it (and the folder's
    /// index stores it).
    pub fn label(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "JPEG",
            MediaKind::Png => "PNG",
            MediaKind::Gif => "GIF",
            MediaKind::Mp4 => "MP4",
        }
    }

    /// The kind a [`MediaKind::label`] names.
    pub fn from_label(text: &str) -> Option<MediaKind> {
        MediaKind::ALL.into_iter().find(|kind| kind.label() == text)
    }
}

/// Bytes needed to tell the kinds apart.
pub const SNIFF_LEN: usize = 12;

/// The kind the leading bytes prove, if any.
pub fn sniff(head: &[u8]) -> Option<MediaKind> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(MediaKind::Jpeg)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(MediaKind::Png)
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some(MediaKind::Gif)
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" && MP4_BRANDS.contains(&&head[8..12]) {
        Some(MediaKind::Mp4)
    } else {
        None
    }
}

/// Major brands of an `ftyp` box that make a file an MP4 video. Other ISO media files
/// share the box (AVIF and HEIF images among them): they are not MP4s.
const MP4_BRANDS: [&[u8]; 20] = [
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41", b"mp42", b"mp71",
    b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"msnv", b"MSNV", b"mmp4",
];

/// What bytes that are not media are, for the failure reason and the retry decision.
pub fn non_media(head: &[u8]) -> NonMedia {
    let text = String::from_utf8_lossy(head).trim_start().to_ascii_lowercase();
    if text.starts_with("<!doctype html") || text.starts_with("<html") || text.starts_with("<") {
        NonMedia::Html
    } else if text.starts_with('{') || text.starts_with('[') {
        NonMedia::Json
    } else if head.len() >= 12 && &head[4..8] == b"ftyp" {
        NonMedia::IsoMedia { brand: String::from_utf8_lossy(&head[8..12]).trim().to_owned() }
    } else if head.is_empty() {
        NonMedia::Empty
    } else {
        NonMedia::Unknown(head.iter().take(8).copied().collect())
    }
}

/// What a body that is not media looks like. A kind, not a text, so that deciding what
/// to do with it (an HTML page is worth a retry) never depends on wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NonMedia {
    /// An HTML page: what an overloaded CDN serves in place of an image.
    Html,
    Json,
    /// An ISO media file that is no MP4 video (an AVIF or HEIF image, say): its brand.
    IsoMedia {
        brand: String,
    },
    Empty,
    /// Anything else; its first bytes.
    Unknown(Vec<u8>),
}

impl std::fmt::Display for NonMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NonMedia::Html => f.write_str("an HTML page"),
            NonMedia::Json => f.write_str("JSON"),
            NonMedia::IsoMedia { brand } => {
                write!(f, "an ISO media file of brand `{brand}` (an AVIF or HEIF image, say), not an MP4 video")
            }
            NonMedia::Empty => f.write_str("an empty body"),
            NonMedia::Unknown(bytes) => write!(f, "unknown bytes {bytes:02x?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_each_kind_by_its_magic() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(MediaKind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(MediaKind::Png));
        assert_eq!(sniff(b"GIF89a\x01\x00"), Some(MediaKind::Gif));
        assert_eq!(sniff(b"\0\0\0\x18ftypisom"), Some(MediaKind::Mp4));
        assert_eq!(sniff(b"\0\0\0\x1cftypmp42"), Some(MediaKind::Mp4));
        assert_eq!(sniff(b"\0\0\0\x1cftypavif"), None, "an AVIF image is not an MP4");
        assert_eq!(sniff(b"\0\0\0\x1cftypheic"), None);
        assert_eq!(sniff(b"<!DOCTYPE html>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn describes_impostors() {
        assert_eq!(non_media(b"  <!DOCTYPE html><html>"), NonMedia::Html);
        assert_eq!(non_media(b"{\"data\":1}"), NonMedia::Json);
        assert_eq!(non_media(b""), NonMedia::Empty);
        assert_eq!(non_media(b"\x01\x02").to_string(), "unknown bytes [01, 02]");
        assert!(non_media(b"\0\0\0\x1cftypavif").to_string().contains("AVIF"));
    }

    #[test]
    fn mime_and_extension_agree() {
        for kind in MediaKind::ALL {
            assert_eq!(MediaKind::from_extension(kind.extension()), Some(kind));
        }
        assert_eq!(MediaKind::from_mime("image/JPEG; charset=x"), Some(MediaKind::Jpeg));
        assert_eq!(MediaKind::from_mime("text/html"), None);
    }
}
