//! Command output on stdout, in one place.
//!
//! Every command prints through [`outln!`](crate::outln) or [`out!`](macro@crate::out) (or [`write_str`]), never `println!`: a
//! closed or broken stdout must not abort the process. Each write is flushed at once and its
//! error becomes a [`FarmError`], so the command stops and closes the store as usual:
//!
//! - a reader that went away (`farm log | head -1`: `EPIPE`) ends the command quietly; `main`
//!   sees [`closed`] and exits 0, like a program killed by `SIGPIPE` would in a shell pipeline;
//! - any other failure (`farm list > /dev/full`: `ENOSPC`) is one line on stderr and exit 74.

use crate::error::{FarmError, Result};
use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether a write found stdout closed by its reader (then the command's error is not one).
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// Write `text` to stdout as it is and flush it.
pub fn write_str(text: &str) -> Result<()> {
    write_bytes(text.as_bytes())
}

/// Write `bytes` to stdout and flush them.
pub fn write_bytes(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).map_err(|e| write_error(&e))
}

/// Write `text` and a new line to stdout.
pub fn line(text: &str) -> Result<()> {
    let mut s = String::with_capacity(text.len() + 1);
    s.push_str(text);
    s.push('\n');
    write_str(&s)
}

/// The error for a failed write to stdout: a quiet one (empty message) when the reader is gone.
pub fn write_error(e: &std::io::Error) -> FarmError {
    if e.kind() == ErrorKind::BrokenPipe {
        CLOSED.store(true, Ordering::Relaxed);
        return FarmError::io("");
    }
    let text = e.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    FarmError::io(format!("cannot write the output: {text}; check where stdout goes"))
}

/// `println!` to stdout through [`line()`]: evaluates to a [`crate::error::Result`].
#[macro_export]
macro_rules! outln {
    () => {
        $crate::out::line("")
    };
    ($($arg:tt)*) => {
        $crate::out::line(&format!($($arg)*))
    };
}

/// `print!` to stdout through [`write_str`]: evaluates to a [`crate::error::Result`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write_str(&format!($($arg)*))
    };
}

/// The width of the terminal stdout is, from the kernel (`TIOCGWINSZ`); `None` when stdout is
/// not a terminal.
pub fn terminal_width() -> Option<usize> {
    #[repr(C)]
    #[derive(Default)]
    struct WinSize {
        rows: u16,
        cols: u16,
        x_pixels: u16,
        y_pixels: u16,
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const TIOCGWINSZ: std::ffi::c_ulong = 0x5413;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const TIOCGWINSZ: std::ffi::c_ulong = 0x4008_7468;
    unsafe extern "C" {
        fn ioctl(fd: std::ffi::c_int, request: std::ffi::c_ulong, ...) -> std::ffi::c_int;
    }
    let mut ws = WinSize::default();
    // SAFETY: TIOCGWINSZ writes one `struct winsize` (four u16) to the pointer, which points to
    // one; fd 1 is only read.
    let rc = unsafe { ioctl(1, TIOCGWINSZ, &mut ws as *mut WinSize) };
    (rc == 0 && ws.cols > 0).then_some(ws.cols as usize)
}

/// The width tables fit: `COLUMNS` when set to a sensible number, else the width of the
/// terminal stdout is, else (stdout is a pipe or a file) 80, so scripted output does not depend
/// on where it runs; `--json` has everything.
pub fn width() -> usize {
    crate::config::columns().or_else(terminal_width).unwrap_or(80)
}

/// Whether to colour stdout: a terminal, and `NO_COLOR` unset or empty.
pub fn colour() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && !crate::config::no_color()
}

/// The ANSI colour (SGR code) of a bot status ([`crate::bot::status::Status::name`]) in tables.
pub fn status_colour(status: &str) -> &'static str {
    match status {
        "ok" => "32",
        "failing" => "31",
        "paused" => "2",
        _ => "33",
    }
}

/// How many terminal columns `s` takes.
pub fn text_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// The display width of one grapheme cluster (an emoji with its variation selector, a flag, a
/// letter with its accents): measured whole, as terminals and comfy-table draw it.
fn grapheme_width(g: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(g)
}

