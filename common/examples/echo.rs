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
use common::cli::Flags;
use common::echo::{EchoMsg, EchoServer};
use common::picture::SequenceDiagram;
use std::path::Path;

/// Where to write the pictures of the run, from the command line.
struct Outputs {
    html: Option<String>,
    mermaid: Option<String>,
    svg: Option<String>,
}

fn outputs() -> Outputs {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match Flags::parse("echo", &args, &["html", "mermaid", "svg"], &[]) {
        Ok(flags) => Outputs {
            html: flags.get("html").map(str::to_string),
            mermaid: flags.get("mermaid").map(str::to_string),
            svg: flags.get("svg").map(str::to_string),
        },
        Err(e) => {
            eprintln!("{e}");
            eprintln!("usage: echo [--html <file>] [--mermaid <file>] [--svg <file>]");
            std::process::exit(2);
        }
    }
}

/// Write `contents` to `path`, creating its folder; exit with code 1 if that fails.
fn write(path: &str, contents: &str) {
    let path = Path::new(path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("cannot create {}: {e}", dir.display());
        std::process::exit(1);
    }
    if let Err(e) = std::fs::write(path, contents) {
        eprintln!("cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
    println!("wrote {}", path.display());
}

fn main() {
    let outputs = outputs();
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

    let diagram = SequenceDiagram::of_cluster(&cluster).title("echo: a relay, then a partition");
    if let Some(path) = &outputs.html {
        write(path, &diagram.to_html());
    }
    if let Some(path) = &outputs.mermaid {
        write(path, &diagram.to_mermaid());
    }
    if let Some(path) = &outputs.svg {
        write(path, &diagram.to_svg());
    }
}
