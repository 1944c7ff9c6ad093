//! Log cleaning as pure policies: given the saved segments, how many of the oldest may go.
//!
//! They are functions of their inputs only (no clock read, no I/O), so a test drives them
//! with any time it likes. [`crate::Wal::maintain`] runs them; a
//! [`crate::cleaner::BackgroundCleaner`] calls `maintain` on a timer if wanted.

/// What a policy needs to know about a saved segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentInfo {
    /// The file name.
    pub name: String,
    /// Entries in the segment follow this index.
    pub base: u64,
    /// The last index in the segment (`base` if it holds none).
    pub last_index: u64,
    /// The newest stored timestamp in the segment (0 if none).
    pub max_timestamp_ms: u64,
    /// Bytes of valid data.
    pub bytes: u64,
}

/// How many of the oldest saved segments are older than `max_age_ms` at `now_ms`.
///
/// A segment's age is measured from its **newest** stored timestamp, so an entry written
/// after the clock stepped back cannot make a segment look older than it is. A timestamp
/// in the future (the clock went backwards since) gives age 0: never delete because
/// `now < timestamp`. Only a prefix is counted, so the log stays contiguous.
pub fn expired_by_age(saved: &[SegmentInfo], now_ms: u64, max_age_ms: u64) -> usize {
    // exercise: count the leading segments whose newest timestamp is more than max_age_ms before now (a timestamp after now is age 0)
    // solution-begin
    saved
        .iter()
        .take_while(|s| now_ms.saturating_sub(s.max_timestamp_ms) > max_age_ms)
        .count()
    // solution-end
}

/// How many of the oldest saved segments hold only entries covered by a snapshot at
/// `snapshot_index` (last index ≤ snapshot index; safe because a segment's base is
/// exclusive).
pub fn covered_by_snapshot(saved: &[SegmentInfo], snapshot_index: u64) -> usize {
    // exercise: count the leading segments whose last index is at most the snapshot index
    // solution-begin
    saved
        .iter()
        .take_while(|s| s.last_index <= snapshot_index)
        .count()
    // solution-end
}
