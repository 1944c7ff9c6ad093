//! Exercise fences: the solution code of a section is written between two marker
//! comments, with the exercise's hint on the line above:
//!
//! ```text
//! fn on_prepare(&mut self, ctx: &mut Ctx<Self>, from: NodeId, ballot: Ballot) {
//!     // exercise: promise only to a ballot above the current promise; persist before replying
//!     // solution-begin
//!     ...the reference solution...
//!     // solution-end
//! }
//! ```
//!
//! The **exercise form** keeps the hint and both markers and replaces only the lines
//! between the markers with `todo!("<hint>");`, indented like the `solution-begin` marker,
//! preceded by `let _ = (&a, &b);` when the solution uses variables bound before the fence
//! (see [`crate::stub`]), so the stub compiles without `unused variable` warnings; and the
//! file gets one [`EXERCISE_ALLOW`] line, so helpers only the solution calls do not warn
//! either.
//! The statement form works both where the region is the function's tail expression (a
//! block ending in a diverging statement has any type) and where more code follows it.
//! Because the markers stay, the transform can be reversed: [`restore`] puts the
//! solution's lines back between the markers, taking them from the same file as it is in
//! the solutions (the `main` branch), region by region in order. A participant writes their
//! own code between the markers too.
//!
//! Fences go inside function bodies (so `todo!()` type-checks as any expression), never
//! nest, and each needs its `// exercise:` hint directly above the `solution-begin` line.

/// The line before a fenced region: `// exercise: <hint>`.
pub const EXERCISE_PREFIX: &str = "// exercise:";
/// Opens a fenced region.
pub const BEGIN: &str = "// solution-begin";
/// Closes a fenced region.
pub const END: &str = "// solution-end";

/// A malformed fence, with the 1-based line it was found on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FenceError {
    /// `solution-begin` inside an open region.
    #[error("line {0}: `// solution-begin` inside a region that is already open")]
    Nested(usize),
    /// `solution-end` with no open region.
    #[error("line {0}: `// solution-end` without a `// solution-begin` before it")]
    UnmatchedEnd(usize),
    /// A region that is never closed.
    #[error("line {0}: `// solution-begin` is never closed by `// solution-end`")]
    Unclosed(usize),
    /// A region without its hint line.
    #[error("line {0}: `// solution-begin` needs an `// exercise: <hint>` line directly above it")]
    MissingHint(usize),
    /// The hint line is empty.
    #[error("line {0}: the `// exercise:` hint is empty")]
    EmptyHint(usize),
    /// The solution file has a different number of regions than the file being restored.
    #[error("the file has {current} fenced region(s) but its solution has {solution}")]
    RegionCountDiffers {
        /// Regions in the current file.
        current: usize,
        /// Regions in the solution file.
        solution: usize,
    },
}

/// One fenced region of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The hint text after `// exercise:`.
    pub hint: String,
    /// 0-based index of the `solution-begin` line.
    pub begin: usize,
    /// 0-based index of the `solution-end` line.
    pub end: usize,
    /// Leading whitespace of the `solution-begin` line.
    pub indent: String,
}

fn is_marker(line: &str, marker: &str) -> bool {
    let trimmed = line.trim();
    trimmed == marker || trimmed.starts_with(&format!("{marker} "))
}

/// Splits text into lines, remembering whether it ended with a newline.
fn lines_of(text: &str) -> (Vec<&str>, bool) {
    let trailing = text.ends_with('\n');
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.is_empty() && !trailing {
        return (Vec::new(), false);
    }
    (body.split('\n').collect(), trailing)
}

fn join(lines: &[String], trailing: bool) -> String {
    let mut out = lines.join("\n");
    if trailing {
        out.push('\n');
    }
    out
}

/// Finds every fenced region of `text`, in order.
pub fn regions(text: &str) -> Result<Vec<Region>, FenceError> {
    let (lines, _) = lines_of(text);
    let mut found = Vec::new();
    let mut open: Option<(usize, String, String)> = None;
    for (index, line) in lines.iter().enumerate() {
        if is_marker(line, BEGIN) {
            if open.is_some() {
                return Err(FenceError::Nested(index + 1));
            }
            let hint_line = index
                .checked_sub(1)
                .map(|i| lines[i].trim())
                .and_then(|l| l.strip_prefix(EXERCISE_PREFIX))
                .ok_or(FenceError::MissingHint(index + 1))?;
            let hint = hint_line.trim().to_string();
            if hint.is_empty() {
                return Err(FenceError::EmptyHint(index));
            }
            let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
            open = Some((index, hint, indent));
        } else if is_marker(line, END) {
            let Some((begin, hint, indent)) = open.take() else {
                return Err(FenceError::UnmatchedEnd(index + 1));
            };
            found.push(Region {
                hint,
                begin,
                end: index,
                indent,
            });
        }
    }
    if let Some((begin, _, _)) = open {
        return Err(FenceError::Unclosed(begin + 1));
    }
    Ok(found)
}

