//! File names as the library keeps them. The index stores a name as text, and the grid
//! sorts and shows text, but a file name on Linux is any bytes: a name that is not UTF-8
//! was left out of the grid, so it could be neither viewed nor trashed. Such a name is kept
//! as a key of its own, a NUL (which no file name holds) and the name's bytes in hex, which
//! gives the exact name back; the window shows its bad bytes escaped.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};

/// Marks a key that holds a name's bytes in hex.
const ENCODED: char = '\0';

/// The key the library keeps for the file name `name`: the name itself when it is UTF-8;
/// on unix, otherwise, its bytes encoded. `None` where a name cannot be kept (a name that
/// is not Unicode on other systems).
pub fn name_key(name: &OsStr) -> Option<Cow<'_, str>> {
    if let Some(text) = name.to_str() {
        return Some(Cow::Borrowed(text));
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Some(Cow::Owned(format!("{ENCODED}{}", hex::encode(name.as_bytes()))))
    }
    #[cfg(not(unix))]
    None
}

/// The file name a key stands for.
pub fn file_name(key: &str) -> OsString {
    match encoded_bytes(key) {
        #[cfg(unix)]
        Some(bytes) => {
            use std::os::unix::ffi::OsStringExt;
            OsString::from_vec(bytes)
        }
        _ => OsString::from(key),
    }
}

/// The name as the window shows it: the key itself, or the name with each byte that is
/// not UTF-8 written as `\xE9` (as `ls` shows it, and drawable in any font).
pub fn shown_name(key: &str) -> Cow<'_, str> {
    let Some(bytes) = encoded_bytes(key) else { return Cow::Borrowed(key) };
    let mut shown = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        shown.push_str(chunk.valid());
        for byte in chunk.invalid() {
            shown.push_str(&format!("\\x{byte:02X}"));
        }
    }
    Cow::Owned(shown)
}

/// The last component of `path` as the window shows it.
pub fn shown_file_name(path: &std::path::Path) -> String {
    let Some(name) = path.file_name() else { return path.display().to_string() };
    match name_key(name) {
        Some(key) => shown_name(&key).into_owned(),
        None => name.to_string_lossy().into_owned(),
    }
}

fn encoded_bytes(key: &str) -> Option<Vec<u8>> {
    hex::decode(key.strip_prefix(ENCODED)?).ok()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn a_name_that_is_not_utf8_is_kept_exactly_and_shown_readably() {
        let raw = OsStr::from_bytes(b"caf\xe9 photo.jpg");
        let key = name_key(raw).expect("kept");
        assert_eq!(file_name(&key), raw);
        assert_eq!(shown_name(&key), "caf\\xE9 photo.jpg");
        let plain = OsStr::new("meadow.jpg");
        assert!(matches!(name_key(plain), Some(Cow::Borrowed("meadow.jpg"))));
        assert_eq!(file_name("meadow.jpg"), plain);
        assert_eq!(shown_name("meadow.jpg"), "meadow.jpg");
    }
}
