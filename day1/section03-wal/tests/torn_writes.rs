//! The torn-write lesson: in-place updates of a multi-sector record vs two slots.

use common::fileio::{Dir, SimFs};
use common::rng::SimRng;
use wal::torn::{AcceptorState, TwoSlotStore, in_place, run_demo};

#[test]
fn an_in_place_update_cut_by_a_power_cut_can_lose_both_versions() {
    let report = run_demo(64, 1).expect("demo");
    assert!(
        report.in_place[2] > 0,
        "some power cuts must leave a torn, unusable record: {report:?}"
    );
    assert_eq!(
        report.in_place[3], 0,
        "the payload checksum still catches the tear"
    );
    let map = report.example_sectors.expect("an example torn record");
    assert!(
        map.contains('N') && map.contains('O'),
        "half old, half new: {map}"
    );
}

#[test]
fn two_slots_always_recover_the_old_or_the_new_state() {
    let report = run_demo(64, 2).expect("demo");
    assert_eq!(
        report.two_slot[2] + report.two_slot[3],
        0,
        "two slots never lose the state: {report:?}"
    );
    assert_eq!(report.two_slot[0] + report.two_slot[1], 64);
}

#[test]
fn the_original_format_does_not_protect_its_ballots() {
    let state = AcceptorState::demo(101, 202, 64, 0);
    let mut bytes = in_place::encode(&state);
    bytes[8] ^= 1;
    let read =
        in_place::validate(&bytes).expect("a flipped ballot passes the payload-only checksum");
    assert_eq!(
        read.promised, 100,
        "the damaged promise is accepted as valid: the original's weakness"
    );
}

#[test]
fn a_two_slot_save_cut_at_any_step_keeps_a_valid_state() {
    let old = AcceptorState::demo(1, 1, 3000, 0);
    let new = AcceptorState::demo(2, 2, 3000, 1);
    for step in 0..3 {
        for seed in 0..8 {
            let fs = SimFs::with_seed(seed);
            let dir = fs.root();
            let file = dir.create("slots").expect("create");
            dir.sync().expect("dir sync");
            let mut store = TwoSlotStore::open(file, 4096).expect("open");
            store.save(&old).expect("save");
            fs.cut_power_after(step);
            let _ = store.save(&new);
            fs.crash(&mut SimRng::new(seed));
            let store = TwoSlotStore::open(dir.open("slots").expect("open"), 4096).expect("reopen");
            let state = store.load().expect("load").map(|(_, s)| s);
            assert!(
                state == Some(old.clone()) || state == Some(new.clone()),
                "power cut after {step} operations (seed {seed}): the old or the new state must load"
            );
        }
    }
}

#[test]
fn in_place_validation_reports_bad_input_without_panicking() {
    assert!(
        in_place::validate(&[0; 10])
            .unwrap_err()
            .contains("too small")
    );
    let mut bytes = in_place::encode(&AcceptorState::demo(1, 2, 16, 0));
    bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(
        in_place::validate(&bytes)
            .unwrap_err()
            .contains("truncated")
    );
}
