//! The crate table in `docs/ARCHITECTURE.md` is the rule: every crate under
//! `crates/` has a row, and its `[dependencies]` on our own crates are among
//! those the row's "may depend on" column allows. A crate that grows a
//! forbidden dependency (the SQL layer importing the engine, the engine
//! importing the web layer) fails here, and the document cannot drift from
//! the code because the test reads it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

/// Allowed dependencies by package name, from the "## Crates" table.
/// `None` means "all".
fn documented_rules(doc: &str) -> BTreeMap<String, Option<BTreeSet<String>>> {
    let table = doc
        .split("## Crates")
        .nth(1)
        .expect("a \"## Crates\" section")
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2); // header and separator
    let mut rules = BTreeMap::new();
    for row in table {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let [name, _job, deps] = cells[..] else {
            panic!("a crate row has three cells: {row}");
        };
        let package = name.split('`').nth(1).expect("crate name in backticks");
        let allowed = match deps {
            "all" => None,
            "—" | "-" | "" => Some(BTreeSet::new()),
            list => Some(
                list.split(',')
                    .map(|d| format!("af-{}", d.trim()))
                    .collect(),
            ),
        };
        rules.insert(package.to_string(), allowed);
    }
    rules
}

/// Package name and its `af-*` normal dependencies.
fn manifest(path: &Path) -> (String, BTreeSet<String>) {
    let text = std::fs::read_to_string(path).expect("Cargo.toml");
    let value: toml::Table = text.parse().expect("valid Cargo.toml");
    let name = value["package"]["name"]
        .as_str()
        .expect("package name")
        .to_string();
    let deps = value
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| {
            t.keys()
                .filter(|k| k.starts_with("af-") || *k == "agencyflow")
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    (name, deps)
}

#[test]
fn every_crate_depends_only_on_what_the_architecture_allows() {
    let root = workspace_root();
    let doc = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let rules = documented_rules(&doc);
    let mut seen = 0;
    let mut entries: Vec<_> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .map(|e| e.expect("entry").path().join("Cargo.toml"))
        .filter(|p| p.exists())
        .collect();
    entries.sort();
    let mut wrong = Vec::new();
    for path in entries {
        let (name, deps) = manifest(&path);
        seen += 1;
        let Some(allowed) = rules.get(&name) else {
            wrong.push(format!(
                "{name} has no row in the ARCHITECTURE.md crate table"
            ));
            continue;
        };
        if let Some(allowed) = allowed {
            for dep in deps.difference(allowed) {
                wrong.push(format!(
                    "{name} depends on {dep}, which its row does not allow"
                ));
            }
        }
    }
    assert!(seen >= 8, "found only {seen} crates");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_table_is_read_as_written() {
    let rules = documented_rules(
        "## Crates\n\n| crate | job | may depend on |\n|---|---|---|\n\
         | `af-core` | types | — |\n| `af-db` | SQL | core |\n\
         | `agencyflow` (`crates/app`) | binary | all |\n\n## Next\n",
    );
    assert_eq!(rules["af-core"], Some(BTreeSet::new()));
    assert_eq!(
        rules["af-db"],
        Some(BTreeSet::from(["af-core".to_string()]))
    );
    assert_eq!(rules["agencyflow"], None);
}

/// Module → modules of the same crate it names (`crate::m`, `super::m` or
/// inside `use crate::{…}`), for a crate's top-level modules (a folder
/// module counts as one, its files' references together).
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    // A module is a file `m.rs` or a folder `m/` (all its files together).
    let files: BTreeMap<String, String> = std::fs::read_dir(src)
        .expect("src/")
        .map(|e| e.expect("entry").path())
        .filter_map(|p| {
            let stem = p.file_stem()?.to_string_lossy().to_string();
            if p.is_dir() {
                let mut text = String::new();
                for f in std::fs::read_dir(&p).expect("module folder") {
                    let f = f.expect("entry").path();
                    if f.extension().is_some_and(|x| x == "rs") {
                        text.push_str(&std::fs::read_to_string(&f).expect("source"));
                    }
                }
                Some((stem, text))
            } else if p.extension().is_some_and(|x| x == "rs") {
                Some((stem, std::fs::read_to_string(&p).expect("source")))
            } else {
                None
            }
        })
        .collect();
    let mut graph = BTreeMap::new();
    for (module, text) in &files {
        let mut names = BTreeSet::new();
        for prefix in ["crate::", "super::"] {
            for (i, _) in text.match_indices(prefix) {
                let rest = &text[i + prefix.len()..];
                if let Some(group) = rest.strip_prefix('{') {
                    // `use crate::{a, b::c, D}`: the first segment of each item.
                    let inner = group.split('}').next().unwrap_or_default();
                    names.extend(inner.split(',').map(|item| first_ident(item.trim())));
                } else {
                    names.insert(first_ident(rest));
                }
            }
        }
        let deps = names
            .into_iter()
            .filter(|n| n != module && n != "lib" && files.contains_key(n))
            .collect();
        graph.insert(module.clone(), deps);
    }
    graph
}

fn first_ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// A cycle in `graph`, as the path that closes it, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

/// The SQL layer and the engine import their own modules in one direction
/// only: a circle (events → automations → contacts → deals → events …) is
/// how a business rule creeps into the wrong module.
#[test]
fn the_sql_layer_and_the_engine_have_no_module_cycles() {
    let root = workspace_root();
    for krate in ["db", "engine"] {
        let graph = module_graph(&root.join("crates").join(krate).join("src"));
        assert!(graph.len() > 5, "{krate}: read {} modules", graph.len());
        assert_eq!(
            find_cycle(&graph),
            None,
            "crates/{krate}/src has a module cycle"
        );
    }
}

#[test]
fn a_cycle_is_found() {
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        find_cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let mut acyclic = g.clone();
    acyclic.insert("c".into(), BTreeSet::new());
    assert_eq!(find_cycle(&acyclic), None);
}
