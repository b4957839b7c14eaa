//! PDF reports made in-process: a title, a few lines of context, the results table (cells
//! wrapped, header repeated on each page) and, when the results look like `stats count by X`,
//! a bar chart of that count.
//!
//! **Why `pdf-writer`.** The PDF is written with typst's `pdf-writer`, the low-level writer
//! under typst and krilla: no dependency beyond `itoa`/`ryu`/`bitflags`/`memchr`, about 9 s
//! to build on the 2 shared cores (measured with `cargo build --timings`), against minutes for
//! typst (a compiler, its fonts and layout engine) and a heavier tree for krilla and printpdf
//! 0.8 (font parsing, subsetting, image codecs); genpdf needs font files on disk. The report
//! is a table and a bar chart, which is little layout: this module does it (word wrapping with
//! the standard font metrics, page breaks) in a few hundred lines.
//!
//! **Fonts and text.** The text is set in the standard Helvetica and Helvetica-Bold, which
//! every PDF reader has, so nothing is embedded and the file stays small, with
//! `WinAnsiEncoding`: `pdftotext` and copy-paste give the text back. The encoding covers
//! Western European text (French accents, `œ`, `€`, typographic quotes); other characters
//! are printed as `?` — a documented limit that an embedded Unicode font would lift.

use crate::actions::Firing;
use crate::searcher::{Row, SearchResults};
use crate::table::cell;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

const PAGE_W: f32 = 842.0; // A4 landscape, points
const PAGE_H: f32 = 595.0;
const MARGIN: f32 = 36.0;
const TABLE_SIZE: f32 = 8.0;
const LEADING: f32 = 10.0;
const PAD: f32 = 3.0;

/// A report: what the PDF shows, top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// First line, large.
    pub title: String,
    /// Context lines under the title (search, time range, counts).
    pub lines: Vec<String>,
    /// The body.
    pub blocks: Vec<Block>,
}

/// A part of a report's body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph of text (wrapped).
    Paragraph(String),
    /// A table of text cells.
    Table {
        /// Header.
        columns: Vec<String>,
        /// Cells, row by row.
        rows: Vec<Vec<String>>,
    },
    /// A horizontal bar chart.
    BarChart(BarChart),
}

/// Bars of one numeric column, labelled by the others (a dashboard panel or a `stats`).
#[derive(Debug, Clone, PartialEq)]
pub struct BarChart {
    /// Shown above the bars.
    pub title: String,
    /// One per bar.
    pub labels: Vec<String>,
    /// One per bar; negative values are drawn as zero-length bars.
    pub values: Vec<f64>,
}

/// Most bars a chart draws (the rest would be unreadable).
pub const MAX_BARS: usize = 40;

impl BarChart {
    /// A chart of `value` labelled by `label` columns (joined with ` / `), `None` when a value is
    /// not a number or there are no rows.
    pub fn from_rows(columns_label: &[String], value: &str, rows: &[Row]) -> Option<BarChart> {
        if rows.is_empty() {
            return None;
        }
        let mut labels = Vec::new();
        let mut values = Vec::new();
        for r in rows.iter().take(MAX_BARS) {
            let v = number(r.get(value)?)?;
            let label: Vec<String> = columns_label.iter().map(|c| cell(r, c)).collect();
            labels.push(label.join(" / "));
            values.push(v);
        }
        Some(BarChart {
            title: format!("{value} by {}", columns_label.join(", ")),
            labels,
            values,
        })
    }

    /// The chart a person would draw from a `stats … by …` result: the column named `count`
    /// (else the last column) when every row has a number there, labelled by the columns that
    /// are not numeric. `None` for raw events and for more than [`MAX_BARS`] rows.
    pub fn guess(columns: &[String], rows: &[Row]) -> Option<BarChart> {
        if columns.len() < 2 || rows.is_empty() || rows.len() > MAX_BARS {
            return None;
        }
        let numeric = |c: &String| rows.iter().all(|r| r.get(c).and_then(number).is_some());
        let value = columns
            .iter()
            .find(|c| c.as_str() == "count" && numeric(c))
            .or_else(|| columns.last().filter(|c| numeric(c)))?;
        let labels: Vec<String> = columns
            .iter()
            .filter(|c| *c != value && !numeric(c) && !c.starts_with('_'))
            .cloned()
            .collect();
        if labels.is_empty() {
            return None;
        }
        BarChart::from_rows(&labels, value, rows)
    }
}

fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Report {
    /// The report attached to an alert mail: context, a chart when the rows suit one, the table.
    pub fn for_firing(f: &Firing, rows: &[Row]) -> Report {
        let window = match f.earliest {
            Some(e) => format!("{e} to {}", f.latest),
            None => format!("all time to {}", f.latest),
        };
        let mut lines = vec![
            format!("Search: {}", f.query),
            format!("Time range: {window}"),
            format!(
                "{} result(s), severity {}, run {}",
                f.rows.len(),
                crate::template::severity_name(f.severity),
                f.sid
            ),
        ];
        if rows.len() < f.rows.len() {
            lines.push(format!("First {} rows shown.", rows.len()));
        }
        let title = if f.resolved {
            format!("{} (resolved)", f.search_name)
        } else {
            f.search_name.clone()
        };
        Report::with_results(title, lines, &f.columns, rows)
    }

    /// A report of any results (a scheduled report, a dashboard panel).
    pub fn for_results(
        title: impl Into<String>,
        lines: Vec<String>,
        results: &SearchResults,
    ) -> Report {
        Report::with_results(title.into(), lines, &results.columns, &results.rows)
    }

    fn with_results(title: String, lines: Vec<String>, columns: &[String], rows: &[Row]) -> Report {
        let mut blocks = Vec::new();
        if let Some(chart) = BarChart::guess(columns, rows) {
            blocks.push(Block::BarChart(chart));
        }
        if rows.is_empty() {
            blocks.push(Block::Paragraph("No results.".into()));
        } else {
            blocks.push(Block::Table {
                columns: columns.to_vec(),
                rows: rows
                    .iter()
                    .map(|r| columns.iter().map(|c| cell(r, c)).collect())
                    .collect(),
            });
        }
        Report {
            title,
            lines,
            blocks,
        }
    }
}

/// Lays the report out on A4 landscape pages and returns the PDF file.
pub fn render_pdf(report: &Report) -> Vec<u8> {
    let mut l = Layout::new(&report.title);
    l.text(&report.title, 16.0, true, MARGIN, (0.1, 0.1, 0.1));
    l.y -= 22.0;
    for line in &report.lines {
        for w in wrap(line, PAGE_W - 2.0 * MARGIN, 9.0, false) {
            l.ensure(12.0);
            l.text(&w, 9.0, false, MARGIN, (0.3, 0.3, 0.3));
            l.y -= 12.0;
        }
    }
    l.y -= 8.0;
    for block in &report.blocks {
        match block {
            Block::Paragraph(p) => {
                for w in wrap(p, PAGE_W - 2.0 * MARGIN, 10.0, false) {
                    l.ensure(13.0);
                    l.text(&w, 10.0, false, MARGIN, (0.1, 0.1, 0.1));
                    l.y -= 13.0;
                }
                l.y -= 6.0;
            }
            Block::Table { columns, rows } => l.table(columns, rows),
            Block::BarChart(c) => l.chart(c),
        }
    }
    l.finish(&report.title)
}

struct Layout {
    pages: Vec<Content>,
    y: f32,
    footer: String,
}

impl Layout {
    fn new(title: &str) -> Layout {
        let mut l = Layout {
            pages: Vec::new(),
            y: 0.0,
            footer: format!("Loupe - {title}"),
        };
        l.new_page();
        l
    }

    fn page(&mut self) -> &mut Content {
        let n = self.pages.len() - 1;
        &mut self.pages[n]
    }

    fn new_page(&mut self) {
        let mut c = Content::new();
        let n = self.pages.len() + 1;
        let footer = format!("{} - page {n}", self.footer);
        c.set_fill_rgb(0.5, 0.5, 0.5);
        c.begin_text();
        c.set_font(Name(b"F1"), 7.0);
        c.next_line(MARGIN, MARGIN / 2.0);
        c.show(Str(&win_ansi(&footer)));
        c.end_text();
        self.pages.push(c);
        self.y = PAGE_H - MARGIN - 12.0;
    }

