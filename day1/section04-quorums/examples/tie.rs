//! Equal timestamps: alice and bob write in the same millisecond through two
//! coordinators, and athens's write reaches cyrene late. With the original's
//! timestamp-only versions the replicas disagree forever; with (timestamp, node) versions
//! they all keep byzantium's write.
//!
//! `cargo run -p quorums --example tie [timestamp-only]`

use quorums::lab::Lesson;
use quorums::{Config, ReadRepair, Versioning};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let versioning = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => Versioning::WallClock,
        ["timestamp-only"] => Versioning::TimestampOnly,
        _ => {
            eprintln!(
                "usage: cargo run -p quorums --example tie [timestamp-only]   (got {args:?})"
            );
            std::process::exit(2);
        }
    };
    println!("versions: {versioning:?}");
    let config = Config {
        versioning,
        read_repair: ReadRepair::Sync,
        ..Config::default()
    };
    let mut lesson = Lesson::new(
        &["athens", "byzantium", "cyrene"],
        config,
        &["alice", "bob"],
    )?;
    lesson.say("athens's writes to cyrene are 3 ticks slow; alice and bob write at the same tick");
    lesson
        .cluster
        .net()
        .delay_kind("InternalSet", "athens", "cyrene", 3);
    let a = lesson.start_set("alice", "athens", "title", "from-athens");
    let b = lesson.start_set("bob", "byzantium", "title", "from-byzantium");
    lesson.wait(&a)?;
    lesson.wait(&b)?;
    lesson.tick_n(5);
    lesson.say("reads through every coordinator, with sync read repair");
    for coordinator in ["athens", "byzantium", "cyrene"] {
        lesson.get("alice", coordinator, "title")?;
    }
    lesson.tick_n(5);
    lesson.finish();
    Ok(())
}
