//! A report's rows: named columns and values, written as JSON objects for
//! the API and as CSV for downloads — from the same rows, so the file a
//! reader downloads holds exactly the numbers she was shown.

use serde_json::Value;

/// Rows under named columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn new(columns: &[&str]) -> Table {
        Table {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// The rows as JSON objects (the API's `series`).
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.rows
                .iter()
                .map(|r| {
                    Value::Object(
                        self.columns
                            .iter()
                            .cloned()
                            .zip(r.iter().cloned())
                            .collect(),
                    )
                })
                .collect(),
        )
    }

    /// The rows as CSV with a header line; cells are formula-safe.
    pub fn to_csv(&self) -> String {
        let mut out = af_core::csv_io::csv_line(&self.columns);
        for r in &self.rows {
            let cells: Vec<String> = r.iter().map(cell_text).collect();
            out.extend(af_core::csv_io::csv_line(&cells));
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_and_csv_carry_the_same_rows() {
        let mut t = Table::new(&["day", "source", "leads"]);
        t.push(vec![json!("2026-12-01"), json!("=cmd"), json!(3)]);
        t.push(vec![json!("2026-12-02"), Value::Null, json!(0)]);
        assert_eq!(
            t.to_json(),
            json!([
                {"day": "2026-12-01", "source": "=cmd", "leads": 3},
                {"day": "2026-12-02", "source": null, "leads": 0}
            ])
        );
        assert_eq!(
            t.to_csv(),
            "day,source,leads\r\n2026-12-01,'=cmd,3\r\n2026-12-02,,0\r\n"
        );
    }
}
