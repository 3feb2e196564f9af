//! The thumbnail cache, shared with the desktop: the freedesktop.org Thumbnail Managing
//! Standard. A thumbnail of `/photos/a.jpg` is `$XDG_CACHE_HOME/thumbnails/large/<md5 of
//! "file:///photos/a.jpg">.png`, a PNG at most 256 px a side carrying `Thumb::URI` and
//! `Thumb::MTime` (the file's modification time, in seconds) in text chunks. File managers
//! (Nautilus, Thunar, Dolphin, Nemo) read and write the same files, so a folder galley
//! thumbnailed opens at once in them, and the other way round.
//!
//! A thumbnail whose `Thumb::MTime` or `Thumb::URI` does not match the file is stale and
//! is made again. A file that cannot be thumbnailed gets an entry under `fail/galley/`, as
//! the standard asks, so it is not decoded again at every start.

use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

/// Longest side of a "large" thumbnail, the size galley writes and reads.
pub const LARGE: u32 = 256;
/// What galley writes as `Software`.
const SOFTWARE: &str = concat!("galley ", env!("CARGO_PKG_VERSION"));
/// Marks a thumbnail made turned by the image's EXIF orientation (galley's own key; the
/// standard lets programs add theirs).
const ORIENTED_KEY: &str = "X-galley::Oriented";

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot write the thumbnail {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot encode a thumbnail: {0}")]
    Encode(#[from] png::EncodingError),
    #[error("{0} is not an absolute path, so it has no file URI")]
    NoUri(PathBuf),
}

/// Pixels of a thumbnail and the size of the image it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedThumbnail {
    /// Tightly packed RGBA8, `width x height`.
    pub rgba: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// The full image's dimensions, when the thumbnail says (`Thumb::Image::Width/Height`).
    pub image_size: Option<(u32, u32)>,
}

impl CachedThumbnail {
    pub fn as_pixels(&self) -> ThumbnailPixels<'_> {
        ThumbnailPixels { rgba: &self.rgba, width: self.width, height: self.height, image_size: self.image_size }
    }
}

/// A thumbnail's pixels as the cache writes them, borrowed (the window may be showing the
/// same pixels).
#[derive(Debug, Clone, Copy)]
pub struct ThumbnailPixels<'a> {
    /// Tightly packed RGBA8, `width x height`.
    pub rgba: &'a [u8],
    pub width: u32,
    pub height: u32,
    /// The full image's dimensions.
    pub image_size: Option<(u32, u32)>,
}

/// What the cache holds for a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A thumbnail made from the file as it is now.
    Fresh(CachedThumbnail),
    /// Nothing usable: none, or made from an older version of the file.
    Missing,
}

/// The cache folder (`$XDG_CACHE_HOME/thumbnails`, or another for tests and benchmarks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThumbnailCache {
    root: PathBuf,
}

