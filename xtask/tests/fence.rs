//! The exercise transform and its inverse.

use xtask::fence::{self, FenceError};

const SOLUTION: &str = "\
impl Acceptor {
    fn on_prepare(&mut self, ballot: u64) -> bool {
        // exercise: promise only to a ballot above the current promise; persist before replying
        // solution-begin
        if ballot <= self.promised {
            return false;
        }
        self.promised = ballot;
        true
        // solution-end
    }
}
";

const EXERCISE: &str = "\
#![allow(dead_code, unused_imports, unreachable_code)] // exercise form: until your code replaces the stubs
impl Acceptor {
    fn on_prepare(&mut self, ballot: u64) -> bool {
        // exercise: promise only to a ballot above the current promise; persist before replying
        // solution-begin
        let _ = &ballot;
        todo!(\"promise only to a ballot above the current promise; persist before replying\");
        // solution-end
    }
}
";

#[test]
fn exercise_form_replaces_the_solution_with_todo_of_the_hint() {
    assert_eq!(fence::to_exercise(SOLUTION).expect("well-formed"), EXERCISE);
}

#[test]
fn exercise_form_is_idempotent() {
    let once = fence::to_exercise(SOLUTION).expect("well-formed");
    assert_eq!(fence::to_exercise(&once).expect("still well-formed"), once);
}

#[test]
fn solution_is_restored_exactly_from_the_solution_file() {
    let exercise = fence::to_exercise(SOLUTION).expect("well-formed");
    assert_eq!(
        fence::restore(&exercise, SOLUTION).expect("same regions"),
        SOLUTION
    );
}

#[test]
fn restoring_keeps_the_participants_code_outside_the_fences() {
    let edited = EXERCISE.replace("impl Acceptor {", "// my note\nimpl Acceptor {");
    let restored = fence::restore(&edited, SOLUTION).expect("same regions");
    assert!(
        restored.starts_with("// my note\n"),
        "code outside the fences is the participant's"
    );
    assert!(
        restored.contains("self.promised = ballot;"),
        "the solution is back"
    );
}

#[test]
fn hints_with_braces_quotes_and_backslashes_are_escaped_for_todo() {
    let text = "fn f() -> usize {\n    // exercise: more than half of {n}, \"strictly\" \\ done\n    // solution-begin\n    1\n    // solution-end\n}\n";
    let exercise = fence::to_exercise(text).expect("well-formed");
    assert!(
        exercise.contains(r#"todo!("more than half of {{n}}, \"strictly\" \\ done");"#),
        "todo! takes a format string, so braces double and quotes escape:\n{exercise}"
    );
}

#[test]
fn several_regions_are_each_replaced_in_order() {
    let two = format!(
        "{SOLUTION}\n{}",
        SOLUTION.replace("promise only", "second region")
    );
    let exercise = fence::to_exercise(&two).expect("well-formed");
    assert_eq!(exercise.matches("todo!(").count(), 2);
    assert_eq!(fence::restore(&exercise, &two).expect("same regions"), two);
}

#[test]
fn malformed_fences_are_reported_with_their_line() {
    let nested =
        "// exercise: a\n// solution-begin\n// exercise: b\n// solution-begin\n// solution-end\n";
    assert_eq!(fence::regions(nested), Err(FenceError::Nested(4)));
    assert_eq!(
        fence::regions("x\n// solution-end\n"),
        Err(FenceError::UnmatchedEnd(2))
    );
    assert_eq!(
        fence::regions("// exercise: a\n// solution-begin\nx\n"),
        Err(FenceError::Unclosed(2))
    );
    assert_eq!(
        fence::regions("x\n// solution-begin\n// solution-end\n"),
        Err(FenceError::MissingHint(2))
    );
}

#[test]
fn restoring_from_a_file_with_other_regions_is_refused() {
    let error = fence::restore(EXERCISE, "fn f() {}\n").expect_err("region counts differ");
    assert_eq!(
        error,
        FenceError::RegionCountDiffers {
            current: 1,
            solution: 0
        }
    );
}

#[test]
fn a_stub_keeps_the_parameters_and_locals_its_solution_uses_in_use() {
    let text = "\
fn total(mut sum: u64, items: &[u64], unused: bool) -> u64 {
    let scale = 2;
    let mut seen = 0;
    // exercise: add every item, scaled
    // solution-begin
    for item in items {
        sum += item * scale;
        seen += 1;
    }
    sum
    // solution-end
}
";
    let exercise = fence::to_exercise(text).expect("well-formed");
    assert!(
        exercise.contains("    let _ = (&mut sum, &items, &scale, &mut seen);\n    todo!(\"add every item, scaled\");"),
        "the stub must borrow what the solution uses (mutably where declared mut), in declaration order:\n{exercise}"
    );
    assert!(
        !exercise.contains("&unused"),
        "a parameter the solution does not use is not the stub's business:\n{exercise}"
    );
}

#[test]
fn a_stub_mentions_only_variables_still_in_scope_at_the_fence() {
    let text = "\
fn f(input: Option<u32>) -> u32 {
    {
        let gone = 1;
        let _ = gone;
    }
    let Some(value) = input else {
        return 0;
    };
    match value {
        small if small < 10 => {
            // exercise: double it
            // solution-begin
            let gone = small * 2;
            gone + value
            // solution-end
        }
        _ => 0,
    }
}
";
    let exercise = fence::to_exercise(text).expect("well-formed");
    assert!(
        exercise.contains("let _ = (&value, &small);"),
        "a let-else binding and a match-arm binding are in scope at the fence:\n{exercise}"
    );
    assert!(
        !exercise.contains("&gone"),
        "a binding of a block closed before the fence is out of scope (and the solution's own `let gone` binds anew):\n{exercise}"
    );
}

