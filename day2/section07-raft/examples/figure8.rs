//! Figure 8 of the Raft paper, run on five servers (athens, byzantium, cyrene, delphi,
//! ephesus as S1..S5), with the commit rule of your choice.
//!
//! 1. S1 leads term 2; its no-op at index 2 reaches S2 only.
//! 2. S1 is cut off; S5 wins term 3 with S3 and S4; its no-op at index 2 stays on S5.
//! 3. S1 returns and wins term 4 with S3 and S4; it copies its term-2 entry to them, so
//!    it is on a majority — but S1's term-4 no-op is not.
//! 4. S1 is cut off; S5 returns and runs for term 5.
//!
//! With the counting rule S1 committed index 2 in step 3, and S5 wins term 5 anyway
//! (its last term, 3, beats theirs, 2) and overwrites the entry wherever it can: a
//! leader without a committed entry.
//! With the current-term rule S1 commits nothing in step 3; healed before step 4, it
//! commits its no-op and the entry before it, and S5 can no longer win.
//!
//! Run it with `cargo run -p raft --example figure8 -- [counting|current-term] [seed]`. Add `--html <file>`, `--mermaid <file>` or `--svg <file>` to draw the run.

use common::picture::{PictureFiles, SequenceDiagram};
use common::{Cluster, Tick};
use raft::{CommitRule, Config, Msg, Server};

const S1: &str = "athens";
const S2: &str = "byzantium";
const S3: &str = "cyrene";
const S4: &str = "delphi";
const S5: &str = "ephesus";
const ALL: [&str; 5] = [S1, S2, S3, S4, S5];

