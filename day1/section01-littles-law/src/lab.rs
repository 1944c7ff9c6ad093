//! The lab's six questions, answered from one iostat reading with every step shown.
//!
//! The original worked answers round intermediate results (S to 0.057 ms, X_max to
//! 17,500, X_safe to 12,300). [`LabAnswers`] carries both the lab's rounded chain and
//! the unrounded one, so a learner sees how much the rounding moved each answer.

use std::fmt::Write as _;

use crate::model::{self, ModelError};

/// One reading of `iostat -x` plus the planning targets of the lab.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabInputs {
    /// r/s + w/s, operations per second.
    pub iops: f64,
    /// Mean latency (w_await for the lab's write-only load), milliseconds.
    pub await_ms: f64,
    /// %util as a fraction.
    pub utilisation: f64,
    /// iostat's aqu-sz, the kernel's measured mean queue length.
    pub aqu_sz: f64,
    /// Bytes per I/O.
    pub block_bytes: u64,
    /// Throughput the service must carry, operations per second.
    pub target_iops: f64,
    /// Latency the service promises, milliseconds.
    pub latency_target_ms: f64,
    /// Utilisation policy cap per disk, as a fraction.
    pub utilisation_cap: f64,
    /// Utilisation at which Q5 asks about response time.
    pub high_utilisation: f64,
}

impl Default for LabInputs {
    /// The lab's sample line (device vdb) and targets.
    fn default() -> Self {
        LabInputs {
            iops: 6836.0,
            await_ms: 0.14,
            utilisation: 0.39,
            aqu_sz: 0.96,
            block_bytes: 4096,
            target_iops: 30_000.0,
            latency_target_ms: 0.5,
            utilisation_cap: 0.70,
            high_utilisation: 0.95,
        }
    }
}

/// A capacity plan for a number of disks: per-disk load and the M/M/1 response time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Disks.
    pub disks: u64,
    /// Per-disk utilisation, target / disks × S.
    pub utilisation: f64,
    /// M/M/1 response time per disk, ms.
    pub response_ms: f64,
}

/// Every answer, unrounded and with the lab's rounding.
#[derive(Debug, Clone, PartialEq)]
pub struct LabAnswers {
    /// The inputs.
    pub inputs: LabInputs,
    /// Q1: L = λ · W.
    pub little_l: f64,
    /// Q2: S = U / X, ms.
    pub service_time_ms: f64,
    /// Q2 as the lab rounds it (to 0.001 ms).
    pub service_time_ms_lab: f64,
    /// Q3: 1 / S.
    pub max_iops: f64,
    /// Q3 from the rounded S.
    pub max_iops_lab: f64,
    /// Q4: cap / S.
    pub safe_iops: f64,
    /// Q4 from the rounded S.
    pub safe_iops_lab: f64,
    /// Q5: arrival rate at the high utilisation, high / S.
    pub high_rate: f64,
    /// Q5 as the lab computes it: high × X_max rounded to 100.
    pub high_rate_lab: f64,
    /// Q5: M/M/1 wait at the high utilisation, ms.
    pub high_wait_ms: f64,
    /// Q5: M/M/1 response time at the high utilisation, ms.
    pub high_response_ms: f64,
    /// Q5 with the rounded S: wait, ms.
    pub high_wait_ms_lab: f64,
    /// Q5 with the rounded S: response, ms.
    pub high_response_ms_lab: f64,
    /// The M/M/1 prediction at the *measured* utilisation, to set against the measured await.
    pub model_response_ms: f64,
    /// Q6: disks under the utilisation cap (unrounded chain).
    pub disks_by_cap: u64,
    /// Q6 as the lab computes it: target / (X_safe rounded to 100).
    pub disks_by_cap_lab: u64,
    /// Q6: the fewest disks that meet the latency target under M/M/1.
    pub disks_by_latency: Plan,
    /// Q6: the plan with `disks_by_cap` disks.
    pub plan_at_cap: Plan,
    /// Bandwidth of the measured load, KiB/s.
    pub bandwidth_kib_per_s: f64,
}

fn round_to(value: f64, step: f64) -> f64 {
    (value / step).round() * step
}

/// The M/M/1 plan for spreading `target` evenly over `disks` disks.
pub fn plan(target_iops: f64, disks: u64, service_time_s: f64) -> Result<Plan, ModelError> {
    let utilisation = model::utilisation(target_iops / disks.max(1) as f64, service_time_s)?;
    Ok(Plan {
        disks,
        utilisation,
        response_ms: model::mm1_response_s(service_time_s, utilisation)? * 1e3,
    })
}

