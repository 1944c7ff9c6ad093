//! TCP between nodes: one connection per direction and peer, framed, checksummed and
//! introduced by a handshake.
//!
//! * **Outbound lanes.** For every server in its address table a node keeps one lane: a
//!   bounded queue of encoded frames and a thread that connects, exchanges handshakes,
//!   writes the queue, and reconnects with exponential backoff (50 ms doubling to 2 s)
//!   when the connection fails. A second thread reads what comes back on that
//!   connection (a server's replies to a client); when the peer closes it, the lane
//!   reconnects at once instead of writing into a dead socket, and a frame whose write
//!   failed is sent first on the next connection.
//! * **Inbound connections.** An acceptor thread hands each accepted socket to a thread
//!   that reads the peer's handshake, answers with its own, and then reads envelopes. A
//!   peer that is not in the address table (a client) is answered on the connection it
//!   opened: the connection registers a reply lane under the handshake's id.
//! * **Back-pressure: drop.** Every queue holds at most [`QUEUE_FRAMES`] frames. A send to
//!   a full queue is dropped and counted (and logged, sparsely), exactly as a lossy link
//!   drops it in the simulator: every protocol of the workshop already survives loss with
//!   timeouts and retries, while blocking would stall the node's only thread behind one
//!   slow peer.
//! * **Refusals never crash the node.** A frame that is malformed, truncated, oversized,
//!   of an unknown type, fails its checksum, does not decode, or carries an envelope not
//!   from the handshake's sender or not for this node closes that one connection, with
//!   the reason in the log.
//!
//! Threads are allowed here and nowhere on a simulated path.
#![allow(clippy::disallowed_methods)]

use super::frame::{
    FrameError, Hello, MAX_FRAME_BYTES, TAG_HELLO, TAG_MESSAGE, encode_hello, encode_tagged,
    read_frame, read_hello, split_tag,
};
use super::log::Logger;
use crate::id::ProcessId;
use crate::msg::{Envelope, Message};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{
    Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError, channel, sync_channel,
};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

/// Frames a send queue holds before sends to it are dropped.
pub const QUEUE_FRAMES: usize = 1024;
/// First wait before reconnecting to a peer.
pub const BACKOFF_MIN: Duration = Duration::from_millis(50);
/// Longest wait between reconnection attempts.
pub const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How often an idle lane checks that its connection is still up.
pub const LIVENESS_CHECK: Duration = Duration::from_millis(100);
/// How long a new connection may take to send its handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Counters of the transport, for logs and tests.
#[derive(Debug, Default)]
pub struct TransportStats {
    /// Frames dropped because a send queue was full.
    pub dropped_full: AtomicU64,
    /// Envelopes dropped because no lane leads to their destination.
    pub dropped_no_route: AtomicU64,
    /// Connections closed because of a refused frame or handshake.
    pub refused_connections: AtomicU64,
}

/// Reply lanes of inbound connections, by the id their handshake gave.
type ReplyLanes = Arc<Mutex<BTreeMap<ProcessId, (u64, SyncSender<Vec<u8>>)>>>;

struct Lane {
    queue: SyncSender<Vec<u8>>,
    connected: Arc<AtomicBool>,
}

/// A node's network: lanes out, connections in, one inbox.
pub struct Transport<M> {
    me: ProcessId,
    lanes: BTreeMap<ProcessId, Lane>,
    replies: ReplyLanes,
    inbox: Receiver<Envelope<M>>,
    stats: Arc<TransportStats>,
    log: Logger,
    local_addr: Option<SocketAddr>,
}

/// What every connection thread needs.
struct Shared<M> {
    me: ProcessId,
    section: String,
    inbox: Sender<Envelope<M>>,
    replies: ReplyLanes,
    stats: Arc<TransportStats>,
    log: Logger,
    next_connection: Arc<AtomicU64>,
}

impl<M> Clone for Shared<M> {
    fn clone(&self) -> Self {
        Shared {
            me: self.me.clone(),
            section: self.section.clone(),
            inbox: self.inbox.clone(),
            replies: self.replies.clone(),
            stats: self.stats.clone(),
            log: self.log.clone(),
            next_connection: self.next_connection.clone(),
        }
    }
}

