//! The key-value workload of the day-2 fault sweeps, shared by every section whose
//! servers replicate a key-value store with compare-and-swap and client sessions.
//!
//! Each client sends sets of unique values, gets, and compare-and-swaps (expecting a
//! value it saw or wrote, or an absent key) on two keys, so operations collide; each
//! request carries the client's next sequence number, and a retry re-sends the same
//! message. The history records the kit's [`KvCasOp`] and [`KvCasRet`], checked against
//! [`crate::check::models::KvCas`]. A section only says how its messages carry them, by
//! implementing [`KvCasClient`]:
//!
//! ```
//! use common::check::models::{KvCasOp, KvCasRet};
//! use common::workload::{KvCasClient, KvCasWorkload};
//! use common::{Message, ProcessId, Redirect};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
//! enum Msg {
//!     Execute { client: ProcessId, seq: u64, op: String },
//!     Read(Option<String>),
//!     NotLeader,
//! }
//! impl Message for Msg {
//!     fn kind(&self) -> &'static str {
//!         "msg"
//!     }
//! }
//!
//! struct Client;
//! impl KvCasClient for Client {
//!     type Msg = Msg;
//!     fn request(client: &ProcessId, seq: u64, op: &KvCasOp) -> Msg {
//!         Msg::Execute { client: client.clone(), seq, op: format!("{op:?}") }
//!     }
//!     fn told(reply: &Msg) -> Option<KvCasRet> {
//!         match reply {
//!             Msg::Read(value) => Some(KvCasRet::Read { value: value.clone() }),
//!             _ => None,
//!         }
//!     }
//!     fn redirect(reply: &Msg) -> Redirect {
//!         match reply {
//!             Msg::NotLeader => Redirect::Elsewhere,
//!             _ => Redirect::Done,
//!         }
//!     }
//! }
//!
//! let workload = KvCasWorkload::<Client>::default();
//! assert_eq!(workload.answered, 0);
//! ```

use crate::check::models::{KvCasOp, KvCasRet};
use crate::sim::{Answer, Workload};
use crate::{Message, ProcessId, Redirect, RpcError, SimRng};
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

/// Keys the workload uses: few, so operations collide.
pub const KEYS: [&str; 2] = ["x", "y"];

/// How a section's messages carry the workload's operations and outcomes.
pub trait KvCasClient {
    /// The section's message type.
    type Msg: Message;

    /// The request for `op`, as request `seq` of `client` (sequence numbers start at 1).
    fn request(client: &ProcessId, seq: u64, op: &KvCasOp) -> Self::Msg;

    /// The outcome a reply reports, exactly as the server reported it; `None` for any
    /// other reply (the operation may or may not take effect).
    fn told(reply: &Self::Msg) -> Option<KvCasRet>;

    /// Where a reply sends the client next (`NotLeader { hint }` to the hint, say).
    fn redirect(reply: &Self::Msg) -> Redirect;
}

/// The workload: per-client sequence numbers, and the values each key was seen to hold
/// (the candidates a compare-and-swap expects).
pub struct KvCasWorkload<C> {
    next_seq: BTreeMap<ProcessId, u64>,
    /// Values written or read per key.
    seen: BTreeMap<String, Vec<String>>,
    /// Operations answered with an outcome.
    pub answered: u64,
    client: PhantomData<fn() -> C>,
}

impl<C> Default for KvCasWorkload<C> {
    fn default() -> Self {
        KvCasWorkload {
            next_seq: BTreeMap::new(),
            seen: BTreeMap::new(),
            answered: 0,
            client: PhantomData,
        }
    }
}

impl<C> fmt::Debug for KvCasWorkload<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KvCasWorkload")
            .field("next_seq", &self.next_seq)
            .field("seen", &self.seen)
            .field("answered", &self.answered)
            .finish()
    }
}

impl<C> KvCasWorkload<C> {
    fn fresh(&mut self, client: &ProcessId) -> u64 {
        let seq = self.next_seq.entry(client.clone()).or_insert(0);
        *seq += 1;
        *seq
    }

    fn remember(&mut self, key: &str, value: &str) {
        let seen = self.seen.entry(key.to_string()).or_default();
        if !seen.iter().any(|v| v == value) {
            seen.push(value.to_string());
        }
    }
}

impl<C: KvCasClient> Workload<C::Msg> for KvCasWorkload<C> {
    type Input = KvCasOp;
    type Output = KvCasRet;

    fn next_op(&mut self, rng: &mut SimRng, client: &ProcessId) -> Option<KvCasOp> {
        let key = KEYS[rng.below(KEYS.len())].to_string();
        let seq = self.next_seq.get(client).copied().unwrap_or(0) + 1;
        let unique = format!("{client}-{seq}");
        Some(match rng.below(10) {
            0..=3 => KvCasOp::Set { key, value: unique },
            4..=6 => KvCasOp::Get { key },
            _ => {
                let seen = self.seen.get(&key).cloned().unwrap_or_default();
                let expected = if seen.is_empty() || rng.chance(0.2) {
                    None
                } else {
                    // Recent values are the likely current ones: favour the last few.
                    let recent = seen.len().saturating_sub(3);
                    Some(seen[recent + rng.below(seen.len() - recent)].clone())
                };
                KvCasOp::Cas {
                    key,
                    expected,
                    new: unique,
                }
            }
        })
    }

