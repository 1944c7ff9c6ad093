//! Files and directories whose durability can be tested.
//!
//! A write that returned is not a write that survives a power cut. The operating system
//! keeps it in the page cache until `fdatasync` forces it to the device, and a new file or
//! a rename is not durable until the *directory* is synced as well. Code that stores state
//! (a write-ahead log, an acceptor's promise) must be tested against exactly those rules,
//! so this module offers the same two interfaces with two implementations:
//!
//! * [`FileIo`]: positioned reads and writes, `sync`, `truncate`, `len`. It serves an
//!   append-only log as well as fixed slots updated in place.
//! * [`Dir`]: a flat directory of files (create, open, list, rename, remove, sync the
//!   directory itself) and its subdirectories.
//!
//! | | simulated | real |
//! |---|---|---|
//! | filesystem | [`SimFs`] (a cloneable handle: one per simulated node) | the OS |
//! | directory | [`SimDir`] | [`LocalDir`] (`std::fs`, the directory fsynced by opening it) |
//! | file | [`SimFile`] | [`LocalFile`] (`std::fs::File`, `sync_data` = fdatasync) |
//!
//! The calls are synchronous and return `io::Result` at once: the simulated file models
//! *durability*, not latency.
//!
//! # The simulated disk
//!
//! Every simulated file keeps two images. Writes and truncations change the **volatile**
//! image (what reads see, the page cache) and are queued as pending operations; a
//! successful [`FileIo::sync`] applies them to the **durable** image. The directory keeps
//! two namespaces the same way: creating, renaming and removing change the volatile one,
//! and [`Dir::sync`] makes the directory's entries durable.
//!
//! [`SimFs::crash`] is a power cut. Names revert to the durable namespace (a file created
//! without a directory sync vanishes, a removed one comes back), and each file reverts to
//! its durable image plus whatever part of its pending operations the [`CrashPolicy`] lets
//! through: with [`CrashPolicy::ReorderSectors`] each sector of each unsynced write independently
//! reaches the disk or not, so a record larger than a sector can end up half old and half
//! new, and a log's tail can end in a zero-filled hole. Handles opened before the crash
//! fail from then on: the process that held them is gone.
//!
//! Other faults, all drawn from [`SimRng`] streams so a seed replays everything:
//! * a failing `fsync` ([`SimFsConfig::sync_failure_probability`], [`SimFs::fail_next_syncs`]).
//!   As on Linux after `EIO`, the pending writes are then forgotten by the page cache: a
//!   later sync reports success without making them durable, although reads still show
//!   them. That is why a log must treat a failed fsync as fatal.
//! * a bit flipped in the bytes a read returns ([`SimFsConfig::read_bit_flip_probability`]);
//! * bit rot on the stored bytes ([`SimFs::corrupt_byte`]);
//! * a power cut after the next `n` operations ([`SimFs::cut_power_after`]), so a test can
//!   crash a multi-step operation (roll a segment, write a snapshot) at every step.

use crate::rng::SimRng;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// A file with positioned I/O and an explicit durability point.
pub trait FileIo: Send {
    /// Read up to `buf.len()` bytes at `offset`; returns how many were read (fewer at the
    /// end of the file, 0 at or past it).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// Write all of `data` at `offset`, extending the file (with zeros over any gap).
    /// Not durable until [`FileIo::sync`] returns `Ok`.
    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()>;

    /// Force the file's data (and its length) to the device: `fdatasync`.
    fn sync(&mut self) -> io::Result<()>;

    /// Set the length: cut the file or extend it with zeros. Not durable until synced.
    fn truncate(&mut self, len: u64) -> io::Result<()>;

    /// The current length in bytes.
    fn len(&self) -> io::Result<u64>;

    /// Whether the file is empty.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Read exactly `buf.len()` bytes at `offset`, or fail with `UnexpectedEof`.
    fn read_exact_at(&self, mut offset: u64, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.read_at(offset, buf)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("file ends before byte {}", offset + buf.len() as u64),
                ));
            }
            buf = &mut buf[n..];
            offset += n as u64;
        }
        Ok(())
    }
}

