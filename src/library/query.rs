//! The grid's queries: which entries show, in what order. Pure functions of the entries
//! and the query, so the UI can ask them every time the query changes.

use std::borrow::Borrow;

use super::Entry;
use crate::media::MediaKind;

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
    pub kinds: Vec<MediaKind>,
}

impl Default for Query {
    fn default() -> Self {
        Self { sort: SortKey::DateSaved, descending: false, text: String::new(), kinds: MediaKind::ALL.to_vec() }
    }
}

/// The order alone, without the filter: what the engine needs to thumbnail a folder in
/// the order the grid shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SortOrder {
    pub key: SortKey,
    pub descending: bool,
}

impl Query {
    pub fn sort_order(&self) -> SortOrder {
        SortOrder { key: self.sort, descending: self.descending }
    }

    pub fn shows_kind(&self, kind: MediaKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// Whether an entry passes the filter (kind and words).
    pub fn admits(&self, entry: &Entry) -> bool {
        Filter::new(self).admits(entry.kind, entry.search.as_bytes())
    }
}

/// A query's filter made ready to test many entries: each word of the text becomes a
/// SIMD substring finder, built once, not once an entry.
struct Filter<'q> {
    kinds: &'q [MediaKind],
    words: Vec<memchr::memmem::Finder<'static>>,
}

impl<'q> Filter<'q> {
    fn new(query: &'q Query) -> Self {
        let words = query
            .text
            .split_whitespace()
            .map(|word| memchr::memmem::Finder::new(word.to_lowercase().as_bytes()).into_owned());
        Self { kinds: &query.kinds, words: words.collect() }
    }

    /// Its kind is shown and every word is in `text` (its name and metadata, lower-cased).
    fn admits(&self, kind: MediaKind, text: &[u8]) -> bool {
        self.kinds.contains(&kind) && self.words.iter().all(|word| word.find(text).is_some())
    }
}

/// Indexes of the entries the query shows, in its order. Ties are broken by name, then by
/// position, so the order is the same at every start.
pub fn order<E: Borrow<Entry>>(entries: &[E], query: &Query) -> Vec<usize> {
    order_prepared(entries, &Prepared::new(entries), query)
}

/// What the queries need of a set of entries, worked out once (when the entries change)
/// so that each change of sort or filter over 50,000 of them fits in a frame: every
/// entry's place in name order (the "Name" sort, and the tie-break of the others), and
/// the filter's texts and kinds side by side in memory rather than behind a pointer each.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    ranks: Vec<u32>,
    kinds: Vec<MediaKind>,
    /// Every entry's lower-cased name and metadata, one after another; entry i's is
    /// `text[ends[i - 1]..ends[i]]`.
    text: String,
    ends: Vec<usize>,
}

impl Prepared {
    pub fn new<E: Borrow<Entry>>(entries: &[E]) -> Self {
        let mut ranks = vec![0; entries.len()];
        for (rank, index) in name_places(entries).into_iter().enumerate() {
            ranks[index] = rank as u32;
        }
        Self::with_ranks(entries, ranks)
    }

    /// For entries in name order already ([`name_places`]): their places are their ranks.
    pub fn name_sorted(entries: &[Entry]) -> Self {
        Self::with_ranks(entries, (0..entries.len() as u32).collect())
    }

    fn with_ranks<E: Borrow<Entry>>(entries: &[E], ranks: Vec<u32>) -> Self {
        let mut prepared = Prepared { ranks, ..Prepared::default() };
        for entry in entries.iter().map(Borrow::borrow) {
            prepared.kinds.push(entry.kind);
            prepared.text.push_str(&entry.search);
            prepared.ends.push(prepared.text.len());
        }
        prepared
    }

    /// How many entries it was made for.
    pub fn len(&self) -> usize {
        self.ranks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranks.is_empty()
    }

    fn search_text(&self, index: usize) -> &[u8] {
        let start = index.checked_sub(1).map_or(0, |before| self.ends[before]);
        &self.text.as_bytes()[start..self.ends[index]]
    }

    fn admits(&self, filter: &Filter, index: usize) -> bool {
        index < self.len() && filter.admits(self.kinds[index], self.search_text(index))
    }
}

/// Whether `new` shows a subset of what `old` shows, in the same order: the same sort and
/// kinds, and text that only grows (typing on in the filter box), so every word of the old
/// text is still part of a word of the new one.
pub fn narrows(old: &Query, new: &Query) -> bool {
    old.sort == new.sort
        && old.descending == new.descending
        && old.kinds == new.kinds
        && new.text.starts_with(&old.text)
}

/// Keeps, of `shown` (positions into the prepared entries, in order), those `query`
/// admits: a narrowing query ([`narrows`]) needs no new sort.
pub fn narrow(prepared: &Prepared, shown: &mut Vec<usize>, query: &Query) {
    let filter = Filter::new(query);
    shown.retain(|&index| prepared.admits(&filter, index));
}

