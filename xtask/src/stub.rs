//! The variables an exercise stub must keep in use.
//!
//! A fence often holds a function's whole body. Replaced by `todo!("<hint>")`, it leaves
//! the function's parameters (and the locals bound before the fence) unused, and the
//! exercise form would compile with a screen of `unused variable` warnings that bury the
//! ones a participant should read. So the stub mentions them first:
//!
//! ```text
//! // solution-begin
//! let _ = (&ctx, &env, &ballot);
//! todo!("promise only to a ballot above the current promise; persist before replying");
//! // solution-end
//! ```
//!
//! Which variables: those in scope at the fence (the enclosing function's parameters,
//! `let` bindings, `if let`/`while let`/`for` patterns and match-arm patterns of blocks
//! still open there) that the solution between the markers names. A variable declared
//! `mut` is borrowed `&mut`, so its `mut` stays used as well. This is a small lexical
//! scan, not a Rust parser: it skips comments, strings and character literals, counts
//! braces, and reads patterns by simple rules (a lowercase identifier that is not a field
//! name, a path segment or a keyword binds). `cargo xtask verify-exercises` builds every
//! exercise form and fails on an `unused variable` warning, so a fence this scan gets
//! wrong is caught.

/// A variable the stub mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// The variable's name.
    pub name: String,
    /// Declared `mut` (the stub borrows it `&mut`).
    pub mutable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    Punct(&'static str),
    Other(char),
}

/// Lexer state carried from line to line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Code,
    /// Inside `/* */`, with its nesting depth.
    BlockComment(usize),
    /// Inside a `"..."` string.
    Str,
    /// Inside a raw string `r#"..."#` with this many `#`.
    RawStr(usize),
}

const PUNCTS: [&str; 12] = [
    "::", "=>", "==", "!=", "<=", ">=", "->", "&&", "||", "..", "+=", "-=",
];

/// Splits Rust source into identifiers and punctuation, dropping comments and the
/// contents of string and character literals. Identifiers written inside a string as
/// inline format arguments (`"{name}"`, `"{name:?}"`) are kept, since `format!` uses them.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut mode = Mode::Code;
    let mut i = 0;
    let mut literal = String::new();
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match mode {
            Mode::BlockComment(depth) => {
                if c == '*' && next == Some('/') {
                    mode = if depth == 1 {
                        Mode::Code
                    } else {
                        Mode::BlockComment(depth - 1)
                    };
                    i += 2;
                } else if c == '/' && next == Some('*') {
                    mode = Mode::BlockComment(depth + 1);
                    i += 2;
                } else {
                    i += 1;
                }
            }
            Mode::Str => {
                if c == '\\' {
                    i += 2;
                } else if c == '"' {
                    out.extend(format_arguments(&literal));
                    literal.clear();
                    mode = Mode::Code;
                    i += 1;
                } else {
                    literal.push(c);
                    i += 1;
                }
            }
            Mode::RawStr(hashes) => {
                let closes = c == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#'));
                if closes {
                    out.extend(format_arguments(&literal));
                    literal.clear();
                    mode = Mode::Code;
                    i += 1 + hashes;
                } else {
                    literal.push(c);
                    i += 1;
                }
            }
            Mode::Code => {
                if c == '/' && next == Some('/') {
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                } else if c == '/' && next == Some('*') {
                    mode = Mode::BlockComment(1);
                    i += 2;
                } else if c == '"' {
                    mode = Mode::Str;
                    i += 1;
                } else if (c == 'r' || c == 'b')
                    && !chars
                        .get(i.wrapping_sub(1))
                        .is_some_and(|p| is_ident_char(*p))
                    && raw_string_start(&chars, i).is_some()
                {
                    let (hashes, skip) = raw_string_start(&chars, i).unwrap_or((0, 1));
                    mode = Mode::RawStr(hashes);
                    i += skip;
                } else if c == '\'' {
                    // A character literal ('x', '\n', '\u{1F600}') or a lifetime ('a).
                    if next == Some('\\') {
                        let mut j = i + 2;
                        while j < chars.len() && chars[j] != '\'' {
                            j += 1;
                        }
                        i = j + 1;
                    } else if chars.get(i + 2) == Some(&'\'') {
                        i += 3;
                    } else {
                        i += 1;
                        while i < chars.len() && is_ident_char(chars[i]) {
                            i += 1;
                        }
                    }
                } else if c.is_alphabetic() || c == '_' {
                    let start = i;
                    while i < chars.len() && is_ident_char(chars[i]) {
                        i += 1;
                    }
                    let word: String = chars[start..i].iter().collect();
                    // A byte string b"..." starts like an identifier.
                    if word == "b" && chars.get(i) == Some(&'"') {
                        continue;
                    }
                    out.push(Token::Ident(word));
                } else if c.is_ascii_digit() {
                    while i < chars.len() && (is_ident_char(chars[i]) || chars[i] == '.') {
                        // Stop before `..` in a range such as 0..n.
                        if chars[i] == '.' && chars.get(i + 1) == Some(&'.') {
                            break;
                        }
                        i += 1;
                    }
                } else if c.is_whitespace() {
                    i += 1;
                } else {
                    let pair: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                    if let Some(p) = PUNCTS.iter().find(|p| **p == pair) {
                        out.push(Token::Punct(p));
                        i += 2;
                    } else {
                        out.push(Token::Other(c));
                        i += 1;
                    }
                }
            }
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `r"`, `r#"`, `br##"`...: the number of `#` and the characters before the content.
fn raw_string_start(chars: &[char], at: usize) -> Option<(usize, usize)> {
    let mut i = at;
    if chars.get(i) == Some(&'b') {
        i += 1;
    }
    if chars.get(i) != Some(&'r') {
        return None;
    }
    i += 1;
    let mut hashes = 0;
    while chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    (chars.get(i) == Some(&'"')).then_some((hashes, i + 1 - at))
}

/// The identifiers a format string uses inline: `{name}`, `{name:?}`, `{name:>8}`.
fn format_arguments(literal: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = literal;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if rest.starts_with('{') {
            rest = &rest[1..];
            continue;
        }
        let name: String = rest.chars().take_while(|c| is_ident_char(*c)).collect();
        let after = rest[name.len()..].chars().next();
        if !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && matches!(after, Some('}') | Some(':'))
        {
            out.push(Token::Ident(name));
        }
    }
    out
}

