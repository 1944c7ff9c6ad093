//! Running a child process with its output saved to a log file and a time limit.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::Failure;

/// How a child process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    /// Exit status, `None` when it was killed by a signal (or by us at the time limit).
    pub exit_code: Option<i32>,
    /// Standard output followed by standard error.
    pub output: String,
    /// True when the time limit was reached and the child was killed.
    pub timed_out: bool,
    /// Wall-clock time the child ran.
    pub elapsed: Duration,
}

const POLL: Duration = Duration::from_millis(20);

/// Runs `command` to completion or until `limit`, with its standard output and standard
/// error written to files next to `log_path`, then joined into `log_path` (output first).
pub fn run_logged(
    command: &mut Command,
    log_path: &Path,
    limit: Duration,
) -> Result<Finished, Failure> {
    let stdout_path = log_path.with_extension("stdout");
    let stderr_path = log_path.with_extension("stderr");
    let stdout = File::create(&stdout_path).map_err(|e| Failure::io("create", &stdout_path, &e))?;
    let stderr = File::create(&stderr_path).map_err(|e| Failure::io("create", &stderr_path, &e))?;
    let program = command.get_program().to_string_lossy().into_owned();
    // xtask is a real tool: the time limit and the reported duration are wall-clock time.
    #[allow(clippy::disallowed_methods)]
    let started = std::time::Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .map_err(|e| Failure::Environment(format!("cannot start {program}: {e}")))?;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() >= limit => {
                timed_out = true;
                // The child may have exited between the two calls; either way it is gone.
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => {
                return Err(Failure::Environment(format!(
                    "cannot wait for {program}: {e}"
                )));
            }
        }
    };
    let elapsed = started.elapsed();
    let mut output = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    output.push_str(&std::fs::read_to_string(&stderr_path).unwrap_or_default());
    std::fs::write(log_path, &output).map_err(|e| Failure::io("write", log_path, &e))?;
    let _ = std::fs::remove_file(&stdout_path);
    let _ = std::fs::remove_file(&stderr_path);
    Ok(Finished {
        exit_code: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        output,
        timed_out,
        elapsed,
    })
}