/// Answers Q1–Q6 for `inputs`.
pub fn answer(inputs: LabInputs) -> Result<LabAnswers, ModelError> {
    let s = model::service_time_s(inputs.utilisation, inputs.iops)?;
    let s_lab = round_to(s * 1e3, 0.001) / 1e3;
    let max_lab = model::max_throughput_per_s(s_lab, 1.0)?;
    let safe = model::max_throughput_per_s(s, inputs.utilisation_cap)?;
    let safe_lab = model::max_throughput_per_s(s_lab, inputs.utilisation_cap)?;
    let disks_by_cap = model::disks_needed(inputs.target_iops, safe)?;
    let latency_s = inputs.latency_target_ms / 1e3;
    if latency_s <= s {
        return Err(ModelError::LatencyUnreachable {
            target_ms: inputs.latency_target_ms,
            service_ms: s * 1e3,
        });
    }
    // Fewest disks with U < 1 and S / (1 − U) within the target, bounded by the cap plan.
    let mut disks_by_latency = None;
    for disks in 1..=disks_by_cap.max(1) * 4 {
        if let Ok(candidate) = plan(inputs.target_iops, disks, s)
            && candidate.response_ms <= inputs.latency_target_ms
        {
            disks_by_latency = Some(candidate);
            break;
        }
    }
    let disks_by_latency = disks_by_latency.ok_or(ModelError::LatencyUnreachable {
        target_ms: inputs.latency_target_ms,
        service_ms: s * 1e3,
    })?;
    Ok(LabAnswers {
        inputs,
        little_l: model::littles_law_l(inputs.iops, inputs.await_ms / 1e3)?,
        service_time_ms: s * 1e3,
        service_time_ms_lab: s_lab * 1e3,
        max_iops: model::max_throughput_per_s(s, 1.0)?,
        max_iops_lab: max_lab,
        safe_iops: safe,
        safe_iops_lab: safe_lab,
        high_rate: model::max_throughput_per_s(s, inputs.high_utilisation)?,
        high_rate_lab: inputs.high_utilisation * round_to(max_lab, 100.0),
        high_wait_ms: model::mm1_wait_s(s, inputs.high_utilisation)? * 1e3,
        high_response_ms: model::mm1_response_s(s, inputs.high_utilisation)? * 1e3,
        high_wait_ms_lab: model::mm1_wait_s(s_lab, inputs.high_utilisation)? * 1e3,
        high_response_ms_lab: model::mm1_response_s(s_lab, inputs.high_utilisation)? * 1e3,
        model_response_ms: model::mm1_response_s(s, inputs.utilisation)? * 1e3,
        disks_by_cap,
        disks_by_cap_lab: model::disks_needed(inputs.target_iops, round_to(safe_lab, 100.0))?,
        disks_by_latency,
        plan_at_cap: plan(inputs.target_iops, disks_by_cap, s)?,
        bandwidth_kib_per_s: model::bandwidth_kib_per_s(inputs.iops, inputs.block_bytes)?,
    })
}

