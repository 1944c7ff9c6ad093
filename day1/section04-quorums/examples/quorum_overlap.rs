//! Quorum intersection: a write acknowledged by {athens, byzantium} is seen by a read
//! answered by {athens, cyrene}, because any two majorities of three share a replica.
//!
//! `cargo run -p quorums --example quorum_overlap`
//!
//! Add `--html <file>`, `--mermaid <file>` or `--svg <file>` to draw the run's messages.

use common::picture::{PictureFiles, SequenceDiagram};
use quorums::Config;
use quorums::lab::Lesson;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pictures = PictureFiles::only_from_args("quorum_overlap");
    let mut lesson = Lesson::new(
        &["athens", "byzantium", "cyrene"],
        Config::default(),
        &["alice"],
    )?;
    lesson.say("cyrene is cut off; alice writes through athens (W = 2 of 3)");
    lesson
        .cluster
        .partition(&[&["cyrene"], &["athens", "byzantium"]]);
    lesson.set("alice", "athens", "title", "Distributed Systems")?;
    lesson.tick_n(2);

    lesson.say(
        "heal; now byzantium is cut off and cyrene is stale; alice reads through athens (R = 2)",
    );
    lesson.cluster.heal_all();
    lesson
        .cluster
        .partition(&[&["byzantium"], &["athens", "cyrene"]]);
    lesson.get("alice", "athens", "title")?;
    lesson
        .say("the read quorum {athens, cyrene} met the write quorum {athens, byzantium} in athens");
    lesson.finish();
    pictures.write_or_exit(
        &SequenceDiagram::of_cluster(&lesson.cluster)
            .title("quorum intersection: a read quorum meets the write quorum"),
    );
    Ok(())
}