/// `s` on one line: line breaks, tabs and other control characters become spaces and runs of
/// spaces one space, so no cell wraps and no cell has the two spaces that separate columns.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if !(c == ' ' && (out.is_empty() || out.ends_with(' '))) {
            out.push(c);
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// `s` cut to at most `width` columns, ending in "…" when cut.
pub fn cut(s: &str, width: usize) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    if text_width(s) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for g in s.graphemes(true) {
        let w = grapheme_width(g);
        if used + w + 1 > width {
            break;
        }
        out.push_str(g);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `s` cut to at most `width` columns in the middle, keeping its start and its end (names that
/// differ only at the end stay apart: `reader_wit…mber_01`).
pub fn cut_middle(s: &str, width: usize) -> String {
    use unicode_segmentation::UnicodeSegmentation;
    if text_width(s) <= width || width < 3 {
        return cut(s, width);
    }
    let graphemes: Vec<&str> = s.graphemes(true).collect();
    let keep_end = (width - 1) / 2;
    let mut tail = 0;
    let mut used = 0;
    for g in graphemes.iter().rev() {
        if used + grapheme_width(g) > keep_end {
            break;
        }
        used += grapheme_width(g);
        tail += 1;
    }
    let split = graphemes.len() - tail;
    let head = cut(&graphemes[..split].concat(), width - used);
    format!("{head}{}", graphemes[split..].concat())
}

/// A `  key: value` line of a one-bot view (`show`, `stats NAME`), keys aligned, cut with "…"
/// to `width`, ending in a new line: never wrapped, so `grep 'last error:'` finds the whole line.
pub fn pair(key: &str, value: &str, width: usize) -> String {
    let key = format!("{key}:");
    let mut line = cut(&format!("  {key:<13}{}", one_line(value)), width);
    line.truncate(line.trim_end().len());
    line.push('\n');
    line
}

/// How a column gives way when a table is wider than the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    /// Never cut (numbers, times, statuses, sparklines): dropped whole instead, if droppable.
    Never,
    /// Cut at the end with "…" (errors, messages), down to this many columns.
    End(usize),
    /// Cut in the middle with "…" (names), down to this many columns.
    Middle(usize),
}

/// A column of a [`Table`]: its header, alignment, and how it gives way on a narrow screen.
#[derive(Debug, Clone)]
pub struct Column {
    header: String,
    right: bool,
    drop: Option<u8>,
    cut: Cut,
}

impl Column {
    /// A left-aligned column that is always shown and never cut.
    pub fn left(header: &str) -> Column {
        Column { header: header.to_string(), right: false, drop: None, cut: Cut::Never }
    }

    /// A right-aligned column (numbers) that is always shown and never cut.
    pub fn right(header: &str) -> Column {
        Column { right: true, ..Column::left(header) }
    }

    /// The column may be left out when the table does not fit; of the droppable columns, the one
    /// with the highest `rank` goes first (the rightmost among equals).
    pub fn drop(self, rank: u8) -> Column {
        Column { drop: Some(rank), ..self }
    }

    /// Long cells are cut at the end with "…", down to `min` columns (errors, messages).
    pub fn cut_end(self, min: usize) -> Column {
        Column { cut: Cut::End(min), ..self }
    }

    /// Long cells are cut in the middle with "…", down to `min` columns (names).
    pub fn cut_middle(self, min: usize) -> Column {
        Column { cut: Cut::Middle(min), ..self }
    }
}

/// A table cell: text, and an ANSI colour for it on a terminal.
#[derive(Debug, Clone, Default)]
pub struct Cell {
    text: String,
    colour: Option<&'static str>,
}

impl Cell {
    /// A cell in colour (an SGR code such as `"31"`), shown only when the table is rendered
    /// with colour.
    pub fn coloured(text: impl Into<String>, colour: &'static str) -> Cell {
        Cell { text: text.into(), colour: Some(colour) }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell { text, colour: None }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::from(text.to_string())
    }
}

/// The one table layout of farm (`stats`, `list`, `log`, …): a header line, then one line per
/// row; columns separated by two spaces or more; no borders, rules or wrapped cells; an empty
/// cell shows as `-`. So `grep` finds a row by a word in it and `awk -F '  +'` splits the same
/// number of cells from every line.
///
/// [`Table::render`] fits a width: long names are cut in the middle and long errors at the end
/// with "…", and when that is not enough the droppable columns go, highest rank first. A cell
/// is never wrapped or broken across lines.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with these columns and no rows.
    pub fn new(columns: Vec<Column>) -> Table {
        Table { columns, rows: Vec::new() }
    }

    /// Add a row: one cell per column (missing ones are empty, extra ones ignored).
    pub fn row<C: Into<Cell>>(&mut self, cells: impl IntoIterator<Item = C>) {
        let mut row: Vec<Cell> = cells.into_iter().map(Into::into).collect();
        row.resize(self.columns.len(), Cell::default());
        for c in &mut row {
            c.text = one_line(&c.text);
            if c.text.is_empty() {
                c.text = "-".into();
            }
        }
        self.rows.push(row);
    }

    /// Which columns to show at `width`, and how wide each is.
    fn layout(&self, width: usize) -> Vec<(usize, usize)> {
        let natural: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                let cells = self.rows.iter().map(|r| text_width(&r[i].text));
                cells.chain([text_width(&self.columns[i].header)]).max().unwrap_or(0)
            })
            .collect();
        let floor = |i: usize| match self.columns[i].cut {
            Cut::Never => natural[i],
            Cut::End(min) | Cut::Middle(min) => natural[i].min(min),
        };
        let need = |kept: &[usize], w: &dyn Fn(usize) -> usize| {
            kept.iter().map(|&i| w(i)).sum::<usize>() + 2 * kept.len().saturating_sub(1)
        };
        let mut kept: Vec<usize> = (0..self.columns.len()).collect();
        while need(&kept, &floor) > width {
            let victim = kept.iter().filter_map(|&i| self.columns[i].drop.map(|rank| (rank, i))).max();
            match victim {
                Some((_, i)) => kept.retain(|&k| k != i),
                None => break,
            }
        }
        let mut widths: Vec<usize> = kept.iter().map(|&i| floor(i)).collect();
        let cuttable: Vec<usize> =
            (0..kept.len()).filter(|&k| self.columns[kept[k]].cut != Cut::Never).collect();
        let used = need(&kept, &floor);
        if used <= width {
            // Share the room left among the columns that were cut, a column at a time.
            let mut spare = width - used;
            while spare > 0 {
                let mut gave = false;
                for &k in &cuttable {
                    if spare > 0 && widths[k] < natural[kept[k]] {
                        widths[k] += 1;
                        spare -= 1;
                        gave = true;
                    }
                }
                if !gave {
                    break;
                }
            }
        } else {
            // Only columns that must stay are left: cut the cuttable ones further (the line is
            // cut at the width as a last resort when render finds it still too wide).
            let mut over = used - width;
            while over > 0 {
                let mut took = false;
                for &k in &cuttable {
                    if over > 0 && widths[k] > 1 {
                        widths[k] -= 1;
                        over -= 1;
                        took = true;
                    }
                }
                if !took {
                    break;
                }
            }
        }
        kept.into_iter().zip(widths).collect()
    }

    /// The table as text fitted to `width` columns, each line ending in a new line; statuses
    /// and other coloured cells in colour when `colour`. [`Table::layout`] decides the columns
    /// and their widths, the cells are cut to them, and comfy-table draws the lines (no borders,
    /// columns two spaces apart, fixed widths, so each cell's place on its line is known and
    /// colour can go around it afterwards).
    pub fn render(&self, width: usize, colour: bool) -> String {
        use comfy_table::{CellAlignment, ColumnConstraint, ContentArrangement, Width};
        let layout = self.layout(width);
        let fitted = |row: &[Cell]| -> Vec<String> {
            layout
                .iter()
                .map(|&(i, w)| match self.columns[i].cut {
                    Cut::Middle(_) => cut_middle(&row[i].text, w),
                    _ => cut(&row[i].text, w),
                })
                .collect()
        };
        let header: Vec<Cell> = self.columns.iter().map(|c| Cell::from(c.header.as_str())).collect();
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::NOTHING);
        t.set_content_arrangement(ContentArrangement::Disabled);
        t.set_header(fitted(&header));
        for row in &self.rows {
            t.add_row(fitted(row));
        }
        for (k, &(i, w)) in layout.iter().enumerate() {
            let gap = if k + 1 < layout.len() { 2 } else { 0 };
            if let Some(col) = t.column_mut(k) {
                col.set_padding((0, gap));
                col.set_constraint(ColumnConstraint::Absolute(Width::Fixed((w + gap as usize) as u16)));
                if self.columns[i].right {
                    col.set_cell_alignment(CellAlignment::Right);
                }
            }
        }
        let mut out = String::new();
        for (line, row) in t.lines().zip(std::iter::once(&header).chain(&self.rows)) {
            let plain = line.trim_end();
            if text_width(plain) > width {
                // Only columns that must stay are left and they are still too wide: cut the line.
                out.push_str(&cut(plain, width));
            } else if colour {
                out.push_str(&paint(plain, &layout, row));
            } else {
                out.push_str(plain);
            }
            out.push('\n');
        }
        out
    }
}

