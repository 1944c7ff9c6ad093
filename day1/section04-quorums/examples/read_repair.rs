//! Read repair: cyrene misses a write; a read finds it stale and repairs it. In sync
//! mode the read answers only once a majority holds the value; in async mode at once.
//! Only the stale replica is sent a repair.
//!
//! `cargo run -p quorums --example read_repair [sync|async]`
//!
//! Add `--html <file>`, `--mermaid <file>` or `--svg <file>` to draw the run's messages.

use common::picture::{PictureFiles, SequenceDiagram};
use quorums::lab::{Lesson, all_hold};
use quorums::{Config, ReadRepair, Replica};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = format!("read_repair [sync|async] {}", PictureFiles::USAGE);
    let (pictures, args) = PictureFiles::from_args("read_repair", &usage);
    let mode = match args.as_slice() {
        [] => ReadRepair::Sync,
        [mode] if mode == "sync" => ReadRepair::Sync,
        [mode] if mode == "async" => ReadRepair::Async,
        _ => common::cli::exit_usage("`read_repair`: the mode is sync or async", &usage),
    };
    println!("read repair: {mode:?}");
    let mut lesson = Lesson::new(
        &["athens", "byzantium", "cyrene"],
        Config::with_read_repair(mode),
        &["alice"],
    )?;
    lesson.set("alice", "athens", "title", "v_old")?;
    lesson.tick_n(2);
    lesson.say("cyrene is cut off; alice writes v_new");
    lesson
        .cluster
        .partition(&[&["cyrene"], &["athens", "byzantium"]]);
    lesson.set("alice", "athens", "title", "v_new")?;
    lesson.say("heal; alice reads through athens");
    lesson.cluster.heal_all();
    lesson.get("alice", "athens", "title")?;
    lesson.say("cyrene's late, stale answer is repaired");
    lesson.tick_until(|c| all_hold(c, "title", "v_new"))?;
    let repairs = lesson
        .cluster
        .node::<Replica>("athens")
        .stats()
        .repair_messages;
    println!("repair messages sent by athens: {repairs}");
    lesson.finish();
    pictures.write_or_exit(&SequenceDiagram::of_cluster(&lesson.cluster).title(format!(
        "read repair ({mode:?}): the stale replica is repaired"
    )));
    Ok(())
}
