//! How long does a picture of a large run take to draw, and how big is it?
//!
//! Workload: a deterministic trace of 10,000 events over five echo servers and three
//! clients, under loss, duplication, partitions, crashes and pauses (the same generator
//! the size test uses). The figure is the time to build the message sequence diagram
//! and render it as a self-contained HTML page, next to a baseline measured in the same
//! run: rendering the same events as the trace's plain text (`Trace::render`), which any
//! failure report already pays. The ratio says what a picture costs over the text.
//!
//! Run: `cargo bench -p common --bench pictures`.

#[path = "../tests/picture_support/mod.rs"]
mod picture_support;

use common::picture::{HTML_BYTES_PER_EVENT_MAX, SequenceDiagram};
use std::hint::black_box;

// A benchmark measures wall time by definition; this is not simulated code.
#[allow(clippy::disallowed_methods)]
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = std::time::Instant::now();
    let out = f();
    (out, start.elapsed().as_secs_f64())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let trace = picture_support::busy_trace(10_000);
    let events = trace.events().count();
    let rounds = 15;
    let (mut picture, mut text) = (Vec::new(), Vec::new());
    let (mut html_bytes, mut text_bytes) = (0, 0);
    // Interleave the two measurements: on a shared machine both see the same load.
    for _ in 0..rounds {
        let (html, secs) = timed(|| SequenceDiagram::from_trace(black_box(&trace)).to_html());
        html_bytes = html.len();
        picture.push(secs);
        let (plain, secs) = timed(|| black_box(&trace).render());
        text_bytes = plain.len();
        text.push(secs);
    }
    let (mermaid, mermaid_secs) = timed(|| SequenceDiagram::from_trace(&trace).to_mermaid());
    let best = |v: &[f64]| v.iter().copied().fold(f64::MAX, f64::min);
    let (picture_best, text_best) = (best(&picture), best(&text));
    println!("trace: {events} events, 5 servers and 3 clients; best and median of {rounds} rounds");
    println!(
        "{:<46} {:>10} {:>10} {:>12}",
        "measure", "best ms", "median ms", "bytes"
    );
    println!(
        "{:<46} {:>10.2} {:>10.2} {:>12}",
        "sequence diagram as HTML (build + render)",
        picture_best * 1e3,
        median(picture.clone()) * 1e3,
        html_bytes
    );
    println!(
        "{:<46} {:>10.2} {:>10.2} {:>12}",
        "baseline: the same events as text (render)",
        text_best * 1e3,
        median(text.clone()) * 1e3,
        text_bytes
    );
    println!(
        "{:<46} {:>10.2} {:>10} {:>12}",
        "sequence diagram as Mermaid (last 400 lines)",
        mermaid_secs * 1e3,
        "-",
        mermaid.len()
    );
    println!(
        "ratio (picture / text, best): {:.2}; HTML bytes per event: {:.1} (bound {HTML_BYTES_PER_EVENT_MAX})",
        picture_best / text_best,
        html_bytes as f64 / events as f64
    );
}
