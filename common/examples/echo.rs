//! The simulator at work: three echo servers and a client, a relay through a peer, a
//! partition that makes the relay time out, and the readable trace of it all.
//!
//! Run it with `cargo run -p common --example echo`. Add `--html <file>` to write the
//! run's message sequence diagram as an HTML page (open it in a browser), `--mermaid
//! <file>` for the same diagram as Mermaid text, or `--svg <file>` for a bare SVG:
//!
//! ```sh
//! cargo run -p common --example echo -- --html target/pictures/echo.html
//! ```

use common::Cluster;
use common::echo::{EchoMsg, EchoServer};
use common::picture::{PictureFiles, SequenceDiagram};

fn main() {
    let pictures = PictureFiles::only_from_args("echo");
    let mut cluster = Cluster::builder()
        .seed(7)
        .servers(["athens", "byzantium", "cyrene"])
        .request_timeout(20)
        .build(|_id, _peers| EchoServer::new(5));
    cluster.add_client("alice");

    println!("== alice asks athens to echo \"hello\"");
    let hello = cluster.call(
        "alice",
        "athens",
        EchoMsg::Echo {
            text: "hello".into(),
        },
    );
    println!(
        "   reply: {:?} at tick {}",
        cluster.run(&hello),
        cluster.now()
    );

    println!("== alice asks athens to relay through byzantium");
    let relayed = cluster.call(
        "alice",
        "athens",
        EchoMsg::Relay {
            text: "via".into(),
            via: "byzantium".into(),
        },
    );
    println!(
        "   reply: {:?} at tick {}",
        cluster.run(&relayed),
        cluster.now()
    );

    println!("== byzantium is cut off; the relay times out after 5 ticks");
    cluster.isolate("byzantium");
    let lost = cluster.call(
        "alice",
        "athens",
        EchoMsg::Relay {
            text: "lost".into(),
            via: "byzantium".into(),
        },
    );
    println!(
        "   reply: {:?} at tick {}",
        cluster.run(&lost),
        cluster.now()
    );

    println!("\n== the trace (tick, who, what) ==");
    print!("{}", cluster.trace().render());
    println!(
        "\ntrace hash {:#018x}: run it again and it is the same",
        cluster.trace_hash()
    );

    pictures.write_or_exit(
        &SequenceDiagram::of_cluster(&cluster).title("echo: a relay, then a partition"),
    );
}
