//! A failed write is not a no-op: five replicas split 2 | 3; the minority's write fails
//! but stays on both minority replicas. The majority's later write wins after the heal
//! only because it is newer.
//!
//! `cargo run -p quorums --example failed_write`
//!
//! Add `--html <file>`, `--mermaid <file>` or `--svg <file>` to draw the run's messages.

use common::picture::{PictureFiles, SequenceDiagram};
use quorums::Config;
use quorums::lab::Lesson;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pictures = PictureFiles::only_from_args("failed_write");
    let servers = ["athens", "byzantium", "cyrene", "delphi", "sparta"];
    let mut lesson = Lesson::new(
        &servers,
        Config::default(),
        &["minority-client", "majority-client"],
    )?;
    lesson.say("an initial write reaches all five");
    lesson.set("majority-client", "cyrene", "title", "initial")?;
    lesson.tick_n(2);

    lesson.say("partition {athens, byzantium} | {cyrene, delphi, sparta}");
    lesson
        .cluster
        .partition(&[&["athens", "byzantium"], &["cyrene", "delphi", "sparta"]]);
    lesson.set("minority-client", "athens", "title", "minority")?;
    lesson.say("the write failed (2 of 5 acknowledged), yet athens and byzantium keep it: recorded as info");
    lesson.set("majority-client", "cyrene", "title", "majority")?;

    lesson.say("heal and read through cyrene");
    lesson.cluster.heal_all();
    lesson.get("majority-client", "cyrene", "title")?;
    lesson.finish();
    pictures.write_or_exit(
        &SequenceDiagram::of_cluster(&lesson.cluster).title("a failed write is not a no-op"),
    );
    Ok(())
}
