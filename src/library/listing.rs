//! A folder's entries made ready for the grid on the engine's side: in name order,
//! prepared for the queries, each file's place found and the order of the grid's sort
//! worked out. The frame that takes a listing of 50,000 files then only moves them.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use super::Entry;
use super::query::{self, Prepared, SortOrder};

/// Each file's place in a listing, by path. Keyed by the path's bytes: hashing and
/// comparing a `Path` goes component by component, which made 50,000 lookups take 20 ms.
#[derive(Debug, Clone, Default)]
pub struct Places(FxHashMap<OsString, usize>);

impl Places {
    pub fn get(&self, path: &Path) -> Option<usize> {
        self.0.get(path.as_os_str()).copied()
    }

    pub fn contains(&self, path: &Path) -> bool {
        self.0.contains_key(path.as_os_str())
    }

    pub fn insert(&mut self, path: &Path, place: usize) {
        self.0.insert(path.as_os_str().to_owned(), place);
    }
}

impl FromIterator<(PathBuf, usize)> for Places {
    fn from_iter<I: IntoIterator<Item = (PathBuf, usize)>>(places: I) -> Self {
        Self(places.into_iter().map(|(path, place)| (path.into_os_string(), place)).collect())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Listing {
    entries: Vec<Entry>,
    prepared: Prepared,
    places: Places,
    /// The unfiltered order of `entries` under a sort (places into `entries`).
    sorted: Option<Sorted>,
}

/// The unfiltered order of a listing's entries under `sort`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sorted {
    pub sort: SortOrder,
    pub order: Vec<usize>,
}

/// A listing taken apart by its receiver.
pub struct ListingParts {
    pub entries: Vec<Entry>,
    pub prepared: Prepared,
    pub places: Places,
    pub sorted: Option<Sorted>,
}

impl Listing {
    /// `entries` put in name order (the engine gives them so already: then this is one
    /// pass), with the order `sort` shows them in.
    pub fn new(mut entries: Vec<Entry>, sort: SortOrder) -> Self {
        let name_order = query::name_places(&entries);
        if name_order.iter().enumerate().any(|(place, &at)| place != at) {
            let mut slots: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
            entries = name_order.into_iter().filter_map(|at| slots[at].take()).collect();
        }
        let prepared = Prepared::name_sorted(&entries);
        let places = entries.iter().enumerate().map(|(at, entry)| (entry.path.clone(), at)).collect();
        let sorted = Some(Sorted { sort, order: query::order_name_sorted(&entries, sort) });
        Self { entries, prepared, places, sorted }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The unfiltered order under the sort it was made with.
    pub fn sorted(&self) -> Option<&Sorted> {
        self.sorted.as_ref()
    }

    pub fn into_parts(self) -> ListingParts {
        ListingParts { entries: self.entries, prepared: self.prepared, places: self.places, sorted: self.sorted }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::query::Query;
    use crate::library::{Listed, SortKey};
    use crate::media::MediaKind;

    fn entry(name: &str, mtime: i64) -> Entry {
        Entry::new(Path::new("/f"), Listed { name: name.into(), bytes: 1, mtime, kind: MediaKind::Png })
    }

    #[test]
    fn a_listing_is_in_name_order_with_places_and_the_grids_order() {
        let entries = vec![entry("b10.png", 1), entry("b9.png", 3), entry("a.png", 2)];
        let sort = SortOrder { key: SortKey::DateSaved, descending: false };
        let listing = Listing::new(entries, sort);
        let names: Vec<&str> = listing.entries().iter().map(|entry| entry.name.as_str()).collect();
        assert_eq!(names, ["a.png", "b9.png", "b10.png"]);
        let expected = query::order(listing.entries(), &Query::default());
        assert_eq!(listing.sorted(), Some(&Sorted { sort, order: expected }));
        let parts = listing.into_parts();
        assert_eq!(parts.places.get(&Path::new("/f").join("b10.png")), Some(2));
        assert_eq!(parts.prepared.len(), 3);
    }
}
