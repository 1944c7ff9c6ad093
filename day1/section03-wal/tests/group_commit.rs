//! Group commit: many writers, one sync thread, completions that resolve after the fsync.

mod support;

use common::fileio::{CrashPolicy, SimFs, SimFsConfig};
use common::rng::SimRng;
use std::time::Duration;
use support::{local_dir, open, sim_fs_losing_unsynced};
use wal::Config;
use wal::group_commit::{CommitError, GroupCommit, GroupCommitConfig};

fn writers_append(
    group: &GroupCommit<impl common::fileio::Dir>,
    writers: u64,
    each: u64,
) -> Vec<(u64, Vec<u8>)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                scope.spawn(move || {
                    (0..each)
                        .map(|i| {
                            let data = format!("w{w}-{i}").into_bytes();
                            let index = group.append(data.clone()).wait().expect("durable append");
                            (index, data)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("writer thread"))
            .collect()
    })
}

#[test]
fn every_acknowledged_append_survives_a_power_cut() {
    let fs = sim_fs_losing_unsynced(1);
    let dir = fs.dir("wal");
    let group = GroupCommit::start(
        open(dir.clone(), Config::default()),
        GroupCommitConfig::default(),
    );
    let acknowledged = writers_append(&group, 4, 25);
    drop(group);
    fs.crash(&mut SimRng::new(2));
    let wal = open(dir, Config::default());
    for (index, data) in &acknowledged {
        assert_eq!(
            &wal.read_at(*index).expect("acknowledged entry").data,
            data,
            "entry {index} was acknowledged, so it must survive"
        );
    }
}

#[test]
fn indices_from_concurrent_writers_are_unique_and_dense() {
    let (_guard, dir) = local_dir();
    let group = GroupCommit::start(open(dir, Config::default()), GroupCommitConfig::default());
    let mut indices: Vec<u64> = writers_append(&group, 8, 20)
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    indices.sort_unstable();
    assert_eq!(
        indices,
        (1..=160).collect::<Vec<_>>(),
        "160 appends get indices 1..=160, each once"
    );
    let wal = group.close();
    assert_eq!(wal.last_index(), 160);
}

#[test]
fn concurrent_writers_share_fdatasyncs() {
    let group = GroupCommit::start(
        open(sim_fs_losing_unsynced(3).dir("wal"), Config::default()),
        GroupCommitConfig {
            max_batch_entries: 8,
            max_wait: Duration::from_millis(20),
        },
    );
    writers_append(&group, 8, 10);
    let stats = group.stats();
    assert_eq!(stats.entries, 80);
    assert!(
        stats.batches < stats.entries,
        "8 writers must share fsyncs: {} batches for {} entries",
        stats.batches,
        stats.entries
    );
}

#[test]
fn an_idle_tail_is_flushed_by_the_timer() {
    let group = GroupCommit::start(
        open(sim_fs_losing_unsynced(4).dir("wal"), Config::default()),
        GroupCommitConfig {
            max_batch_entries: 1_000,
            max_wait: Duration::from_millis(5),
        },
    );
    let completion = group.append(b"lonely".to_vec());
    assert_eq!(
        completion.wait(),
        Ok(1),
        "a lone entry is flushed when the linger timer fires"
    );
    assert_eq!(group.stats().batches, 1);
}

#[test]
fn a_failed_fsync_fails_its_batch_and_stops_the_log() {
    let fs = SimFs::new(
        SimFsConfig {
            crash: CrashPolicy::LoseUnsynced,
            ..SimFsConfig::default()
        },
        SimRng::new(5),
    );
    let group = GroupCommit::start(
        open(fs.dir("wal"), Config::default()),
        GroupCommitConfig::default(),
    );
    assert_eq!(group.append(b"ok".to_vec()).wait(), Ok(1));
    fs.fail_next_syncs(1);
    assert!(
        matches!(
            group.append(b"lost".to_vec()).wait(),
            Err(CommitError::Failed(_))
        ),
        "an append whose fsync failed must not be acknowledged"
    );
    assert!(
        matches!(group.append(b"later".to_vec()).wait(), Err(CommitError::Failed(reason)) if reason.contains("reopen")),
        "after a failed fsync the log accepts nothing until it is reopened"
    );
}

#[test]
fn closing_flushes_what_is_queued() {
    let fs = sim_fs_losing_unsynced(6);
    let dir = fs.dir("wal");
    let group = GroupCommit::start(
        open(dir.clone(), Config::default()),
        GroupCommitConfig::default(),
    );
    let completions: Vec<_> = (0..10).map(|i| group.append(vec![i])).collect();
    let wal = group.close();
    assert_eq!(wal.last_index(), 10);
    for (k, completion) in completions.into_iter().enumerate() {
        assert_eq!(completion.wait(), Ok(k as u64 + 1));
    }
    drop(wal);
    fs.crash(&mut SimRng::new(7));
    assert_eq!(
        open(dir, Config::default()).last_index(),
        10,
        "entries queued at close are durable"
    );
}
