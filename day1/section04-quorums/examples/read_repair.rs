//! Read repair: cyrene misses a write; a read finds it stale and repairs it. In sync
//! mode the read answers only once a majority holds the value; in async mode at once.
//! Only the stale replica is sent a repair.
//!
//! `cargo run -p quorums --example read_repair [sync|async]`

use quorums::lab::{Lesson, all_hold};
use quorums::{Config, ReadRepair, Replica};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] | ["sync"] => ReadRepair::Sync,
        ["async"] => ReadRepair::Async,
        _ => {
            eprintln!(
                "usage: cargo run -p quorums --example read_repair [sync|async]   (got {args:?})"
            );
            std::process::exit(2);
        }
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
    Ok(())
}
