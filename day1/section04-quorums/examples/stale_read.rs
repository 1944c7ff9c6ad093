//! R + W <= N: with R = W = 1 of 3 a write acknowledged by athens alone and a read
//! answered by cyrene alone need not meet; cyrene, cut off, returns the old value.
//! Run with `majority` as argument to see the same situation with R = W = 2: the read
//! fails instead of lying.
//!
//! `cargo run -p quorums --example stale_read [majority]`
//!
//! Add `--html <file>`, `--mermaid <file>` or `--svg <file>` to draw the run's messages.

use common::picture::{PictureFiles, SequenceDiagram};
use quorums::Config;
use quorums::lab::Lesson;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = format!("stale_read [majority] {}", PictureFiles::USAGE);
    let (pictures, args) = PictureFiles::from_args("stale_read", &usage);
    let majority = match args.as_slice() {
        [] => false,
        [word] if word == "majority" => true,
        _ => common::cli::exit_usage("`stale_read`: the only argument is `majority`", &usage),
    };
    let config = if majority {
        Config::default()
    } else {
        Config {
            read_quorum: Some(1),
            write_quorum: Some(1),
            ..Config::default()
        }
    };
    println!(
        "R = {}, W = {}, N = 3: quorums intersect? {}",
        config.r(3),
        config.w(3),
        config.quorums_intersect(3)
    );
    let mut lesson = Lesson::new(
        &["athens", "byzantium", "cyrene"],
        config,
        &["alice", "bob"],
    )?;
    lesson.set("alice", "athens", "title", "v0")?;
    lesson.tick_n(2);
    lesson.say("cyrene is cut off; alice writes v1 through athens");
    lesson
        .cluster
        .partition(&[&["cyrene"], &["athens", "byzantium"]]);
    lesson.set("alice", "athens", "title", "v1")?;
    lesson.say("bob reads through cyrene");
    lesson.get("bob", "cyrene", "title")?;
    lesson.finish();
    pictures.write_or_exit(
        &SequenceDiagram::of_cluster(&lesson.cluster).title(if majority {
            "R = W = 2 of 3: the read fails instead of lying"
        } else {
            "R = W = 1 of 3: a stale read"
        }),
    );
    Ok(())
}
