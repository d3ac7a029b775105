//! The benchmark's results: one row per comparison, printed as a table and
//! written as JSON.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

/// One row of the results table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub what: String,
    /// Our figure, as shown (median unless the row says otherwise).
    pub ours: String,
    /// What it is compared with, and its figure; empty when nothing is.
    pub theirs: String,
    /// How many times better ours is (theirs / ours, or the limit / ours).
    pub ratio: Option<f64>,
    pub goal: String,
    /// Whether the goal is met; `None` for rows that only report.
    pub met: Option<bool>,
    /// Why a row falls short, or what it had to sample or derive.
    pub note: String,
    /// Exactly what is measured, on each side.
    pub measured: String,
    /// The raw figures, for scripts.
    pub figures: serde_json::Value,
}

impl Row {
    pub fn new(what: &str, goal: &str) -> Self {
        Self {
            what: what.to_owned(),
            ours: String::new(),
            theirs: String::new(),
            ratio: None,
            goal: goal.to_owned(),
            met: None,
            note: String::new(),
            measured: String::new(),
            figures: serde_json::Value::Null,
        }
    }

    /// A row that could not be measured, and why.
    pub fn not_measured(what: &str, goal: &str, reason: impl std::fmt::Display) -> Self {
        let mut row = Self::new(what, goal);
        row.ours = "not measured".into();
        row.note = format!("not measured: {reason:#}");
        row
    }

    /// Adds to the note, separated by "; ".
    pub fn note(&mut self, text: impl Into<String>) {
        let text = text.into();
        if !self.note.is_empty() {
            self.note.push_str("; ");
        }
        self.note.push_str(&text);
    }
}

/// The median of some durations (the upper one of an even count's two).
pub fn median(samples: &[Duration]) -> Duration {
    percentile(samples, 50.0)
}

/// The nearest-rank percentile `p` (0..=100) of some durations.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A duration as people read it: µs, ms or s with three significant digits.
pub fn human(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds >= 10.0 {
        format!("{seconds:.1} s")
    } else if seconds >= 1.0 {
        format!("{seconds:.2} s")
    } else if seconds >= 0.01 {
        format!("{:.1} ms", seconds * 1e3)
    } else if seconds >= 0.001 {
        format!("{:.2} ms", seconds * 1e3)
    } else {
        format!("{:.0} µs", seconds * 1e6)
    }
}

pub fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e6).round() / 1e3
}

pub fn mib(kib: u64) -> f64 {
    (kib as f64 / 1024.0 * 10.0).round() / 10.0
}

fn ratio_text(ratio: Option<f64>) -> String {
    match ratio {
        Some(r) if r >= 10.0 => format!("{r:.0}×"),
        Some(r) => format!("{r:.1}×"),
        None => String::new(),
    }
}

fn met_text(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "yes",
        Some(false) => "NO",
        None => "",
    }
}

/// The table, with a column per field and notes wrapped into their column.
pub fn table(rows: &[Row]) -> String {
    const NOTE_WIDTH: usize = 60;
    let header = [
        "what",
        "ours",
        "compared with",
        "ratio",
        "goal",
        "met",
        "note",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.what.clone(),
                r.ours.clone(),
                if r.theirs.is_empty() {
                    "—".to_owned()
                } else {
                    r.theirs.clone()
                },
                ratio_text(r.ratio),
                r.goal.clone(),
                met_text(r.met).to_owned(),
                r.note.clone(),
            ]
        })
        .collect();
    let mut widths: [usize; 7] = header.map(|h| h.chars().count());
    for row in &cells {
        for (i, cell) in row.iter().enumerate().take(6) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    widths[6] = widths[6].max(
        cells
            .iter()
            .map(|r| r[6].chars().count().min(NOTE_WIDTH))
            .max()
            .unwrap_or(0),
    );
    let line = |cells: &[String]| {
        let mut text = String::from("|");
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            text.push_str(&format!(" {cell}{} |", " ".repeat(pad)));
        }
        text.push('\n');
        text
    };
    let mut out = line(&header.map(str::to_owned));
    out.push('|');
    for width in widths {
        out.push_str(&format!("{}|", "-".repeat(width + 2)));
    }
    out.push('\n');
    for row in cells {
        let note_lines = wrap(&row[6], NOTE_WIDTH);
        for (i, note) in note_lines.iter().enumerate() {
            let mut cells: Vec<String> = if i == 0 {
                row[..6].to_vec()
            } else {
                vec![String::new(); 6]
            };
            cells.push(note.clone());
            out.push_str(&line(&cells));
        }
    }
    out
}

/// Words of `text` in lines of at most `width` characters (longer words alone).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line at least");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_owned());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// What each row measures, as a list under the table.
pub fn explanations(rows: &[Row]) -> String {
    let mut out = String::new();
    for row in rows.iter().filter(|r| !r.measured.is_empty()) {
        out.push_str(&format!("- {}: {}\n", row.what, row.measured));
    }
    out
}

pub fn write_json(path: &Path, rows: &[Row], context: serde_json::Value) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let body = serde_json::json!({ "context": context, "rows": rows });
    std::fs::write(path, serde_json::to_string_pretty(&body)? + "\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|v| Duration::from_millis(*v)).collect()
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples = ms(&[5, 1, 4, 2, 3]);
        assert_eq!(median(&samples), Duration::from_millis(3));
        assert_eq!(percentile(&samples, 95.0), Duration::from_millis(5));
        assert_eq!(
            percentile(&ms(&[1, 2, 3, 4]), 50.0),
            Duration::from_millis(2)
        );
        assert_eq!(median(&[]), Duration::ZERO);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::from_micros(850)), "850 µs");
        assert_eq!(human(Duration::from_micros(2_346)), "2.35 ms");
        assert_eq!(human(Duration::from_millis(123)), "123.0 ms");
        assert_eq!(human(Duration::from_millis(4_560)), "4.56 s");
    }

    #[test]
    fn long_notes_wrap_inside_their_column() {
        let mut row = Row::new("CLI start", "≥ 50× faster");
        row.ours = "1.0 ms".into();
        row.note("word ".repeat(30));
        let text = table(&[row]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() > 3, "{text}");
        let width = lines[0].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == width), "{text}");
    }
}
