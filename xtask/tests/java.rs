//! Reading Java's version.

use xtask::java::{self, parse_major_version};

#[test]
fn java_versions_are_read_in_both_numbering_schemes() {
    assert_eq!(
        parse_major_version("openjdk version \"17.0.15\" 2025-04-15\nOpenJDK Runtime"),
        Some(17)
    );
    assert_eq!(
        parse_major_version("java version \"1.8.0_292\"\nJava(TM) SE"),
        Some(8)
    );
    assert_eq!(
        parse_major_version("openjdk version \"21\" 2023-09-19"),
        Some(21)
    );
    assert_eq!(
        parse_major_version("openjdk version \"11.0.2-ea\""),
        Some(11)
    );
    assert_eq!(parse_major_version("no version here"), None);
}

#[test]
fn a_missing_java_is_an_environment_problem_naming_the_alternative() {
    let failure = java::find(Some("/nonexistent/java-home".into()), 11).expect_err("no java there");
    assert_eq!(failure.exit_code(), 2);
    assert!(failure.to_string().contains("--engine tla-rs"), "{failure}");
}
