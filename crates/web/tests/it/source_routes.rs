//! The routes the web crate registers, read from its source: the text of
//! each `.route("...", ...)` call in `crates/web/src`. Tests that must walk
//! every route (the fuzzer, the audit scopes, the OpenAPI parity) use this,
//! so a route added tomorrow is walked without anyone listing it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Methods a route call can name.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every registered path with the methods its `.route(...)` calls name
/// (`GET`, `POST`…; empty for a path served only by `any` or `options`).
pub fn routes() -> BTreeMap<String, BTreeSet<String>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).expect("src") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut routes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        let mut rest = text.as_str();
        while let Some(i) = rest.find(".route(") {
            rest = &rest[i + ".route(".len()..];
            let Some(q) = rest.trim_start().strip_prefix('"') else {
                continue;
            };
            let Some(end) = q.find('"') else { continue };
            let methods = routes.entry(q[..end].to_string()).or_default();
            // The call's text up to its closing parenthesis.
            let (mut depth, mut n) = (1, rest.len());
            for (k, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    n = k;
                    break;
                }
            }
            let call = &rest[..n];
            for m in METHODS {
                let hit = call.match_indices(&format!("{m}(")).any(|(k, _)| {
                    k == 0
                        || !call.as_bytes()[k - 1].is_ascii_alphanumeric()
                            && call.as_bytes()[k - 1] != b'_'
                });
                if hit {
                    methods.insert(m.to_uppercase());
                }
            }
        }
    }
    routes
}

/// Every `(METHOD, path)` pair registered.
pub fn operations() -> BTreeSet<(String, String)> {
    routes()
        .into_iter()
        .flat_map(|(path, methods)| methods.into_iter().map(move |m| (m, path.clone())))
        .collect()
}
