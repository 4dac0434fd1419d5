//! Problems found in content files, reported as `path:line:col: message (hint: ...)`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.path, self.line, self.col, self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of a byte offset. Offsets past the end or inside a
/// character are clamped, never a panic.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// A file being checked: turns offsets into problems.
pub(crate) struct FileCtx<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

impl FileCtx<'_> {
    pub fn problem(&self, offset: usize, message: impl Into<String>, hint: Option<String>) -> Problem {
        let (line, col) = line_col(self.text, offset);
        Problem { path: self.path.to_string(), line, col, message: message.into(), hint }
    }

    /// Where the contents of a string value start, given the span of the TOML string.
    pub fn string_start(&self, span_start: usize) -> usize {
        let rest = self.text.get(span_start..).unwrap_or("");
        if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
            let after = span_start + 3;
            if self.text.get(after..).is_some_and(|r| r.starts_with('\n')) {
                after + 1
            } else if self.text.get(after..).is_some_and(|r| r.starts_with("\r\n")) {
                after + 2
            } else {
                after
            }
        } else if rest.starts_with('"') || rest.starts_with('\'') {
            span_start + 1
        } else {
            span_start
        }
    }
}

/// Parses TOML into `T`, turning a syntax or shape error into a positioned problem.
pub(crate) fn parse_toml<T: for<'de> serde::Deserialize<'de>>(cx: &FileCtx, out: &mut Vec<Problem>) -> Option<T> {
    match toml::from_str::<T>(cx.text) {
        Ok(v) => Some(v),
        Err(e) => {
            let off = e.span().map_or(0, |r| r.start);
            let msg = e.message().trim().replace('\n', " ");
            out.push(cx.problem(off, msg, Some("see screening-protocols/README.md for the format".into())));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let t = "ab\nçd\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 3), (2, 1));
        assert_eq!(line_col(t, 5), (2, 2));
        assert_eq!(line_col(t, 4), (2, 1)); // inside 'ç': clamped back
        assert_eq!(line_col(t, 999), (3, 1));
    }
}
