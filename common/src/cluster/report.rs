//! The diagnostic report a stuck or failing test prints.

use super::Cluster;
use crate::msg::Message;
use std::fmt::Write as _;

impl<M: Message> Cluster<M> {
    /// A diagnostic report: nodes, messages in flight and held, rules, cut links, and the
    /// last 50 trace events.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "--- cluster report at tick {} (seed {}) ---",
            self.world.now, self.seed
        );
        let _ = writeln!(out, "nodes:");
        for node in &self.nodes {
            let _ = writeln!(out, "  {}", node.summary());
        }
        let in_flight = self.world.net.in_flight();
        let _ = writeln!(out, "messages in flight: {}", in_flight.len());
        for f in in_flight.iter().take(20) {
            let _ = writeln!(
                out,
                "  t{} {} -> {} {:?}",
                f.deliver_at, f.env.from, f.env.to, f.env.body
            );
        }
        let held: Vec<String> = self
            .world
            .net
            .held()
            .map(|(r, f)| format!("{r}: {} -> {} {}", f.env.from, f.env.to, f.env.body.kind()))
            .collect();
        let _ = writeln!(out, "messages held: {}", held.len());
        for h in held.iter().take(20) {
            let _ = writeln!(out, "  {h}");
        }
        let _ = writeln!(out, "rules:");
        for (id, rule) in self.world.net.rules() {
            let _ = writeln!(out, "  {id}: {rule:?}");
        }
        let cut: Vec<String> = self
            .world
            .net
            .cut_links()
            .iter()
            .map(|(a, b)| format!("{a}->{b}"))
            .collect();
        let _ = writeln!(out, "cut links: [{}]", cut.join(", "));
        let _ = writeln!(out, "last trace events:");
        out.push_str(&self.world.trace.tail(50));
        out
    }
}
