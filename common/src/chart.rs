//! A hand-written SVG chart for the labs' tools: axes, ticks, lines, markers and bars.
//! Enough to look at a curve (the queueing hockey stick, loss against replica count)
//! without pulling a plotting library into the build.

use std::fmt::Write as _;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A polyline through the points.
    Line,
    /// A dot at each point.
    Markers,
    /// A vertical bar from the axis to each point.
    Bars,
}

/// One named set of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Any SVG colour.
    pub color: &'static str,
    /// How to draw it.
    pub style: Style,
    /// (x, y) points; points with a non-finite coordinate (or y ≤ 0 on a log axis) are skipped.
    pub points: Vec<(f64, f64)>,
}

/// A chart with one x and one y axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Title above the plot.
    pub title: String,
    /// Label under the x axis, with its unit.
    pub x_label: String,
    /// Label beside the y axis, with its unit.
    pub y_label: String,
    /// Logarithmic y axis (powers of ten).
    pub log_y: bool,
    /// The data.
    pub series: Vec<Series>,
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 460.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 180.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;

impl Chart {
    /// The chart as a standalone SVG document.
    pub fn render(&self) -> String {
        let visible =
            |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!self.log_y || y > 0.0);
        let points: Vec<(f64, f64)> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().copied().filter(visible))
            .collect();
        let bars = self.series.iter().any(|s| s.style == Style::Bars);
        let (mut x_min, mut x_max) = range(points.iter().map(|p| p.0));
        if bars {
            x_min -= 0.5;
            x_max += 0.5;
        }
        let (y_lo, y_hi) = range(points.iter().map(|p| p.1));
        let (y_min, y_max) = if self.log_y {
            (
                y_lo.log10().floor(),
                y_hi.log10().ceil().max(y_lo.log10().floor() + 1.0),
            )
        } else {
            (0.0_f64.min(y_lo), nice_ceiling(y_hi))
        };
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let sx = |x: f64| LEFT + (x - x_min) / (x_max - x_min) * plot_w;
        let sy = |y: f64| {
            let v = if self.log_y { y.log10() } else { y };
            TOP + plot_h - (v - y_min) / (y_max - y_min) * plot_h
        };
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="28" text-anchor="middle" font-size="16">{}</text>"#,
            LEFT + plot_w / 2.0,
            escape(&self.title)
        );
        // Axes and ticks.
        let _ = writeln!(
            svg,
            r#"<path d="M{LEFT} {TOP} V{} H{}" fill="none" stroke="black"/>"#,
            TOP + plot_h,
            LEFT + plot_w
        );
        for x in ticks(x_min, x_max) {
            let px = sx(x);
            let _ = writeln!(
                svg,
                r#"<line x1="{px:.1}" y1="{}" x2="{px:.1}" y2="{}" stroke="black"/><text x="{px:.1}" y="{}" text-anchor="middle">{}</text>"#,
                TOP + plot_h,
                TOP + plot_h + 5.0,
                TOP + plot_h + 18.0,
                label(x)
            );
        }
        let y_ticks: Vec<f64> = if self.log_y {
            (y_min as i32..=y_max as i32)
                .map(|e| 10f64.powi(e))
                .collect()
        } else {
            ticks(y_min, y_max)
        };
        for y in y_ticks {
            let py = sy(y);
            let text = if self.log_y {
                format!("1e{}", y.log10().round())
            } else {
                label(y)
            };
            let _ = writeln!(
                svg,
                r##"<line x1="{LEFT}" y1="{py:.1}" x2="{}" y2="{py:.1}" stroke="#e0e0e0"/><text x="{}" y="{:.1}" text-anchor="end">{text}</text>"##,
                LEFT + plot_w,
                LEFT - 6.0,
                py + 4.0
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            LEFT + plot_w / 2.0,
            HEIGHT - 15.0,
            escape(&self.x_label)
        );
        let _ = writeln!(
            svg,
            r#"<text transform="translate(18 {}) rotate(-90)" text-anchor="middle">{}</text>"#,
            TOP + plot_h / 2.0,
            escape(&self.y_label)
        );
        // Data and legend.
        let bar_width = (plot_w / (x_max - x_min) * 0.7).max(1.0);
        for (index, series) in self.series.iter().enumerate() {
            let shown: Vec<(f64, f64)> = series.points.iter().copied().filter(visible).collect();
            let color = series.color;
            match series.style {
                Style::Line => {
                    let path: Vec<String> = shown
                        .iter()
                        .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
                        .collect();
                    let _ = writeln!(
                        svg,
                        r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
                        path.join(" ")
                    );
                }
                Style::Markers => {
                    for &(x, y) in &shown {
                        let _ = writeln!(
                            svg,
                            r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{color}"/>"#,
                            sx(x),
                            sy(y)
                        );
                    }
                }
                Style::Bars => {
                    let base = sy(if self.log_y { 10f64.powf(y_min) } else { 0.0 });
                    for &(x, y) in &shown {
                        let top = sy(y);
                        let _ = writeln!(
                            svg,
                            r#"<rect x="{:.1}" y="{top:.1}" width="{bar_width:.1}" height="{:.1}" fill="{color}" fill-opacity="0.7"/>"#,
                            sx(x) - bar_width / 2.0,
                            (base - top).max(0.0)
                        );
                    }
                }
            }
            let ly = TOP + 10.0 + 20.0 * index as f64;
            let lx = LEFT + plot_w + 15.0;
            let _ = writeln!(
                svg,
                r#"<rect x="{lx}" y="{}" width="14" height="4" fill="{color}"/><text x="{}" y="{}">{}</text>"#,
                ly - 2.0,
                lx + 20.0,
                ly + 4.0,
                escape(&series.name)
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    }
}

/// A round number at or above `value`: 1, 2 or 5 times a power of ten.
fn nice_ceiling(value: f64) -> f64 {
    if value <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(value.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|&candidate| candidate >= value)
        .unwrap_or(10.0 * power)
}

/// About five evenly spaced round tick values covering [lo, hi].
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let step = nice_ceiling((hi - lo) / 5.0);
    let first = (lo / step).ceil() * step;
    (0..=12)
        .map(|i| first + step * f64::from(i))
        .take_while(|&v| v <= hi + step * 1e-9)
        .collect()
}

fn label(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
