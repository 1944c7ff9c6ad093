//! Athens leads and commits three writes; then it is cut off. Bob asks byzantium, which
//! knows athens as leader and sends him there; athens cannot answer, so bob's retry
//! makes byzantium stand for election. Its full-log prepare asks from slot 4 (it has
//! executed 1 to 3), and bob's write goes in slot 4, after everything it learned.
//! Athens rejoins, meets the higher ballot and steps down. It missed slot 4 while cut
//! off: the commit of slot 5 arrives past that gap, and athens catches up from
//! byzantium.
//!
//! Run it with `cargo run -p multipaxos --example failover [seed]`. Add `--html <file>`,
//! `--mermaid <file>` or `--svg <file>` to draw the run.

use common::picture::{PictureFiles, SequenceDiagram};
use common::trace::TraceKind;
use common::{Cluster, NetConfig};
use multipaxos::{Operation, Role, Server};

const SERVERS: [&str; 3] = ["athens", "byzantium", "cyrene"];

fn main() {
    let usage = format!("failover [seed] {}", PictureFiles::USAGE);
    let (pictures, args) = PictureFiles::from_args("failover", &usage);
    let seed = match args.as_slice() {
        [] => 1,
        [seed] => seed.parse::<u64>().unwrap_or_else(|_| {
            common::cli::exit_usage("`failover`: the seed must be a whole number", &usage)
        }),
        _ => common::cli::exit_usage("`failover`: one seed at most", &usage),
    };
    let builder = Cluster::builder()
        .seed(seed)
        .servers(SERVERS)
        .net(NetConfig {
            latency: (1, 2),
            ..NetConfig::default()
        })
        .request_timeout(200);
    let mut cluster = multipaxos::build(builder, multipaxos::Config::default());
    for client in ["alice", "bob"] {
        cluster.add_client(client);
    }

    println!("== seed {seed}: athens is elected and commits three writes");
    cluster.act::<Server, _>("athens", |s, ctx| s.start_election(ctx));
    for seq in 1..=3 {
        let op = Operation::set(format!("k{seq}"), format!("v{seq}"));
        let call = multipaxos::execute(&mut cluster, "alice", "athens", seq, op);
        match multipaxos::reply(cluster.run(&call)) {
            Ok(r) => println!(
                "   alice: slot {} -> {} (tick {})",
                r.slot,
                r.outcome,
                cluster.now()
            ),
            Err(e) => println!("   alice: {e}"),
        }
    }
    println!("\n== athens is cut off; bob asks byzantium");
    cluster.isolate("athens");
    let call = multipaxos::execute_following(
        &mut cluster,
        "bob",
        "byzantium",
        1,
        Operation::set("k4", "v4"),
        400,
    );
    match multipaxos::reply(cluster.run(&call)) {
        Ok(r) => println!(
            "   bob: slot {} -> {} (tick {})",
            r.slot,
            r.outcome,
            cluster.now()
        ),
        Err(e) => println!("   bob: {e}"),
    }
    println!("\n== athens rejoins");
    cluster.reconnect("athens");
    let call = multipaxos::execute_following(
        &mut cluster,
        "alice",
        "athens",
        4,
        Operation::get("k4"),
        400,
    );
    match multipaxos::reply(cluster.run(&call)) {
        Ok(r) => println!(
            "   alice reads k4: slot {} -> {} (tick {})",
            r.slot,
            r.outcome,
            cluster.now()
        ),
        Err(e) => println!("   alice: {e}"),
    }
    cluster.tick_n(20);

    println!("\n== what the servers noted ==");
    for event in cluster.trace().events() {
        if event.kind == TraceKind::Note && !event.detail.starts_with("recovered") {
            println!("{event}");
        }
    }
    println!("\n== every replica's executed log ==");
    for id in SERVERS {
        let node = cluster.node::<Server>(id);
        let log: Vec<String> = node
            .executed_log()
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{}: {v}", i + 1))
            .collect();
        let role = match node.role() {
            Role::Leader { ballot } => format!("leader {ballot}"),
            Role::Candidate { ballot } => format!("candidate {ballot}"),
            Role::Follower { leader: Some(l) } => format!("follows {l}"),
            Role::Follower { leader: None } => "follows nobody".to_string(),
        };
        println!("   {id:<9} {role:<26} {}", log.join(" | "));
    }
    println!(
        "\ntrace hash {:#018x}: the same seed replays the same run",
        cluster.trace_hash()
    );
    let title = format!("seed {seed}: athens is cut off, byzantium takes over after slot 3");
    pictures.write_or_exit(&SequenceDiagram::of_cluster(&cluster).title(title));
}
