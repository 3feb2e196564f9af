//! What a file really is, from its first bytes. A server's Content-Type is a claim; the
//! magic bytes are the evidence, and they decide the extension a file is saved under.

/// The kinds of file galley saves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Jpeg,
    Png,
    Gif,
    Mp4,
}

impl MediaKind {
    pub const ALL: [MediaKind; 4] = [MediaKind::Jpeg, MediaKind::Png, MediaKind::Gif, MediaKind::Mp4];

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
    } else if head.len() >= 8 && &head[4..8] == b"ftyp" {
        Some(MediaKind::Mp4)
    } else {
        None
    }
}

/// Whether `tail` (the last bytes of a file) holds the format's end marker: a cheap proof
/// that an image was not cut short, for when it is not fully decoded (`--no-thumbnails`).
/// A few bytes of padding after the marker are tolerated, as encoders sometimes add them.
pub fn has_end_marker(kind: MediaKind, tail: &[u8]) -> bool {
    let last = |n: usize| &tail[tail.len().saturating_sub(n)..];
    match kind {
        MediaKind::Jpeg => last(32).windows(2).any(|pair| pair == [0xFF, 0xD9]),
        MediaKind::Png => last(32).windows(4).any(|chunk| chunk == b"IEND"),
        MediaKind::Gif => last(8).contains(&0x3B),
        MediaKind::Mp4 => true,
    }
}

/// What bytes that are not media are, for the failure reason and the retry decision.
pub fn non_media(head: &[u8]) -> NonMedia {
    let text = String::from_utf8_lossy(head).trim_start().to_ascii_lowercase();
    if text.starts_with("<!doctype html") || text.starts_with("<html") || text.starts_with("<") {
        NonMedia::Html
    } else if text.starts_with('{') || text.starts_with('[') {
        NonMedia::Json
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
    Empty,
    /// Anything else; its first bytes.
    Unknown(Vec<u8>),
}

impl std::fmt::Display for NonMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NonMedia::Html => f.write_str("an HTML page"),
            NonMedia::Json => f.write_str("JSON"),
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
        assert_eq!(sniff(b"<!DOCTYPE html>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn describes_impostors() {
        assert_eq!(non_media(b"  <!DOCTYPE html><html>"), NonMedia::Html);
        assert_eq!(non_media(b"{\"data\":1}"), NonMedia::Json);
        assert_eq!(non_media(b""), NonMedia::Empty);
        assert_eq!(non_media(b"\x01\x02").to_string(), "unknown bytes [01, 02]");
    }

    #[test]
    fn mime_and_extension_agree() {
        for kind in MediaKind::ALL {
            assert_eq!(MediaKind::from_extension(kind.extension()), Some(kind));
        }
        assert_eq!(MediaKind::from_mime("image/JPEG; charset=x"), Some(MediaKind::Jpeg));
        assert_eq!(MediaKind::from_mime("text/html"), None);
    }

    #[test]
    fn end_markers_tell_whole_files_from_cut_ones() {
        assert!(has_end_marker(MediaKind::Jpeg, &[0x00, 0xFF, 0xD9]));
        assert!(!has_end_marker(MediaKind::Jpeg, &[0xFF, 0xD8, 0x00, 0x12]));
        assert!(has_end_marker(MediaKind::Png, b"....IEND\xAEB`\x82"));
        assert!(!has_end_marker(MediaKind::Png, b"....IDAT...."));
        assert!(has_end_marker(MediaKind::Gif, &[0x00, 0x3B]));
        assert!(!has_end_marker(MediaKind::Gif, &[]));
    }
}