/// A directory of files, as a segmented log or a snapshot store needs it.
///
/// Names are single path components (no `/`). A handle is cheap to clone.
pub trait Dir: Clone + Send + Sync + 'static {
    /// The file type this directory opens.
    type File: FileIo + 'static;

    /// Create a new empty file; fails with `AlreadyExists` if the name is taken.
    /// The name is not durable until [`Dir::sync`].
    fn create(&self, name: &str) -> io::Result<Self::File>;

    /// Open an existing file for reading and writing; `NotFound` if absent.
    fn open(&self, name: &str) -> io::Result<Self::File>;

    /// The names of the regular files in this directory, sorted.
    fn list(&self) -> io::Result<Vec<String>>;

    /// Atomically rename `from` to `to`, replacing `to` if it exists.
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;

    /// Remove a file.
    fn remove(&self, name: &str) -> io::Result<()>;

    /// Make the directory's entries (creations, renames, removals) durable.
    fn sync(&self) -> io::Result<()>;

    /// A subdirectory, created if missing.
    fn subdir(&self, name: &str) -> io::Result<Self>;

    /// A human-readable location for messages (a path).
    fn describe(&self) -> String;

    /// Whether a file of that name exists.
    fn exists(&self, name: &str) -> io::Result<bool> {
        Ok(self.list()?.iter().any(|n| n == name))
    }
}

fn check_name(name: &str) -> io::Result<()> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid file name {name:?}: must be one non-empty path component"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The simulated filesystem
// ---------------------------------------------------------------------------------------

/// What a power cut does to unsynced writes: the same policy as the node's key-value
/// and log storage (see the variants for what each means for a file).
pub use crate::store::CrashPolicy;

/// Fault settings of a [`SimFs`]. Every default is "a well-behaved disk that tears
/// unsynced writes on a power cut".
#[derive(Clone, Debug, PartialEq)]
pub struct SimFsConfig {
    /// Unit of torn writes, in bytes (default 512, a classic disk sector).
    pub sector_bytes: u64,
    /// What a crash does to unsynced data (default: torn, each sector survives with 1/2).
    pub crash: CrashPolicy,
    /// Probability that a file `sync` fails with an I/O error (default 0).
    pub sync_failure_probability: f64,
    /// Probability that a read returns its bytes with one bit flipped (default 0).
    pub read_bit_flip_probability: f64,
}

impl Default for SimFsConfig {
    fn default() -> Self {
        SimFsConfig {
            sector_bytes: 512,
            crash: CrashPolicy::ReorderSectors {
                sector_survival: 0.5,
            },
            sync_failure_probability: 0.0,
            read_bit_flip_probability: 0.0,
        }
    }
}

/// Counters of what the simulated filesystem did (for tests and traces).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimFsStats {
    /// `write_at` calls.
    pub writes: u64,
    /// Successful file syncs.
    pub syncs: u64,
    /// Failed file syncs (injected).
    pub failed_syncs: u64,
    /// Directory syncs.
    pub dir_syncs: u64,
    /// Reads that returned a flipped bit.
    pub bit_flips: u64,
    /// Power cuts.
    pub crashes: u64,
}

#[derive(Clone, Debug)]
enum PendingOp {
    Write { offset: u64, data: Vec<u8> },
    SetLen(u64),
}

#[derive(Clone, Debug, Default)]
struct Inode {
    volatile: Vec<u8>,
    durable: Vec<u8>,
    pending: Vec<PendingOp>,
}

/// Split a pending write into sector-aligned pieces (a truncation stays one piece).
fn sector_chunks(op: PendingOp, sector: u64) -> Vec<PendingOp> {
    match op {
        PendingOp::SetLen(_) => vec![op],
        PendingOp::Write { offset, data } => {
            let mut pieces = Vec::new();
            let end = offset + data.len() as u64;
            let mut at = offset;
            while at < end {
                let piece_end = (((at / sector) + 1) * sector).min(end);
                let (from, to) = ((at - offset) as usize, (piece_end - offset) as usize);
                pieces.push(PendingOp::Write {
                    offset: at,
                    data: data[from..to].to_vec(),
                });
                at = piece_end;
            }
            pieces
        }
    }
}

