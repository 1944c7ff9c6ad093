//! The quorum race of DDIA (ch. 9): a slow write reaches athens first. Alice reads
//! through byzantium with athens in her quorum and sees the new value; bob reads later
//! with cyrene instead and sees the old one. Both are correct quorum reads, and the
//! history is not linearizable.
//!
//! `cargo run -p quorums --example ddia_race`
//!
//! Add `--html <file>`, `--mermaid <file>` or `--svg <file>` to draw the run's messages.

use common::picture::{PictureFiles, SequenceDiagram};
use quorums::Config;
use quorums::lab::{Lesson, stored};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pictures = PictureFiles::only_from_args("ddia_race");
    let config = Config {
        coordinator_timeout_ticks: 30,
        client_timeout_ticks: 40,
        ..Config::default()
    };
    let mut lesson = Lesson::new(
        &["athens", "byzantium", "cyrene"],
        config,
        &["writer", "alice", "bob"],
    )?;
    lesson.set("writer", "athens", "x", "0")?;
    lesson.tick_n(2);

    lesson.say(
        "athens's writes to byzantium and cyrene are delayed by 12 ticks; the writer writes x=1",
    );
    let slow =
        lesson
            .cluster
            .net()
            .delay_kind("InternalSet", "athens", ["byzantium", "cyrene"], 12);
    let write = lesson.start_set("writer", "athens", "x", "1");
    lesson.tick_until(|c| stored(c, "athens", "x").as_deref() == Some("1"))?;
    lesson.cluster.net().release(slow);

    lesson.say("byzantium | cyrene: alice's quorum is {byzantium, athens}");
    lesson.cluster.partition(&[&["byzantium"], &["cyrene"]]);
    lesson.get("alice", "byzantium", "x")?;
    lesson.say("byzantium | athens: bob's quorum is {byzantium, cyrene}");
    lesson.cluster.heal_all();
    lesson.cluster.partition(&[&["byzantium"], &["athens"]]);
    lesson.get("bob", "byzantium", "x")?;
    lesson.say("the delayed writes were already in flight: they land across the partition");
    lesson.wait(&write)?;
    lesson.finish();
    pictures.write_or_exit(
        &SequenceDiagram::of_cluster(&lesson.cluster)
            .title("the quorum race of DDIA: alice sees the new value, bob the old"),
    );
    Ok(())
}
