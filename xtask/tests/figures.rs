//! `cargo xtask figures`: reading the blocks a producer prints, and writing them between a
//! README's markers.

use std::path::Path;

use xtask::figures::{self, PICTURES, PRODUCERS};

const README: &str = "\
# Lab

Before.

<!-- figures:table begin -->
| old | table |
<!-- figures:table end -->

After.
";

#[test]
fn blocks_are_read_between_their_begin_and_end_lines() {
    let output = "\
running 1 test
figures:table begin
| new | table |
|---|---|
figures:table end
noise
figures:answer begin
```text
seed 7
```
figures:answer end
test ok
";
    let blocks = figures::extract_blocks(output).expect("well-formed output");
    assert_eq!(
        blocks.get("table").map(String::as_str),
        Some("| new | table |\n|---|---|\n"),
        "the table block must hold exactly the lines between its begin and end lines"
    );
    assert_eq!(
        blocks.get("answer").map(String::as_str),
        Some("```text\nseed 7\n```\n"),
        "a second block is read on its own"
    );
    assert_eq!(blocks.len(), 2, "lines outside blocks are not blocks");
}

#[test]
fn malformed_block_output_is_refused() {
    for (output, says) in [
        ("figures:table begin\n| a |\n", "never ends"),
        ("| a |\nfigures:table end\n", "without having begun"),
        (
            "figures:a begin\nfigures:b begin\nfigures:b end\nfigures:a end\n",
            "inside block a",
        ),
        (
            "figures:a begin\nfigures:a end\nfigures:a begin\nfigures:a end\n",
            "printed twice",
        ),
    ] {
        let error = figures::extract_blocks(output).expect_err("malformed output");
        assert!(
            error.contains(says),
            "for {output:?} the error must say {says:?}, got {error:?}"
        );
    }
}

#[test]
fn a_block_is_replaced_between_its_markers_and_nothing_else_changes() {
    let updated = figures::replace_block(README, "table", "| new | table |\n")
        .expect("the markers are there");
    assert_eq!(
        updated,
        README.replace("| old | table |", "| new | table |"),
        "only the lines between the markers may change"
    );
    assert_eq!(
        figures::current_block(&updated, "table").as_deref(),
        Some("| new | table |\n"),
        "the block reads back as written"
    );
    let again = figures::replace_block(&updated, "table", "| new | table |\n").expect("markers");
    assert_eq!(
        again, updated,
        "writing the same block again changes nothing"
    );
}

#[test]
fn missing_repeated_or_reversed_markers_are_reported() {
    let missing = figures::replace_block(README, "other", "x\n").expect_err("no markers");
    assert!(
        missing.contains("<!-- figures:other begin -->"),
        "the error must name the missing marker: {missing}"
    );
    let doubled = format!("{README}<!-- figures:table end -->\n");
    let error = figures::replace_block(&doubled, "table", "x\n").expect_err("two end markers");
    assert!(error.contains("2 times"), "{error}");
    let reversed = "<!-- figures:t end -->\n<!-- figures:t begin -->\n";
    let error = figures::replace_block(reversed, "t", "x\n").expect_err("end before begin");
    assert!(error.contains("before"), "{error}");
}

#[test]
fn changed_lines_show_what_left_and_what_came() {
    let changes = figures::changed_lines("| a | 1 |\n| b | 2 |\n", "| a | 1 |\n| b | 3 |\n");
    assert_eq!(
        changes,
        ["- | b | 2 |", "+ | b | 3 |"],
        "only the changed row is listed, old then new"
    );
}

/// Every block a producer prints has its markers in its README, once each, so
/// `figures --check` can compare it.
#[test]
fn every_produced_block_has_its_markers_in_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut blocks = 0;
    for producer in PRODUCERS {
        for (id, readme) in producer.blocks {
            let text = std::fs::read_to_string(root.join(readme))
                .unwrap_or_else(|e| panic!("{readme} must be readable: {e}"));
            if let Err(e) = figures::replace_block(&text, id, "") {
                panic!("{readme} must hold the markers of block {id}: it {e}");
            }
            blocks += 1;
        }
    }
    assert!(
        blocks >= 2,
        "the quorums table and its exercise answer are generated"
    );
}

#[test]
fn every_drawn_picture_is_committed_and_embedded_by_its_sections_readme() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for picture in PICTURES {
        let file = root.join(picture.file);
        let svg = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{} must be committed: {e}", picture.file));
        assert!(
            svg.starts_with("<svg "),
            "{} must be an SVG document",
            picture.file
        );
        let (section, name) = picture
            .file
            .split_once("/docs/")
            .unwrap_or_else(|| panic!("{} must live in its section's docs/", picture.file));
        let readme = format!("{section}/README.md");
        let text = std::fs::read_to_string(root.join(&readme))
            .unwrap_or_else(|e| panic!("{readme} must be readable: {e}"));
        assert!(
            text.contains(&format!("](docs/{name})")),
            "{readme} must embed docs/{name} with a Markdown image"
        );
        assert!(
            text.contains(&format!("--svg {}", picture.file)),
            "{readme} must say how {name} is regenerated"
        );
    }
}
