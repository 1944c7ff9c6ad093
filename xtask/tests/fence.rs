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
impl Acceptor {
    fn on_prepare(&mut self, ballot: u64) -> bool {
        // exercise: promise only to a ballot above the current promise; persist before replying
        // solution-begin
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
fn files_without_fences_are_left_alone() {
    let plain = "fn main() {\n    // solution is not a marker\n}\n";
    assert!(!fence::has_fences(plain));
    assert_eq!(fence::to_exercise(plain).expect("nothing to do"), plain);
}
