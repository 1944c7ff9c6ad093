//! `cargo xtask <command>`: see `cargo xtask help`.

use std::process::ExitCode;

use xtask::cli::{self, Command};
use xtask::{Failure, cluster, exercise, figures, mutants, runner, status, workspace_root};

fn run(args: &[String]) -> Result<(), Failure> {
    let root = workspace_root();
    match cli::parse(args)? {
        Command::Help => {
            println!("{}", cli::USAGE);
            Ok(())
        }
        Command::Tlc { spec, options } => runner::cmd_tlc(&root, &spec, &options),
        Command::TlcAll { options } => runner::cmd_tlc_all(&root, &options),
        Command::TlcFetch { from, offline } => {
            runner::cmd_tlc_fetch(&root, from.as_deref(), offline)
        }
        Command::Exercise { sections, force } => exercise::cmd_exercise(&root, &sections, force),
        Command::Solution {
            sections,
            from,
            force,
        } => exercise::cmd_solution(&root, &sections, &from, force),
        Command::Branches { base, force } => exercise::cmd_branches(&root, &base, force),
        Command::VerifyExercises { sections } => exercise::cmd_verify(&root, &sections),
        Command::Figures { check } => figures::cmd_figures(&root, check),
        Command::Status { sections } => status::cmd_status(&root, &sections),
        Command::Cluster(args) => cluster::cmd_cluster(&root, &args),
        Command::Mutants(args) => mutants::cmd_mutants(&root, &args),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error ({}): {failure}", failure.kind());
            ExitCode::from(u8::try_from(failure.exit_code()).unwrap_or(1))
        }
    }
}
