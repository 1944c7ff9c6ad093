//! Clock skew and last-write-wins: cyrene's clock runs behind, so the majority's
//! successful write is stamped older than the minority's failed one, which wins.
//!
//! The run is recorded twice over: with the failed write as `fail` (what the original
//! did: neither linearizable nor sequentially consistent) and as `info` (honest: the
//! write may take effect later, and then the history is linearizable).
//!
//! `cargo run -p quorums --example clock_skew`
//!
//! Add `--html <file>`, `--mermaid <file>` or `--svg <file>` to draw the first run's
//! messages (the README's picture is `--svg docs/clock-skew.svg`).

use common::picture::{PictureFiles, SequenceDiagram};
use quorums::client::Recorder;
use quorums::lab::Lesson;
use quorums::{Config, Replica};

/// Plays the scenario; draws it into `pictures` when given.
fn run(
    recorder: Recorder,
    reader: &str,
    pictures: Option<&PictureFiles>,
) -> Result<bool, Box<dyn std::error::Error>> {
    let servers = ["athens", "byzantium", "cyrene", "delphi", "sparta"];
    let mut clients = vec!["majority-client", "minority-client"];
    if reader != "minority-client" {
        clients.push(reader);
    }
    let mut lesson = Lesson::with_recorder(&servers, Config::default(), &clients, recorder)?;
    lesson.set("majority-client", "cyrene", "title", "v0")?;
    lesson.say("partition {athens, byzantium} | {cyrene, delphi, sparta}; the minority writes");
    lesson
        .cluster
        .partition(&[&["athens", "byzantium"], &["cyrene", "delphi", "sparta"]]);
    lesson.set("minority-client", "athens", "title", "minority")?;
    let ts1 = lesson
        .cluster
        .node::<Replica>("athens")
        .local("title")
        .map_or(0, |v| v.version.timestamp);
    lesson.say(&format!(
        "cyrene's clock is set to {} ms, 10 ms before the failed write's timestamp",
        ts1 - 10
    ));
    lesson.cluster.clock("cyrene").set_ms(ts1 - 10);
    lesson.set("majority-client", "cyrene", "title", "majority")?;
    lesson.say("heal; read through athens");
    lesson.cluster.heal_all();
    lesson.get(reader, "athens", "title")?;
    let linearizable = lesson.finish();
    if let Some(pictures) = pictures {
        let title = "clock skew: the majority's later write is stamped older, and loses";
        pictures.write_or_exit(&SequenceDiagram::of_cluster(&lesson.cluster).title(title));
    }
    Ok(linearizable)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pictures = PictureFiles::only_from_args("clock_skew");
    println!("######## recorded as the original did: the failed write is `fail`");
    let as_fail = run(
        Recorder::recording_failed_writes_as_fail(),
        "minority-client",
        Some(&pictures),
    )?;
    println!(
        "\n######## recorded honestly: the failed write is `info`, the read by a fresh client"
    );
    let as_info = run(Recorder::new(), "minority-client-2", None)?;
    println!(
        "\nlinearizable with `fail`: {as_fail}; with `info`: {as_info}.\n\
         The store did the same thing both times. A client that got \"quorum not reached\"\n\
         must assume its write may still land, and win."
    );
    Ok(())
}