/// Puts entries in name order (as [`Prepared`] ranks them). The engine sends a folder's
/// entries so: ranking them again in the UI then takes one pass.
pub fn sort_by_name(entries: &mut [Entry]) {
    entries.sort_unstable_by(name_order);
}

/// The order of two entries by name, as a person reads names ([`natural_key`]).
pub fn name_order(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    a.name_key.cmp(&b.name_key).then_with(|| a.name.cmp(&b.name))
}

/// The places of `entries` in name order ([`name_order`], ties by place). Each is sorted
/// by the first 8 bytes of its name key, held beside its place, before its whole names
/// are compared: most comparisons then touch no entry, which at 50,000 entries makes the
/// sort a third as long.
pub fn name_places<E: Borrow<Entry>>(entries: &[E]) -> Vec<usize> {
    let mut keyed: Vec<(u64, usize)> =
        entries.iter().enumerate().map(|(index, entry)| (key_prefix(&entry.borrow().name_key), index)).collect();
    keyed.sort_unstable_by(|&(prefix_a, a), &(prefix_b, b)| {
        let whole = || name_order(entries[a].borrow(), entries[b].borrow()).then(a.cmp(&b));
        prefix_a.cmp(&prefix_b).then_with(whole)
    });
    keyed.into_iter().map(|(_, index)| index).collect()
}

/// The first 8 bytes of `key` as a number that orders as the bytes do (a shorter key is
/// padded with zeros, which order first as its end does).
fn key_prefix(key: &str) -> u64 {
    let mut bytes = [0u8; 8];
    let length = key.len().min(8);
    bytes[..length].copy_from_slice(&key.as_bytes()[..length]);
    u64::from_be_bytes(bytes)
}

/// The order `sort` puts entries in, for entries already in name order ([`sort_by_name`]):
/// their positions are their name ranks, so this is one integer sort, the same order
/// [`order`] gives with no filter.
pub fn order_name_sorted(entries: &[Entry], sort: SortOrder) -> Vec<usize> {
    let mut keyed: Vec<(u64, usize)> = (0..entries.len())
        .map(|index| {
            let primary = if sort.key == SortKey::Name { index as u64 } else { primary_key(&entries[index], sort.key) };
            (if sort.descending { u64::MAX - primary } else { primary }, index)
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, index)| index).collect()
}

/// [`order`] with the entries [`Prepared`] already.
pub fn order_prepared<E: Borrow<Entry>>(entries: &[E], prepared: &Prepared, query: &Query) -> Vec<usize> {
    let filter = Filter::new(query);
    let sort_by_rank = query.sort == SortKey::Name;
    let mut shown: Vec<(u64, u32, usize)> = (0..entries.len().min(prepared.len()))
        .filter(|&index| prepared.admits(&filter, index))
        .map(|index| {
            let rank = prepared.ranks[index];
            let primary = if sort_by_rank { u64::from(rank) } else { primary_key(entries[index].borrow(), query.sort) };
            // Descending reverses the key only: ties stay in name order.
            (if query.descending { u64::MAX - primary } else { primary }, rank, index)
        })
        .collect();
    shown.sort_unstable();
    shown.into_iter().map(|(_, _, index)| index).collect()
}

/// The sort key as an unsigned number that orders as the key does (names are ranked by
/// [`Prepared`] instead).
fn primary_key(entry: &Entry, key: SortKey) -> u64 {
    match key {
        // Flipping the sign bit maps i64's order onto u64's.
        SortKey::DateSaved => (entry.mtime as u64) ^ (1 << 63),
        SortKey::Name => 0,
        SortKey::Size => entry.bytes,
        SortKey::Dimensions => entry.dimensions.map_or(0, |(width, height)| u64::from(width) * u64::from(height)),
    }
}

