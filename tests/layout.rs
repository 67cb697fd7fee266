//! The layout's rules, checked on the source itself, so that a change that
//! breaks them fails `cargo test` instead of waiting for a reviewer:
//!
//! * no import cycle between modules (each file is a module);
//! * `kernel` never uses the layers above it (`claim`, `view`, `net`,
//!   `commands`, `output`, `cli`), `os` uses nothing from the crate, and
//!   `lang` (the sentences, which every layer uses) nothing but `words`;
//! * `claim` and `view` never open a socket;
//! * `cfg` for an OS and raw `libc` calls only in `kernel`, `capture`, `lab`
//!   and `os`;
//! * `--format` is decided in `output.rs` alone (and mapped from the command
//!   line in `cli.rs`).
//!
//! The checks read production code: comments, and the `#[cfg(test)] mod
//! tests` block at the end of a file, are left out (a test may reach across
//! layers to build its fixtures).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One source file: its module path (`kernel::linux::procfs`) and its code.
struct Module {
    path: Vec<String>,
    file: PathBuf,
    code: String,
}

impl Module {
    fn name(&self) -> String {
        self.path.join("::")
    }

    fn is_under(&self, top: &str) -> bool {
        self.path.first().is_some_and(|p| p == top)
    }
}

fn modules() -> Vec<Module> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&src, &mut files);
    files
        .into_iter()
        .filter_map(|file| {
            let relative = file.strip_prefix(&src).ok()?.with_extension("");
            let mut path: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(path.last().map(String::as_str), Some("mod" | "lib")) {
                path.pop();
            }
            // lib.rs only declares the modules; main.rs is the binary;
            // testing.rs and properties.rs are test-only.
            let skipped = ["main", "testing", "properties"];
            if path.is_empty()
                || matches!(path.as_slice(), [one] if skipped.contains(&one.as_str()))
            {
                return None;
            }
            let text = std::fs::read_to_string(&file).ok()?;
            Some(Module {
                path,
                code: production_code(&text),
                file,
            })
        })
        .collect()
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// The code without comments and without the trailing test module.
fn production_code(text: &str) -> String {
    let without_tests = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    without_tests
        .lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules `module` refers to: `crate::a::b` paths, `super::x` paths and
/// paths through its own child modules (`mod x;` then `x::y`).
fn references(module: &Module, known: &BTreeSet<Vec<String>>) -> BTreeSet<Vec<String>> {
    let mut found = BTreeSet::new();
    let words: Vec<&str> = module
        .code
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| w.contains("::"))
        .collect();
    let children = child_modules(&module.code);
    for word in words {
        let mut parts: Vec<&str> = word.split("::").filter(|p| !p.is_empty()).collect();
        let base: Vec<String> = match parts.first().copied() {
            Some("crate") => {
                parts.remove(0);
                Vec::new()
            }
            Some("super") => {
                let mut base = module.path.clone();
                while parts.first() == Some(&"super") {
                    parts.remove(0);
                    base.pop();
                }
                base
            }
            Some(first) if children.contains_key(first) => {
                parts[0] = children[first].as_str();
                module.path.clone()
            }
            _ => continue,
        };
        if let Some(target) = longest_module(&base, &parts, known)
            && target != module.path
        {
            found.insert(target);
        }
    }
    found
}

/// `mod x;` declarations (and `use x as y;` aliases of them): name -> module.
fn child_modules(code: &str) -> BTreeMap<&str, String> {
    let mut children = BTreeMap::new();
    for line in code.lines().map(str::trim) {
        let line = line.trim_start_matches("pub ");
        if let Some(name) = line.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
            children.insert(name, name.to_string());
        }
        if let Some((from, alias)) = line
            .strip_prefix("use ")
            .and_then(|r| r.strip_suffix(';'))
            .and_then(|r| r.split_once(" as "))
            && children.contains_key(from)
        {
            children.insert(alias, from.to_string());
        }
    }
    children
}