    /// Starts a new page unless `h` points fit above the bottom margin.
    fn ensure(&mut self, h: f32) -> bool {
        if self.y - h < MARGIN {
            self.new_page();
            true
        } else {
            false
        }
    }

    /// One line of text with its baseline at `self.y`.
    fn text(&mut self, s: &str, size: f32, bold: bool, x: f32, rgb: (f32, f32, f32)) {
        let y = self.y;
        let c = self.page();
        c.set_fill_rgb(rgb.0, rgb.1, rgb.2);
        c.begin_text();
        c.set_font(Name(if bold { b"F2" } else { b"F1" }), size);
        c.next_line(x, y);
        c.show(Str(&win_ansi(s)));
        c.end_text();
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: (f32, f32, f32)) {
        let c = self.page();
        c.set_fill_rgb(rgb.0, rgb.1, rgb.2);
        c.rect(x, y, w, h);
        c.fill_nonzero();
    }

    fn table(&mut self, columns: &[String], rows: &[Vec<String>]) {
        let widths = column_widths(columns, rows);
        let header: Vec<Vec<String>> = columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| wrap(c, w - 2.0 * PAD, TABLE_SIZE, true))
            .collect();
        let header_h = header.iter().map(Vec::len).max().unwrap_or(1) as f32 * LEADING + 2.0 * PAD;
        self.ensure(header_h + LEADING + 2.0 * PAD);
        self.table_row(&header, &widths, header_h, true, false);
        let max_lines = ((PAGE_H - 2.0 * MARGIN - header_h - 30.0) / LEADING).floor() as usize;
        for (i, row) in rows.iter().enumerate() {
            let mut cells: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| wrap(c, w - 2.0 * PAD, TABLE_SIZE, false))
                .collect();
            for c in &mut cells {
                if c.len() > max_lines {
                    c.truncate(max_lines);
                    if let Some(last) = c.last_mut() {
                        last.push_str(" ...");
                    }
                }
            }
            let h =
                cells.iter().map(Vec::len).max().unwrap_or(1).max(1) as f32 * LEADING + 2.0 * PAD;
            if self.ensure(h) {
                self.table_row(&header, &widths, header_h, true, false);
            }
            self.table_row(&cells, &widths, h, false, i % 2 == 1);
        }
        self.y -= 10.0;
    }

    fn table_row(
        &mut self,
        cells: &[Vec<String>],
        widths: &[f32],
        h: f32,
        header: bool,
        zebra: bool,
    ) {
        let top = self.y;
        let total: f32 = widths.iter().sum();
        if header {
            self.rect(MARGIN, top - h, total, h, (0.88, 0.9, 0.93));
        } else if zebra {
            self.rect(MARGIN, top - h, total, h, (0.96, 0.96, 0.97));
        }
        let mut x = MARGIN;
        for (lines, w) in cells.iter().zip(widths) {
            for (n, line) in lines.iter().enumerate() {
                self.y = top - PAD - TABLE_SIZE - n as f32 * LEADING + 1.0;
                self.text(line, TABLE_SIZE, header, x + PAD, (0.1, 0.1, 0.1));
            }
            x += w;
        }
        self.rect(MARGIN, top - h, total, 0.4, (0.75, 0.75, 0.75));
        self.y = top - h;
    }

    fn chart(&mut self, chart: &BarChart) {
        let bar_h = 12.0;
        let gap = 4.0;
        let n = chart.labels.len().min(chart.values.len());
        let avail = PAGE_W - 2.0 * MARGIN;
        let label_w = chart
            .labels
            .iter()
            .map(|l| text_width(l, TABLE_SIZE, false))
            .fold(0.0f32, f32::max)
            .min(avail * 0.35)
            + 4.0 * PAD;
        let value_w = 60.0;
        let bars_w = avail - label_w - value_w;
        let max = chart.values.iter().copied().fold(0.0f64, f64::max);
        self.ensure(20.0 + (bar_h + gap) * n.min(10) as f32);
        self.text(&chart.title, 11.0, true, MARGIN, (0.1, 0.1, 0.1));
        self.y -= 16.0;
        for i in 0..n {
            self.ensure(bar_h + gap);
            let top = self.y;
            let label = fit(&chart.labels[i], label_w - 2.0 * PAD, TABLE_SIZE);
            self.y = top - bar_h + 3.0;
            self.text(&label, TABLE_SIZE, false, MARGIN, (0.1, 0.1, 0.1));
            let v = chart.values[i].max(0.0);
            let w = if max > 0.0 {
                (v / max) as f32 * bars_w
            } else {
                0.0
            };
            self.rect(
                MARGIN + label_w,
                top - bar_h,
                w.max(0.5),
                bar_h,
                (0.27, 0.51, 0.71),
            );
            self.y = top - bar_h + 3.0;
            self.text(
                &format_number(chart.values[i]),
                TABLE_SIZE,
                false,
                MARGIN + label_w + w + 4.0,
                (0.1, 0.1, 0.1),
            );
            self.y = top - bar_h - gap;
        }
        self.y -= 12.0;
    }

    fn finish(self, title: &str) -> Vec<u8> {
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let first = 6;
        let page_ids: Vec<Ref> = (0..self.pages.len())
            .map(|i| Ref::new(first + 2 * i as i32))
            .collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(page_ids.len() as i32);
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.document_info(info)
            .title(TextStr(title))
            .producer(TextStr("Loupe"));
        for (i, content) in self.pages.into_iter().enumerate() {
            let page_id = page_ids[i];
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
                .parent(tree)
                .contents(content_id);
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            fonts.pair(Name(b"F1"), regular);
            fonts.pair(Name(b"F2"), bold);
            fonts.finish();
            resources.finish();
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        pdf.finish()
    }
}

fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

/// Widths that fit the page: a column narrower than its fair share keeps its natural width,
/// the rest share what is left in proportion to their natural widths.
fn column_widths(columns: &[String], rows: &[Vec<String>]) -> Vec<f32> {
    let avail = PAGE_W - 2.0 * MARGIN;
    let natural: Vec<f32> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let cells = rows
                .iter()
                .take(500)
                .filter_map(|r| r.get(i))
                .flat_map(|s| s.split('\n'))
                .map(|s| text_width(s, TABLE_SIZE, false))
                .fold(0.0f32, f32::max);
            cells.max(text_width(c, TABLE_SIZE, true).min(80.0)) + 2.0 * PAD + 1.0
        })
        .collect();
    if natural.iter().sum::<f32>() <= avail {
        return natural;
    }
    let mut widths = vec![0.0f32; natural.len()];
    let mut open: Vec<usize> = (0..natural.len()).collect();
    let mut left = avail;
    loop {
        let fair = left / open.len().max(1) as f32;
        let (small, big): (Vec<usize>, Vec<usize>) =
            open.iter().partition(|&&i| natural[i] <= fair);
        if small.is_empty() {
            let sum: f32 = big.iter().map(|&i| natural[i]).sum();
            for &i in &big {
                widths[i] = (left * natural[i] / sum).max(30.0);
            }
            return widths;
        }
        for &i in &small {
            widths[i] = natural[i];
            left -= natural[i];
        }
        open = big;
        if open.is_empty() {
            return widths;
        }
    }
}

/// Lines of at most `max` points: newlines kept, words wrapped, over-long words cut.
fn wrap(text: &str, max: f32, size: f32, bold: bool) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0;
        let space = text_width(" ", size, bold);
        for word in para.split(' ') {
            let w = text_width(word, size, bold);
            if !line.is_empty() && line_w + space + w <= max {
                line.push(' ');
                line.push_str(word);
                line_w += space + w;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            if w <= max {
                line = word.to_string();
                line_w = w;
            } else {
                // Cut the word by characters.
                let mut piece = String::new();
                let mut pw = 0.0;
                for ch in word.chars() {
                    let cw = char_width(ch, bold) * size / 1000.0;
                    if pw + cw > max && !piece.is_empty() {
                        out.push(std::mem::take(&mut piece));
                        pw = 0.0;
                    }
                    piece.push(ch);
                    pw += cw;
                }
                line = piece;
                line_w = pw;
            }
        }
        out.push(line);
    }
    out
}

/// `text` cut with `...` to fit `max` points.
fn fit(text: &str, max: f32, size: f32) -> String {
    if text_width(text, size, false) <= max {
        return text.to_string();
    }
    let mut out = String::new();
    for ch in text.chars() {
        if text_width(&out, size, false)
            + char_width(ch, false) * size / 1000.0
            + text_width("...", size, false)
            > max
        {
            break;
        }
        out.push(ch);
    }
    out.push_str("...");
    out
}