impl LabAnswers {
    /// The worked answers as text, one step per line.
    pub fn render(&self) -> String {
        let i = &self.inputs;
        let pct = |f: f64| f * 100.0;
        let mut o = String::new();
        let _ = writeln!(
            o,
            "Reading: {} IOPS, await {} ms, %util {}%, aqu-sz {}, block {} B",
            i.iops,
            i.await_ms,
            pct(i.utilisation),
            i.aqu_sz,
            i.block_bytes
        );
        let _ = writeln!(
            o,
            "Targets: {} IOPS, latency <= {} ms, per-disk utilisation cap {}%",
            i.target_iops,
            i.latency_target_ms,
            pct(i.utilisation_cap)
        );
        let _ = writeln!(
            o,
            "Bandwidth: {} IOPS x {} B = {:.0} KiB/s = {:.1} MiB/s",
            i.iops,
            i.block_bytes,
            self.bandwidth_kib_per_s,
            self.bandwidth_kib_per_s / 1024.0
        );
        let _ = writeln!(o);
        let _ = writeln!(o, "Q1. How many requests are in the system? (Little's law)");
        let _ = writeln!(
            o,
            "  L = lambda x W = {} /s x {} ms = {} /s x {:.6} s = {:.5}",
            i.iops,
            i.await_ms,
            i.iops,
            i.await_ms / 1e3,
            self.little_l
        );
        let _ = writeln!(
            o,
            "  iostat's aqu-sz says {}: they differ by {:.3}. Both come from the same kernel counters,",
            i.aqu_sz,
            (self.little_l - i.aqu_sz).abs()
        );
        let _ = writeln!(o, "  so their agreement is bookkeeping, not an experiment.");
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Q2. What is the service time per I/O? (utilisation law U = X x S)"
        );
        let _ = writeln!(
            o,
            "  S = U / X = {} / {} /s = {:.4e} s = {:.7} ms   (the lab rounds to {:.3} ms)",
            i.utilisation,
            i.iops,
            self.service_time_ms / 1e3,
            self.service_time_ms,
            self.service_time_ms_lab
        );
        let _ = writeln!(o);
        let _ = writeln!(o, "Q3. What is the most this disk can do? (U = 1)");
        let _ = writeln!(
            o,
            "  X_max = 1 / S = 1 / {:.7} ms = {:.1} IOPS   (lab: 1 / {:.3} ms = {:.2}, quoted as ~{:.0})",
            self.service_time_ms,
            self.max_iops,
            self.service_time_ms_lab,
            self.max_iops_lab,
            round_to(self.max_iops_lab, 100.0)
        );
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Q4. What can it carry at the {}% utilisation policy?",
            pct(i.utilisation_cap)
        );
        let _ = writeln!(
            o,
            "  X_safe = {} / S = {:.1} IOPS   (lab: {} / {:.3} ms = {:.1}, quoted as ~{:.0})",
            i.utilisation_cap,
            self.safe_iops,
            i.utilisation_cap,
            self.service_time_ms_lab,
            self.safe_iops_lab,
            round_to(self.safe_iops_lab, 100.0)
        );
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Q5. What happens to latency at U = {}? (M/M/1)",
            i.high_utilisation
        );
        let _ = writeln!(
            o,
            "  arrival rate = {} / S = {:.1} IOPS   (lab: {} x {:.0} = {:.0})",
            i.high_utilisation,
            self.high_rate,
            i.high_utilisation,
            round_to(self.max_iops_lab, 100.0),
            self.high_rate_lab
        );
        let _ = writeln!(
            o,
            "  Wq = S x U / (1 - U) = {:.7} ms x {} / {:.2} = {:.3} ms",
            self.service_time_ms,
            i.high_utilisation,
            1.0 - i.high_utilisation,
            self.high_wait_ms
        );
        let _ = writeln!(
            o,
            "  R  = S + Wq = S / (1 - U) = {:.3} ms   (lab, S = {:.3} ms: Wq {:.3} ms, R {:.3} ms)",
            self.high_response_ms,
            self.service_time_ms_lab,
            self.high_wait_ms_lab,
            self.high_response_ms_lab
        );
        let _ = writeln!(
            o,
            "  that is {:.1}x the measured {} ms. As U -> 1, R -> infinity: the curve is",
            self.high_response_ms / i.await_ms,
            i.await_ms
        );
        let _ = writeln!(
            o,
            "  hyperbolic, 1 / (1 - U), not exponential. At U = 1 no finite answer exists."
        );
        let _ = writeln!(
            o,
            "  Note: at the measured U = {}, M/M/1 predicts R = {:.4} ms but the disk measured {} ms;",
            i.utilisation, self.model_response_ms, i.await_ms
        );
        let _ = writeln!(
            o,
            "  the model is a guide, not a description of this device."
        );
        let _ = writeln!(o);
        let _ = writeln!(o, "Q6. How many disks for {} IOPS?", i.target_iops);
        let _ = writeln!(
            o,
            "  by the utilisation cap: ceil({} / {:.1}) = ceil({:.3}) = {} disks   (lab: ceil({} / {:.0}) = {})",
            i.target_iops,
            self.safe_iops,
            i.target_iops / self.safe_iops,
            self.disks_by_cap,
            i.target_iops,
            round_to(self.safe_iops_lab, 100.0),
            self.disks_by_cap_lab
        );
        let cap = self.plan_at_cap;
        let _ = writeln!(
            o,
            "    each disk then carries {:.0} IOPS: U = {:.0} x S = {:.1}% (not {}%), R = S / (1 - U) = {:.3} ms",
            i.target_iops / cap.disks as f64,
            i.target_iops / cap.disks as f64,
            pct(cap.utilisation),
            pct(i.utilisation_cap),
            cap.response_ms
        );
        let lat = self.disks_by_latency;
        let _ = writeln!(
            o,
            "  by the latency target alone: {} disk(s) (U = {:.1}%, R = {:.3} ms <= {} ms)",
            lat.disks,
            pct(lat.utilisation),
            lat.response_ms,
            i.latency_target_ms
        );
        let needed = cap.disks.max(lat.disks);
        let _ = writeln!(
            o,
            "  both constraints: {needed} disks. Check both: the lab's answer never checked its latency target."
        );
        o
    }
}
