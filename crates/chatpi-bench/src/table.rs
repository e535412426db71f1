//! The results table: one row per figure, beside its baseline.

/// Rows of `benchmark | ours | baseline | ratio | goal | met?`.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<[String; 6]>,
}

impl Table {
    /// Adds a row; `ratio` is ours ÷ baseline (NaN when there is none).
    pub fn row(
        &mut self,
        bench: &str,
        ours: String,
        baseline: impl Into<String>,
        ratio: f64,
        goal: &str,
        met: Option<bool>,
    ) {
        let ratio = if ratio.is_finite() {
            format!("{ratio:.2}x")
        } else {
            String::new()
        };
        let met = match met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "",
        };
        self.rows.push([
            bench.to_owned(),
            ours,
            baseline.into(),
            ratio,
            goal.to_owned(),
            met.to_owned(),
        ]);
    }

    pub fn print(&self) {
        print!("{}", self.render());
    }

    fn render(&self) -> String {
        let head = ["benchmark", "ours", "baseline", "ratio", "goal", "met?"];
        let mut widths = head.map(|h| h.chars().count());
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                .collect();
            format!("| {} |\n", padded.join(" | "))
        };
        let mut out = line(&head.map(String::from));
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        out.push_str(&line(&rule));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up() {
        let mut t = Table::default();
        t.row("a", "1 µs".into(), "2 µs", 0.5, "", None);
        t.row("longer", "3".into(), "", f64::NAN, "< 5", Some(true));
        let text = t.render();
        let widths: Vec<usize> = text.lines().map(|l| l.chars().count()).collect();
        assert!(widths.windows(2).all(|w| w[0] == w[1]), "{text}");
        assert!(text.contains("| 0.50x |"), "{text}");
    }
}