impl<M: Message + Send> Transport<M> {
    /// Start the network of node `me` for `section`: listen on `listen` (a server) or
    /// not at all (a client), and open lanes to every `peers` entry but `me`.
    pub fn start(
        section: &str,
        me: ProcessId,
        listen: Option<SocketAddr>,
        peers: &[(ProcessId, SocketAddr)],
        log: Logger,
    ) -> std::io::Result<Self> {
        let (inbox_tx, inbox) = channel();
        let shared = Shared {
            me: me.clone(),
            section: section.to_owned(),
            inbox: inbox_tx,
            replies: Arc::new(Mutex::new(BTreeMap::new())),
            stats: Arc::new(TransportStats::default()),
            log: log.clone(),
            next_connection: Arc::new(AtomicU64::new(0)),
        };
        let mut local_addr = None;
        if let Some(addr) = listen {
            let listener = TcpListener::bind(addr)?;
            local_addr = Some(listener.local_addr()?);
            let acceptor = shared.clone();
            thread::spawn(move || accept_loop(listener, acceptor));
        }
        let mut lanes = BTreeMap::new();
        for (peer, addr) in peers {
            if *peer == me {
                continue;
            }
            let (queue, rx) = sync_channel(QUEUE_FRAMES);
            let connected = Arc::new(AtomicBool::new(false));
            let lane = shared.clone();
            let (peer_id, addr, flag) = (peer.clone(), *addr, connected.clone());
            thread::spawn(move || outbound_lane(lane, peer_id, addr, rx, flag));
            lanes.insert(peer.clone(), Lane { queue, connected });
        }
        Ok(Transport {
            me,
            lanes,
            replies: shared.replies.clone(),
            inbox,
            stats: shared.stats.clone(),
            log,
            local_addr,
        })
    }

    /// The address the node listens on (with the real port if it asked for port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// Whether the lane to `peer` is connected and past its handshake.
    pub fn is_connected(&self, peer: &ProcessId) -> bool {
        self.lanes
            .get(peer)
            .is_some_and(|l| l.connected.load(Ordering::Relaxed))
    }

    /// The counters.
    pub fn stats(&self) -> &TransportStats {
        &self.stats
    }

    /// The inbox of envelopes read from every connection.
    pub fn inbox(&self) -> &Receiver<Envelope<M>> {
        &self.inbox
    }

    /// Put an envelope on its way; drop it (counted) if its queue is full or no lane
    /// leads to its destination.
    pub fn send(&self, envelope: &Envelope<M>) {
        let body = match postcard::to_allocvec(envelope) {
            Ok(body) if body.len() < MAX_FRAME_BYTES => body,
            Ok(body) => {
                self.log.line(format!(
                    "dropped {} to {}: {} bytes exceeds the frame limit",
                    envelope.body.kind(),
                    envelope.to,
                    body.len()
                ));
                return;
            }
            Err(e) => {
                self.log.line(format!(
                    "dropped {} to {}: does not encode: {e}",
                    envelope.body.kind(),
                    envelope.to
                ));
                return;
            }
        };
        let frame = encode_tagged(TAG_MESSAGE, &body);
        let queue = match self.lanes.get(&envelope.to) {
            Some(lane) => Some(lane.queue.clone()),
            None => self
                .replies
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&envelope.to)
                .map(|(_, q)| q.clone()),
        };
        let Some(queue) = queue else {
            let n = self.stats.dropped_no_route.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                self.log.line(format!(
                    "dropped {} from {} to {}: no connection leads there ({n} so far)",
                    envelope.body.kind(),
                    self.me,
                    envelope.to
                ));
            }
            return;
        };
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) = queue.try_send(frame) {
            let n = self.stats.dropped_full.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_power_of_two() {
                self.log.line(format!(
                    "dropped {} to {}: send queue full or closed ({n} drops so far)",
                    envelope.body.kind(),
                    envelope.to
                ));
            }
        }
    }
}

fn accept_loop<M: Message + Send>(listener: TcpListener, shared: Shared<M>) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let conn = shared.clone();
                thread::spawn(move || serve_inbound(stream, conn));
            }
            Err(e) => {
                shared.log.line(format!("accept failed: {e}"));
                thread::sleep(BACKOFF_MIN);
            }
        }
    }
}

/// An accepted connection: handshake, reply lane, then envelopes until it closes.
fn serve_inbound<M: Message + Send>(stream: TcpStream, shared: Shared<M>) {
    let who = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "?".into());
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT));
    let mut reader = stream;
    let hello = match read_hello(&mut reader, &shared.section) {
        Ok(hello) => hello,
        Err(e) => {
            refuse(&shared, &reader, &who, &e);
            return;
        }
    };
    let _ = reader.set_read_timeout(None);
    let Ok(mut writer) = reader.try_clone() else {
        return;
    };
    if writer
        .write_all(&encode_hello(&Hello::new(
            &shared.section,
            shared.me.clone(),
        )))
        .is_err()
    {
        return;
    }
    let connection = shared.next_connection.fetch_add(1, Ordering::Relaxed);
    let (queue, rx) = sync_channel::<Vec<u8>>(QUEUE_FRAMES);
    shared
        .replies
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(hello.from.clone(), (connection, queue));
    thread::spawn(move || {
        for frame in rx {
            if writer.write_all(&frame).is_err() {
                break;
            }
        }
    });
    let outcome = read_envelopes(&mut reader, &hello.from, &shared);
    let mut replies = shared
        .replies
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if replies
        .get(&hello.from)
        .is_some_and(|(c, _)| *c == connection)
    {
        replies.remove(&hello.from);
    }
    drop(replies);
    if let Err(e) = outcome {
        refuse(&shared, &reader, &format!("{} at {who}", hello.from), &e);
    } else {
        let _ = reader.shutdown(Shutdown::Both);
    }
}