fn apply_op(image: &mut Vec<u8>, op: PendingOp) {
    match op {
        PendingOp::Write { offset, data } => apply_write(image, offset, &data),
        PendingOp::SetLen(len) => image.resize(len as usize, 0),
    }
}

fn apply_write(image: &mut Vec<u8>, offset: u64, data: &[u8]) {
    let start = offset as usize;
    let end = start + data.len();
    if image.len() < end {
        image.resize(end, 0);
    }
    image[start..end].copy_from_slice(data);
}

#[derive(Debug)]
struct FsState {
    config: SimFsConfig,
    rng: SimRng,
    inodes: BTreeMap<u64, Inode>,
    next_inode: u64,
    names: BTreeMap<String, u64>,
    durable_names: BTreeMap<String, u64>,
    epoch: u64,
    ops_before_power_cut: Option<u64>,
    failing_syncs: u64,
    stats: SimFsStats,
}

impl FsState {
    /// Count one operation against an armed power cut; fail once the power is gone.
    fn spend_op(&mut self) -> io::Result<()> {
        match self.ops_before_power_cut {
            Some(0) => Err(io::Error::other(
                "simulated power cut: the device is gone until the node crashes and restarts",
            )),
            Some(n) => {
                self.ops_before_power_cut = Some(n - 1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn inode(&mut self, id: u64, epoch: u64) -> io::Result<&mut Inode> {
        if epoch != self.epoch {
            return Err(io::Error::other(
                "stale file handle: the node crashed since this file was opened",
            ));
        }
        self.inodes
            .get_mut(&id)
            .ok_or_else(|| io::Error::other("file handle refers to a deleted file"))
    }
}

/// A simulated filesystem: a cloneable handle to shared state (hold one per simulated
/// node). See the [module docs](self) for the durability model.
#[derive(Clone, Debug)]
pub struct SimFs {
    state: Arc<Mutex<FsState>>,
}

impl SimFs {
    /// A filesystem with the given faults, drawing read-time and sync-time faults from
    /// `rng`.
    pub fn new(config: SimFsConfig, rng: SimRng) -> Self {
        SimFs {
            state: Arc::new(Mutex::new(FsState {
                config,
                rng,
                inodes: BTreeMap::new(),
                next_inode: 1,
                names: BTreeMap::new(),
                durable_names: BTreeMap::new(),
                epoch: 0,
                ops_before_power_cut: None,
                failing_syncs: 0,
                stats: SimFsStats::default(),
            })),
        }
    }

    /// A filesystem with default faults and a stream derived from `seed`.
    pub fn with_seed(seed: u64) -> Self {
        SimFs::new(SimFsConfig::default(), SimRng::derive(seed, "fs"))
    }

    fn lock(&self) -> MutexGuard<'_, FsState> {
        // A panic while holding the lock can only come from a bug in this module; the
        // state is still consistent enough to inspect, so recover the guard.
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The root directory.
    pub fn root(&self) -> SimDir {
        SimDir {
            fs: self.clone(),
            path: String::new(),
        }
    }

    /// The directory at `path` (components separated by `/`), created implicitly.
    pub fn dir(&self, path: &str) -> SimDir {
        SimDir {
            fs: self.clone(),
            path: path.trim_matches('/').to_string(),
        }
    }

    /// Change the fault settings.
    pub fn set_config(&self, config: SimFsConfig) {
        self.lock().config = config;
    }

    /// The current fault settings.
    pub fn config(&self) -> SimFsConfig {
        self.lock().config.clone()
    }

    /// Make the next `n` file syncs fail.
    pub fn fail_next_syncs(&self, n: u64) {
        self.lock().failing_syncs = n;
    }

    /// Let `n` more operations (writes, syncs, truncations, directory changes, reads)
    /// succeed, then fail every operation as if the power were gone, until
    /// [`SimFs::crash`]. `cut_power_after(0)` cuts it now.
    pub fn cut_power_after(&self, n: u64) {
        self.lock().ops_before_power_cut = Some(n);
    }

    /// A power cut: see the [module docs](self). Tear decisions are drawn from `rng`.
    pub fn crash(&self, rng: &mut SimRng) {
        let mut state = self.lock();
        let policy = state.config.crash;
        let sector = state.config.sector_bytes.max(1);
        let survivors: BTreeSet<u64> = state.durable_names.values().copied().collect();
        state.inodes.retain(|id, _| survivors.contains(id));
        for inode in state.inodes.values_mut() {
            let pending = std::mem::take(&mut inode.pending);
            match policy {
                CrashPolicy::LoseUnsynced => {}
                CrashPolicy::KeepPrefix => {
                    let survivors = rng.range(0, pending.len() as u64) as usize;
                    for op in pending.into_iter().take(survivors) {
                        apply_op(&mut inode.durable, op);
                    }
                }
                CrashPolicy::TearLastWrite => {
                    let chunks: Vec<PendingOp> = pending
                        .into_iter()
                        .flat_map(|op| sector_chunks(op, sector))
                        .collect();
                    let survivors = rng.range(0, chunks.len() as u64) as usize;
                    for op in chunks.into_iter().take(survivors) {
                        apply_op(&mut inode.durable, op);
                    }
                }
                CrashPolicy::ReorderSectors { sector_survival } => {
                    for op in pending {
                        match op {
                            PendingOp::SetLen(len) => {
                                if rng.chance(sector_survival) {
                                    inode.durable.resize(len as usize, 0);
                                }
                            }
                            PendingOp::Write { offset, data } => {
                                let mut at = offset;
                                let end = offset + data.len() as u64;
                                while at < end {
                                    let chunk_end = ((at / sector) + 1) * sector;
                                    let chunk_end = chunk_end.min(end);
                                    if rng.chance(sector_survival) {
                                        let from = (at - offset) as usize;
                                        let to = (chunk_end - offset) as usize;
                                        apply_write(&mut inode.durable, at, &data[from..to]);
                                    }
                                    at = chunk_end;
                                }
                            }
                        }
                    }
                }
            }
            inode.volatile = inode.durable.clone();
        }
        state.names = state.durable_names.clone();
        state.epoch += 1;
        state.ops_before_power_cut = None;
        state.failing_syncs = 0;
        state.stats.crashes += 1;
    }

    /// What the filesystem has done so far.
    pub fn stats(&self) -> SimFsStats {
        self.lock().stats.clone()
    }

    /// The bytes a read of `path` would see now (`None` if no such file).
    pub fn file_bytes(&self, path: &str) -> Option<Vec<u8>> {
        let state = self.lock();
        let id = state.names.get(path.trim_matches('/'))?;
        state.inodes.get(id).map(|inode| inode.volatile.clone())
    }

    /// The bytes of `path` that would survive a crash with no torn writes (`None` if the
    /// name itself is not durable).
    pub fn durable_bytes(&self, path: &str) -> Option<Vec<u8>> {
        let state = self.lock();
        let id = state.durable_names.get(path.trim_matches('/'))?;
        state.inodes.get(id).map(|inode| inode.durable.clone())
    }

    /// Bit rot: XOR the stored byte at `offset` of `path` with `mask`, in both images.
    /// Returns `false` if the file or the offset does not exist.
    pub fn corrupt_byte(&self, path: &str, offset: u64, mask: u8) -> bool {
        let mut state = self.lock();
        let Some(id) = state.names.get(path.trim_matches('/')).copied() else {
            return false;
        };
        let Some(inode) = state.inodes.get_mut(&id) else {
            return false;
        };
        let at = offset as usize;
        let mut hit = false;
        for image in [&mut inode.volatile, &mut inode.durable] {
            if let Some(byte) = image.get_mut(at) {
                *byte ^= mask;
                hit = true;
            }
        }
        for op in &mut inode.pending {
            if let PendingOp::Write {
                offset: start,
                data,
            } = op
                && offset >= *start
                && let Some(byte) = data.get_mut((offset - *start) as usize)
            {
                *byte ^= mask;
            }
        }
        hit
    }
}

/// A directory of a [`SimFs`].
#[derive(Clone, Debug)]
pub struct SimDir {
    fs: SimFs,
    path: String,
}

impl SimDir {
    /// The filesystem this directory belongs to.
    pub fn fs(&self) -> &SimFs {
        &self.fs
    }

    /// The full path of `name` inside this directory (as used by [`SimFs::file_bytes`]).
    pub fn path_of(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}/{}", self.path, name)
        }
    }

    fn is_child(&self, full: &str) -> bool {
        let rest = if self.path.is_empty() {
            full
        } else {
            match full
                .strip_prefix(self.path.as_str())
                .and_then(|r| r.strip_prefix('/'))
            {
                Some(rest) => rest,
                None => return false,
            }
        };
        !rest.is_empty() && !rest.contains('/')
    }

    fn handle(&self, state: &FsState, id: u64, name: &str) -> SimFile {
        SimFile {
            fs: self.fs.clone(),
            inode: id,
            epoch: state.epoch,
            path: self.path_of(name),
        }
    }
}

impl Dir for SimDir {
    type File = SimFile;

    fn create(&self, name: &str) -> io::Result<SimFile> {
        check_name(name)?;
        let full = self.path_of(name);
        let mut state = self.fs.lock();
        state.spend_op()?;
        if state.names.contains_key(&full) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{full} already exists"),
            ));
        }
        let id = state.next_inode;
        state.next_inode += 1;
        state.inodes.insert(id, Inode::default());
        state.names.insert(full, id);
        Ok(self.handle(&state, id, name))
    }

    fn open(&self, name: &str) -> io::Result<SimFile> {
        check_name(name)?;
        let full = self.path_of(name);
        let mut state = self.fs.lock();
        state.spend_op()?;
        match state.names.get(&full).copied() {
            Some(id) => Ok(self.handle(&state, id, name)),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{full} does not exist"),
            )),
        }
    }

    fn list(&self) -> io::Result<Vec<String>> {
        let mut state = self.fs.lock();
        state.spend_op()?;
        Ok(state
            .names
            .keys()
            .filter(|full| self.is_child(full))
            .map(|full| full.rsplit('/').next().unwrap_or(full).to_string())
            .collect())
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        check_name(from)?;
        check_name(to)?;
        let (full_from, full_to) = (self.path_of(from), self.path_of(to));
        let mut state = self.fs.lock();
        state.spend_op()?;
        let Some(id) = state.names.remove(&full_from) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{full_from} does not exist"),
            ));
        };
        state.names.insert(full_to, id);
        Ok(())
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        check_name(name)?;
        let full = self.path_of(name);
        let mut state = self.fs.lock();
        state.spend_op()?;
        match state.names.remove(&full) {
            Some(_) => Ok(()),
            None => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{full} does not exist"),
            )),
        }
    }

    fn sync(&self) -> io::Result<()> {
        let mut state = self.fs.lock();
        state.spend_op()?;
        let durable_children: Vec<String> = state
            .durable_names
            .keys()
            .filter(|full| self.is_child(full))
            .cloned()
            .collect();
        for full in durable_children {
            state.durable_names.remove(&full);
        }
        let children: Vec<(String, u64)> = state
            .names
            .iter()
            .filter(|(full, _)| self.is_child(full))
            .map(|(full, id)| (full.clone(), *id))
            .collect();
        state.durable_names.extend(children);
        state.stats.dir_syncs += 1;
        Ok(())
    }

    fn subdir(&self, name: &str) -> io::Result<SimDir> {
        check_name(name)?;
        Ok(SimDir {
            fs: self.fs.clone(),
            path: self.path_of(name),
        })
    }

    fn describe(&self) -> String {
        format!("sim:/{}", self.path)
    }
}

