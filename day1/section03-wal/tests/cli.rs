//! The command line: output, exit codes, and bad input that never panics.

use std::process::{Command, Output};

fn wal(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wal"))
        .args(args)
        .output()
        .expect("run the wal binary")
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exit code")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn append_dump_and_verify_a_clean_log() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("log");
    let dir = dir.to_str().expect("utf-8 path");
    assert_eq!(code(&wal(&["append", dir, "one", "two", "three"])), 0);
    let dump = wal(&["dump", dir]);
    assert_eq!(code(&dump), 0);
    let text = stdout(&dump);
    assert_eq!(
        text.matches(" data ").count(),
        3,
        "three data frames listed:\n{text}"
    );
    assert!(text.contains("ok") && !text.contains("BAD"));
    let verify = wal(&["verify", dir]);
    assert_eq!(
        code(&verify),
        0,
        "a clean log verifies: {}",
        stdout(&verify)
    );
}

#[test]
fn verify_and_recover_report_a_torn_tail_and_recovery_cuts_it() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("log");
    let dir = path.to_str().expect("utf-8 path");
    assert_eq!(code(&wal(&["append", dir, "one", "two"])), 0);
    let segment = path.join("wal_00000000000000000000.log");
    let len = std::fs::metadata(&segment).expect("segment").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&segment)
        .expect("open");
    file.set_len(len - 2).expect("tear the tail");
    assert_eq!(code(&wal(&["verify", dir])), 1, "a torn tail exits with 1");
    let dry = wal(&["recover", dir, "--dry-run"]);
    assert_eq!(code(&dry), 1);
    assert!(stdout(&dry).contains("would discard"));
    assert_eq!(
        std::fs::metadata(&segment).expect("segment").len(),
        len - 2,
        "a dry run changes nothing"
    );
    assert_eq!(code(&wal(&["recover", dir])), 0);
    assert_eq!(
        code(&wal(&["verify", dir])),
        0,
        "after recovery the log is clean"
    );
}

#[test]
fn verify_reports_mid_log_corruption_with_exit_code_4() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("log");
    let dir = path.to_str().expect("utf-8 path");
    assert_eq!(code(&wal(&["append", dir, "one", "two"])), 0);
    let segment = path.join("wal_00000000000000000000.log");
    let mut bytes = std::fs::read(&segment).expect("read");
    bytes[41] ^= 0xFF;
    std::fs::write(&segment, &bytes).expect("write");
    let dump = wal(&["dump", dir]);
    assert!(
        stdout(&dump).contains("BAD"),
        "dump marks the bad checksum:\n{}",
        stdout(&dump)
    );
    // The damaged frame is followed by a valid one: corruption even in the last segment.
    assert_eq!(code(&wal(&["verify", dir])), 4);
    // A second segment makes the damage mid-log.
    std::fs::write(path.join("wal_00000000000000000002.log"), b"").expect("second segment");
    let verify = wal(&["verify", dir]);
    assert_eq!(code(&verify), 4, "{}", stdout(&verify));
    let open = wal(&["truncate", dir, "1"]);
    assert_eq!(
        code(&open),
        4,
        "the log refuses to open: {}",
        String::from_utf8_lossy(&open.stderr)
    );
    assert!(
        String::from_utf8_lossy(&open.stderr).contains("wal_00000000000000000000.log at byte 0")
    );
}

/// The fault this guards against: `verify` called a log whose frame 2 is bad and whose
/// frame 3 is valid and synced a torn tail (exit 1), and `recover` then cut frame 3, an
/// acknowledged entry. Now it is corruption (exit 4), recover refuses and changes nothing,
/// and only `--discard-corrupt-tail` (the operator saying so) cuts it.
#[test]
fn verify_calls_a_bad_frame_before_a_valid_synced_frame_corruption_and_recover_discards_nothing() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("log");
    let dir = path.to_str().expect("utf-8 path");
    assert_eq!(code(&wal(&["append", dir, "one", "two", "three"])), 0);
    let segment = path.join("wal_00000000000000000000.log");
    let mut bytes = std::fs::read(&segment).expect("read");
    let second_frame = 40 + 3;
    bytes[second_frame + 41] ^= 0x20;
    std::fs::write(&segment, &bytes).expect("write");

    let verify = wal(&["verify", dir]);
    assert_eq!(
        code(&verify),
        4,
        "damage followed by a valid frame is corruption, not a torn tail:\n{}",
        stdout(&verify)
    );
    assert!(
        stdout(&verify).contains("valid frame follows") && stdout(&verify).contains("3"),
        "verify must say which valid entry follows the damage:\n{}",
        stdout(&verify)
    );
    let dry = wal(&["recover", dir, "--dry-run"]);
    assert_eq!(code(&dry), 4, "the dry run agrees with verify");
    let recover = wal(&["recover", dir]);
    let stderr = String::from_utf8_lossy(&recover.stderr).into_owned();
    assert_eq!(code(&recover), 4, "recovery refuses: {stderr}");
    assert!(
        stderr.contains("--discard-corrupt-tail"),
        "the refusal names the operator's way out: {stderr}"
    );
    assert_eq!(
        std::fs::read(&segment).expect("read"),
        bytes,
        "nothing is discarded without the operator saying so"
    );

    let discard = wal(&["recover", dir, "--discard-corrupt-tail"]);
    assert_eq!(
        code(&discard),
        0,
        "{}",
        String::from_utf8_lossy(&discard.stderr)
    );
    assert!(
        stdout(&discard).contains("entries 3"),
        "the repair names the entry it gave up:\n{}",
        stdout(&discard)
    );
    assert_eq!(
        std::fs::metadata(&segment).expect("segment").len(),
        second_frame as u64,
        "the operator's repair cuts at the bad frame"
    );
    assert_eq!(code(&wal(&["verify", dir])), 0, "the repaired log is clean");
}

#[test]
fn truncate_removes_the_index_and_what_follows() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let dir = tmp.path().join("log");
    let dir = dir.to_str().expect("utf-8 path");
    assert_eq!(code(&wal(&["append", dir, "a", "b", "c"])), 0);
    let out = wal(&["truncate", dir, "2"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("last index is now 1"));
}

#[test]
fn bad_input_gets_a_message_and_exit_code_2() {
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["truncate", "/nonexistent"],
        vec!["truncate", "/tmp", "minus-one"],
        vec!["bench", "--seconds", "abc"],
        vec!["torn-demo", "--trials"],
        vec!["recover", "/tmp", "--wet-run"],
    ] {
        let out = wal(&args);
        assert_eq!(code(&out), 2, "{args:?} is a usage error");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("usage"),
            "{args:?} prints the usage"
        );
    }
    let missing = wal(&["verify", "/nonexistent/wal/dir"]);
    assert_eq!(
        code(&missing),
        3,
        "a missing directory is an I/O error, not a panic"
    );
}

#[test]
fn the_torn_demo_prints_both_schemes() {
    let out = wal(&["torn-demo", "--trials", "20", "--seed", "3"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(
        text.contains("overwrite in place") && text.contains("two slots"),
        "{text}"
    );
}