#[test]
fn a_variable_used_only_in_a_format_string_counts_as_used() {
    let text = "\
fn describe(ballot: u64, node: &str) -> String {
    // exercise: say who proposed what
    // solution-begin
    format!(\"{node} proposed {ballot:>4}\")
    // solution-end
}
";
    let exercise = fence::to_exercise(text).expect("well-formed");
    assert!(
        exercise.contains("let _ = (&ballot, &node);"),
        "inline format arguments are uses:\n{exercise}"
    );
}

#[test]
fn a_stub_for_a_solution_using_no_outer_variable_is_the_todo_line_alone() {
    let text = "fn f() -> u32 {\n    // exercise: forty-two\n    // solution-begin\n    let answer = 42;\n    answer\n    // solution-end\n}\n";
    let exercise = fence::to_exercise(text).expect("well-formed");
    assert_eq!(
        exercise,
        format!(
            "{}\nfn f() -> u32 {{\n    // exercise: forty-two\n    // solution-begin\n    todo!(\"forty-two\");\n    // solution-end\n}}\n",
            fence::EXERCISE_ALLOW
        ),
        "nothing to keep in use: no let line"
    );
}

#[test]
fn a_region_holds_its_stub_until_its_todo_line_is_replaced() {
    let exercise = fence::to_exercise(SOLUTION).expect("well-formed");
    let region = &fence::regions(&exercise).expect("well-formed")[0];
    assert!(
        fence::holds_stub(&exercise, region),
        "the exercise form holds the stub"
    );
    let region = &fence::regions(SOLUTION).expect("well-formed")[0];
    assert!(
        !fence::holds_stub(SOLUTION, region),
        "the solution form does not"
    );
}

#[test]
fn build_log_warnings_are_found_with_their_place_but_not_cargos_summaries() {
    let log = "\
   Compiling demo v0.1.0
warning: unused variable: `ballot`
  --> day1/section01-demo/src/lib.rs:12:33
   |
warning: function `helper` is never used
  --> day1/section01-demo/src/lib.rs:40:4
warning: variable does not need to be mutable
  --> day1/section01-demo/src/lib.rs:20:9
";
    let log = format!("{log}warning: `demo` (lib) generated 3 warnings\n");
    assert_eq!(
        xtask::exercise::exercise_warnings(&log),
        vec![
            "unused variable: `ballot` at day1/section01-demo/src/lib.rs:12:33".to_string(),
            "function `helper` is never used at day1/section01-demo/src/lib.rs:40:4".to_string(),
            "variable does not need to be mutable at day1/section01-demo/src/lib.rs:20:9"
                .to_string(),
        ],
        "every warning is found with its place; cargo's summary line is not a warning"
    );
}

#[test]
fn the_exercise_form_allows_unused_helpers_once_after_the_docs_and_restore_removes_it() {
    let text = format!("//! A module.\n//! More docs.\n\nfn helper() {{}}\n\n{SOLUTION}");
    let exercise = fence::to_exercise(&text).expect("well-formed");
    assert!(
        exercise.starts_with(&format!(
            "//! A module.\n//! More docs.\n{}\n",
            fence::EXERCISE_ALLOW
        )),
        "the allow line goes right after the module's documentation:\n{exercise}"
    );
    assert_eq!(
        fence::to_exercise(&exercise).expect("still well-formed"),
        exercise,
        "the allow line is added once"
    );
    assert_eq!(
        fence::restore(&exercise, &text).expect("same regions"),
        text,
        "restoring removes the allow line with the stubs"
    );
}

#[test]
fn files_without_fences_are_left_alone() {
    let plain = "fn main() {\n    // solution is not a marker\n}\n";
    assert!(!fence::has_fences(plain));
    assert_eq!(fence::to_exercise(plain).expect("nothing to do"), plain);
}