const KEYWORDS: [&str; 16] = [
    "mut", "ref", "let", "if", "while", "for", "in", "box", "self", "Self", "true", "false",
    "crate", "super", "else", "match",
];

/// The variables a pattern binds, with whether each is `mut`.
fn pattern_bindings(pattern: &[Token]) -> Vec<Mention> {
    let mut found = Vec::new();
    for (k, token) in pattern.iter().enumerate() {
        let Token::Ident(name) = token else { continue };
        let previous = k.checked_sub(1).and_then(|p| pattern.get(p));
        let next = pattern.get(k + 1);
        let is_binding = !KEYWORDS.contains(&name.as_str())
            && name.starts_with(|c: char| c.is_lowercase())
            && !matches!(
                next,
                Some(Token::Punct("::")) | Some(Token::Other('(' | '!' | ':' | '{'))
            )
            && !matches!(previous, Some(Token::Punct("::")) | Some(Token::Other('.')));
        if is_binding {
            found.push(Mention {
                name: name.clone(),
                mutable: matches!(previous, Some(Token::Ident(m)) if m == "mut"),
            });
        }
    }
    found
}

/// Splits tokens at commas outside brackets.
fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (k, token) in tokens.iter().enumerate() {
        match token {
            Token::Other('(' | '[' | '<') => depth += 1,
            Token::Other(')' | ']' | '>') => depth -= 1,
            Token::Other(',') if depth == 0 => {
                parts.push(&tokens[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    parts.push(&tokens[start..]);
    parts
}

/// The index of the first `:` outside brackets (a type annotation), or the length.
fn top_level_colon(tokens: &[Token]) -> usize {
    let mut depth = 0i32;
    for (k, token) in tokens.iter().enumerate() {
        match token {
            Token::Other('(' | '[' | '{' | '<') => depth += 1,
            Token::Other(')' | ']' | '}' | '>') => depth -= 1,
            Token::Other(':') if depth == 0 => return k,
            _ => {}
        }
    }
    tokens.len()
}

/// The bindings of a function's parameter list (the tokens between its parentheses).
fn parameter_bindings(parameters: &[Token]) -> Vec<Mention> {
    let mut found = Vec::new();
    for parameter in split_top_level(parameters) {
        found.extend(pattern_bindings(&parameter[..top_level_colon(parameter)]));
    }
    found
}

/// The index of the bracket closing the one opened at `open` (`(`, `[` or `{`).
fn matching_close(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (k, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Other('(' | '[' | '{') => depth += 1,
            Token::Other(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// The index of the `(` that opens the group closed by the last token of `statement`.
fn matching_open(statement: &[Token]) -> Option<usize> {
    let mut depth = 0i32;
    for (k, token) in statement.iter().enumerate().rev() {
        match token {
            Token::Other(')' | ']' | '}') => depth += 1,
            Token::Other('(' | '[' | '{') => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

struct Block {
    bindings: Vec<Mention>,
    fn_body: bool,
}

fn is_word(token: &Token, word: &str) -> bool {
    matches!(token, Token::Ident(w) if w == word)
}

/// The variables in scope after `before` (the source up to a fence) that belong to the
/// innermost function, in declaration order (a shadowed name keeps its latest form).
fn variables_in_scope(before: &str) -> Vec<Mention> {
    let tokens = tokens(before);
    let mut stack: Vec<Block> = Vec::new();
    let mut statement: Vec<Token> = Vec::new();
    let mut pending: Vec<Mention> = Vec::new();
    let mut paren_depth = 0i32;
    let mut k = 0;
    while k < tokens.len() {
        let token = tokens[k].clone();
        match &token {
            Token::Other('{') if paren_depth == 0 => {
                // Braces of a pattern (`Phase::Recovering { plan, .. } =>`, or a `let`
                // before its `=`) belong to the statement, not to a new block.
                let closing = matching_close(&tokens, k);
                let after = closing.and_then(|c| tokens.get(c + 1));
                let in_let_pattern = statement.iter().any(|t| is_word(t, "let"));
                let before_arrow = matches!(
                    after,
                    Some(Token::Punct("=>")) | Some(Token::Other('|' | '='))
                ) || after.is_some_and(|t| is_word(t, "if"));
                if let (Some(closing), true) = (closing, in_let_pattern || before_arrow) {
                    statement.extend(tokens[k..=closing].iter().cloned());
                    k = closing + 1;
                    continue;
                }
                let fn_body = statement.iter().any(|t| is_word(t, "fn"));
                stack.push(Block {
                    bindings: std::mem::take(&mut pending),
                    fn_body,
                });
                statement.clear();
            }
            Token::Other('}') if paren_depth == 0 => {
                stack.pop();
                statement.clear();
                pending.clear();
            }
            Token::Other(',') if paren_depth == 0 && statement.iter().any(|t| is_word(t, "fn")) => {
                // A comma between generic arguments of a signature (`Result<(A, B), E>`).
                statement.push(token);
            }
            Token::Other(';' | ',') if paren_depth == 0 => {
                // A statement, a match arm or a struct-literal field ends.
                statement.clear();
                pending.clear();
            }
            Token::Other('(' | '[') => {
                paren_depth += 1;
                statement.push(token);
            }
            Token::Other(')' | ']') => {
                paren_depth -= 1;
                statement.push(token);
                // The parameter list of `fn name<...>(...)` just closed.
                if paren_depth == 0
                    && let Some(open) = matching_open(&statement)
                    && let Some(fn_at) = statement[..open].iter().rposition(|t| is_word(t, "fn"))
                    && !statement[fn_at..open].contains(&Token::Other('('))
                {
                    pending = parameter_bindings(&statement[open + 1..statement.len() - 1]);
                }
            }
            Token::Other('=') if paren_depth == 0 => {
                if let Some(let_at) = statement.iter().rposition(|t| is_word(t, "let")) {
                    let pattern = &statement[let_at + 1..];
                    let bindings = pattern_bindings(&pattern[..top_level_colon(pattern)]);
                    if let_at == 0 {
                        if let Some(block) = stack.last_mut() {
                            block.bindings.extend(bindings);
                        }
                    } else {
                        // `if let` / `while let`: bound in the block that follows.
                        pending.extend(bindings);
                    }
                    statement.truncate(let_at);
                }
                statement.push(token);
            }
            Token::Ident(word) if word == "in" && paren_depth == 0 => {
                if let Some(for_at) = statement.iter().rposition(|t| is_word(t, "for")) {
                    pending.extend(pattern_bindings(&statement[for_at + 1..]));
                }
                statement.push(token);
            }
            Token::Punct("=>") if paren_depth == 0 => {
                let guard = statement
                    .iter()
                    .position(|t| is_word(t, "if"))
                    .unwrap_or(statement.len());
                pending.extend(pattern_bindings(&statement[..guard]));
                statement.clear();
            }
            _ => statement.push(token),
        }
        k += 1;
    }
    let Some(fn_at) = stack.iter().rposition(|b| b.fn_body) else {
        return Vec::new();
    };
    let mut found: Vec<Mention> = Vec::new();
    for block in &stack[fn_at..] {
        for binding in &block.bindings {
            found.retain(|m| m.name != binding.name);
            found.push(binding.clone());
        }
    }
    found
}

/// The names `solution` uses as values: identifiers that are not a field or method after
/// `.`, nor a segment of a path.
fn used_names(solution: &str) -> Vec<String> {
    let tokens = tokens(solution);
    let mut names = Vec::new();
    for (k, token) in tokens.iter().enumerate() {
        let Token::Ident(name) = token else { continue };
        let previous = k.checked_sub(1).and_then(|p| tokens.get(p));
        if matches!(previous, Some(Token::Other('.')) | Some(Token::Punct("::"))) {
            continue;
        }
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// The variables the stub for a region must mention: in scope at the fence (`before` is
/// the source up to the `solution-begin` line) and named by the solution.
pub fn mentions(before: &str, solution: &str) -> Vec<Mention> {
    let used = used_names(solution);
    variables_in_scope(before)
        .into_iter()
        .filter(|m| !m.name.starts_with('_') && used.contains(&m.name))
        .collect()
}

/// The `let _ = ...;` line for `mentions` (none when there is nothing to mention).
pub fn keep_used_line(indent: &str, mentions: &[Mention]) -> Option<String> {
    let borrow = |m: &Mention| {
        if m.mutable {
            format!("&mut {}", m.name)
        } else {
            format!("&{}", m.name)
        }
    };
    match mentions {
        [] => None,
        [one] => Some(format!("{indent}let _ = {};", borrow(one))),
        many => Some(format!(
            "{indent}let _ = ({});",
            many.iter().map(borrow).collect::<Vec<_>>().join(", ")
        )),
    }
}
