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
    list.split(',')
        .map(|n| n.trim().parse::<u8>().ok())
        .collect()
}

/// Names a correlation id in a state's text: given the name of the node that allocated
/// it and its text (`#0.3`), a label that does not depend on the order in which the node
/// allocated its ids, or `None` to keep the id as it is.
pub(crate) type Labeller<'a> = dyn Fn(&str, &str) -> Option<String> + 'a;

#[derive(Debug)]
enum Token {
    Word(String),
    Str(String),
    Punct(char),
    Group(char, Vec<Vec<Token>>),
}

fn closing(open: char) -> char {
    match open {
        '{' => '}',
        '[' => ']',
        _ => ')',
    }
}

/// Parse `Debug` text into items separated by commas, up to `close` (or the end).
fn parse_items(chars: &[char], at: &mut usize, close: Option<char>) -> Vec<Vec<Token>> {
    let mut items = vec![Vec::new()];
    while *at < chars.len() {
        let c = chars[*at];
        if Some(c) == close {
            *at += 1;
            break;
        }
        let item = items
            .last_mut()
            .expect("items always holds the item being read");
        match c {
            ',' => {
                *at += 1;
                items.push(Vec::new());
            }
            '{' | '[' | '(' => {
                *at += 1;
                item.push(Token::Group(c, parse_items(chars, at, Some(closing(c)))));
            }
            '"' => {
                let mut text = String::new();
                *at += 1;
                while *at < chars.len() && chars[*at] != '"' {
                    if chars[*at] == '\\' && *at + 1 < chars.len() {
                        text.push(chars[*at]);
                        *at += 1;
                    }
                    text.push(chars[*at]);
                    *at += 1;
                }
                *at += 1;
                item.push(Token::Str(text));
            }
            '#' => {
                let mut word = String::from('#');
                *at += 1;
                while *at < chars.len() && (chars[*at].is_ascii_digit() || chars[*at] == '.') {
                    word.push(chars[*at]);
                    *at += 1;
                }
                item.push(Token::Word(word));
            }
            c if is_word(c) => {
                let mut word = String::new();
                while *at < chars.len() && is_word(chars[*at]) {
                    word.push(chars[*at]);
                    *at += 1;
                }
                item.push(Token::Word(word));
            }
            c => {
                *at += 1;
                item.push(Token::Punct(c));
            }
        }
    }
    items
}

/// The field an item names (`from` in `from: athens`), and its value's first word.
fn field(item: &[Token]) -> Option<(&str, Option<&str>)> {
    let mut words = item.iter().filter(|t| !matches!(t, Token::Punct(' ')));
    let Some(Token::Word(name)) = words.next() else {
        return None;
    };
    let Some(Token::Punct(':')) = words.next() else {
        return None;
    };
    let value = match words.next() {
        Some(Token::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    Some((name.as_str(), value))
}

struct Canon<'a> {
    renaming: &'a Renaming,
    labels: &'a Labeller<'a>,
}

impl Canon<'_> {
    fn item(&self, item: &[Token], sender: &str, out: &mut String) {
        let mut previous_word = false;
        for (i, token) in item.iter().enumerate() {
            match token {
                Token::Word(w) if w.starts_with('#') => {
                    match (self.labels)(sender, w) {
                        Some(label) => out.push_str(&rename(&label, self.renaming)),
                        None => out.push_str(w),
                    }
                    previous_word = true;
                }
                Token::Word(w) => {
                    out.push_str(self.renaming.get(w).unwrap_or(w));
                    previous_word = true;
                }
                Token::Str(text) => {
                    out.push('"');
                    out.push_str(&rename(text, self.renaming));
                    out.push('"');
                    previous_word = false;
                }
                Token::Punct(c) => {
                    out.push(*c);
                    if *c != ' ' {
                        previous_word = false;
                    }
                }
                Token::Group(open, items) => {
                    let name = item[..i].iter().rev().find_map(|t| match t {
                        Token::Word(w) => Some(w.as_str()),
                        Token::Punct(' ') => None,
                        _ => Some(""),
                    });
                    self.group(*open, items, previous_word, name.unwrap_or(""), sender, out);
                    previous_word = false;
                }
            }
        }
    }

    fn group(
        &self,
        open: char,
        items: &[Vec<Token>],
        is_struct: bool,
        name: &str,
        sender: &str,
        out: &mut String,
    ) {
        // An envelope names who allocated its correlation ids: the sender of a request,
        // the receiver of a reply.
        let (mut from, mut to) = (sender.to_string(), sender.to_string());
        if name == "Envelope" {
            for item in items {
                match field(item) {
                    Some(("from", Some(v))) => from = v.to_string(),
                    Some(("to", Some(v))) => to = v.to_string(),
                    _ => {}
                }
            }
        }
        let mut rendered: Vec<String> = items
            .iter()
            .map(|item| {
                let owner = match field(item) {
                    Some(("corr", _)) if name == "Envelope" => &from,
                    Some(("in_reply_to", _)) if name == "Envelope" => &to,
                    _ => sender,
                };
                let mut text = String::new();
                self.item(item, owner, &mut text);
                text.trim().to_string()
            })
            .collect();
        // A map or a set (braces without a struct name) is ordered by its keys, which a
        // renaming may change: sort again.
        if open == '{' && !is_struct {
            rendered.sort();
        }
        out.push(open);
        out.push_str(&rendered.join(", "));
        out.push(closing(open));
    }
}

/// `text` (`Debug` output, byte lists escaped) under `renaming`, with maps and sets put
/// back in order and correlation ids named by `labels`; `owner` allocated the ids that
/// appear outside an envelope.
pub(crate) fn canonical(
    text: &str,
    renaming: &Renaming,
    owner: &str,
    labels: &Labeller<'_>,
) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    let items = parse_items(&chars, &mut at, None);
    let canon = Canon { renaming, labels };
    let mut out = String::with_capacity(text.len());
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        canon.item(item, owner, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swap_renames_both_names_at_once_and_only_whole_words() {
        let slots = vec![
            vec![ProcessId::new("athens")],
            vec![ProcessId::new("byzantium")],
        ];
        let all = renamings(&slots);
        assert_eq!(all.len(), 2, "two slots have two orders");
        assert!(all[0].is_empty(), "the identity comes first");
        assert_eq!(
            rename("athens, byzantium athensx", &all[1]),
            "byzantium, athens athensx",
            "a swap renames both names and leaves longer words alone"
        );
    }

    #[test]
    fn a_renamed_map_is_sorted_again_and_correlation_ids_are_labelled_by_their_owner() {
        let slots = vec![
            vec![ProcessId::new("athens")],
            vec![ProcessId::new("byzantium")],
        ];
        let swap = &renamings(&slots)[1];
        let labels = |owner: &str, corr: &str| Some(format!("{owner}{corr}"));
        let text = "S { m: {athens: 1, byzantium: 2}, e: Envelope { from: cyrene, to: athens, corr: Some(#0.1), in_reply_to: None }, c: #0.2 }";
        assert_eq!(
            canonical(text, swap, "athens", &labels),
            "S {m: {athens: 2, byzantium: 1}, e: Envelope {from: cyrene, to: byzantium, corr: Some(cyrene#0.1), in_reply_to: None}, c: byzantium#0.2}",
            "the map is re-sorted after the swap, the envelope's id is labelled by its sender \
             and a bare id by the owner, all renamed"
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
