//! Support shared by the tests of pictures (in the `kit` and `check` binaries) and the
//! pictures benchmark: a strict well-formedness check of the SVG and HTML the pictures
//! are made of, golden files, and a generated busy trace.
//!
//! Golden files live in `common/tests/golden/`. After a deliberate change of a picture,
//! regenerate them with `UPDATE_GOLDEN=1 cargo test -p common` and review the diff.

#![allow(dead_code)]

use common::Cluster;
use common::echo::{EchoMsg, EchoServer};
use common::net::NetConfig;
use common::rng::SimRng;
use common::trace::Trace;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One element of a parsed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Tag name.
    pub name: String,
    /// Attributes, by name.
    pub attrs: BTreeMap<String, String>,
    /// Names of the enclosing elements, outermost first.
    pub ancestors: Vec<String>,
}

impl Element {
    /// The class attribute's tokens.
    pub fn classes(&self) -> Vec<&str> {
        self.attrs
            .get("class")
            .map(|c| c.split_whitespace().collect())
            .unwrap_or_default()
    }

    /// Whether every token of `classes` is among the element's classes.
    pub fn has_classes(&self, classes: &[&str]) -> bool {
        let mine = self.classes();
        classes.iter().all(|c| mine.contains(c))
    }
}

/// Checks that `doc` is well formed (as XML: every tag closed in order, attributes
/// quoted, `&` only in entities, `<` only in markup; a leading `<!DOCTYPE html>` and
/// comments allowed) and returns its elements in document order.
pub fn parse(doc: &str) -> Result<Vec<Element>, String> {
    let mut elements = Vec::new();
    let mut open: Vec<String> = Vec::new();
    let bytes = doc.as_bytes();
    let mut i = 0;
    let line_of = |at: usize| doc[..at].lines().count();
    while i < bytes.len() {
        if bytes[i] != b'<' {
            let end = doc[i..].find('<').map_or(doc.len(), |n| i + n);
            check_text(&doc[i..end]).map_err(|e| format!("line {}: {e}", line_of(i)))?;
            i = end;
            continue;
        }
        let rest = &doc[i..];
        if rest.starts_with("<!--") {
            let end = rest
                .find("-->")
                .ok_or_else(|| format!("line {}: unterminated comment", line_of(i)))?;
            i += end + 3;
            continue;
        }
        if rest.starts_with("<!DOCTYPE") {
            if !elements.is_empty() {
                return Err("a DOCTYPE after the first element".into());
            }
            let end = rest.find('>').ok_or("unterminated DOCTYPE")?;
            i += end + 1;
            continue;
        }
        let end = rest
            .find('>')
            .ok_or_else(|| format!("line {}: unterminated tag", line_of(i)))?;
        let tag = &rest[1..end];
        if tag.contains('<') {
            return Err(format!("line {}: `<` inside a tag: {tag}", line_of(i)));
        }
        i += end + 1;
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim();
            match open.pop() {
                Some(top) if top == name => {}
                Some(top) => {
                    return Err(format!("line {}: </{name}> closes <{top}>", line_of(i)));
                }
                None => return Err(format!("line {}: </{name}> closes nothing", line_of(i))),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, attrs) = parse_tag(tag).map_err(|e| format!("line {}: {e}", line_of(i)))?;
        elements.push(Element {
            name: name.clone(),
            attrs,
            ancestors: open.clone(),
        });
        if !self_closing {
            open.push(name);
        }
    }
    match open.last() {
        Some(name) => Err(format!("<{name}> is never closed")),
        None => Ok(elements),
    }
}

