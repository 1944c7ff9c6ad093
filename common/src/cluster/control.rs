//! Fault controls that borrow part of the cluster: a node's clock, the network.

use crate::id::ProcessId;
use crate::msg::Message;
use crate::net::{Action, NetConfig, PartitionMode, Rule, RuleId, Sel, SimNet};
use crate::time::{SimClock, Tick};
use crate::trace::{Trace, TraceEvent, TraceKind};

/// A node's wall clock, for tests that skew time. Every change is written to the trace.
pub struct ClockControl<'a, M: Message> {
    pub(super) clock: &'a mut SimClock,
    pub(super) trace: &'a mut Trace<M>,
    pub(super) node: ProcessId,
    pub(super) now: Tick,
}

impl<M: Message> ClockControl<'_, M> {
    fn record(&mut self, what: String) {
        let event = TraceEvent::new(self.now, self.node.clone(), TraceKind::Fault);
        self.trace.record(event.detail(what));
    }

    /// Make the clock read `ms` now.
    pub fn set_ms(mut self, ms: u64) {
        self.clock.set_ms(self.now, ms);
        self.record(format!("clock set to {ms} ms"));
    }

    /// Jump the clock by `delta_ms`.
    pub fn skew(mut self, delta_ms: i64) {
        self.clock.skew(delta_ms);
        self.record(format!("clock jumps {delta_ms:+} ms"));
    }

    /// Run fast (positive) or slow (negative) by `ppm` parts per million from now.
    pub fn drift(mut self, ppm: i64) {
        if self.clock.drift_ppm != ppm {
            self.clock.drift(self.now, ppm);
            self.record(format!("clock drifts {ppm:+} ppm"));
        }
    }

    /// What the clock reads now.
    pub fn now_ms(&self) -> u64 {
        self.clock.wall_ms(self.now)
    }
}

/// Network fault controls: rules, latency, loss.
pub struct NetControl<'a, M: Message> {
    pub(super) net: &'a mut SimNet<M>,
    pub(super) trace: &'a mut Trace<M>,
    pub(super) now: Tick,
}

impl<M: Message> NetControl<'_, M> {
    /// Install a rule.
    pub fn add_rule(&mut self, rule: Rule) -> RuleId {
        self.net.add_rule(self.now, rule, self.trace)
    }

    fn kind_rule(&mut self, kind: &str, from: Sel, to: Sel, action: Action) -> RuleId {
        self.add_rule(Rule {
            from,
            to,
            kind: Some(kind.to_string()),
            action,
            until: None,
        })
    }

    /// Drop every message of `kind` from `from` to `to`.
    pub fn drop_kind(&mut self, kind: &str, from: impl Into<Sel>, to: impl Into<Sel>) -> RuleId {
        self.kind_rule(kind, from.into(), to.into(), Action::Drop)
    }

    /// Drop only the `n`-th (1-based) message of `kind` from `from` to `to`.
    pub fn drop_nth_kind(
        &mut self,
        kind: &str,
        from: impl Into<Sel>,
        to: impl Into<Sel>,
        n: u64,
    ) -> RuleId {
        self.kind_rule(kind, from.into(), to.into(), Action::DropNth(n))
    }

    /// Add `ticks` of latency to messages of `kind` from `from` to `to`.
    pub fn delay_kind(
        &mut self,
        kind: &str,
        from: impl Into<Sel>,
        to: impl Into<Sel>,
        ticks: Tick,
    ) -> RuleId {
        self.kind_rule(kind, from.into(), to.into(), Action::Delay(ticks))
    }

    /// Hold messages of `kind` from `from` to `to` until [`NetControl::release`].
    pub fn hold_kind(&mut self, kind: &str, from: impl Into<Sel>, to: impl Into<Sel>) -> RuleId {
        self.kind_rule(kind, from.into(), to.into(), Action::Hold)
    }

    /// Deliver every message of `kind` from `from` to `to`, and a copy of it `after` ticks
    /// later: a duplicate at a chosen moment, where [`NetControl::set_duplicate`] draws
    /// them at random.
    pub fn duplicate_kind(
        &mut self,
        kind: &str,
        from: impl Into<Sel>,
        to: impl Into<Sel>,
        after: Tick,
    ) -> RuleId {
        self.kind_rule(kind, from.into(), to.into(), Action::Duplicate(after))
    }

    /// Hold every message from `from` to `to` until [`NetControl::release`].
    pub fn hold(&mut self, from: impl Into<Sel>, to: impl Into<Sel>) -> RuleId {
        self.add_rule(Rule {
            from: from.into(),
            to: to.into(),
            kind: None,
            action: Action::Hold,
            until: None,
        })
    }

    /// Clog the link for `ticks`: what is sent meanwhile arrives when the clog ends.
    pub fn clog(&mut self, from: impl Into<Sel>, to: impl Into<Sel>, ticks: Tick) -> RuleId {
        let end = self.now + ticks;
        self.add_rule(Rule {
            from: from.into(),
            to: to.into(),
            kind: None,
            action: Action::DelayUntil(end),
            until: Some(end),
        })
    }

    /// Remove a rule, releasing what it held (each message delivered exactly once).
    pub fn release(&mut self, rule: RuleId) {
        self.net.remove_rule(self.now, rule, self.trace);
    }

    /// Remove every rule, releasing everything held.
    pub fn clear_rules(&mut self) {
        self.net.clear_rules(self.now, self.trace);
    }

    /// Heal partitions, remove rules, forget per-link settings.
    pub fn reset(&mut self) {
        self.net.reset(self.now, self.trace);
    }

    /// Latency range for every link.
    pub fn set_latency(&mut self, min: Tick, max: Tick) {
        let config = NetConfig {
            latency: (min, max),
            ..self.net.config().clone()
        };
        self.net.set_config(config);
    }

    /// Latency range for one link.
    pub fn set_link_latency(&mut self, from: &str, to: &str, min: Tick, max: Tick) {
        self.net.set_link_latency(from, to, min, max);
    }

    /// Loss probability for every link.
    pub fn set_loss(&mut self, probability: f64) {
        let config = NetConfig {
            loss: probability,
            ..self.net.config().clone()
        };
        self.net.set_config(config);
    }

    /// Loss probability for one link.
    pub fn set_link_loss(&mut self, from: &str, to: &str, probability: f64) {
        self.net.set_link_loss(from, to, probability);
    }

    /// Duplication probability for every link.
    pub fn set_duplicate(&mut self, probability: f64) {
        let config = NetConfig {
            duplicate: probability,
            ..self.net.config().clone()
        };
        self.net.set_config(config);
    }

    /// When partitions apply.
    pub fn set_partition_mode(&mut self, mode: PartitionMode) {
        let config = NetConfig {
            partition_mode: mode,
            ..self.net.config().clone()
        };
        self.net.set_config(config);
    }

    /// The network itself, for inspection.
    pub fn sim(&self) -> &SimNet<M> {
        self.net
    }
}