/// A file of a [`SimFs`].
#[derive(Debug)]
pub struct SimFile {
    fs: SimFs,
    inode: u64,
    epoch: u64,
    path: String,
}

impl SimFile {
    /// The file's full path in its filesystem.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl FileIo for SimFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut state = self.fs.lock();
        state.spend_op()?;
        let flip_probability = state.config.read_bit_flip_probability;
        let inode = state.inode(self.inode, self.epoch)?;
        let len = inode.volatile.len() as u64;
        if offset >= len {
            return Ok(0);
        }
        let n = ((len - offset) as usize).min(buf.len());
        buf[..n].copy_from_slice(&inode.volatile[offset as usize..offset as usize + n]);
        if n > 0 && state.rng.chance(flip_probability) {
            let bit = state.rng.below(n * 8);
            buf[bit / 8] ^= 1 << (bit % 8);
            state.stats.bit_flips += 1;
        }
        Ok(n)
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut state = self.fs.lock();
        state.spend_op()?;
        state.stats.writes += 1;
        let inode = state.inode(self.inode, self.epoch)?;
        apply_write(&mut inode.volatile, offset, data);
        inode.pending.push(PendingOp::Write {
            offset,
            data: data.to_vec(),
        });
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        let mut state = self.fs.lock();
        state.spend_op()?;
        state.inode(self.inode, self.epoch)?;
        let fail = if state.failing_syncs > 0 {
            state.failing_syncs -= 1;
            true
        } else {
            let p = state.config.sync_failure_probability;
            state.rng.chance(p)
        };
        if fail {
            state.stats.failed_syncs += 1;
            // Like Linux after EIO: the page cache forgets the dirty pages, so they will
            // never be written, although reads still return them.
            state.inode(self.inode, self.epoch)?.pending.clear();
            return Err(io::Error::other(format!(
                "injected fsync failure on {} (EIO)",
                self.path
            )));
        }
        state.stats.syncs += 1;
        let inode = state.inode(self.inode, self.epoch)?;
        for op in std::mem::take(&mut inode.pending) {
            apply_op(&mut inode.durable, op);
        }
        Ok(())
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        let mut state = self.fs.lock();
        state.spend_op()?;
        let inode = state.inode(self.inode, self.epoch)?;
        inode.volatile.resize(len as usize, 0);
        inode.pending.push(PendingOp::SetLen(len));
        Ok(())
    }

    fn len(&self) -> io::Result<u64> {
        let mut state = self.fs.lock();
        state.spend_op()?;
        Ok(state.inode(self.inode, self.epoch)?.volatile.len() as u64)
    }
}