impl ThumbnailCache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The user's shared cache, `$XDG_CACHE_HOME/thumbnails` (`~/.cache/thumbnails`). The
    /// shared folder is a freedesktop convention: elsewhere (Windows, macOS) galley keeps a
    /// cache of its own, `%LOCALAPPDATA%\galley\thumbnails` or `~/Library/Caches/galley`.
    pub fn for_user() -> Option<Self> {
        let shared = cfg!(all(unix, not(target_os = "macos")));
        let cache = dirs::cache_dir()?;
        Some(Self::new(if shared { cache.join("thumbnails") } else { cache.join("galley").join("thumbnails") }))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the large thumbnail of `file` lives.
    pub fn large_path(&self, file: &Path) -> Result<PathBuf, CacheError> {
        Ok(self.root.join("large").join(format!("{}.png", uri_digest(file)?)))
    }

    fn fail_path(&self, file: &Path) -> Result<PathBuf, CacheError> {
        Ok(self.root.join("fail").join("galley").join(format!("{}.png", uri_digest(file)?)))
    }

    /// What the cache holds for `file`, last modified at `mtime` (Unix seconds). Reads one
    /// small PNG; anything unreadable counts as missing (it is simply made again).
    pub fn lookup(&self, file: &Path, mtime: i64) -> Lookup {
        let Ok(uri) = file_uri(file) else { return Lookup::Missing };
        let digest = hex::encode(Md5::digest(uri.as_bytes()));
        let large = self.root.join("large").join(format!("{digest}.png"));
        match read_thumbnail(&large, &uri, mtime) {
            Some(thumbnail) => Lookup::Fresh(thumbnail),
            None => Lookup::Missing,
        }
    }

    /// Stores the thumbnail of `file` (`mtime` in Unix seconds, `bytes` its size): written
    /// under a temporary name and renamed, so a reader never sees half of it.
    pub fn store(&self, file: &Path, stat: FileStat, thumbnail: ThumbnailPixels<'_>) -> Result<PathBuf, CacheError> {
        let path = self.large_path(file)?;
        let png = encode(file, stat, thumbnail)?;
        write_whole(&self.root, &path, &png)?;
        Ok(path)
    }

    /// Removes the thumbnails of these files (and the failure marks older galleys wrote
    /// under `fail/galley/`); returns how many went.
    pub fn remove(&self, files: &[PathBuf]) -> usize {
        let mut removed = 0;
        for file in files {
            for path in [self.large_path(file), self.fail_path(file)].into_iter().flatten() {
                match std::fs::remove_file(&path) {
                    Ok(()) => removed += 1,
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => tracing::warn!("cannot remove the thumbnail {}: {error}", path.display()),
                }
            }
        }
        removed
    }
}

/// What the cache records of the file a thumbnail shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// Unix seconds.
    pub mtime: i64,
    pub bytes: u64,
}

/// `file://` URI of an absolute path, escaped as GLib escapes it (so the digests match).
pub fn file_uri(file: &Path) -> Result<String, CacheError> {
    url::Url::from_file_path(file).map(String::from).map_err(|()| CacheError::NoUri(file.to_owned()))
}

fn uri_digest(file: &Path) -> Result<String, CacheError> {
    Ok(hex::encode(Md5::digest(file_uri(file)?.as_bytes())))
}

/// A thumbnail PNG's pixels, if it is readable and made for `uri` at `mtime`.
fn read_thumbnail(path: &Path, uri: &str, mtime: i64) -> Option<CachedThumbnail> {
    // Only a regular file, never through a link: a FIFO planted under a file's name would
    // block the thumbnail workers in `open` for good.
    let file = crate::files::open_regular(path).ok()?;
    thumbnail_from(BufReader::new(file), uri, mtime)
}

/// A thumbnail PNG held in memory, read as the cache reads one (for the fuzzer and tests):
/// its pixels if it is a thumbnail made for `uri` at `mtime`, else `None`; never a panic,
/// and never more than 4 MiB of memory whatever its chunks claim.
pub fn parse_thumbnail(bytes: &[u8], uri: &str, mtime: i64) -> Option<CachedThumbnail> {
    thumbnail_from(std::io::Cursor::new(bytes), uri, mtime)
}

fn thumbnail_from(reader: impl std::io::BufRead + std::io::Seek, uri: &str, mtime: i64) -> Option<CachedThumbnail> {
    let mut decoder = png::Decoder::new_with_limits(reader, png::Limits { bytes: 4 * 1024 * 1024 });
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().ok()?;
    let text = |key: &str| {
        reader.info().uncompressed_latin1_text.iter().find(|chunk| chunk.keyword == key).map(|chunk| chunk.text.clone())
    };
    // The standard says a thumbnail without these two is to be ignored.
    if text("Thumb::URI")? != uri || text("Thumb::MTime")?.trim().parse::<i64>().ok()? != mtime {
        return None;
    }
    // A JPEG's thumbnail made by a galley that did not yet turn photos by their EXIF
    // orientation is made again (once); other programs' thumbnails are taken as they are.
    let by_old_galley =
        text("Software").is_some_and(|software| software.starts_with("galley")) && text(ORIENTED_KEY).is_none();
    let lower = uri.to_ascii_lowercase();
    if by_old_galley && (lower.ends_with(".jpg") || lower.ends_with(".jpeg")) {
        return None;
    }
    let dimension = |key: &str| text(key).and_then(|value| value.trim().parse::<u32>().ok());
    let image_size = dimension("Thumb::Image::Width").zip(dimension("Thumb::Image::Height"));
    let mut buffer = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut buffer).ok()?;
    let (width, height) = (frame.width, frame.height);
    if width == 0 || height == 0 || width > 2 * LARGE || height > 2 * LARGE {
        return None;
    }
    buffer.truncate(frame.buffer_size());
    let rgba = to_rgba(buffer, frame.color_type)?;
    Some(CachedThumbnail { rgba, width, height, image_size })
}