/// The longest module path `base` + a prefix of `parts` that is a file.
fn longest_module(
    base: &[String],
    parts: &[&str],
    known: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let mut best = None;
    let mut path = base.to_vec();
    if known.contains(&path) {
        best = Some(path.clone());
    }
    for part in parts {
        path.push(part.to_string());
        if known.contains(&path) {
            best = Some(path.clone());
        }
    }
    best
}

fn graph(modules: &[Module]) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let known: BTreeSet<Vec<String>> = modules.iter().map(|m| m.path.clone()).collect();
    modules
        .iter()
        .map(|m| (m.path.clone(), references(m, &known)))
        .collect()
}

#[test]
fn there_is_no_import_cycle() {
    let modules = modules();
    assert!(modules.len() > 30, "found only {} modules", modules.len());
    let graph = graph(&modules);
    // Depth-first search; a node seen again while on the stack closes a cycle.
    fn visit(
        node: &Vec<String>,
        graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle: Vec<String> = stack[at..].iter().map(|n| n.join("::")).collect();
            cycle.push(node.join("::"));
            return Some(cycle);
        }
        if !done.insert(node.clone()) {
            return None;
        }
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn lower_layers_do_not_use_higher_ones() {
    let modules = modules();
    let graph = graph(&modules);
    let rules: &[(&str, &[&str])] = &[
        (
            "kernel",
            &["claim", "view", "net", "commands", "output", "cli"],
        ),
        ("claim", &["view", "net", "commands", "output", "cli"]),
        ("view", &["net", "commands", "cli"]),
        ("net", &["claim", "view", "commands", "output", "cli"]),
    ];
    for module in &modules {
        for (layer, forbidden) in rules {
            if !module.is_under(layer) {
                continue;
            }
            for target in &graph[&module.path] {
                let top = target.first().map(String::as_str).unwrap_or("");
                assert!(
                    !forbidden.contains(&top),
                    "{} ({}) uses {}",
                    module.name(),
                    module.file.display(),
                    target.join("::")
                );
            }
        }
        if module.is_under("lang") {
            for target in &graph[&module.path] {
                let top = target.first().map(String::as_str).unwrap_or("");
                assert!(
                    top == "lang" || top == "words",
                    "lang must import nothing else from the crate (every layer uses it): {} uses {}",
                    module.name(),
                    target.join("::")
                );
            }
        }
        if module.is_under("os") {
            for target in &graph[&module.path] {
                assert!(
                    target.first().is_some_and(|t| t == "os"),
                    "os must import nothing else from the crate: {} uses {}",
                    module.name(),
                    target.join("::")
                );
            }
        }
    }
}

#[test]
fn the_claim_and_the_views_never_open_a_socket() {
    let sockets = [
        "TcpListener",
        "TcpStream",
        "UdpSocket",
        "TcpSocket",
        "socket2",
    ];
    for module in modules() {
        if !(module.is_under("claim") || module.is_under("view") || module.path == ["output"]) {
            continue;
        }
        let words: BTreeSet<&str> = module
            .code
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .flat_map(|w| w.split("::"))
            .collect();
        for word in sockets {
            assert!(
                !words.contains(word),
                "{} mentions {word}",
                module.file.display()
            );
        }
    }
}

#[test]
fn os_code_lives_in_kernel_capture_lab_and_os() {
    let allowed = ["kernel", "capture", "lab", "os"];
    for module in modules() {
        if allowed.iter().any(|a| module.is_under(a)) {
            continue;
        }
        for word in [
            "libc::",
            "cfg(unix",
            "cfg(windows",
            "cfg(target_os",
            "cfg(not(unix",
            "cfg(not(target_os",
            "cfg(not(windows",
        ] {
            assert!(
                !module.code.contains(word),
                "{} uses `{word}`: OS-specific code belongs in kernel, capture, lab or os",
                module.file.display()
            );
        }
    }
}

#[test]
fn format_is_decided_in_the_output_layer() {
    for module in modules() {
        let allowed = matches!(module.name().as_str(), "output" | "view" | "cli");
        if !allowed {
            assert!(
                !module.code.contains("Format::"),
                "{} matches on the output format: that is output.rs's job",
                module.file.display()
            );
        }
    }
}
