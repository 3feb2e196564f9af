//! The grid's queries: which entries show, in what order. Pure functions of the entries
//! and the query, so the UI can ask them every time the query changes.

use std::borrow::Borrow;
use std::cmp::Ordering;

use super::{Entry, Kind};

/// What the grid is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum SortKey {
    /// When the file was saved (its modification time).
    #[default]
    DateSaved,
    Name,
    Size,
    /// Pixels (width x height).
    Dimensions,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [SortKey::DateSaved, SortKey::Name, SortKey::Size, SortKey::Dimensions];

    pub fn label(self) -> &'static str {
        match self {
            SortKey::DateSaved => "Date saved",
            SortKey::Name => "Name",
            SortKey::Size => "File size",
            SortKey::Dimensions => "Dimensions",
        }
    }
}

/// Sort and filter, as the grid's toolbar sets them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Query {
    pub sort: SortKey,
    pub descending: bool,
    /// Words that must all appear in the name, title, description, tags, album or account.
    pub text: String,
    /// Kinds shown; a kind not in here is hidden.
    pub kinds: Vec<Kind>,
}

impl Default for Query {
    fn default() -> Self {
        Self { sort: SortKey::DateSaved, descending: false, text: String::new(), kinds: Kind::ALL.to_vec() }
    }
}

impl Query {
    pub fn shows_kind(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }

    fn words(&self) -> Vec<String> {
        self.text.split_whitespace().map(str::to_lowercase).collect()
    }

    /// Whether an entry passes the filter (kind and words).
    pub fn admits(&self, entry: &Entry) -> bool {
        self.shows_kind(entry.kind) && entry.matches(&self.words())
    }
}

/// Indexes of the entries the query shows, in its order. Ties are broken by name, then by
/// position, so the order is the same at every start.
pub fn order<E: Borrow<Entry>>(entries: &[E], query: &Query) -> Vec<usize> {
    let words = query.words();
    let entry = |index: usize| entries[index].borrow();
    let mut shown: Vec<usize> = (0..entries.len())
        .filter(|&index| query.shows_kind(entry(index).kind) && entry(index).matches(&words))
        .collect();
    shown.sort_by(|&a, &b| {
        let (first, second) = (entry(a), entry(b));
        let primary = compare(first, second, query.sort);
        let primary = if query.descending { primary.reverse() } else { primary };
        primary.then_with(|| first.name.cmp(&second.name)).then(a.cmp(&b))
    });
    shown
}

fn compare(a: &Entry, b: &Entry, key: SortKey) -> Ordering {
    match key {
        SortKey::DateSaved => a.mtime.cmp(&b.mtime),
        SortKey::Name => natural(&a.name, &b.name),
        SortKey::Size => a.bytes.cmp(&b.bytes),
        SortKey::Dimensions => pixels(a).cmp(&pixels(b)),
    }
}

fn pixels(entry: &Entry) -> u64 {
    entry.dimensions.map_or(0, |(width, height)| u64::from(width) * u64::from(height))
}

/// Names compared case-insensitively, with runs of digits compared as numbers, so
/// "img2" comes before "img10" as a person expects.
fn natural(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.chars().peekable(), b.chars().peekable());
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let number = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
                    let mut digits = String::new();
                    while let Some(digit) = chars.next_if(char::is_ascii_digit) {
                        digits.push(digit);
                    }
                    digits
                };
                let (x, y) = (number(&mut a), number(&mut b));
                let (x_trimmed, y_trimmed) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                let by_value = x_trimmed.len().cmp(&y_trimmed.len()).then_with(|| x_trimmed.cmp(y_trimmed));
                if by_value != Ordering::Equal {
                    return by_value;
                }
            }
            (Some(x), Some(y)) => {
                let by_letter = x.to_lowercase().cmp(y.to_lowercase());
                if by_letter != Ordering::Equal {
                    return by_letter;
                }
                a.next();
                b.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::library::{ImageMeta, Listed};

    fn entry(name: &str, bytes: u64, mtime: i64, kind: Kind, dimensions: (u32, u32)) -> Entry {
        let listed = Listed { name: name.into(), bytes, mtime, kind };
        Entry::new(Path::new("/f"), listed).with_dimensions(Some(dimensions))
    }

    fn names(entries: &[Entry], query: &Query) -> Vec<String> {
        order(entries, query).into_iter().map(|index| entries[index].name.clone()).collect()
    }

    fn entries() -> Vec<Entry> {
        let sunset = ImageMeta { title: Some("Sunset".into()), tags: vec!["beach".into()], ..Default::default() };
        vec![
            entry("img10.jpg", 300, 3, Kind::Jpeg, (100, 100)),
            entry("img2.png", 100, 1, Kind::Png, (400, 300)),
            entry("Anim.gif", 200, 2, Kind::Gif, (50, 50)).with_meta(Some(Arc::new(sunset))),
            entry("clip.mp4", 900, 2, Kind::Mp4, (0, 0)),
        ]
    }

    #[test]
    fn sorts_by_each_key_both_ways() {
        let entries = entries();
        let mut query = Query::default();
        assert_eq!(names(&entries, &query), ["img2.png", "Anim.gif", "clip.mp4", "img10.jpg"], "ties by name");
        query.sort = SortKey::Name;
        assert_eq!(names(&entries, &query), ["Anim.gif", "clip.mp4", "img2.png", "img10.jpg"]);
        query.descending = true;
        assert_eq!(names(&entries, &query), ["img10.jpg", "img2.png", "clip.mp4", "Anim.gif"]);
        query = Query { sort: SortKey::Size, ..Query::default() };
        assert_eq!(names(&entries, &query)[0], "img2.png");
        query.sort = SortKey::Dimensions;
        assert_eq!(names(&entries, &query).last().unwrap(), "img2.png");
    }

    #[test]
    fn filters_by_words_in_name_or_metadata_and_by_kind() {
        let entries = entries();
        let text = |text: &str| Query { text: text.into(), ..Query::default() };
        assert_eq!(names(&entries, &text("IMG")), ["img2.png", "img10.jpg"]);
        assert_eq!(names(&entries, &text("sunset")), ["Anim.gif"], "a title matches");
        assert_eq!(names(&entries, &text("beach anim")), ["Anim.gif"], "every word must match");
        assert!(names(&entries, &text("beach img")).is_empty());
        let only_still = Query { kinds: vec![Kind::Jpeg, Kind::Png], ..Query::default() };
        assert_eq!(names(&entries, &only_still), ["img2.png", "img10.jpg"]);
    }

    #[test]
    fn natural_order_reads_numbers_as_numbers() {
        assert_eq!(natural("a2", "a10"), Ordering::Less);
        assert_eq!(natural("a010", "a9"), Ordering::Greater);
        assert_eq!(natural("B", "a"), Ordering::Greater);
        assert_eq!(natural("x", "x"), Ordering::Equal);
    }
}