fn text_width(s: &str, size: f32, bold: bool) -> f32 {
    s.chars().map(|c| char_width(c, bold)).sum::<f32>() * size / 1000.0
}

/// Advance widths (1/1000 em) of printable ASCII 32..=126 in Helvetica, from its AFM.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// The same for Helvetica-Bold.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

fn char_width(c: char, bold: bool) -> f32 {
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let code = c as u32;
    if (32..=126).contains(&code) {
        return f32::from(table[(code - 32) as usize]);
    }
    if c == '\t' {
        return 4.0 * f32::from(table[0]);
    }
    // Accented letters have their base letter's advance; 600 is a safe upper bound for them
    // and for the other Latin-1 signs, so wrapping never overflows a cell.
    if bold {
        650.0
    } else {
        600.0
    }
}

/// Text as WinAnsiEncoding bytes (the standard fonts' encoding); characters it lacks are `?`.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c as u32 {
            0x20..=0x7e | 0xa0..=0xff => c as u32 as u8,
            0x09 => b' ',
            _ => match c {
                '€' => 0x80,
                '‚' => 0x82,
                'ƒ' => 0x83,
                '„' => 0x84,
                '…' => 0x85,
                '†' => 0x86,
                '‡' => 0x87,
                'ˆ' => 0x88,
                '‰' => 0x89,
                'Š' => 0x8a,
                '‹' => 0x8b,
                'Œ' => 0x8c,
                'Ž' => 0x8e,
                '‘' => 0x91,
                '’' => 0x92,
                '“' => 0x93,
                '”' => 0x94,
                '•' => 0x95,
                '–' => 0x96,
                '—' => 0x97,
                '˜' => 0x98,
                '™' => 0x99,
                'š' => 0x9a,
                '›' => 0x9b,
                'œ' => 0x9c,
                'ž' => 0x9e,
                'Ÿ' => 0x9f,
                _ => b'?',
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrapping_fits_and_keeps_every_character() {
        let text = "ERROR purge_client_42 failed: connection reset by peer while sending batch 7 \
                    averyveryveryveryveryveryveryverylongtokenwithoutanyspaces";
        let lines = wrap(text, 120.0, 8.0, false);
        assert!(lines.len() > 2);
        for l in &lines {
            assert!(text_width(l, 8.0, false) <= 120.0 + 0.01, "{l}");
        }
        assert_eq!(lines.join(" ").replace(' ', ""), text.replace(' ', ""));
    }

    #[test]
    fn chart_guess() {
        let rows: Vec<Row> = serde_json::from_value(json!([
            {"client":"acme","batch":"purge","count":3},
            {"client":"globex","batch":"mail","count":"7"}
        ]))
        .unwrap();
        let cols: Vec<String> = ["client", "batch", "count"].map(String::from).to_vec();
        let c = BarChart::guess(&cols, &rows).unwrap();
        assert_eq!(c.labels, vec!["acme / purge", "globex / mail"]);
        assert_eq!(c.values, vec![3.0, 7.0]);
        let raw: Vec<Row> = serde_json::from_value(json!([{"_raw":"x","host":"a"}])).unwrap();
        assert!(BarChart::guess(&["_raw".into(), "host".into()], &raw).is_none());
    }

    #[test]
    fn win_ansi_covers_french() {
        assert_eq!(win_ansi("é€œ✓"), vec![0xe9, 0x80, 0x9c, b'?']);
    }

    #[test]
    fn a_pdf_comes_out() {
        let rows: Vec<Vec<String>> = (0..200)
            .map(|i| vec![format!("web-{i}"), "x ".repeat(i % 50)])
            .collect();
        let pdf = render_pdf(&Report {
            title: "T".into(),
            lines: vec!["l".into()],
            blocks: vec![Block::Table {
                columns: vec!["host".into(), "msg".into()],
                rows,
            }],
        });
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(
            text.matches("/Type /Page\n").count() + text.matches("/Type /Page\r").count() >= 1
                || text.contains("/Count")
        );
    }
}
