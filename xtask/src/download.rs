//! Downloading a file whose SHA-256 is known in advance, safely.
//!
//! The body is streamed into `<dest>.partial` while it is hashed; only when the hash
//! matches is the file flushed to disk and renamed onto `dest` in one step, so `dest`
//! either does not exist or is the verified file. A stale `.partial` from an interrupted
//! run is never used: it is deleted before each attempt. Connection failures and server
//! errors are retried with a growing pause; a hash mismatch is not (the server answered,
//! with the wrong thing). Proxies come from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

/// Limits and retries for one download.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How many times to try before giving up (at least 1).
    pub attempts: u32,
    /// Pause after the first failed attempt; doubled after each further one.
    pub backoff: Duration,
    /// Limit for establishing the connection.
    pub connect_timeout: Duration,
    /// Limit for the whole transfer of one attempt.
    pub transfer_timeout: Duration,
    /// Largest body accepted, in bytes.
    pub max_bytes: u64,
}

impl Default for Policy {
    /// Three attempts, 2 s then 4 s apart, 20 s to connect, 10 minutes per transfer,
    /// bodies up to 200 MB (tla2tools.jar is about 25 MB).
    fn default() -> Policy {
        Policy {
            attempts: 3,
            backoff: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(20),
            transfer_timeout: Duration::from_secs(600),
            max_bytes: 200 * 1024 * 1024,
        }
    }
}

/// Why a download did not produce the verified file.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// Every attempt failed to fetch the body (no network, DNS, refused, timeout, 4xx/5xx).
    #[error("download failed after {attempts} attempt(s); last error: {last}")]
    Unreachable {
        /// Attempts made.
        attempts: u32,
        /// The last error, in words.
        last: String,
    },
    /// The server sent a file whose SHA-256 is not the expected one; it was deleted.
    #[error(
        "the downloaded file's SHA-256 is {actual}, expected {expected}; the file was discarded"
    )]
    ChecksumMismatch {
        /// The pinned hash.
        expected: String,
        /// The hash of what arrived.
        actual: String,
    },
    /// Writing or renaming the file failed.
    #[error("cannot write {path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
}

/// `<dest>.partial`: where a download in progress is written.
pub fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".partial");
    dest.with_file_name(name)
}

/// SHA-256 of everything `reader` yields, as lowercase hex.
pub fn sha256_of(mut reader: impl Read) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = reader.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex(&hasher.finalize()))
}

/// SHA-256 of a file, as lowercase hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    sha256_of(File::open(path)?)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Downloads `url` to `dest` if and only if its SHA-256 is `expected_sha256`.
pub fn download_verified(
    url: &str,
    expected_sha256: &str,
    dest: &Path,
    policy: &Policy,
) -> Result<(), DownloadError> {
    let io_error = |path: &Path, error| DownloadError::Io {
        path: path.to_path_buf(),
        error,
    };
    if let Some(parent) = dest.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
    }
    let partial = partial_path(dest);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(policy.connect_timeout))
        .timeout_global(Some(policy.transfer_timeout))
        .http_status_as_error(true)
        .build()
        .into();
    let attempts = policy.attempts.max(1);
    let mut last = String::new();
    for attempt in 1..=attempts {
        if attempt > 1 {
            let pause = policy.backoff.saturating_mul(1 << (attempt - 2).min(8));
            eprintln!("  retrying in {} ms ({last})", pause.as_millis());
            std::thread::sleep(pause);
        }
        // Never continue from, or trust, a file left by an interrupted run.
        match std::fs::remove_file(&partial) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&partial, e)),
        }
        match fetch_into(&agent, url, &partial, policy.max_bytes) {
            Ok(actual) if actual == expected_sha256 => {
                std::fs::rename(&partial, dest).map_err(|e| io_error(dest, e))?;
                return Ok(());
            }
            Ok(actual) => {
                let _ = std::fs::remove_file(&partial);
                return Err(DownloadError::ChecksumMismatch {
                    expected: expected_sha256.to_string(),
                    actual,
                });
            }
            Err(FetchError::Io(error)) => return Err(io_error(&partial, error)),
            Err(FetchError::Network(message)) => {
                let _ = std::fs::remove_file(&partial);
                last = message;
            }
        }
    }
    Err(DownloadError::Unreachable { attempts, last })
}

enum FetchError {
    Network(String),
    Io(std::io::Error),
}

/// Streams the body of `url` into `path`, flushed to disk, and returns its SHA-256.
fn fetch_into(
    agent: &ureq::Agent,
    url: &str,
    path: &Path,
    max_bytes: u64,
) -> Result<String, FetchError> {
    let response = agent
        .get(url)
        .call()
        .map_err(|e| FetchError::Network(e.to_string()))?;
    let mut body = response
        .into_body()
        .into_with_config()
        .limit(max_bytes)
        .reader();
    let mut file = File::create(path).map_err(FetchError::Io)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match body.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(FetchError::Network(format!("reading the body: {e}"))),
        };
        hasher.update(&buffer[..read]);
        file.write_all(&buffer[..read]).map_err(FetchError::Io)?;
    }
    file.sync_all().map_err(FetchError::Io)?;
    Ok(hex(&hasher.finalize()))
}
