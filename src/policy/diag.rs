//! Policy diagnostics: every problem in a policy file, each pointing at its line and column.
//!
//! A security officer editing a policy should see all mistakes at once, in the form editors
//! and CI logs understand (`file:line:col: message`), with the offending line underneath.

use std::fmt::Write as _;
use std::ops::Range;

use crate::i18n::{Lang, Msg, Said};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Range<usize>,
    pub message: Said,
}

/// All problems found in one file, with what is needed to show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyErrors {
    pub file: String,
    pub source: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl PolicyErrors {
    /// A problem with the file as a whole (unreadable, not UTF-8, too large).
    pub fn whole_file(file: &str, message: impl Into<Said>) -> Self {
        PolicyErrors {
            file: file.to_string(),
            source: String::new(),
            diagnostics: vec![Diagnostic {
                span: 0..0,
                message: message.into(),
            }],
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.source.len());
        let before = self.source.get(..offset).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        (line, col)
    }

    /// `file:line:col: error: message`, then the line and a marker under the span.
    pub fn render(&self) -> String {
        self.render_in(Lang::En)
    }

    pub fn render_in(&self, lang: Lang) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            let (line, col) = self.line_col(d.span.start);
            let label = Msg::DiagError.text(lang);
            let _ = writeln!(
                out,
                "{}:{line}:{col}: {label}: {}",
                self.file,
                d.message.get(lang)
            );
            if let Some(text) = self.source.lines().nth(line - 1) {
                let shown = crate::text::display_safe(text, 200);
                let width = self
                    .source
                    .get(d.span.clone())
                    .map_or(1, |s| s.lines().next().unwrap_or("").chars().count().max(1));
                let _ = writeln!(out, "{line:>5} | {shown}");
                let _ = writeln!(
                    out,
                    "      | {}{}",
                    " ".repeat(col - 1),
                    "^".repeat(width.min(80))
                );
            }
        }
        out
    }
}

impl PolicyErrors {
    /// Every problem, in both languages, for an error that travels up to the command line.
    pub fn said(&self) -> Said {
        Said {
            en: self.render_in(Lang::En).trim_end().to_string(),
            zh: self.render_in(Lang::Zh).trim_end().to_string(),
        }
    }
}

impl std::fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.render().trim_end())
    }
}

impl std::error::Error for PolicyErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let errors = PolicyErrors {
            file: "p.toml".into(),
            source: "a = 1\ntitle = \"涉密\" x\n".into(),
            diagnostics: vec![Diagnostic {
                span: 23..24,
                message: Said::untranslated("unexpected"),
            }],
        };
        assert_eq!(errors.line_col(23), (2, 14));
        let shown = errors.render();
        assert!(
            shown.starts_with("p.toml:2:14: error: unexpected"),
            "{shown}"
        );
        assert!(shown.contains("    2 | title = \"涉密\" x"), "{shown}");
    }
}
