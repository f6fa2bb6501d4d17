//! Diagnostics for a person: each problem with its file, line and column, the span labelled
//! and a help line (miette's graphical report), then a count. `validate --json` prints
//! [`Diagnostics::to_json`](crate::diag::Diagnostics::to_json) instead.

use miette::{GraphicalReportHandler, GraphicalTheme};

use super::Style;
use crate::diag::Diagnostics;

/// Every diagnostic, then `N errors, N warnings`.
pub fn text(diagnostics: &Diagnostics, style: Style) -> String {
    let theme = if style.colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for report in diagnostics.reports() {
        let _ = handler.render_report(&mut out, &report);
        out.push('\n');
    }
    let errors = diagnostics.error_count();
    let warnings = diagnostics.warning_count();
    out.push_str(&format!(
        "{errors} error{}, {warnings} warning{}\n",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    ));
    out
}
