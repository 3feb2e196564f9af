//! File names from the network, made safe. Whatever an id or a link says, the result is
//! one plain file name inside the destination folder: no separators, no `..`, no control
//! characters, no device names, and a bounded length.

use std::path::{Path, PathBuf};

use crate::media::sniff::MediaKind;

/// Longest stem kept (bytes); file systems allow 255 for the whole name.
pub const MAX_STEM: usize = 120;

/// Names Windows reserves for devices, whatever the extension.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2",
    "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A safe file stem from untrusted text: ASCII letters, digits, `-` and `_` are kept, every
/// other run of characters becomes one `_`; leading dots and underscores are dropped.
/// Returns `None` when nothing usable is left.
pub fn clean_stem(text: &str) -> Option<String> {
    let mut stem = String::with_capacity(text.len().min(MAX_STEM));
    let mut pending_gap = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            if pending_gap && !stem.is_empty() {
                stem.push('_');
            }
            pending_gap = false;
            stem.push(c);
        } else {
            pending_gap = true;
        }
        if stem.len() >= MAX_STEM {
            break;
        }
    }
    let stem = stem.trim_matches(|c| c == '_' || c == '-').to_owned();
    if stem.is_empty() {
        return None;
    }
    let base = stem.split('.').next().unwrap_or(&stem).to_ascii_uppercase();
    if RESERVED.contains(&base.as_str()) {
        return Some(format!("_{stem}"));
    }
    Some(stem)
}

/// The stem for an Imgur item: its cleaned id, or a name derived from the raw id's hash
/// when the id has nothing usable in it (so distinct bad ids stay distinct).
pub fn stem_for_id(id: &str) -> String {
    match clean_stem(id) {
        Some(stem) if stem == id => stem,
        // Cleaning can map two ids to one name (`a/b` and `a\b`): the hash of the original
        // keeps their files apart, so one never replaces the other.
        Some(stem) => format!("{stem}-{}", short_hash(id)),
        None => format!("item-{}", short_hash(id)),
    }
}

/// A stem for a link whose cleaned name another link of the same run already took.
pub fn disambiguated(stem: &str, link: &str) -> String {
    format!("{stem}-{}", short_hash(link))
}

/// The stem and claimed kind for a bare link (`--urls`): the last path segment,
/// percent-decoded then cleaned, without its extension.
pub fn stem_for_link(link: &url::Url) -> (String, Option<MediaKind>) {
    let segment = link.path_segments().and_then(|mut segments| segments.next_back()).unwrap_or_default();
    let decoded = percent_decode(segment);
    let (stem, extension) = match decoded.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem.to_owned(), MediaKind::from_extension(ext)),
        _ => (decoded.clone(), None),
    };
    let stem = clean_stem(&stem).unwrap_or_else(|| format!("link-{}", short_hash(link.as_str())));
    (stem, extension)
}

/// The final path of a saved file.
pub fn file_path(dir: &Path, stem: &str, kind: MediaKind) -> PathBuf {
    dir.join(format!("{stem}.{}", kind.extension()))
}

/// How many numbered names a file may try when others hold its own (`photo-2.jpg` ...).
pub const NUMBERED_NAMES: usize = 20;

/// The names a file may be saved under, in the order they are tried: its own name, then
/// numbered ones for when a file that is not galley's (or another picture) holds it.
pub fn file_paths(dir: &Path, stem: &str, kind: MediaKind) -> impl Iterator<Item = PathBuf> {
    let numbered = (2..=NUMBERED_NAMES + 1).map(move |n| dir.join(format!("{stem}-{n}.{}", kind.extension())));
    std::iter::once(file_path(dir, stem, kind)).chain(numbered)
}

/// A name as a case-insensitive file system (exFAT, APFS and NTFS by default) compares it.
pub fn folded(name: &std::ffi::OsStr) -> String {
    name.to_string_lossy().to_lowercase()
}

/// Temporary files are hidden, name their process (so a later run can tell an orphan from
/// another live process's work), carry 64 random bits (so nobody can plant a link under a
/// name galley is about to create) and end in `.part`.
pub const TEMP_PREFIX: &str = ".galley-";
pub const TEMP_SUFFIX: &str = ".part";

pub fn temp_path(dir: &Path, stem: &str) -> PathBuf {
    let short: String = stem.chars().take(40).collect();
    let random: u64 = rand::random();
    dir.join(format!("{TEMP_PREFIX}{}-{random:016x}-{short}{TEMP_SUFFIX}", std::process::id()))
}