// ---------------------------------------------------------------------------------------
// The real filesystem
// ---------------------------------------------------------------------------------------

/// A real directory on the local filesystem.
#[derive(Clone, Debug)]
pub struct LocalDir {
    path: PathBuf,
}

impl LocalDir {
    /// Open the directory at `path`, creating it (and its parents) if missing. Fails if
    /// the path exists and is not a directory.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        if path.exists() && !path.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} exists and is not a directory", path.display()),
            ));
        }
        std::fs::create_dir_all(&path)?;
        Ok(LocalDir { path })
    }

    /// The directory's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Dir for LocalDir {
    type File = LocalFile;

    fn create(&self, name: &str) -> io::Result<LocalFile> {
        check_name(name)?;
        let path = self.path.join(name);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(LocalFile { file, path })
    }

    fn open(&self, name: &str) -> io::Result<LocalFile> {
        check_name(name)?;
        LocalFile::open(self.path.join(name))
    }

    fn list(&self) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.path)? {
            let entry = entry?;
            if entry.file_type()?.is_file()
                && let Some(name) = entry.file_name().to_str()
            {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        check_name(from)?;
        check_name(to)?;
        std::fs::rename(self.path.join(from), self.path.join(to))
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        check_name(name)?;
        std::fs::remove_file(self.path.join(name))
    }

    fn sync(&self) -> io::Result<()> {
        std::fs::File::open(&self.path)?.sync_all()
    }

    fn subdir(&self, name: &str) -> io::Result<LocalDir> {
        check_name(name)?;
        LocalDir::open(self.path.join(name))
    }

    fn describe(&self) -> String {
        self.path.display().to_string()
    }
}

