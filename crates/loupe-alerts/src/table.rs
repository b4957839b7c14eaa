//! The results table in the forms a person reads it: plain text (mail text part), HTML (mail
//! HTML part), CSV (attachment, script stdin). One cell rule for all: strings as they are,
//! numbers as JSON prints them, null empty, multi-values joined by newlines.

use crate::searcher::Row;

/// A cell as text.
pub fn cell_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.iter().map(cell_text).collect::<Vec<_>>().join("\n"),
        other => other.to_string(),
    }
}

/// The cell of `row` under `column`.
pub fn cell(row: &Row, column: &str) -> String {
    row.get(column).map(cell_text).unwrap_or_default()
}

/// Columns padded to their widest cell, a rule under the header; newlines in a cell become
/// ` | ` so each row stays one line.
pub fn text_table(columns: &[String], rows: &[Row]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| cell(r, c).replace('\n', " | "))
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = columns.iter().map(|c| c.chars().count()).collect();
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |values: &[String]| -> String {
        let mut out = String::new();
        for (i, (v, w)) in values.iter().zip(&widths).enumerate() {
            if i + 1 == values.len() {
                out.push_str(v);
            } else {
                out.push_str(v);
                out.extend(std::iter::repeat_n(' ', w - v.chars().count() + 2));
            }
        }
        out.trim_end().to_string()
    };
    let mut out = line(columns);
    out.push('\n');
    let total: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    out.extend(std::iter::repeat_n('-', total));
    out.push('\n');
    for row in &cells {
        out.push_str(&line(row));
        out.push('\n');
    }
    out
}

/// Escapes text for HTML content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A `<table>` with inline styles (mail clients drop `<style>` blocks).
pub fn html_table(columns: &[String], rows: &[Row]) -> String {
    let th =
        "style=\"text-align:left;padding:4px 8px;border-bottom:2px solid #444;background:#eee\"";
    let td = "style=\"padding:4px 8px;border-bottom:1px solid #ddd;vertical-align:top;font-family:monospace\"";
    let mut out = String::from("<table style=\"border-collapse:collapse;font-size:13px\">\n<tr>");
    for c in columns {
        out.push_str(&format!("<th {th}>{}</th>", html_escape(c)));
    }
    out.push_str("</tr>\n");
    for r in rows {
        out.push_str("<tr>");
        for c in columns {
            let text = html_escape(&cell(r, c)).replace('\n', "<br>");
            out.push_str(&format!("<td {td}>{text}</td>"));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
    out
}

/// RFC 4180 CSV with a header line.
pub fn csv_bytes(columns: &[String], rows: &[Row]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing to a Vec cannot fail; a failed record would only drop that line.
    let _ = w.write_record(columns);
    for r in rows {
        let _ = w.write_record(columns.iter().map(|c| cell(r, c)));
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn forms() {
        let rows: Vec<Row> = serde_json::from_value(json!([
            {"host":"web-1","count":3,"msg":"a, \"b\""},
            {"host":"w<2>","count":null,"msg":["x","y"]}
        ]))
        .unwrap();
        let cols = vec!["host".to_string(), "count".to_string(), "msg".to_string()];
        let t = text_table(&cols, &rows);
        assert_eq!(t.lines().next().unwrap(), "host   count  msg");
        assert!(t.contains("web-1  3      a, \"b\""), "{t}");
        assert!(t.contains("x | y"));
        let h = html_table(&cols, &rows);
        assert!(h.contains("w&lt;2&gt;") && h.contains("x<br>y"));
        let c = String::from_utf8(csv_bytes(&cols, &rows)).unwrap();
        assert_eq!(
            c,
            "host,count,msg\nweb-1,3,\"a, \"\"b\"\"\"\nw<2>,,\"x\ny\"\n"
        );
    }
}