fn to_rgba(pixels: Vec<u8>, color: png::ColorType) -> Option<Vec<u8>> {
    Some(match color {
        png::ColorType::Rgba => pixels,
        png::ColorType::Rgb => pixels.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        png::ColorType::Grayscale => pixels.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::GrayscaleAlpha => pixels.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(),
        png::ColorType::Indexed => return None,
    })
}

/// The PNG of a thumbnail, with the standard's text chunks. Opaque thumbnails are stored
/// as RGB: a quarter smaller, and quicker to write and read.
fn encode(file: &Path, stat: FileStat, thumbnail: ThumbnailPixels<'_>) -> Result<Vec<u8>, CacheError> {
    let opaque = thumbnail.rgba.chunks_exact(4).all(|pixel| pixel[3] == 255);
    let mut png_bytes = Vec::with_capacity(thumbnail.rgba.len() / 2);
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, thumbnail.width, thumbnail.height);
        encoder.set_color(if opaque { png::ColorType::Rgb } else { png::ColorType::Rgba });
        encoder.set_depth(png::BitDepth::Eight);
        // Fast (fdeflate, adaptive filter): about a tenth of making a thumbnail. Fastest
        // saved part of that but made the cache 40% bigger (84 KB a thumbnail, not 60).
        encoder.set_compression(png::Compression::Fast);
        encoder.add_text_chunk("Thumb::URI".into(), file_uri(file)?)?;
        encoder.add_text_chunk("Thumb::MTime".into(), stat.mtime.to_string())?;
        encoder.add_text_chunk("Thumb::Size".into(), stat.bytes.to_string())?;
        if let Some((width, height)) = thumbnail.image_size {
            encoder.add_text_chunk("Thumb::Image::Width".into(), width.to_string())?;
            encoder.add_text_chunk("Thumb::Image::Height".into(), height.to_string())?;
        }
        encoder.add_text_chunk("Software".into(), SOFTWARE.into())?;
        encoder.add_text_chunk(ORIENTED_KEY.into(), "yes".into())?;
        let mut writer = encoder.write_header()?;
        match opaque {
            true => {
                let rgb: Vec<u8> = thumbnail.rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
                writer.write_image_data(&rgb)?;
            }
            false => writer.write_image_data(thumbnail.rgba)?,
        }
        writer.finish()?;
    }
    Ok(png_bytes)
}

/// Writes `bytes` to `path` whole or not at all: a new, unpredictably named file beside it
/// (never following a link), private to the user as the standard asks, renamed into place.
fn write_whole(root: &Path, path: &Path, bytes: &[u8]) -> Result<(), CacheError> {
    let failed = |source| CacheError::Write { path: path.to_owned(), source };
    let folder = path.parent().ok_or_else(|| failed(std::io::Error::other("no parent folder")))?;
    cache_folder(root, folder).map_err(failed)?;
    let temp = folder.join(format!(".galley-{:016x}.png.part", rand::random::<u64>()));
    let written = write_new(&temp, bytes).and_then(|()| std::fs::rename(&temp, path));
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(failed(error));
    }
    Ok(())
}

fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut out = BufWriter::new(options.open(path)?);
    out.write_all(bytes)?;
    // No fsync: this is a cache. After a crash a thumbnail may be empty or cut, which
    // reads as missing (the PNG does not decode) and is made again; an fsync per thumbnail
    // would cost more than making it.
    out.flush()
}

