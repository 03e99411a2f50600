//! Text vs JSON output. In JSON mode a command writes exactly one document to stdout so scripts
//! can pipe it into `jq`; anything meant for humans (prompts, progress, warnings) goes to stderr.

use std::fmt::Write as _;

use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

impl OutputFormat {
    pub fn is_json(self) -> bool {
        self == OutputFormat::Json
    }

    /// Prints `json` in JSON mode, otherwise the text built lazily by `text`.
    pub fn emit(self, json: &Value, text: impl FnOnce() -> String) {
        match self {
            OutputFormat::Json => print_json(json),
            OutputFormat::Text => {
                let t = text();
                if t.ends_with('\n') {
                    print!("{t}");
                } else {
                    println!("{t}");
                }
            }
        }
    }
}

pub fn print_json(v: &Value) {
    // Pretty-printing a `Value` cannot fail.
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// Aligned `key: value` lines for text output.
pub fn fields(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
    let mut out = String::new();
    for (k, v) in rows {
        let _ = writeln!(out, "{:<width$} {v}", format!("{k}:"), width = width);
    }
    out
}

/// A left-aligned table with a header row.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.len());
            }
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let n = cells.len();
        for (i, cell) in cells.into_iter().enumerate() {
            if i + 1 == n {
                out.push_str(cell);
            } else {
                let _ = write!(out, "{:<w$}  ", cell, w = widths[i]);
            }
        }
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for row in rows {
        line(row.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

/// A JSON value as plain text (strings unquoted, null empty).
pub fn str_field(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `type: k=v, k=v` lines from CometBFT 0.38 events (attributes are plain strings there).
pub fn events_text(events: &Value) -> String {
    let mut out = String::new();
    for ev in events.as_array().into_iter().flatten() {
        let attrs: Vec<String> = ev["attributes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| format!("{}={}", str_field(&a["key"]), str_field(&a["value"])))
            .collect();
        out.push_str(&format!(
            "  {}: {}\n",
            str_field(&ev["type"]),
            attrs.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let t = table(
            &["NAME", "TYPE"],
            &[
                vec!["alice".into(), "hybrid".into()],
                vec!["b".into(), "ed25519".into()],
            ],
        );
        assert_eq!(t, "NAME   TYPE\nalice  hybrid\nb      ed25519\n");
    }

    #[test]
    fn fields_align_values() {
        let f = fields(&[("a", "1".into()), ("long", "2".into())]);
        assert_eq!(f, "a:    1\nlong: 2\n");
    }
}
