//! Any row in the library's index (a file anyone with the user's rights can write): it
//! names a file directly inside its folder, or nothing; never a panic.
#![no_main]

use std::path::Path;

use galley::library::StoredRow;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, i64, i64, String, Option<(u32, u32)>)| {
    let (name, bytes, mtime, kind, dimensions) = input;
    let row = StoredRow { name, bytes, mtime, kind, dimensions };
    if let Some((listed, dimensions)) = row.into_listed() {
        let folder = Path::new("/pictures");
        let path = folder.join(galley::library::names::file_name(&listed.name));
        assert_eq!(path.parent(), Some(folder), "{path:?} is not directly inside the folder");
        assert!(dimensions.is_none_or(|(width, height)| width > 0 && height > 0));
    }
});
