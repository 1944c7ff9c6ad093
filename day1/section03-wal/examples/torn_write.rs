//! The torn-write lesson as a picture: an acceptor record of 15 sectors is updated from A
//! to B in place, and with two slots, and the power fails before the fsync, 200 times per
//! scheme on a simulated disk (seed 1). It prints the outcome table and one torn record of
//! each scheme, sector by sector; `--svg <file>` draws them.
//!
//! `cargo run -p wal --example torn_write [-- --svg <file>] [--figures]`

use std::process::ExitCode;

const USAGE: &str = "usage: cargo run -p wal --example torn_write [-- --svg <file>] [--figures]
  --svg <file>  draw one torn record of each scheme, sector by sector, as SVG
  --figures     wrap the table in the README's figure markers (for `cargo xtask figures`)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut svg_path, mut figures) = (None, false);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match (arg.as_str(), rest.clone().next()) {
            ("--svg", Some(path)) => {
                svg_path = Some(path.clone());
                rest.next();
            }
            ("--figures", _) => figures = true,
            _ => {
                eprintln!("torn_write: unexpected argument {arg:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let report = match wal::torn::run_demo(200, 1) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("torn_write: the simulated disk failed: {error}");
            return ExitCode::from(1);
        }
    };
    if figures {
        println!("figures:wal-torn begin");
    }
    println!("```");
    print!("{}", report.table());
    if let Some(map) = &report.example_sectors {
        println!("\nOne torn in-place record, sector by sector (N = B, O = A):\n  {map}");
    }
    if let Some([written, other]) = &report.example_slots {
        println!(
            "One torn two-slot save (. = never written):\n  slot 0, being written: {written}\n  slot 1, holding A:     {other}"
        );
    }
    println!("```");
    if figures {
        println!("figures:wal-torn end");
    }
    if let Some(path) = svg_path {
        let Some(svg) = wal::torn::svg(&report) else {
            eprintln!("torn_write: the run tore no record of one of the schemes; nothing to draw");
            return ExitCode::from(1);
        };
        if let Err(error) = std::fs::write(&path, svg) {
            eprintln!("torn_write: cannot write {path}: {error}");
            return ExitCode::from(1);
        }
        eprintln!("wrote {path}");
    }
    ExitCode::SUCCESS
}
