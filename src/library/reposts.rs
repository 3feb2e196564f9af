//! Reposts: groups of pictures whose perceptual hashes ([`super::phash`]) are within a
//! Hamming distance of each other, and which copy of each group to keep.
//!
//! Comparing every pair of 50,000 hashes is 1.25 billion comparisons. Instead the hashes
//! are indexed by multi-index hashing (Norouzi, Punjani and Fleet, CVPR 2012): each
//! 64-bit hash is cut into `m` parts, and each part has a table of the hashes holding
//! each of its values. Two hashes within distance `d` differ by at most `d / m` bits in
//! at least one part (if every part differed by more, the whole would differ by more than
//! `d`), so a hash's neighbours are found by looking up, in each table, its own part and
//! every value within `d / m` bits of it, and checking only the hashes found there. `m`
//! is chosen for the threshold and the number of hashes by a cost model (lookups against
//! hashes checked): 5 parts of 13 and 12 bits at the default threshold. 50,000 hashes are
//! grouped in well under a second on this 2-core machine (`cargo bench --bench dupes`).
//!
//! The lookups are shared among the cores, each with a union-find of its own (memory
//! stays one small array per core however many pairs match), merged at the end. A group
//! is a connected component of the "within the threshold" relation: a copy of a copy is
//! in its original's group even when the two ends differ by more than the threshold.

use std::cmp::Ordering;

use super::Entry;
use super::phash::distance;
use crate::media::MediaKind;

/// The distance (bits of 64) at or under which two pictures count as the same, unless
/// told otherwise: chosen by measurement (docs/DUPES.md). The five repost cases measured
/// were at most 10 apart; different pictures of one style were 16 and more.
pub const DEFAULT_THRESHOLD: u32 = 12;
/// The largest threshold accepted: past 16 of 64 bits different pictures start to meet,
/// and the lookups per hash grow fast.
pub const MAX_THRESHOLD: u32 = 16;

/// Below this many hashes the grouping runs on one thread.
const PARALLEL_FROM: usize = 8_192;