/// True when `text` has at least one well-formed fence.
pub fn has_fences(text: &str) -> bool {
    regions(text).is_ok_and(|r| !r.is_empty())
}

/// The `todo!(..);` line that stands for a region in the exercise form. Braces are doubled
/// (the hint is a format string) and quotes and backslashes escaped.
pub fn todo_line(region: &Region) -> String {
    let mut escaped = String::new();
    for c in region.hint.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '{' => escaped.push_str("{{"),
            '}' => escaped.push_str("}}"),
            other => escaped.push(other),
        }
    }
    format!("{}todo!(\"{escaped}\");", region.indent)
}

/// The lines that stand for `region` of `text` in the exercise form: a `let _ = ...;`
/// line keeping the variables the solution uses in use (see [`crate::stub`]), if any, and
/// the `todo!` line.
pub fn stub_lines(text: &str, region: &Region) -> Vec<String> {
    let (lines, _) = lines_of(text);
    let before = lines[..region.begin].join("\n");
    let solution = lines[region.begin + 1..region.end].join("\n");
    let mentions = crate::stub::mentions(&before, &solution);
    let mut out: Vec<String> = crate::stub::keep_used_line(&region.indent, &mentions)
        .into_iter()
        .collect();
    out.push(todo_line(region));
    out
}

/// Whether `region` of `text` still holds its exercise stub (its `todo!` line), rather
/// than code somebody wrote.
pub fn holds_stub(text: &str, region: &Region) -> bool {
    let (lines, _) = lines_of(text);
    let todo = todo_line(region);
    lines[region.begin + 1..region.end]
        .iter()
        .any(|line| line.trim() == todo.trim())
}

/// The line the exercise form adds to a fenced file, after its `//!` documentation: the
/// helpers, fields and imports that only the solutions use would otherwise each warn
/// (`dead_code`, `unused_imports`), and so would code after a stub that more code follows
/// (`unreachable_code`), until the participant has written the code. [`restore`] removes
/// it again, so a restored file is the solution's text.
pub const EXERCISE_ALLOW: &str = "#![allow(dead_code, unused_imports, unreachable_code)] // exercise form: until your code replaces the stubs";

/// The exercise form of `text`: every region's lines replaced by its stub
/// ([`stub_lines`]), and [`EXERCISE_ALLOW`] added once. Applying it twice gives the same
/// result as once; a file without fences is returned unchanged.
pub fn to_exercise(text: &str) -> Result<String, FenceError> {
    let found = regions(text)?;
    if found.is_empty() {
        return Ok(text.to_string());
    }
    let (lines, trailing) = lines_of(text);
    let mut out: Vec<String> = Vec::with_capacity(lines.len() + 1);
    let mut next = 0;
    for region in &found {
        out.extend(lines[next..=region.begin].iter().map(|l| l.to_string()));
        out.extend(stub_lines(text, region));
        next = region.end;
    }
    out.extend(lines[next..].iter().map(|l| l.to_string()));
    if !out.iter().any(|l| l == EXERCISE_ALLOW) {
        let after_docs = out
            .iter()
            .position(|l| !l.starts_with("//!"))
            .unwrap_or(out.len());
        out.insert(after_docs, EXERCISE_ALLOW.to_string());
    }
    Ok(join(&out, trailing))
}

/// Puts the solution back: each region of `current` gets the lines of the matching
/// region (same position) of `solution`. Everything outside the regions stays as it is in
/// `current`, except the [`EXERCISE_ALLOW`] line, which goes.
pub fn restore(current: &str, solution: &str) -> Result<String, FenceError> {
    let without_allow: String;
    let current = if current.lines().any(|l| l == EXERCISE_ALLOW) {
        let (lines, trailing) = lines_of(current);
        let kept: Vec<String> = lines
            .iter()
            .filter(|l| **l != EXERCISE_ALLOW)
            .map(|l| l.to_string())
            .collect();
        without_allow = join(&kept, trailing);
        without_allow.as_str()
    } else {
        current
    };
    let current_regions = regions(current)?;
    let solution_regions = regions(solution)?;
    if current_regions.len() != solution_regions.len() {
        return Err(FenceError::RegionCountDiffers {
            current: current_regions.len(),
            solution: solution_regions.len(),
        });
    }
    let (lines, trailing) = lines_of(current);
    let (solution_lines, _) = lines_of(solution);
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut next = 0;
    for (region, source) in current_regions.iter().zip(&solution_regions) {
        out.extend(lines[next..=region.begin].iter().map(|l| l.to_string()));
        out.extend(
            solution_lines[source.begin + 1..source.end]
                .iter()
                .map(|l| l.to_string()),
        );
        next = region.end;
    }
    out.extend(lines[next..].iter().map(|l| l.to_string()));
    Ok(join(&out, trailing))
}