fn check_text(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        let after = &rest[at + 1..];
        let end = after
            .find(';')
            .ok_or_else(|| format!("a bare & in text: {rest}"))?;
        let entity = &after[..end];
        let known = matches!(entity, "amp" | "lt" | "gt" | "quot" | "apos")
            || entity
                .strip_prefix('#')
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if !known {
            return Err(format!("unknown entity &{entity};"));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

fn parse_tag(tag: &str) -> Result<(String, BTreeMap<String, String>), String> {
    let name_end = tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len());
    let name = &tag[..name_end];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!("bad tag name in <{tag}>"));
    }
    let mut attrs = BTreeMap::new();
    let mut rest = tag[name_end..].trim_start();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("attribute without a value in <{tag}>"))?;
        let key = rest[..eq].trim();
        let after = &rest[eq + 1..];
        if !after.starts_with('"') {
            return Err(format!("unquoted attribute {key} in <{tag}>"));
        }
        let close = after[1..]
            .find('"')
            .ok_or_else(|| format!("unterminated attribute {key} in <{tag}>"))?;
        let value = &after[1..1 + close];
        check_text(value)?;
        if attrs.insert(key.to_string(), value.to_string()).is_some() {
            return Err(format!("attribute {key} given twice in <{tag}>"));
        }
        rest = after[close + 2..].trim_start();
    }
    Ok((name.to_string(), attrs))
}

/// Elements that carry all of `classes` and are not a legend's sample.
pub fn count(elements: &[Element], classes: &[&str]) -> usize {
    elements
        .iter()
        .filter(|e| e.has_classes(classes) && !e.has_classes(&["key"]))
        .count()
}

/// Compares `actual` with the golden file `name` (under `common/tests/golden/`), or
/// rewrites the file when `UPDATE_GOLDEN=1`.
pub fn assert_golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
        .join(name);
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("golden files live in a folder"))
            .expect("the golden folder can be created");
        std::fs::write(&path, actual).expect("the golden file can be written");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "golden file {} cannot be read ({e}): create it with UPDATE_GOLDEN=1 cargo test -p common",
            path.display()
        )
    });
    if expected == actual {
        return;
    }
    let (line, (want, got)) = expected
        .lines()
        .chain(std::iter::repeat(""))
        .zip(actual.lines().chain(std::iter::repeat("")))
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .unwrap_or((0, ("", "")));
    panic!(
        "{name} differs from its golden file at line {}:\n  golden: {want}\n  now:    {got}\n\
         If the change is intended, run UPDATE_GOLDEN=1 cargo test -p common and review the diff.",
        line + 1
    );
}

/// The servers and clients of the busy trace.
pub const SERVERS: [&str; 5] = ["athens", "byzantium", "cyrene", "delphi", "ephesus"];
pub const CLIENTS: [&str; 3] = ["alice", "bob", "carol"];

/// A deterministic trace of at least `events` events over five echo servers and three
/// clients: echoes and relays under loss, duplication, partitions, crashes and pauses.
pub fn busy_trace(events: usize) -> Trace<EchoMsg> {
    let mut cluster = Cluster::builder()
        .seed(3)
        .servers(SERVERS)
        .net(NetConfig {
            latency: (1, 4),
            loss: 0.02,
            duplicate: 0.02,
            ..NetConfig::default()
        })
        .request_timeout(12)
        .build(|_, _| EchoServer::new(6));
    for client in CLIENTS {
        cluster.add_client(client);
    }
    let mut rng = SimRng::derive(3, "pictures");
    let mut n = 0u64;
    while (cluster.trace().total() as usize) < events {
        n += 1;
        for client in CLIENTS {
            if !rng.chance(0.3) {
                continue;
            }
            let server = SERVERS[rng.below(SERVERS.len())];
            let msg = if rng.chance(0.5) {
                EchoMsg::Echo {
                    text: format!("e{n}"),
                }
            } else {
                EchoMsg::Relay {
                    text: format!("r{n}"),
                    via: SERVERS[rng.below(SERVERS.len())].into(),
                }
            };
            let _ = cluster.call(client, server, msg);
        }
        let victim = SERVERS[(n / 50) as usize % SERVERS.len()];
        match n % 200 {
            20 => cluster.isolate(victim),
            40 => cluster.reconnect(victim),
            90 => cluster.crash(victim),
            110 => cluster.restart(victim),
            150 => cluster.pause(victim),
            170 => cluster.resume(victim),
            _ => {}
        }
        cluster.tick();
    }
    cluster.trace().clone()
}
