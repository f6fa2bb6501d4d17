//! Everything a person or a tool reads: plans ([`plan`]), the recorded state and its
//! outputs ([`state`]), audits ([`audit`]) and diagnostics ([`diag`]), as text, Markdown or
//! JSON. Pure
//! functions of what they print: the same input gives byte-identical output, and nothing here
//! computes what it shows (utilization comes from [`crate::state::usage`], statuses from
//! [`crate::audit`]).

pub mod audit;
pub mod diag;
pub mod plan;
pub mod state;

use std::io::IsTerminal;

pub use plan::PlanDocument;
pub use state::ShowDocument;

/// Version of the JSON documents (`plan --format json`, `show --json`, `output --json`,
/// `audit --json`).
pub const JSON_FORMAT_VERSION: &str = "1.0";

/// How a command prints what it produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For a person at a terminal.
    Text,
    /// For a pull-request comment or a ticket.
    Markdown,
    /// For tools (documented in `schemas/`).
    Json,
}

/// ANSI colours, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub colour: bool,
}

impl Style {
    /// Colour only on a terminal, and never with `NO_COLOR` set.
    pub fn for_stdout() -> Style {
        Style {
            colour: std::io::stdout().is_terminal() && no_color_unset(),
        }
    }

    /// The same for standard error, where diagnostics go.
    pub fn for_stderr() -> Style {
        Style {
            colour: std::io::stderr().is_terminal() && no_color_unset(),
        }
    }

    /// `text` in the colour of an ANSI code (`"31"` red, `"32"` green, `"33"` yellow), when
    /// colour is on.
    pub fn paint(self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }
}

fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Markdown inline code holding `text` whatever it contains: a fence of backticks longer
/// than any run inside (padded when it holds one). HTML inside code is text.
pub fn code_span(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Text as Markdown that renders as itself: HTML and Markdown punctuation escaped, on one
/// line.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}