/// Makes `folder` (inside `root`) and the folders between them, each private (0700) as the
/// standard asks. The root is the user's to place (it may be a link to another disk), but
/// below it galley follows no link: a `large` planted as a link to another folder would
/// have galley write thumbnails there and chmod that folder.
fn cache_folder(root: &Path, folder: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(root)?;
    let below = folder.strip_prefix(root).map_err(|_| std::io::Error::other("a folder outside the cache"))?;
    let mut current = root.to_owned();
    for part in below.components() {
        current.push(part);
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.is_dir() => {}
            Ok(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!(
                        "{} is not a folder (a link or a file): galley does not write through it",
                        current.display()
                    ),
                ));
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => make_private_folder(&current)?,
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

#[cfg(unix)]
fn make_private_folder(folder: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new().mode(0o700).create(folder) {
        // Another worker made it first.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

#[cfg(not(unix))]
fn make_private_folder(folder: &Path) -> std::io::Result<()> {
    match std::fs::create_dir(folder) {
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thumbnail(opaque: bool) -> CachedThumbnail {
        let alpha = if opaque { 255 } else { 128 };
        let rgba = (0..6 * 4).flat_map(|i| [i as u8 * 10, 20, 30, alpha]).collect();
        CachedThumbnail { rgba, width: 6, height: 4, image_size: Some((600, 400)) }
    }

    /// An absolute path to a (never created) picture on this platform.
    fn picture(name: &str) -> PathBuf {
        let root = if cfg!(windows) { r"C:\pictures" } else { "/pictures" };
        Path::new(root).join(name)
    }

    #[cfg(windows)]
    #[test]
    fn a_windows_path_has_a_file_uri_with_its_drive() {
        let uri = file_uri(Path::new(r"C:\Users\me\a b#1.png")).unwrap();
        assert_eq!(uri, "file:///C:/Users/me/a%20b%231.png");
    }

    // The freedesktop standard's own example, a Unix path.
    #[cfg(unix)]
    #[test]
    fn the_path_is_the_md5_of_the_file_uri_as_the_standard_says() {
        // The standard's own example: file:///home/jens/photos/me.png.
        let cache = ThumbnailCache::new("/c");
        assert_eq!(file_uri(Path::new("/home/jens/photos/me.png")).unwrap(), "file:///home/jens/photos/me.png");
        assert_eq!(
            cache.large_path(Path::new("/home/jens/photos/me.png")).unwrap(),
            Path::new("/c/large/c6ee772d9e49320e97ec29a7eb5b1697.png")
        );
        assert_eq!(file_uri(Path::new("/a b/c#d.jpg")).unwrap(), "file:///a%20b/c%23d.jpg");
        assert!(cache.large_path(Path::new("relative.jpg")).is_err());
    }

    #[test]
    fn a_stored_thumbnail_is_fresh_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbnailCache::new(dir.path().join("thumbnails"));
        let file = dir.path().join("photo.jpg");
        let stat = FileStat { mtime: 1_700_000_000, bytes: 1234 };
        for opaque in [true, false] {
            cache.store(&file, stat, thumbnail(opaque).as_pixels()).unwrap();
            assert_eq!(cache.lookup(&file, stat.mtime), Lookup::Fresh(thumbnail(opaque)));
        }
        assert_eq!(cache.lookup(&file, stat.mtime + 1), Lookup::Missing, "the file changed since");
        assert_eq!(cache.lookup(&dir.path().join("other.jpg"), stat.mtime), Lookup::Missing);
        assert_eq!(cache.remove(std::slice::from_ref(&file)), 1);
        assert_eq!(cache.lookup(&file, stat.mtime), Lookup::Missing);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("thumbnails/large")).unwrap().flatten().collect();
        assert!(leftovers.is_empty(), "no temporary file is left: {leftovers:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_planted_in_the_cache_reads_as_missing_and_is_replaced() {
        use crate::files::planted::{fifo, within_10s};
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbnailCache::new(dir.path().join("thumbnails"));
        let file = dir.path().join("photo.jpg");
        let path = cache.large_path(&file).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        fifo(&path);
        let lookup = within_10s({
            let (cache, file) = (cache.clone(), file.clone());
            move || cache.lookup(&file, 7)
        });
        assert_eq!(lookup, Lookup::Missing);
        cache.store(&file, FileStat { mtime: 7, bytes: 1 }, thumbnail(true).as_pixels()).unwrap();
        assert_eq!(cache.lookup(&file, 7), Lookup::Fresh(thumbnail(true)), "the FIFO was replaced");
    }

    #[cfg(unix)]
    #[test]
    fn a_cache_folder_planted_as_a_link_is_not_written_through_nor_chmodded() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o755)).unwrap();
        let root = dir.path().join("thumbnails");
        std::fs::create_dir(&root).unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.join("large")).unwrap();
        let cache = ThumbnailCache::new(&root);
        let file = dir.path().join("photo.jpg");

        let refused = cache.store(&file, FileStat { mtime: 1, bytes: 1 }, thumbnail(true).as_pixels());

        assert!(matches!(refused, Err(CacheError::Write { .. })), "{refused:?}");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0, "nothing written through the link");
        assert_eq!(std::fs::metadata(&elsewhere).unwrap().permissions().mode() & 0o777, 0o755, "not chmodded");
        // A folder galley makes itself is private.
        std::fs::remove_file(root.join("large")).unwrap();
        cache.store(&file, FileStat { mtime: 1, bytes: 1 }, thumbnail(true).as_pixels()).unwrap();
        assert_eq!(std::fs::metadata(root.join("large")).unwrap().permissions().mode() & 0o777, 0o700);
    }

    #[test]
    fn a_jpegs_thumbnail_from_a_galley_that_did_not_turn_photos_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbnailCache::new(dir.path());
        for (name, fresh) in [("phone.jpg", false), ("drawing.png", true)] {
            let file = &picture(name);
            let path = cache.large_path(file).unwrap();
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let mut png_bytes = Vec::new();
            {
                let mut encoder = png::Encoder::new(&mut png_bytes, 1, 1);
                encoder.set_color(png::ColorType::Rgba);
                encoder.add_text_chunk("Thumb::URI".into(), file_uri(file).unwrap()).unwrap();
                encoder.add_text_chunk("Thumb::MTime".into(), "42".into()).unwrap();
                encoder.add_text_chunk("Software".into(), "galley 0.1.0".into()).unwrap();
                encoder.write_header().unwrap().write_image_data(&[1, 2, 3, 4]).unwrap();
            }
            std::fs::write(&path, png_bytes).unwrap();
            assert_eq!(matches!(cache.lookup(file, 42), Lookup::Fresh(_)), fresh, "{name}");
        }
        // What this galley writes is taken.
        let file = &picture("new.jpg");
        cache.store(file, FileStat { mtime: 7, bytes: 1 }, thumbnail(true).as_pixels()).unwrap();
        assert!(matches!(cache.lookup(file, 7), Lookup::Fresh(_)));
    }

    #[test]
    fn a_thumbnail_written_by_another_program_is_read() {
        // As a file manager writes it: RGBA, the two required keys, nothing else.
        let dir = tempfile::tempdir().unwrap();
        let cache = ThumbnailCache::new(dir.path());
        let file = &picture("cat.png");
        let path = cache.large_path(file).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut png_bytes = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut png_bytes, 2, 1);
            encoder.set_color(png::ColorType::Rgba);
            encoder.add_text_chunk("Thumb::URI".into(), file_uri(file).unwrap()).unwrap();
            encoder.add_text_chunk("Thumb::MTime".into(), "42".into()).unwrap();
            encoder.write_header().unwrap().write_image_data(&[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        }
        std::fs::write(&path, png_bytes).unwrap();
        let expected = CachedThumbnail { rgba: vec![1, 2, 3, 4, 5, 6, 7, 8], width: 2, height: 1, image_size: None };
        assert_eq!(cache.lookup(file, 42), Lookup::Fresh(expected));
        std::fs::write(&path, b"not a png").unwrap();
        assert_eq!(cache.lookup(file, 42), Lookup::Missing);
    }
}