/// The process id recorded in a temporary file's name.
pub fn temp_owner(file_name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix(TEMP_PREFIX)?;
    if !file_name.ends_with(TEMP_SUFFIX) {
        return None;
    }
    rest.split('-').next()?.parse().ok()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(value)) => {
                out.push(value);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn short_hash(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(text.as_bytes())[..6])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(dir: &Path, stem: &str) -> bool {
        let path = file_path(dir, stem, MediaKind::Jpeg);
        path.parent() == Some(dir) && !stem.contains(['/', '\\', '\0']) && !stem.starts_with('.')
    }

    #[test]
    fn plain_ids_are_kept() {
        assert_eq!(stem_for_id("aB3dE9x"), "aB3dE9x");
        assert_eq!(stem_for_id("my_pic-2"), "my_pic-2");
    }

    #[test]
    fn hostile_ids_stay_inside_the_folder() {
        let dir = Path::new("/out");
        let hostile = [
            "../../etc/passwd",
            "..",
            ".",
            "/abs/path",
            "a\\b\\..\\c",
            "a%2F..%2Fb",
            "nul\0byte",
            "tab\there",
            "\u{1b}[31mred",
            "CON",
            "nul",
            "com1",
            "LPT9.txt",
            "...hidden",
            "",
            "////",
            "日本語",
        ];
        for id in hostile {
            let stem = stem_for_id(id);
            assert!(inside(dir, &stem), "{id:?} gave {stem:?}");
            assert!(!stem.is_empty());
        }
        assert!(stem_for_id("CON").starts_with("_CON-"));
        assert!(stem_for_id("../../etc/passwd").starts_with("etc_passwd-"));
        assert_eq!(stem_for_id("aB3dE9x"), "aB3dE9x", "real Imgur ids are kept as they are");
    }

    /// Every name galley makes is valid on NTFS (and so in a folder synced to Windows):
    /// none of `<>:"/\\|?*`, no trailing dot or space, no device name whatever its case or
    /// extension, and short enough to leave room for the folder under 255 characters.
    #[test]
    fn names_are_valid_on_ntfs() {
        let hostile = [
            "name. ",
            "name...",
            "trailing ",
            "Con.jpg",
            "nul.tar.gz",
            "lpt9",
            "CoM1",
            "AUX.",
            "a:b",
            "x|y?z*",
            "<tag>",
            "quote\"d",
            "back\\slash",
            " lead",
            "\u{202e}gpj.exe",
        ];
        let ntfs_valid = |stem: &str| {
            let base = stem.split('.').next().unwrap_or(stem).to_ascii_uppercase();
            !stem.contains(['<', '>', ':', '"', '/', '\\', '|', '?', '*'])
                && !stem.ends_with(['.', ' '])
                && !RESERVED.contains(&base.as_str())
                && stem.len() <= MAX_STEM + 17
        };
        for text in hostile {
            let stem = stem_for_id(text);
            assert!(ntfs_valid(&stem), "{text:?} gave {stem:?}");
            let link = url::Url::parse(&format!("http://h/{}", text.replace('?', "%3F"))).expect("url");
            let (from_link, _) = stem_for_link(&link);
            assert!(ntfs_valid(&from_link), "{text:?} as a link gave {from_link:?}");
        }
    }

    #[test]
    fn ids_that_clean_to_the_same_name_stay_apart() {
        assert_ne!(stem_for_id("a/b"), stem_for_id("a\\b"));
        assert_ne!(stem_for_id(&"x".repeat(1000)), stem_for_id(&"x".repeat(999)));
    }

    #[test]
    fn long_names_are_cut() {
        let stem = stem_for_id(&"a".repeat(1000));
        // The cut name, a dash and 12 hex digits of the original's hash: well under 255.
        assert_eq!(stem.len(), MAX_STEM + 13);
    }

    #[test]
    fn distinct_unusable_ids_get_distinct_names() {
        assert_ne!(stem_for_id("../"), stem_for_id("/.."));
    }

    #[test]
    fn link_names_are_decoded_then_cleaned() {
        let url = url::Url::parse("http://h/i/..%2F..%2Fevil.png").unwrap();
        let (stem, kind) = stem_for_link(&url);
        assert_eq!(stem, "evil");
        assert_eq!(kind, Some(MediaKind::Png));
        let url = url::Url::parse("http://h/i/photo.JPG?x=1").unwrap();
        assert_eq!(stem_for_link(&url), ("photo".to_owned(), Some(MediaKind::Jpeg)));
        let url = url::Url::parse("http://h/").unwrap();
        assert!(stem_for_link(&url).0.starts_with("link-"));
    }

    #[test]
    fn a_file_tries_its_own_name_then_numbered_ones() {
        let names: Vec<PathBuf> = file_paths(Path::new("/out"), "photo", MediaKind::Png).take(3).collect();
        assert_eq!(names, [Path::new("/out/photo.png"), Path::new("/out/photo-2.png"), Path::new("/out/photo-3.png")]);
        assert_eq!(file_paths(Path::new("/out"), "a", MediaKind::Jpeg).count(), NUMBERED_NAMES + 1);
        assert_eq!(folded(std::ffi::OsStr::new("abcD1.JPG")), folded(std::ffi::OsStr::new("ABCd1.jpg")));
    }

    #[test]
    fn temp_names_record_their_owner() {
        let path = temp_path(Path::new("/out"), "abc");
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_eq!(temp_owner(name), Some(std::process::id()));
        assert_ne!(path, temp_path(Path::new("/out"), "abc"), "unpredictable");
        assert_eq!(temp_owner("abc.jpg"), None);
    }
}