/// A rendered table line with the coloured cells of `row` in colour: each cell sits at a known
/// display column (the widths of the columns before it, two spaces apart).
fn paint(line: &str, layout: &[(usize, usize)], row: &[Cell]) -> String {
    let mut spans = Vec::new();
    let mut start = 0;
    for &(i, w) in layout {
        if let Some(c) = row[i].colour {
            spans.push((start, start + w, c));
        }
        start += w + 2;
    }
    if spans.is_empty() {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len() + spans.len() * 9);
    let mut col = 0;
    let mut open: Option<usize> = None;
    for g in unicode_segmentation::UnicodeSegmentation::graphemes(line, true) {
        if let Some(end) = open {
            if col >= end {
                out.push_str("\x1b[0m");
                open = None;
            }
        }
        if open.is_none() && g != " " {
            if let Some(&(_, end, c)) = spans.iter().find(|(s, e, _)| col >= *s && col < *e) {
                out.push_str(&format!("\x1b[{c}m"));
                open = Some(end);
            }
        }
        out.push_str(g);
        col += grapheme_width(g);
    }
    if open.is_some() {
        out.push_str("\x1b[0m");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_sequences_are_cut_whole_and_never_wrap_a_cell() {
        let text = "☁️ Coffee is the only reason ☁️☁️ 🇷🇺 👨‍👩‍👧 the morning train feels bearable";
        for width in [20, 31, 32, 33, 40, 60, 80] {
            let mut t =
                Table::new(vec![Column::left("bot").cut_middle(4), Column::left("message").cut_end(8)]);
            t.row(vec!["sky", text]);
            t.row(vec!["echo", "📣 The morning train was late again and nobody was surprised"]);
            let out = t.render(width, false);
            assert_eq!(out.lines().count(), 3, "{width}: a cell wrapped:\n{out}");
            for line in out.lines() {
                assert!(text_width(line) <= width, "{width}: {line:?} is {} wide", text_width(line));
            }
        }
        assert_eq!(cut("☁️☁️☁️", 4), "☁️…");
        assert_eq!(cut_middle("👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧", 5), "👨‍👩‍👧…👨‍👩‍👧");
    }

    fn table(widths: &[(&str, usize, Option<u8>)]) -> Table {
        let mut t = Table::new(
            widths
                .iter()
                .map(|&(h, _, rank)| match rank {
                    Some(r) => Column::left(h).drop(r),
                    None => Column::left(h),
                })
                .collect(),
        );
        t.row(widths.iter().map(|&(_, w, _)| "x".repeat(w)));
        t
    }

    #[test]
    fn narrow_screens_lose_the_highest_ranks_first() {
        let t = table(&[("bot", 10, None), ("a", 30, Some(5)), ("status", 20, None), ("b", 30, Some(9))]);
        let header =
            |w| t.render(w, false).lines().next().unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(header(200), "bot a status b");
        assert_eq!(header(80), "bot a status");
        assert_eq!(header(40), "bot status");
        assert_eq!(header(20), "bot status", "never dropped, cut at the width instead");
        assert!(t.render(20, false).lines().all(|l| text_width(l) <= 20));
    }

    #[test]
    fn long_cells_are_cut_never_wrapped() {
        let mut t = Table::new(vec![
            Column::left("name").cut_middle(8),
            Column::left("status"),
            Column::left("error").cut_end(6),
        ]);
        t.row(["reader_with_a_long_name_01", "ok", "line one\nline two  and   more"]);
        t.row(["reader_with_a_long_name_02", "failing", ""]);
        let text = t.render(30, false);
        assert_eq!(
            text,
            "name         status   error\nreade…me_01  ok       line on…\nreade…me_02  failing  -\n"
        );
        assert_eq!(cut_middle("abcdefghij", 5), "ab…ij");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("абв", 3), "абв");
        assert_eq!(one_line(" a\tb\r\n  c "), "a b c");
    }

    #[test]
    fn colour_goes_on_its_cell_only() {
        let mut t = Table::new(vec![Column::left("bot"), Column::left("status")]);
        t.row([Cell::from("ok1"), Cell::coloured("ok", "32")]);
        t.row([Cell::from("bad"), Cell::coloured("failing", "31")]);
        let out = t.render(80, true);
        assert!(out.contains("ok1  \x1b[32mok\x1b[0m"), "{out:?}");
        assert!(out.contains("bad  \x1b[31mfailing\x1b[0m"), "{out:?}");
        assert!(!t.render(80, false).contains('\x1b'));
    }

    #[test]
    fn pairs_fit() {
        assert_eq!(pair("every", "1h", 80), "  every:       1h\n");
        assert_eq!(pair("last error", "a\nvery long error", 24), "  last error:  a very l…\n");
    }
}
