//! `littles-law`: the command-line face of the library. See `littles-law help`.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Ctrl-C only raises a flag: load, sweep and watch stop at the next write or sample,
    // and the load generator removes its file on the way out.
    let stop = Arc::new(AtomicBool::new(false));
    let handler_flag = Arc::clone(&stop);
    if let Err(error) = ctrlc::set_handler(move || handler_flag.store(true, Ordering::Relaxed)) {
        eprintln!(
            "littles-law: warning: no Ctrl-C handler ({error}); an interrupted load may leave its file behind"
        );
    }
    match littles_law::cli::run(&args, &stop) {
        Ok(output) => {
            let _ = std::io::stdout().write_all(output.text.as_bytes());
            ExitCode::from(output.exit_code)
        }
        Err(error) => {
            eprintln!("littles-law: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
