//! Symmetry reduction: a state's text with node names permuted, so that states that
//! differ only by a renaming of interchangeable nodes get the same key.

use crate::id::ProcessId;
use std::collections::BTreeMap;

/// A renaming of node names (each slot's names move together).
pub(crate) type Renaming = BTreeMap<String, String>;

/// Every renaming that permutes `slots` (the identity first). Slot `i` is a list of
/// names that move together (a server and its client); all slots have the same length.
pub(crate) fn renamings(slots: &[Vec<ProcessId>]) -> Vec<Renaming> {
    let mut orders: Vec<Vec<usize>> = Vec::new();
    permute(&mut (0..slots.len()).collect(), 0, &mut orders);
    orders
        .into_iter()
        .map(|order| {
            let mut map = Renaming::new();
            for (from, to) in order.iter().enumerate() {
                for (a, b) in slots[from].iter().zip(&slots[*to]) {
                    if a != b {
                        map.insert(a.as_str().to_string(), b.as_str().to_string());
                    }
                }
            }
            map
        })
        .collect()
}

fn permute(items: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
    if k == items.len() {
        out.push(items.clone());
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permute(items, k + 1, out);
        items.swap(k, i);
    }
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// `text` with every whole word that `renaming` names replaced, all at once.
pub(crate) fn rename(text: &str, renaming: &Renaming) -> String {
    if renaming.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut word = String::new();
    for c in text.chars() {
        if is_word(c) {
            word.push(c);
            continue;
        }
        flush(&mut out, &mut word, renaming);
        out.push(c);
    }
    flush(&mut out, &mut word, renaming);
    out
}

fn flush(out: &mut String, word: &mut String, renaming: &Renaming) {
    match renaming.get(word.as_str()) {
        Some(to) => out.push_str(to),
        None => out.push_str(word),
    }
    word.clear();
}

/// `Debug` text with every list of bytes (`[6, 97, 116]`) written as escaped text
/// (`b"\{06}at"`), so that names stored in encoded records can be renamed too.
pub(crate) fn escape_byte_lists(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(']').and_then(|close| {
            let bytes = parse_bytes(&after[..close])?;
            Some((close, bytes))
        }) {
            Some((close, bytes)) => {
                out.push_str("b\"");
                for b in bytes {
                    if b.is_ascii_graphic() && b != b'\\' && b != b'"' && b != b'{' {
                        out.push(char::from(b));
                    } else {
                        out.push_str(&format!("\\{{{b:02x}}}"));
                    }
                }
                out.push('"');
                rest = &after[close + 1..];
            }
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn parse_bytes(list: &str) -> Option<Vec<u8>> {
    if list.trim().is_empty() {
        return None;
    }
    list.split(',').map(|n| n.trim().parse::<u8>().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swap_renames_both_names_at_once_and_only_whole_words() {
        let slots = vec![vec![ProcessId::new("athens")], vec![ProcessId::new("byzantium")]];
        let all = renamings(&slots);
        assert_eq!(all.len(), 2, "two slots have two orders");
        assert!(all[0].is_empty(), "the identity comes first");
        assert_eq!(
            rename("athens->byzantium athensx", &all[1]),
            "byzantium->athens athensx",
            "a swap renames both names and leaves longer words alone"
        );
    }

    #[test]
    fn byte_lists_become_text_so_stored_names_can_be_renamed() {
        assert_eq!(
            escape_byte_lists("Some([6, 97, 116, 104, 101, 110, 115]) [x] []"),
            "Some(b\"\\{06}athens\") [x] []",
            "a list of bytes is written as escaped text; other brackets stay"
        );
    }
}
