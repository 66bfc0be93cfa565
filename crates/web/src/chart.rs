//! Sign-ups per day as an SVG bar chart drawn on the server (no JavaScript), with a data table
//! beside it for screen readers.

use std::fmt::Write;

/// One bar.
pub struct Bar {
    pub label: String,
    pub value: i64,
}

/// Fills missing days with zero so the bars line up with the calendar.
pub fn daily_bars(per_day: &[(i64, i64)], first_day: i64, last_day: i64) -> Vec<Bar> {
    (first_day..=last_day)
        .map(|d| Bar {
            label: crate::view::day(d),
            value: per_day.iter().find(|(x, _)| *x == d).map_or(0, |(_, n)| *n),
        })
        .collect()
}

/// The SVG markup. Labels are dates and numbers only, escaped all the same.
pub fn svg(bars: &[Bar], title_id: &str) -> String {
    let width = 720.0;
    let height = 200.0;
    let top = 20.0;
    let bottom = 30.0;
    let left = 40.0;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let n = bars.len().max(1) as f64;
    let slot = (width - left) / n;
    let bar_w = (slot * 0.8).max(1.0);
    let plot_h = height - top - bottom;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{title_id}" xmlns="http://www.w3.org/2000/svg">"#
    );
    let _ = write!(
        out,
        r##"<line x1="{left}" y1="{}" x2="{width}" y2="{}" stroke="#505a5f"/>"##,
        height - bottom,
        height - bottom
    );
    let _ = write!(
        out,
        r##"<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#505a5f">{}</text>"##,
        left - 4.0,
        top + 4.0,
        max as i64
    );
    let _ = write!(
        out,
        r##"<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#505a5f">0</text>"##,
        left - 4.0,
        height - bottom
    );
    for (i, b) in bars.iter().enumerate() {
        let h = (b.value as f64 / max) * plot_h;
        let x = left + i as f64 * slot + (slot - bar_w) / 2.0;
        let y = height - bottom - h;
        let label = escape(&b.label);
        let _ = write!(
            out,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}" fill="#1d4f91"><title>{label}: {}</title></rect>"##,
            b.value
        );
    }
    if let (Some(first), Some(last)) = (bars.first(), bars.last()) {
        let _ = write!(
            out,
            r##"<text x="{left}" y="{}" font-size="11" fill="#505a5f">{}</text><text x="{width}" y="{}" font-size="11" text-anchor="end" fill="#505a5f">{}</text>"##,
            height - 10.0,
            escape(&first.label),
            height - 10.0,
            escape(&last.label)
        );
    }
    out.push_str("</svg>");
    out
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_gaps_and_scales_to_the_tallest_bar() {
        let bars = daily_bars(&[(10, 4), (12, 2)], 10, 12);
        assert_eq!(
            bars.iter().map(|b| b.value).collect::<Vec<_>>(),
            vec![4, 0, 2]
        );
        let s = svg(&bars, "t");
        assert_eq!(s.matches("<rect").count(), 3);
        assert!(
            s.contains(r#"height="150.0""#),
            "tallest bar fills the plot: {s}"
        );
    }
}
