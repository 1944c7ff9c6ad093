//! The simulated filesystem keeps exactly the durability promises of a real one, and the
//! local one honours the same interface.

use common::fileio::{CrashPolicy, Dir, FileIo, LocalDir, SimFs, SimFsConfig};
use common::rng::SimRng;

fn fs_with(crash: CrashPolicy) -> SimFs {
    SimFs::new(
        SimFsConfig {
            crash,
            ..SimFsConfig::default()
        },
        SimRng::derive(1, "fs"),
    )
}

#[test]
fn synced_bytes_survive_a_crash_and_unsynced_bytes_do_not() {
    let fs = fs_with(CrashPolicy::LoseUnsynced);
    let dir = fs.dir("node");
    let mut file = dir.create("log").expect("create");
    dir.sync().expect("dir sync");
    file.write_at(0, b"durable").expect("write");
    file.sync().expect("sync");
    file.write_at(7, b"+volatile").expect("write");
    assert_eq!(
        fs.file_bytes("node/log").as_deref(),
        Some(&b"durable+volatile"[..])
    );

    fs.crash(&mut SimRng::new(2));
    let file = dir.open("log").expect("a synced name survives");
    let mut buf = vec![0; 64];
    let n = file.read_at(0, &mut buf).expect("read");
    assert_eq!(
        &buf[..n],
        b"durable",
        "only synced bytes may survive a power cut"
    );
}

#[test]
fn a_file_created_without_a_directory_sync_vanishes_in_a_crash() {
    let fs = fs_with(CrashPolicy::LoseUnsynced);
    let dir = fs.root();
    let mut file = dir.create("new").expect("create");
    file.write_at(0, b"data").expect("write");
    file.sync().expect("file sync is not enough");
    fs.crash(&mut SimRng::new(3));
    assert!(
        !dir.exists("new").expect("list"),
        "a new name is not durable until its directory is synced"
    );
}

#[test]
fn a_rename_and_a_removal_are_undone_by_a_crash_before_the_directory_sync() {
    let fs = fs_with(CrashPolicy::LoseUnsynced);
    let dir = fs.root();
    dir.create("a").expect("create a");
    dir.create("b").expect("create b");
    dir.sync().expect("dir sync");
    dir.rename("a", "c").expect("rename");
    dir.remove("b").expect("remove");
    assert_eq!(dir.list().expect("list"), vec!["c".to_string()]);
    fs.crash(&mut SimRng::new(4));
    assert_eq!(
        dir.list().expect("list"),
        vec!["a".to_string(), "b".to_string()],
        "unsynced directory changes must be lost in a crash"
    );
}

#[test]
fn a_torn_write_keeps_some_sectors_new_and_others_old() {
    let fs = fs_with(CrashPolicy::ReorderSectors {
        sector_survival: 0.5,
    });
    let dir = fs.root();
    let mut rng = SimRng::new(5);
    let mut saw_mixed = false;
    for round in 0..32 {
        let name = format!("f{round}");
        let mut file = dir.create(&name).expect("create");
        dir.sync().expect("dir sync");
        file.write_at(0, &[0xAA; 4096]).expect("old");
        file.sync().expect("sync");
        file.write_at(0, &[0xBB; 4096]).expect("new, never synced");
        fs.crash(&mut rng);
        let bytes = fs.file_bytes(&name).expect("file survives");
        assert_eq!(bytes.len(), 4096, "an overwrite in place keeps the length");
        for sector in bytes.chunks(512) {
            assert!(
                sector.iter().all(|b| *b == sector[0]),
                "a sector is written atomically: never half old, half new inside one sector"
            );
        }
        let new_sectors = bytes.chunks(512).filter(|s| s[0] == 0xBB).count();
        if new_sectors > 0 && new_sectors < 8 {
            saw_mixed = true;
        }
    }
    assert!(
        saw_mixed,
        "some crash must leave a record half old, half new"
    );
}

#[test]
fn the_same_seed_tears_the_same_sectors() {
    let run = |seed| {
        let fs = fs_with(CrashPolicy::ReorderSectors {
            sector_survival: 0.5,
        });
        let dir = fs.root();
        let mut file = dir.create("f").expect("create");
        dir.sync().expect("dir sync");
        file.write_at(0, &[7; 8192]).expect("write");
        fs.crash(&mut SimRng::new(seed));
        fs.file_bytes("f").expect("file")
    };
    assert_eq!(
        run(11),
        run(11),
        "a crash must replay exactly from its seed"
    );
}

#[test]
fn a_failed_fsync_forgets_the_pending_writes_like_linux_after_eio() {
    let fs = fs_with(CrashPolicy::LoseUnsynced);
    let dir = fs.root();
    let mut file = dir.create("f").expect("create");
    dir.sync().expect("dir sync");
    file.write_at(0, b"lost").expect("write");
    fs.fail_next_syncs(1);
    assert!(
        file.sync().is_err(),
        "the injected fsync failure must surface"
    );
    file.sync().expect("a retry reports success");
    assert_eq!(
        fs.file_bytes("f").as_deref(),
        Some(&b"lost"[..]),
        "reads still see the data"
    );
    assert_eq!(
        fs.durable_bytes("f").as_deref(),
        Some(&b""[..]),
        "after a failed fsync the data never reaches the disk, even if a retry succeeds"
    );
}