/// Log why a connection is closed and close it.
fn refuse<M>(shared: &Shared<M>, stream: &TcpStream, who: &str, error: &FrameError) {
    if !matches!(error, FrameError::Closed) {
        shared
            .stats
            .refused_connections
            .fetch_add(1, Ordering::Relaxed);
        shared
            .log
            .line(format!("closing connection from {who}: {error}"));
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// Read envelopes from `peer` into the inbox until the connection ends (`Ok`) or a frame
/// is refused (`Err`, the reason).
fn read_envelopes<M: Message + Send>(
    reader: &mut TcpStream,
    peer: &ProcessId,
    shared: &Shared<M>,
) -> Result<(), FrameError> {
    loop {
        let payload = match read_frame(reader) {
            Ok(payload) => payload,
            Err(FrameError::Closed) => return Ok(()),
            Err(e) => return Err(e),
        };
        let (tag, body) = split_tag(&payload)?;
        if tag == TAG_HELLO {
            return Err(FrameError::Handshake("a second handshake".into()));
        }
        let envelope: Envelope<M> = postcard::from_bytes(body).map_err(|e| FrameError::Decode {
            what: "envelope",
            reason: e.to_string(),
        })?;
        if envelope.from != *peer || envelope.to != shared.me {
            return Err(FrameError::Envelope(format!(
                "{} -> {} on the connection of {peer} to {}",
                envelope.from, envelope.to, shared.me
            )));
        }
        if shared.inbox.send(envelope).is_err() {
            return Ok(());
        }
    }
}

/// The lane to one peer: connect, handshake, write the queue; reconnect with backoff.
fn outbound_lane<M: Message + Send>(
    shared: Shared<M>,
    peer: ProcessId,
    addr: SocketAddr,
    queue: Receiver<Vec<u8>>,
    connected: Arc<AtomicBool>,
) {
    let mut backoff = BACKOFF_MIN;
    let mut failures = 0u64;
    // A frame whose write failed, sent first on the next connection.
    let mut carry: Option<Vec<u8>> = None;
    loop {
        let stream = match connect(&shared, &peer, addr) {
            Ok(stream) => stream,
            Err(reason) => {
                failures += 1;
                if failures.is_power_of_two() {
                    shared.log.line(format!(
                        "cannot reach {peer} at {addr} ({failures} attempts): {reason}; retrying"
                    ));
                }
                thread::sleep(backoff);
                backoff = (backoff * 2).min(BACKOFF_MAX);
                continue;
            }
        };
        if failures > 0 {
            shared.log.line(format!(
                "connected to {peer} at {addr} after {failures} failures"
            ));
        }
        failures = 0;
        backoff = BACKOFF_MIN;
        connected.store(true, Ordering::Relaxed);
        if let Ok(mut reader) = stream.try_clone() {
            let reads = shared.clone();
            let from = peer.clone();
            let alive = connected.clone();
            thread::spawn(move || {
                if let Err(e) = read_envelopes(&mut reader, &from, &reads) {
                    refuse(&reads, &reader, from.as_str(), &e);
                }
                // The peer closed or broke the connection: tell the writer, which
                // reconnects instead of writing into a dead socket.
                alive.store(false, Ordering::Relaxed);
                let _ = reader.shutdown(Shutdown::Both);
            });
        }
        let mut writer = stream;
        let ended = loop {
            let frame = match carry.take() {
                Some(frame) => frame,
                None => match queue.recv_timeout(LIVENESS_CHECK) {
                    Ok(frame) => frame,
                    Err(RecvTimeoutError::Timeout) => {
                        if connected.load(Ordering::Relaxed) {
                            continue;
                        }
                        break "the peer closed the connection".to_string();
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                },
            };
            if !connected.load(Ordering::Relaxed) {
                carry = Some(frame);
                break "the peer closed the connection".to_string();
            }
            if let Err(e) = writer.write_all(&frame) {
                // Written in part at most: the peer drops a partial frame, so sending
                // it again on the next connection cannot duplicate it.
                carry = Some(frame);
                break e.to_string();
            }
        };
        connected.store(false, Ordering::Relaxed);
        let _ = writer.shutdown(Shutdown::Both);
        shared.log.line(format!(
            "connection to {peer} at {addr} lost: {ended}; reconnecting"
        ));
    }
}

/// Connect to `peer` and exchange handshakes.
fn connect<M>(shared: &Shared<M>, peer: &ProcessId, addr: SocketAddr) -> Result<TcpStream, String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    stream
        .write_all(&encode_hello(&Hello::new(
            &shared.section,
            shared.me.clone(),
        )))
        .map_err(|e| e.to_string())?;
    let _ = stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT));
    let hello = read_hello(&mut stream, &shared.section).map_err(|e| e.to_string())?;
    if hello.from != *peer {
        return Err(format!("{addr} answered as {}, not {peer}", hello.from));
    }
    let _ = stream.set_read_timeout(None);
    Ok(stream)
}
