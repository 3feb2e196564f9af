//! The crate's rooms stay in layers: no module imports one that imports it back, neither
//! between the top-level modules nor between the files of one folder. Read from the
//! source's `crate::`, `super::` and `self::` paths (tests and comments left out), so a
//! cycle fails here before it sets in.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module's path (`engine::run`) and its code, without comments and test modules.
fn modules(root: &Path) -> BTreeMap<Vec<String>, String> {
    let mut found = BTreeMap::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().is_none_or(|ext| ext != "rs") {
                continue;
            }
            let relative = path.strip_prefix(root).expect("under src").with_extension("");
            let mut names: Vec<String> =
                relative.components().map(|part| part.as_os_str().to_string_lossy().into_owned()).collect();
            if names.last().is_some_and(|name| name == "mod") || names == ["lib"] || names == ["main"] {
                names.pop();
            }
            if names.first().is_some_and(|name| name == "bin") {
                continue;
            }
            found.insert(names, code_of(&std::fs::read_to_string(&path).expect("read file")));
        }
    }
    found
}

fn code_of(source: &str) -> String {
    let end = ["#[cfg(test)]", "#[cfg(all(test"].iter().filter_map(|mark| source.find(mark)).min();
    let source = &source[..end.unwrap_or(source.len())];
    source.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The paths a module names: `crate::a::b`, `super::c`, and each item of `super::{d, e}`.
fn named_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start).map(|at| at + from) {
            from = at + start.len();
            let before = at.checked_sub(1).map(|i| bytes[i]);
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
                continue;
            }
            let rest = &code[at..];
            let path_end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(rest.len());
            let path: Vec<String> =
                rest[..path_end].split("::").filter(|part| !part.is_empty()).map(str::to_owned).collect();
            if rest[path_end..].starts_with('{') {
                let group = &rest[path_end + 1..rest.find('}').unwrap_or(rest.len())];
                for item in group.split(',') {
                    let first = item.trim().split("::").next().unwrap_or("").trim();
                    if !first.is_empty() && first.chars().all(|c| c.is_alphanumeric() || c == '_') {
                        paths.push(path.iter().cloned().chain([first.to_owned()]).collect());
                    }
                }
            }
            paths.push(path);
        }
    }
    paths
}

/// The module a path names, from `module`: the longest prefix that is a module.
fn target(module: &[String], path: &[String], known: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let (mut base, rest) = match path.first().map(String::as_str) {
        Some("crate") => (Vec::new(), &path[1..]),
        Some("self") => (module.to_vec(), &path[1..]),
        Some("super") => {
            let mut base = module[..module.len().saturating_sub(1)].to_vec();
            let mut rest = &path[1..];
            while rest.first().is_some_and(|part| part == "super") {
                base.pop();
                rest = &rest[1..];
            }
            (base, rest)
        }
        _ => return None,
    };
    let mut best = None;
    for part in rest {
        base.push(part.clone());
        if known.contains(&base) {
            best = Some(base.clone());
        }
    }
    best
}

/// The cycles of a graph, as the sets of nodes that reach each other.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    let reaches = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(node) = todo.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&String, BTreeSet<String>> = graph.keys().map(|node| (node, reaches(node))).collect();
    let mut found: Vec<BTreeSet<String>> = Vec::new();
    for (node, reached) in &reach {
        if !reached.contains(*node) {
            continue;
        }
        let together: BTreeSet<String> =
            reached.iter().filter(|other| reach.get(other).is_some_and(|back| back.contains(*node))).cloned().collect();
        if !found.contains(&together) {
            found.push(together);
        }
    }
    found
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = modules(&root);
    assert!(modules.len() > 50, "the source was read ({} modules)", modules.len());
    let known: BTreeSet<Vec<String>> = modules.keys().cloned().collect();
    // Per folder (the crate root is the folder of the top-level modules): which of its
    // children each child names, a deeper module counting as the child it is under.
    let mut folders: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (module, code) in &modules {
        for path in named_paths(code) {
            let Some(named) = target(module, &path, &known) else { continue };
            // For every folder above this file: the edge between the two children of it.
            for depth in 0..module.len() {
                let folder = &module[..depth];
                if named.len() <= depth || named[..depth] != *folder {
                    break;
                }
                let (from, to) = (&module[depth], &named[depth]);
                if from != to {
                    folders.entry(folder.to_vec()).or_default().entry(from.clone()).or_default().insert(to.clone());
                }
            }
        }
    }
    let found: Vec<String> = folders
        .iter()
        .flat_map(|(folder, graph)| {
            cycles(graph).into_iter().map(move |cycle| {
                let names: Vec<&str> = cycle.iter().map(String::as_str).collect();
                format!(
                    "in {}: {}",
                    if folder.is_empty() { "src".to_owned() } else { folder.join("/") },
                    names.join(" <-> ")
                )
            })
        })
        .collect();
    assert!(found.is_empty(), "modules that import each other:\n{}", found.join("\n"));
}

#[test]
fn a_cycle_is_seen_when_there_is_one() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["a".to_owned(), "c".to_owned()])),
        ("c".to_owned(), BTreeSet::new()),
    ]
    .into_iter()
    .collect();
    assert_eq!(cycles(&graph), vec![BTreeSet::from(["a".to_owned(), "b".to_owned()])]);
    let paths = named_paths("use super::{run, types::Job};\nlet x = crate::engine::Event::Run;");
    assert!(paths.contains(&vec!["super".into(), "run".into()]));
    assert!(paths.contains(&vec!["super".into(), "types".into()]));
    assert!(paths.contains(&vec!["crate".into(), "engine".into(), "Event".into(), "Run".into()]));
}