/// A real file: `std::fs::File` with positioned I/O and `sync_data` (fdatasync).
#[derive(Debug)]
pub struct LocalFile {
    file: std::fs::File,
    path: PathBuf,
}

impl LocalFile {
    /// Open an existing file for reading and writing.
    pub fn open(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)?;
        Ok(LocalFile { file, path })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
impl FileIo for LocalFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(&self.file, buf, offset)
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(&self.file, data, offset)
    }

    fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }
}

// ---------------------------------------------------------------------------------------
// A node's directory, whichever runtime drives the node
// ---------------------------------------------------------------------------------------

/// The directory a node's handlers get from [`crate::Ctx::dir`]: simulated under the
/// simulator (so a crash of the node is a power cut of its files), a real directory
/// under a real runtime. Protocol code uses it through [`Dir`] and never needs to know.
#[derive(Clone, Debug)]
pub enum NodeDir {
    /// A directory of the node's simulated filesystem.
    Sim(SimDir),
    /// A directory on the real filesystem.
    Local(LocalDir),
}

/// A file of a [`NodeDir`].
#[derive(Debug)]
pub enum NodeFile {
    /// A simulated file.
    Sim(SimFile),
    /// A real file.
    Local(LocalFile),
}

impl FileIo for NodeFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            NodeFile::Sim(f) => f.read_at(offset, buf),
            NodeFile::Local(f) => f.read_at(offset, buf),
        }
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        match self {
            NodeFile::Sim(f) => f.write_at(offset, data),
            NodeFile::Local(f) => f.write_at(offset, data),
        }
    }

    fn sync(&mut self) -> io::Result<()> {
        match self {
            NodeFile::Sim(f) => f.sync(),
            NodeFile::Local(f) => f.sync(),
        }
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        match self {
            NodeFile::Sim(f) => f.truncate(len),
            NodeFile::Local(f) => f.truncate(len),
        }
    }

    fn len(&self) -> io::Result<u64> {
        match self {
            NodeFile::Sim(f) => f.len(),
            NodeFile::Local(f) => f.len(),
        }
    }
}

