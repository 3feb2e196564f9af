//! Lists of links, one a line: what `galley fetch --urls FILE` reads and what a `.txt`
//! file dropped on the window holds. Reading one is disk work, so the app asks the engine
//! for it (`RunCommand::ReadLinks`) and never reads in a frame.

use std::io::Read;
use std::path::{Path, PathBuf};

/// A list of links larger than this is not read: a text file of links is a few KiB, and
/// a big file dropped by mistake (a video renamed .txt) must not be loaded whole.
pub const MAX_LINK_LIST_BYTES: u64 = 4 * 1024 * 1024;

/// Why a list of links could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LinkListError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} holds more than a list of links: galley reads at most {MAX_LINK_LIST_BYTES} bytes of one", path.display())]
    TooLarge { path: PathBuf },
    #[error("{} is not text (UTF-8)", path.display())]
    NotText { path: PathBuf },
    /// The engine's reading task stopped before it was done (it panicked).
    #[error("the reading stopped unexpectedly: {0}")]
    Stopped(String),
}

/// The links of a text: one per line; blank lines and `#` comments ignored.
pub fn link_lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).map(str::to_owned).collect()
}

/// The links of the file at `path` (bounded by [`MAX_LINK_LIST_BYTES`]). Blocking: call
/// it off any UI thread.
pub fn read_link_list(path: &Path) -> Result<Vec<String>, LinkListError> {
    let read = |source| LinkListError::Read { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(read)?;
    read_link_text(file, path)
}

/// The links `reader` holds, reading at most [`MAX_LINK_LIST_BYTES`] (and one byte more to
/// know there was more): a size on disk proves nothing for stdin, a pipe or `/dev/zero`.
/// `named` names the source in errors.
pub fn read_link_text(reader: impl Read, named: &Path) -> Result<Vec<String>, LinkListError> {
    let mut content = Vec::new();
    reader
        .take(MAX_LINK_LIST_BYTES + 1)
        .read_to_end(&mut content)
        .map_err(|source| LinkListError::Read { path: named.to_owned(), source })?;
    if content.len() as u64 > MAX_LINK_LIST_BYTES {
        return Err(LinkListError::TooLarge { path: named.to_owned() });
    }
    let text = String::from_utf8(content).map_err(|_| LinkListError::NotText { path: named.to_owned() })?;
    Ok(link_lines(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_skip_blanks_and_comments() {
        let links = link_lines("# mine\n\n  https://a/1.jpg \nhttps://a/2.png\n");
        assert_eq!(links, ["https://a/1.jpg", "https://a/2.png"]);
    }

    #[test]
    fn a_file_that_is_not_a_list_of_links_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let list = dir.path().join("links.txt");
        std::fs::write(&list, "album/AbC12\n# note\nimgur.com/t/cats\n").expect("write");
        assert_eq!(read_link_list(&list).expect("reads"), ["album/AbC12", "imgur.com/t/cats"]);
        let binary = dir.path().join("video.txt");
        std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x81]).expect("write");
        assert!(matches!(read_link_list(&binary), Err(LinkListError::NotText { .. })));
        let missing = read_link_list(&dir.path().join("gone.txt")).expect_err("absent");
        assert!(missing.to_string().starts_with("cannot read"), "{missing}");
    }

    #[test]
    fn an_endless_source_is_read_only_up_to_the_cap() {
        let endless = std::io::repeat(b'x');
        let error = read_link_text(endless, Path::new("-")).expect_err("refused");
        assert!(matches!(error, LinkListError::TooLarge { .. }), "{error}");
        #[cfg(unix)]
        {
            let zero = read_link_list(Path::new("/dev/zero")).expect_err("refused");
            assert!(matches!(zero, LinkListError::TooLarge { .. }), "{zero}");
        }
    }
}
