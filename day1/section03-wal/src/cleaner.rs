//! An optional background task that runs [`Wal::maintain`] on a timer.
//!
//! Cleaning is an explicit call by default: a test calls `maintain()` when it wants, and
//! nothing runs behind its back. A server that wants the Java behaviour (clean every
//! interval) starts a `BackgroundCleaner` and stops it before closing the log. A failed
//! run is counted and remembered; it does not kill the task.

use crate::log::Wal;
use common::fileio::Dir;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Counters shared with the cleaner thread.
#[derive(Debug, Default)]
pub struct CleanerStats {
    runs: AtomicU64,
    segments_removed: AtomicU64,
    errors: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl CleanerStats {
    /// Completed runs.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::SeqCst)
    }

    /// Segments removed so far.
    pub fn segments_removed(&self) -> u64 {
        self.segments_removed.load(Ordering::SeqCst)
    }

    /// Failed runs.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::SeqCst)
    }

    /// The last failure, if any.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// A thread calling `maintain()` every interval until stopped.
#[derive(Debug)]
pub struct BackgroundCleaner {
    stop: mpsc::Sender<()>,
    thread: Option<JoinHandle<()>>,
    stats: Arc<CleanerStats>,
}

impl BackgroundCleaner {
    /// Start cleaning `wal` every `interval`.
    pub fn start<D: Dir>(wal: Arc<Mutex<Wal<D>>>, interval: Duration) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let stats = Arc::new(CleanerStats::default());
        let shared = Arc::clone(&stats);
        // A real thread: this task exists for servers on real disks, never in simulated code.
        #[allow(clippy::disallowed_methods)]
        let thread = std::thread::spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                let result = wal.lock().unwrap_or_else(|p| p.into_inner()).maintain();
                match result {
                    Ok(report) => {
                        shared
                            .segments_removed
                            .fetch_add(report.removed.len() as u64, Ordering::SeqCst);
                    }
                    Err(e) => {
                        shared.errors.fetch_add(1, Ordering::SeqCst);
                        *shared.last_error.lock().unwrap_or_else(|p| p.into_inner()) =
                            Some(e.to_string());
                    }
                }
                shared.runs.fetch_add(1, Ordering::SeqCst);
            }
        });
        BackgroundCleaner {
            stop,
            thread: Some(thread),
            stats,
        }
    }

    /// What the cleaner has done.
    pub fn stats(&self) -> &CleanerStats {
        &self.stats
    }

    /// Stop the task and wait for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.stop.send(());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for BackgroundCleaner {
    fn drop(&mut self) {
        self.shutdown();
    }
}
