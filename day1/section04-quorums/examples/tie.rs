//! Equal timestamps: alice and bob write in the same millisecond through two
//! coordinators, and athens's write reaches cyrene late. With the original's
//! timestamp-only versions the replicas disagree forever; with (timestamp, node) versions
//! they all keep byzantium's write.
//!
//! `cargo run -p quorums --example tie [timestamp-only]`
//!
//! Add `--html <file>`, `--mermaid <file>` or `--svg <file>` to draw the run's messages.

use common::picture::{PictureFiles, SequenceDiagram};
use quorums::lab::Lesson;
use quorums::{Config, ReadRepair, Versioning};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = format!("tie [timestamp-only] {}", PictureFiles::USAGE);
    let (pictures, args) = PictureFiles::from_args("tie", &usage);
    let versioning = match args.as_slice() {
        [] => Versioning::WallClock,
        [word] if word == "timestamp-only" => Versioning::TimestampOnly,
        _ => common::cli::exit_usage("`tie`: the only argument is `timestamp-only`", &usage),
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
    pictures.write_or_exit(
        &SequenceDiagram::of_cluster(&lesson.cluster)
            .title(format!("equal timestamps, versions {versioning:?}")),
    );
    Ok(())
}