impl Dir for NodeDir {
    type File = NodeFile;

    fn create(&self, name: &str) -> io::Result<NodeFile> {
        match self {
            NodeDir::Sim(d) => d.create(name).map(NodeFile::Sim),
            NodeDir::Local(d) => d.create(name).map(NodeFile::Local),
        }
    }

    fn open(&self, name: &str) -> io::Result<NodeFile> {
        match self {
            NodeDir::Sim(d) => d.open(name).map(NodeFile::Sim),
            NodeDir::Local(d) => d.open(name).map(NodeFile::Local),
        }
    }

    fn list(&self) -> io::Result<Vec<String>> {
        match self {
            NodeDir::Sim(d) => d.list(),
            NodeDir::Local(d) => d.list(),
        }
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        match self {
            NodeDir::Sim(d) => d.rename(from, to),
            NodeDir::Local(d) => d.rename(from, to),
        }
    }

    fn remove(&self, name: &str) -> io::Result<()> {
        match self {
            NodeDir::Sim(d) => d.remove(name),
            NodeDir::Local(d) => d.remove(name),
        }
    }

    fn sync(&self) -> io::Result<()> {
        match self {
            NodeDir::Sim(d) => d.sync(),
            NodeDir::Local(d) => d.sync(),
        }
    }

    fn subdir(&self, name: &str) -> io::Result<Self> {
        match self {
            NodeDir::Sim(d) => d.subdir(name).map(NodeDir::Sim),
            NodeDir::Local(d) => d.subdir(name).map(NodeDir::Local),
        }
    }

    fn describe(&self) -> String {
        match self {
            NodeDir::Sim(d) => d.describe(),
            NodeDir::Local(d) => d.describe(),
        }
    }
}