#[test]
fn bit_flips_on_read_change_the_returned_bytes_not_the_stored_ones() {
    let fs = SimFs::new(
        SimFsConfig {
            read_bit_flip_probability: 1.0,
            ..SimFsConfig::default()
        },
        SimRng::new(6),
    );
    let dir = fs.root();
    let mut file = dir.create("f").expect("create");
    file.write_at(0, &[0u8; 16]).expect("write");
    let mut buf = [0u8; 16];
    file.read_exact_at(0, &mut buf).expect("read");
    assert_eq!(
        buf.iter().map(|b| b.count_ones()).sum::<u32>(),
        1,
        "exactly one bit must be flipped in the read"
    );
    assert_eq!(
        fs.file_bytes("f"),
        Some(vec![0u8; 16]),
        "stored bytes are untouched"
    );
    assert_eq!(fs.stats().bit_flips, 1);
}

#[test]
fn a_power_cut_fails_every_operation_until_the_crash() {
    let fs = fs_with(CrashPolicy::LoseUnsynced);
    let dir = fs.root();
    let mut file = dir.create("f").expect("create");
    fs.cut_power_after(1);
    file.write_at(0, b"x")
        .expect("the one operation still allowed");
    assert!(
        file.sync().is_err(),
        "after the power cut the device is gone"
    );
    assert!(
        dir.list().is_err(),
        "after the power cut the device is gone"
    );
    fs.crash(&mut SimRng::new(7));
    assert!(
        file.len().is_err(),
        "a handle opened before the crash must not be usable after it"
    );
    assert!(dir.list().is_ok(), "after the restart the disk works again");
}

#[test]
fn an_unsynced_truncate_can_be_undone_by_a_crash() {
    let fs = fs_with(CrashPolicy::LoseUnsynced);
    let dir = fs.root();
    let mut file = dir.create("f").expect("create");
    dir.sync().expect("dir sync");
    file.write_at(0, b"abcdef").expect("write");
    file.sync().expect("sync");
    file.truncate(2).expect("truncate");
    assert_eq!(file.len().expect("len"), 2);
    fs.crash(&mut SimRng::new(8));
    assert_eq!(
        fs.file_bytes("f").as_deref(),
        Some(&b"abcdef"[..]),
        "a truncation is not durable until the file is synced"
    );
}

#[test]
fn subdirectories_are_separate_namespaces() {
    let fs = SimFs::with_seed(9);
    let wal = fs.dir("node/wal");
    let snap = fs
        .root()
        .subdir("node")
        .and_then(|d| d.subdir("snap"))
        .expect("subdir");
    wal.create("x").expect("create");
    snap.create("y").expect("create");
    assert_eq!(wal.list().expect("list"), vec!["x".to_string()]);
    assert_eq!(snap.list().expect("list"), vec!["y".to_string()]);
    assert!(
        fs.dir("node").list().expect("list").is_empty(),
        "files of subdirectories are not listed"
    );
}

#[test]
fn names_with_a_slash_are_rejected() {
    let fs = SimFs::with_seed(10);
    let error = fs
        .root()
        .create("a/b")
        .expect_err("a slash must be rejected");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn a_local_directory_offers_the_same_operations() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = LocalDir::open(tmp.path().join("missing/yet")).expect("creates missing dirs");
    let mut file = dir.create("a").expect("create");
    file.write_at(3, b"xyz").expect("write past the end");
    file.sync().expect("sync");
    dir.sync().expect("dir sync");
    let mut buf = [9u8; 6];
    file.read_exact_at(0, &mut buf).expect("read");
    assert_eq!(&buf, b"\0\0\0xyz", "a gap before a write reads as zeros");
    assert!(
        dir.create("a").is_err(),
        "create must not clobber an existing file"
    );
    dir.rename("a", "b").expect("rename");
    assert_eq!(dir.list().expect("list"), vec!["b".to_string()]);
    let mut file = dir.open("b").expect("open");
    file.truncate(1).expect("truncate");
    assert_eq!(file.len().expect("len"), 1);
    dir.remove("b").expect("remove");
    assert!(dir.list().expect("list").is_empty());
    let not_a_dir = tmp.path().join("plain");
    std::fs::write(&not_a_dir, b"x").expect("write");
    assert!(
        LocalDir::open(&not_a_dir).is_err(),
        "a file is not a directory"
    );
}

#[test]
fn a_torn_prefix_crash_keeps_the_first_sectors_of_a_write_and_loses_the_rest() {
    let fs = fs_with(CrashPolicy::TearLastWrite);
    let dir = fs.root();
    let mut rng = SimRng::new(12);
    let mut kept = std::collections::BTreeSet::new();
    for round in 0..40 {
        let name = format!("f{round}");
        let mut file = dir.create(&name).expect("create");
        dir.sync().expect("dir sync");
        file.write_at(0, &[0xAA; 2048]).expect("old");
        file.sync().expect("sync");
        file.write_at(0, &[0xBB; 2048]).expect("new, never synced");
        fs.crash(&mut rng);
        let bytes = fs.file_bytes(&name).expect("file survives");
        let new_sectors = bytes.chunks(512).take_while(|s| s[0] == 0xBB).count();
        assert!(
            bytes.chunks(512).skip(new_sectors).all(|s| s[0] == 0xAA),
            "only a prefix of the sectors may be new"
        );
        kept.insert(new_sectors);
    }
    assert!(
        kept.len() > 2,
        "the cut point varies from crash to crash: {kept:?}"
    );
}