/// A name made into a string whose plain order is the order a person expects: letters
/// compared case-insensitively and runs of digits compared as numbers ("img2" before
/// "img10", "007" the same as "7"). A run of digits becomes '0' (which sorts against
/// other characters as any digit does), its length without leading zeros as one
/// character, then those digits: a longer number is a larger one.
pub fn natural_key(name: &str) -> Box<str> {
    let mut key = String::with_capacity(name.len() + 4);
    let mut rest = name;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            let (run, after) = rest.split_at(digits);
            let value = run.trim_start_matches('0');
            let value = if value.is_empty() { "0" } else { value };
            // Lengths up to 0xD000 stay clear of the surrogate range; longer runs of
            // digits in a file name do not happen, and are only ordered less finely.
            let length = char::from_u32(0x100 + value.len().min(0xD000) as u32).unwrap_or(char::MAX);
            key.push('0');
            key.push(length);
            key.push_str(value);
            rest = after;
        } else {
            // Digits are ASCII, so this split falls between characters.
            let text_end = rest.bytes().position(|byte| byte.is_ascii_digit()).unwrap_or(rest.len());
            let (text, after) = rest.split_at(text_end);
            match text.is_ascii() {
                true => text.bytes().for_each(|byte| key.push(char::from(byte.to_ascii_lowercase()))),
                false => key.extend(text.chars().flat_map(char::to_lowercase)),
            }
            rest = after;
        }
    }
    key.into_boxed_str()
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use std::cmp::Ordering;

    use super::*;
    use crate::library::{ImageMeta, Listed};

    fn entry(name: &str, bytes: u64, mtime: i64, kind: MediaKind, dimensions: (u32, u32)) -> Entry {
        let listed = Listed { name: name.into(), bytes, mtime, kind };
        Entry::new(Path::new("/f"), listed).with_dimensions(Some(dimensions))
    }

    fn names(entries: &[Entry], query: &Query) -> Vec<String> {
        order(entries, query).into_iter().map(|index| entries[index].name.clone()).collect()
    }

    fn entries() -> Vec<Entry> {
        let sunset = ImageMeta { title: Some("Sunset".into()), tags: vec!["beach".into()], ..Default::default() };
        vec![
            entry("img10.jpg", 300, 3, MediaKind::Jpeg, (100, 100)),
            entry("img2.png", 100, 1, MediaKind::Png, (400, 300)),
            entry("Anim.gif", 200, 2, MediaKind::Gif, (50, 50)).with_meta(Some(Arc::new(sunset))),
            entry("clip.mp4", 900, 2, MediaKind::Mp4, (0, 0)),
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
    fn the_engines_order_of_name_sorted_entries_is_the_grids() {
        let mut entries = entries();
        sort_by_name(&mut entries);
        for key in SortKey::ALL {
            for descending in [false, true] {
                let query = Query { sort: key, descending, ..Query::default() };
                assert_eq!(
                    order_name_sorted(&entries, query.sort_order()),
                    order(&entries, &query),
                    "{key:?} {descending}"
                );
            }
        }
    }

    #[test]
    fn filters_by_words_in_name_or_metadata_and_by_kind() {
        let entries = entries();
        let text = |text: &str| Query { text: text.into(), ..Query::default() };
        assert_eq!(names(&entries, &text("IMG")), ["img2.png", "img10.jpg"]);
        assert_eq!(names(&entries, &text("sunset")), ["Anim.gif"], "a title matches");
        assert_eq!(names(&entries, &text("beach anim")), ["Anim.gif"], "every word must match");
        assert!(names(&entries, &text("beach img")).is_empty());
        let only_still = Query { kinds: vec![MediaKind::Jpeg, MediaKind::Png], ..Query::default() };
        assert_eq!(names(&entries, &only_still), ["img2.png", "img10.jpg"]);
    }

    fn natural(a: &str, b: &str) -> Ordering {
        natural_key(a).cmp(&natural_key(b))
    }

    #[test]
    fn natural_order_reads_numbers_as_numbers() {
        assert_eq!(natural("a2", "a10"), Ordering::Less);
        assert_eq!(natural("img9.jpg", "img10.jpg"), Ordering::Less);
        assert_eq!(natural("007", "7"), Ordering::Equal);
        assert_eq!(natural("0", "00"), Ordering::Equal);
        assert_eq!(natural("a0", "a1"), Ordering::Less);
        assert_eq!(natural("a99999999999999999999", "a100000000000000000000"), Ordering::Less);
        // A digit sorts before a letter and after '-', as a character would.
        assert_eq!(natural("a1", "ab"), Ordering::Less);
        assert_eq!(natural("a-", "a1"), Ordering::Less);
        assert_eq!(natural("img", "img1"), Ordering::Less);
        assert_eq!(natural("a010", "a9"), Ordering::Greater);
        assert_eq!(natural("B", "a"), Ordering::Greater);
        assert_eq!(natural("x", "x"), Ordering::Equal);
        // Letters of any script are lower-cased; a run of digits is "0", its length, it.
        let two = char::from_u32(0x102).unwrap();
        assert_eq!(&*natural_key("ÄrgerNIS-012ß.JPG"), format!("ärgernis-0{two}12ß.jpg"));
    }

    #[test]
    fn name_places_are_a_plain_sort_by_name() {
        let names = [
            "photo-2024-05-01 (3).jpg",
            "photo-2024-05-01 (12).jpg",
            "photo-2024-05-01.jpg",
            "Photo-2024.jpg",
            "photo",
            "photos",
            "Éclair.png",
            "éclair.png",
            "eclair.png",
            "a.gif",
            "A.gif",
            "a.gif",
            "zzzzzzzz",
            "zzzzzzzz1",
            "zzzzzzz",
            "10.jpg",
            "9.jpg",
            "0009.jpg",
        ];
        let entries: Vec<Entry> = names.iter().map(|name| entry(name, 1, 1, MediaKind::Jpeg, (1, 1))).collect();
        let mut expected: Vec<usize> = (0..entries.len()).collect();
        expected.sort_by(|&a, &b| name_order(&entries[a], &entries[b]).then(a.cmp(&b)));
        assert_eq!(name_places(&entries), expected);
        let sorted: Vec<&str> = expected.iter().map(|&at| names[at]).collect();
        assert_eq!(&sorted[..4], ["0009.jpg", "9.jpg", "10.jpg", "A.gif"], "{sorted:?}");
    }
}