    fn request(&mut self, client: &ProcessId, input: &KvCasOp) -> C::Msg {
        let seq = self.fresh(client);
        if let KvCasOp::Set { key, value }
        | KvCasOp::Cas {
            key, new: value, ..
        } = input
        {
            self.remember(key, value);
        }
        C::request(client, seq, input)
    }

    fn interpret(&mut self, input: &KvCasOp, reply: Result<C::Msg, RpcError>) -> Answer<KvCasRet> {
        match reply.as_ref().ok().and_then(C::told) {
            Some(ret) => {
                if let KvCasRet::Read { value: Some(v) } = &ret {
                    let (key, v) = (input.key().to_string(), v.clone());
                    self.remember(&key, &v);
                }
                self.answered += 1;
                Answer::Ok(ret)
            }
            // Gave up, superseded or timed out: the operation may still take effect
            // (or, superseded, never will; unknown covers both).
            None => Answer::Info,
        }
    }

    fn redirect(reply: &C::Msg) -> Redirect {
        C::redirect(reply)
    }

    fn final_op(&mut self, _client: &ProcessId) -> Option<KvCasOp> {
        Some(KvCasOp::Get {
            key: KEYS[0].to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    enum Msg {
        Execute(ProcessId, u64),
        Read(Option<String>),
        Busy,
    }

    impl Message for Msg {
        fn kind(&self) -> &'static str {
            "msg"
        }
    }

    struct Plain;

    impl KvCasClient for Plain {
        type Msg = Msg;
        fn request(client: &ProcessId, seq: u64, _op: &KvCasOp) -> Msg {
            Msg::Execute(client.clone(), seq)
        }
        fn told(reply: &Msg) -> Option<KvCasRet> {
            match reply {
                Msg::Read(value) => Some(KvCasRet::Read {
                    value: value.clone(),
                }),
                _ => None,
            }
        }
        fn redirect(reply: &Msg) -> Redirect {
            match reply {
                Msg::Busy => Redirect::Elsewhere,
                _ => Redirect::Done,
            }
        }
    }

    #[test]
    fn each_client_numbers_its_requests_from_one() {
        let mut workload = KvCasWorkload::<Plain>::default();
        let (a, b) = (ProcessId::new("a"), ProcessId::new("b"));
        let op = KvCasOp::Get { key: "x".into() };
        let seqs: Vec<u64> = [&a, &a, &b, &a]
            .into_iter()
            .map(|c| match workload.request(c, &op) {
                Msg::Execute(_, seq) => seq,
                other => panic!("a request, not {other:?}"),
            })
            .collect();
        assert_eq!(seqs, vec![1, 2, 1, 3]);
    }

    #[test]
    fn a_compare_and_swap_expects_a_value_written_or_read_or_an_absent_key() {
        let mut workload = KvCasWorkload::<Plain>::default();
        let client = ProcessId::new("c1");
        let mut rng = SimRng::new(5);
        let mut known: Vec<String> = Vec::new();
        let mut swaps = 0;
        for _ in 0..300 {
            let op = workload
                .next_op(&mut rng, &client)
                .expect("always an operation");
            if let KvCasOp::Cas { expected, .. } = &op {
                swaps += 1;
                if let Some(value) = expected {
                    assert!(known.contains(value), "{value} was never written or read");
                }
            }
            let _ = workload.request(&client, &op);
            match &op {
                KvCasOp::Set { value, .. } | KvCasOp::Cas { new: value, .. } => {
                    known.push(value.clone());
                }
                KvCasOp::Get { .. } => {
                    let reply = Msg::Read(Some("read-back".into()));
                    assert!(matches!(
                        workload.interpret(&op, Ok(reply)),
                        Answer::Ok(KvCasRet::Read { .. })
                    ));
                    known.push("read-back".into());
                }
            }
        }
        assert!(swaps > 30, "the mix has compare-and-swaps ({swaps} of 300)");
    }

    #[test]
    fn a_reply_without_an_outcome_leaves_the_operation_unknown() {
        let mut workload = KvCasWorkload::<Plain>::default();
        let op = KvCasOp::Set {
            key: "x".into(),
            value: "v".into(),
        };
        assert!(matches!(
            workload.interpret(&op, Ok(Msg::Busy)),
            Answer::Info
        ));
        assert!(matches!(
            workload.interpret(&op, Err(RpcError::Timeout { after_ticks: 5 })),
            Answer::Info
        ));
        assert_eq!(workload.answered, 0);
        assert_eq!(
            <KvCasWorkload<Plain> as Workload<Msg>>::redirect(&Msg::Busy),
            Redirect::Elsewhere
        );
    }
}