fn main() {
    let usage = format!(
        "figure8 [counting|current-term] [seed] {}",
        PictureFiles::USAGE
    );
    let (pictures, args) = PictureFiles::from_args("figure8", &usage);
    let mut rule = CommitRule::Counting;
    let mut seed = 19;
    let (mut rule_given, mut seed_given) = (false, false);
    for arg in &args {
        match arg.as_str() {
            "counting" | "current-term" if !rule_given => {
                rule_given = true;
                rule = if arg == "counting" {
                    CommitRule::Counting
                } else {
                    CommitRule::CurrentTerm
                };
            }
            other if !seed_given && other.parse::<u64>().is_ok() => {
                seed_given = true;
                seed = other.parse::<u64>().unwrap_or(seed);
            }
            other => common::cli::exit_usage(
                &format!(
                    "`figure8`: unexpected argument {other:?} (one rule and one seed at most)"
                ),
                &usage,
            ),
        }
    }
    let config = Config {
        election_timeout_ticks: (5_000, 6_000),
        pre_vote: false,
        check_quorum: false,
        max_entries_per_append: 1,
        commit_rule: rule,
        ..Config::default()
    };
    // Heartbeats and their answers are hashed and counted but not drawn.
    let builder = Cluster::builder()
        .seed(seed)
        .servers(ALL)
        .request_timeout(100)
        .fold_trace("Heartbeat")
        .fold_trace("Appended");
    let mut cluster = raft::build(builder, config);
    let rule_name = match rule {
        CommitRule::Counting => "counting",
        CommitRule::CurrentTerm => "current-term",
    };
    println!("== Figure 8, seed {seed}, {rule_name} commit rule");

    stand(&mut cluster, S1);
    until(&mut cluster, 50, |c| {
        ALL.iter().all(|id| node(c, id).last_index() == 1)
    });
    for id in [S3, S4, S5] {
        cluster.net().drop_kind("AppendEntries", S1, id);
    }
    stand(&mut cluster, S1);
    until(&mut cluster, 50, |c| node(c, S2).term_at(2) == Some(2));
    show(
        &cluster,
        "1. S1 leads term 2; its no-op at index 2 reaches S2 only",
    );

    cluster.isolate(S1);
    cluster.net().clear_rules();
    for id in [S1, S2, S3, S4] {
        cluster.net().drop_kind("AppendEntries", S5, id);
    }
    stand(&mut cluster, S5);
    show(
        &cluster,
        "2. S1 is cut off; S5 wins term 3 and keeps its no-op to itself",
    );

    cluster.heal_all();
    cluster.net().clear_rules();
    cluster.isolate(S5);
    cluster.isolate(S2);
    stand(&mut cluster, S1);
    until(&mut cluster, 50, |c| {
        [S3, S4].iter().all(|id| node(c, id).term_at(2) == Some(2))
    });
    for id in [S3, S4] {
        cluster.net().drop_kind("AppendEntries", S1, id);
    }
    cluster.tick_n(20);
    show(
        &cluster,
        "3. S1 leads term 4; its term-2 entry is on S1, S3 and S4",
    );
    println!(
        "   S1's commit index: {} ({})",
        node(&cluster, S1).commit_index(),
        if node(&cluster, S1).commit_index() >= 2 {
            "it committed the term-2 entry by counting"
        } else {
            "the term-2 entry waits for an entry of term 4"
        }
    );
    let committed_by_s1 = node(&cluster, S1).entry(2).cloned();
    let s1_commit = node(&cluster, S1).commit_index();

    if rule == CommitRule::CurrentTerm {
        cluster.net().clear_rules();
        until(&mut cluster, 50, |c| node(c, S1).commit_index() >= 3);
        println!(
            "   healed: S1 commits its no-op and with it index 2 (commit index {})",
            node(&cluster, S1).commit_index()
        );
    }
    cluster.heal_all();
    cluster.net().clear_rules();
    cluster.isolate(S1);
    for _ in 0..4 {
        cluster.act::<Server, _>(S5, |s, ctx| s.start_election(ctx));
        cluster.tick_n(20);
        if node(&cluster, S5).is_leader() {
            break;
        }
    }
    cluster.tick_n(30);
    show(&cluster, "4. S1 is cut off; S5 runs for term 5");
    let s5 = node(&cluster, S5);
    let lacks = s5.entry(2) != committed_by_s1.as_ref();
    if s5.is_leader() && s1_commit >= 2 && lacks {
        println!(
            "\n   S5 leads term {} with {} at index 2, where S1 had committed {}:",
            s5.term(),
            s5.entry(2)
                .map_or("nothing".to_string(), ToString::to_string),
            committed_by_s1.map_or("nothing".to_string(), |e| e.to_string())
        );
        println!("   a leader without a committed entry. It overwrites it on every server");
        println!("   that has not heard it was committed: the counting rule is unsafe.");
    } else if s5.is_leader() {
        println!(
            "\n   S5 leads term {}; S1 had committed nothing at index 2: safe.",
            s5.term()
        );
    } else {
        println!(
            "\n   S5 lacks a committed entry and is denied votes: the current-term rule is safe."
        );
    }
    let title = format!("Figure 8, {rule_name} commit rule (seed {seed})");
    pictures.write_or_exit(&SequenceDiagram::of_cluster(&cluster).title(title));
}

fn node<'a>(cluster: &'a Cluster<Msg>, id: &str) -> &'a Server {
    cluster.node::<Server>(id)
}

/// Make `id` stand until it leads (at most five terms of 20 ticks).
fn stand(cluster: &mut Cluster<Msg>, id: &str) {
    for _ in 0..5 {
        cluster.act::<Server, _>(id, |s, ctx| s.start_election(ctx));
        for _ in 0..20 {
            cluster.tick();
            if node(cluster, id).is_leader() {
                return;
            }
        }
    }
    eprintln!("{id} could not win an election: the scenario did not unfold");
    std::process::exit(1);
}

fn until(cluster: &mut Cluster<Msg>, budget: Tick, done: impl Fn(&Cluster<Msg>) -> bool) {
    if cluster.tick_until_within(budget, done).is_err() {
        eprintln!("a step of the scenario did not complete within {budget} ticks");
        std::process::exit(1);
    }
}

fn show(cluster: &Cluster<Msg>, step: &str) {
    println!("\n{step} (tick {})", cluster.now());
    for id in ALL {
        let s = node(cluster, id);
        let terms: Vec<String> = s.log().iter().map(|e| e.term.to_string()).collect();
        let role = if s.is_leader() { "leader" } else { "" };
        println!(
            "   {id:<9} term {:<2} {role:<6} log terms [{}] commit {}",
            s.term(),
            terms.join(" "),
            s.commit_index()
        );
    }
}