/// Groups of near-identical hashes: each group lists the positions in `hashes` of two or
/// more hashes, in ascending order; groups are in the order of their first position.
pub fn group(hashes: &[u64], threshold: u32) -> Vec<Vec<usize>> {
    let threshold = threshold.min(MAX_THRESHOLD);
    let parts = parts_for(threshold, hashes.len());
    let radius = threshold / parts;
    let tables: Vec<PartTable> = part_widths(parts)
        .scan(0, |shift, width| {
            let table = PartTable::new(hashes, *shift, width, radius);
            *shift += width;
            Some(table)
        })
        .collect();
    let threads = match hashes.len() < PARALLEL_FROM {
        true => 1,
        false => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let search = |first: usize| {
        let mut sets = DisjointSets::new(hashes.len());
        for at in (first..hashes.len()).step_by(threads) {
            let hash = hashes[at];
            for table in &tables {
                let value = table.part_of(hash);
                for &flip in &table.flips {
                    // Each pair once: only the hashes after this one (a value's positions
                    // are in ascending order).
                    let holding = table.holding(value ^ flip);
                    let after = holding.partition_point(|&other| other as usize <= at);
                    for &other in &holding[after..] {
                        if distance(hash, hashes[other as usize]) <= threshold {
                            sets.join(at, other as usize);
                        }
                    }
                }
            }
        }
        sets
    };
    let mut found: Vec<DisjointSets> = match threads {
        1 => vec![search(0)],
        _ => std::thread::scope(|scope| {
            let running: Vec<_> = (0..threads).map(|first| scope.spawn(move || search(first))).collect();
            running
                .into_iter()
                .map(|thread| thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        }),
    };
    let mut sets = found.pop().unwrap_or_else(|| DisjointSets::new(hashes.len()));
    for mut other in found {
        for at in 0..hashes.len() {
            let root = other.root(at);
            if root != at {
                sets.join(at, root);
            }
        }
    }
    sets.groups()
}

/// How many parts to cut hashes into for `threshold` over `count` hashes: the fewest
/// expected operations, a lookup (a random read) counted as three hashes checked.
fn parts_for(threshold: u32, count: usize) -> u32 {
    (4..=8u32)
        .min_by_key(|&parts| {
            let radius = threshold / parts;
            part_widths(parts)
                .map(|width| {
                    let flips = (0..=radius).map(|bits| binomial(width, bits)).sum::<u64>();
                    let per_value = count as u64 >> width;
                    flips * (3 + per_value)
                })
                .sum::<u64>()
        })
        .unwrap_or(4)
}

/// The widths of `parts` parts of 64 bits, as even as can be (at most 16 bits each for 4
/// parts or more).
fn part_widths(parts: u32) -> impl Iterator<Item = u32> {
    (0..parts).map(move |part| 64 / parts + u32::from(part < 64 % parts))
}

fn binomial(n: u32, k: u32) -> u64 {
    (0..k).fold(1u64, |value, i| value * u64::from(n - i) / u64::from(i + 1))
}

/// The hashes by the value of one of their parts, as one sorted array and where each
/// value's run starts in it; and the values within the search radius of zero.
struct PartTable {
    shift: u32,
    mask: u64,
    starts: Vec<u32>,
    positions: Vec<u32>,
    flips: Vec<u32>,
}

impl PartTable {
    fn new(hashes: &[u64], shift: u32, width: u32, radius: u32) -> Self {
        let mask = (1u64 << width) - 1;
        let mut starts = vec![0u32; (1 << width) + 1];
        for &hash in hashes {
            starts[((hash >> shift) & mask) as usize + 1] += 1;
        }
        for value in 1..starts.len() {
            starts[value] += starts[value - 1];
        }
        let mut next = starts.clone();
        let mut positions = vec![0u32; hashes.len()];
        for (at, &hash) in hashes.iter().enumerate() {
            let slot = &mut next[((hash >> shift) & mask) as usize];
            positions[*slot as usize] = at as u32;
            *slot += 1;
        }
        let flips = (0..1u32 << width).filter(|flip| flip.count_ones() <= radius).collect();
        Self { shift, mask, starts, positions, flips }
    }

    fn part_of(&self, hash: u64) -> u32 {
        ((hash >> self.shift) & self.mask) as u32
    }

    fn holding(&self, value: u32) -> &[u32] {
        let value = value as usize;
        &self.positions[self.starts[value] as usize..self.starts[value + 1] as usize]
    }
}

/// Union-find with path halving and union by size.
struct DisjointSets {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl DisjointSets {
    fn new(count: usize) -> Self {
        Self { parent: (0..count as u32).collect(), size: vec![1; count] }
    }

    fn root(&mut self, mut at: usize) -> usize {
        while self.parent[at] as usize != at {
            let grandparent = self.parent[self.parent[at] as usize];
            self.parent[at] = grandparent;
            at = grandparent as usize;
        }
        at
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.root(a), self.root(b));
        if a == b {
            return;
        }
        let (big, small) = if self.size[a] >= self.size[b] { (a, b) } else { (b, a) };
        self.parent[small] = big as u32;
        self.size[big] += self.size[small];
    }

    /// The sets of two or more, each in ascending order, by their first member.
    fn groups(mut self) -> Vec<Vec<usize>> {
        let mut members: rustc_hash::FxHashMap<usize, Vec<usize>> = rustc_hash::FxHashMap::default();
        for at in 0..self.parent.len() {
            let root = self.root(at);
            if self.size[root] > 1 {
                members.entry(root).or_default().push(at);
            }
        }
        let mut groups: Vec<Vec<usize>> = members.into_values().collect();
        groups.sort_unstable_by_key(|group| group[0]);
        groups
    }
}

/// One group of reposts: the copies, the best first.
#[derive(Debug, Clone, PartialEq)]
pub struct RepostGroup {
    /// Every copy, the one to keep first ([`best_first`]), the others in name order.
    pub copies: Vec<Entry>,
}

impl RepostGroup {
    /// A group of these copies, put in order.
    pub fn new(mut copies: Vec<Entry>) -> Self {
        best_first(&mut copies);
        Self { copies }
    }

    /// The copy to keep.
    pub fn best(&self) -> Option<&Entry> {
        self.copies.first()
    }

    /// The copies that "Keep best" moves to the trash.
    pub fn rest(&self) -> &[Entry] {
        self.copies.get(1..).unwrap_or_default()
    }
}

/// Puts the copy to keep first: the most pixels; at equal pixels the better format (PNG,
/// which loses nothing, then JPEG, then GIF, whose 256 colours lose the most); then the
/// bigger file (at the same size and format, the one compressed less); then the one saved
/// first (the original, usually); then by name. The others follow in name order.
pub fn best_first(copies: &mut [Entry]) {
    let Some(best) = (0..copies.len()).min_by(|&a, &b| better(&copies[a], &copies[b])) else { return };
    copies.swap(0, best);
    copies[1..].sort_by(super::query::name_order);
}

/// `Less` when `a` is the better copy to keep.
fn better(a: &Entry, b: &Entry) -> Ordering {
    let pixels = |entry: &Entry| entry.dimensions.map_or(0, |(width, height)| u64::from(width) * u64::from(height));
    pixels(b)
        .cmp(&pixels(a))
        .then_with(|| format_rank(a.kind).cmp(&format_rank(b.kind)))
        .then_with(|| b.bytes.cmp(&a.bytes))
        .then_with(|| a.mtime.cmp(&b.mtime))
        .then_with(|| super::query::name_order(a, b))
}

/// Lower is better at equal pixels.
fn format_rank(kind: MediaKind) -> u8 {
    match kind {
        MediaKind::Png => 0,
        MediaKind::Jpeg => 1,
        MediaKind::Gif => 2,
        MediaKind::Mp4 => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::Listed;
    use std::path::Path;

    /// Every pair compared: what the index must agree with.
    fn brute_force(hashes: &[u64], threshold: u32) -> Vec<Vec<usize>> {
        let mut sets = DisjointSets::new(hashes.len());
        for a in 0..hashes.len() {
            for b in a + 1..hashes.len() {
                if distance(hashes[a], hashes[b]) <= threshold {
                    sets.join(a, b);
                }
            }
        }
        sets.groups()
    }

    #[test]
    fn the_index_finds_exactly_the_groups_comparing_every_pair_finds() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut hashes: Vec<u64> = (0..3000).map(|_| next()).collect();
        // Planted near-copies, 1 to 16 bits flipped (some flips land twice), some chained.
        for copy in 0..600 {
            let mut near = hashes[copy * 4];
            for _ in 0..1 + copy % 16 {
                near ^= 1 << (next() % 64);
            }
            hashes.push(near);
        }
        for threshold in [0, 3, 4, 8, 10, 12, 16] {
            assert_eq!(group(&hashes, threshold), brute_force(&hashes, threshold), "threshold {threshold}");
        }
        // Past PARALLEL_FROM the lookups are shared among threads: the same groups.
        let many: Vec<u64> = hashes
            .iter()
            .cycle()
            .take(PARALLEL_FROM + 100)
            .enumerate()
            .map(|(at, &hash)| hash ^ (at as u64 / 3600) << 60)
            .collect();
        assert_eq!(group(&many, 8), brute_force(&many, 8));
    }

    #[test]
    fn the_parts_cover_64_bits_and_suit_the_threshold() {
        for parts in 4..=8 {
            assert_eq!(part_widths(parts).sum::<u32>(), 64);
        }
        assert_eq!(parts_for(DEFAULT_THRESHOLD, 50_000), 5);
        assert_eq!(binomial(13, 2), 78);
    }

    #[test]
    fn groups_are_connected_components() {
        // a-b 2 bits apart, b-c 2 bits apart, a-c 4: at threshold 2 all three are one group.
        let (a, b, c, far) = (0u64, 0b11, 0b1111, u64::MAX);
        assert_eq!(group(&[a, far, b, c], 2), vec![vec![0, 2, 3]]);
        assert!(group(&[a, far], 8).is_empty(), "no group of one");
        assert!(group(&[], 8).is_empty());
    }

    fn entry(name: &str, kind: MediaKind, bytes: u64, dimensions: (u32, u32), mtime: i64) -> Entry {
        Entry::new(Path::new("/f"), Listed { name: name.into(), bytes, mtime, kind }).with_dimensions(Some(dimensions))
    }

    #[test]
    fn the_best_copy_has_the_most_pixels_then_the_better_format_then_the_bigger_file() {
        let group = RepostGroup::new(vec![
            entry("small.png", MediaKind::Png, 900, (400, 300), 1),
            entry("big.jpg", MediaKind::Jpeg, 500, (800, 600), 5),
            entry("big-b.jpg", MediaKind::Jpeg, 400, (800, 600), 1),
            entry("big.png", MediaKind::Png, 100, (800, 600), 9),
            entry("big.gif", MediaKind::Gif, 900, (800, 600), 1),
        ]);
        let names: Vec<&str> = group.copies.iter().map(|copy| copy.name.as_str()).collect();
        assert_eq!(names, ["big.png", "big-b.jpg", "big.gif", "big.jpg", "small.png"]);
        assert_eq!(group.rest().len(), 4);

        let jpegs = RepostGroup::new(vec![
            entry("q35.jpg", MediaKind::Jpeg, 100, (800, 600), 1),
            entry("q90.jpg", MediaKind::Jpeg, 300, (800, 600), 2),
        ]);
        assert_eq!(jpegs.best().map(|copy| copy.name.as_str()), Some("q90.jpg"), "less compressed");
    }
}
