//! The output side of `fmt`: lines (code with an optional trailing comment, comment lines,
//! blank lines), how the whitespace and comments toml_edit keeps between tokens become such
//! lines, and how the lines are joined into the file's text with trailing comments aligned.

/// Spaces between the longest line of a run and the trailing comments of the run.
pub const COMMENT_GAP: usize = 3;

/// One output line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Blank,
    /// A comment on a line of its own, indented by `indent` spaces.
    Comment {
        indent: usize,
        text: String,
    },
    /// Code, indented by `indent` spaces, with the comment that ends the line, if any.
    Code {
        indent: usize,
        text: String,
        comment: Option<String>,
    },
}

impl Line {
    pub fn code(indent: usize, text: String) -> Line {
        Line::Code {
            indent,
            text,
            comment: None,
        }
    }
}

/// What lies between two tokens: a comment ending the line of the token before, then
/// whole lines (blank or comment) before the token after.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The comment on the same line as the token before the gap.
    pub same_line: Option<String>,
    /// Whole lines: `None` for a blank line, `Some(comment)` for a comment line.
    pub lines: Vec<Option<String>>,
    /// Whether the text holds a line break.
    pub broken: bool,
}

impl Gap {
    /// Reads whitespace and comments as toml_edit keeps them. `starts_mid_line`: the text
    /// follows a token on the same line (a value's suffix, the inside of a bracket), so a
    /// comment before its first line break ends that token's line. Otherwise (the prefix
    /// of a key or a table header) it starts at the beginning of a line.
    pub fn parse(text: &str, starts_mid_line: bool) -> Gap {
        let mut gap = Gap {
            broken: text.contains('\n'),
            ..Gap::default()
        };
        let mut segments = text.split('\n').peekable();
        if starts_mid_line && let Some(first) = segments.next() {
            gap.same_line = comment_in(first);
            if segments.peek().is_none() {
                return gap;
            }
        }
        while let Some(segment) = segments.next() {
            // The last segment is what precedes the next token on its line: indentation.
            let whole_line = segments.peek().is_some();
            match comment_in(segment) {
                Some(c) => gap.lines.push(Some(c)),
                None if whole_line => gap.lines.push(None),
                None => {}
            }
        }
        gap
    }

    /// Appends the whole lines of another gap (the same-line comment of `other` is the
    /// caller's to place).
    pub fn extend_lines(&mut self, other: Gap) {
        self.lines.extend(other.lines);
        self.broken |= other.broken;
    }

    pub fn has_comments(&self) -> bool {
        self.same_line.is_some() || self.lines.iter().any(Option::is_some)
    }

    /// Whether the text had a line break: a value written over several lines.
    pub fn has_break(&self) -> bool {
        self.broken
    }
}

/// The comment in one line's worth of whitespace, trailing spaces removed.
fn comment_in(segment: &str) -> Option<String> {
    segment
        .find('#')
        .map(|at| segment[at..].trim_end().to_string())
}

/// How blank lines around a block of comment lines are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blanks {
    /// Inside a table or a multi-line value: comments hug what follows them; blank lines
    /// only between comment paragraphs.
    Inside,
    /// Before a table header (or a file's first entry): one blank line where the author had
    /// one or more, and at least one somewhere before the header unless it starts the file.
    Between { first: bool },
}

/// The comment lines of a gap, at `indent`, with blank lines as `blanks` says.
pub fn block(lines: &[Option<String>], indent: usize, blanks: Blanks) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    for line in lines {
        match line {
            Some(text) => out.push(Line::Comment {
                indent,
                text: text.clone(),
            }),
            None if out.last() == Some(&Line::Blank) => {}
            None => out.push(Line::Blank),
        }
    }
    match blanks {
        Blanks::Inside => {
            trim_blanks(&mut out);
        }
        Blanks::Between { first: true } => {
            while out.first() == Some(&Line::Blank) {
                out.remove(0);
            }
        }
        Blanks::Between { first: false } => {
            if !out.contains(&Line::Blank) {
                out.insert(0, Line::Blank);
            }
        }
    }
    out
}

fn trim_blanks(lines: &mut Vec<Line>) {
    while lines.last() == Some(&Line::Blank) {
        lines.pop();
    }
    let leading = lines.iter().take_while(|l| **l == Line::Blank).count();
    lines.drain(..leading);
}

/// Sets the comment ending the last line; a second comment for the same line (which the
/// TOML grammar does not produce) goes on a line of its own below, never lost.
pub fn end_with_comment(lines: &mut Vec<Line>, comment: Option<String>) {
    let Some(comment) = comment else { return };
    if let Some(Line::Code {
        comment: slot @ None,
        ..
    }) = lines.last_mut()
    {
        *slot = Some(comment);
        return;
    }
    let indent = match lines.last() {
        Some(Line::Code { indent, .. } | Line::Comment { indent, .. }) => *indent,
        _ => 0,
    };
    lines.push(Line::Comment {
        indent,
        text: comment,
    });
}

/// Joins lines into text: no blank line at either end or twice in a row, trailing comments
/// of consecutive lines in one column, [`COMMENT_GAP`] spaces after the longest of those
/// lines, and `newline` after every line.
pub fn join(mut lines: Vec<Line>, newline: &str) -> String {
    trim_blanks(&mut lines);
    lines.dedup_by(|b, a| *a == Line::Blank && *b == Line::Blank);
    let widths: Vec<Option<usize>> = lines
        .iter()
        .map(|l| match l {
            Line::Code {
                indent,
                text,
                comment: Some(_),
            } => Some(indent + width(text)),
            _ => None,
        })
        .collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let run_end = (i..lines.len())
            .find(|&j| widths[j].is_none())
            .unwrap_or(lines.len())
            .max(i + 1);
        let column = widths[i..run_end].iter().flatten().max().copied();
        for line in &lines[i..run_end] {
            match line {
                Line::Blank => {}
                Line::Comment { indent, text } => {
                    push_indent(&mut out, *indent);
                    out.push_str(text);
                }
                Line::Code {
                    indent,
                    text,
                    comment,
                } => {
                    push_indent(&mut out, *indent);
                    out.push_str(text);
                    if let (Some(comment), Some(column)) = (comment, column) {
                        let pad = column - indent - width(text) + COMMENT_GAP;
                        out.extend(std::iter::repeat_n(' ', pad));
                        out.push_str(comment);
                    }
                }
            }
            out.push_str(newline);
        }
        i = run_end;
    }
    out
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// Display width of the last line of `text` (a multi-line string value spans lines), in
/// characters.
pub fn width(text: &str) -> usize {
    text.rsplit('\n').next().unwrap_or(text).chars().count()
}

/// Every comment in a TOML text, trailing spaces removed, in order. A lexer of its own,
/// independent of the formatter, so that the formatter's output can be checked against it:
/// it needs to know only strings, where `#` is not a comment.
pub fn comments(text: &str) -> Vec<&str> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Code,
        Basic,
        Literal,
        MultiBasic,
        MultiLiteral,
    }
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut state = State::Code;
    let mut i = 0;
    let run = |i: usize, quote: u8| bytes[i..].iter().take_while(|&&b| b == quote).count();
    while i < bytes.len() {
        let b = bytes[i];
        match state {
            State::Code => match b {
                b'#' => {
                    let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                    out.push(text[i..end].trim_end());
                    i = end;
                    continue;
                }
                b'"' | b'\'' => {
                    let triple = run(i, b) >= 3;
                    state = match (b, triple) {
                        (b'"', true) => State::MultiBasic,
                        (b'"', false) => State::Basic,
                        (_, true) => State::MultiLiteral,
                        (_, false) => State::Literal,
                    };
                    i += if triple { 3 } else { 1 };
                    continue;
                }
                _ => {}
            },
            State::Basic | State::MultiBasic if b == b'\\' => {
                i += 2;
                continue;
            }
            State::Basic if b == b'"' || b == b'\n' => state = State::Code,
            State::Literal if b == b'\'' || b == b'\n' => state = State::Code,
            State::MultiBasic | State::MultiLiteral => {
                let quote = if state == State::MultiBasic {
                    b'"'
                } else {
                    b'\''
                };
                let n = run(i, quote);
                if n >= 3 {
                    // Up to two quotes of the content may precede the closing three.
                    state = State::Code;
                    i += n.min(5);
                    continue;
                }
                i += n.max(1);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_split_same_line_comments_from_whole_lines() {
        let gap = Gap::parse("   # c1\n  # own line\n\n  ", true);
        assert_eq!(gap.same_line.as_deref(), Some("# c1"));
        assert_eq!(gap.lines, vec![Some("# own line".into()), None]);
        let gap = Gap::parse("# head\n\n# attached  \n", false);
        assert_eq!(gap.same_line, None);
        assert_eq!(
            gap.lines,
            vec![Some("# head".into()), None, Some("# attached".into())]
        );
        assert!(!Gap::parse(" ", true).has_break());
        assert!(Gap::parse("\n  ", true).has_break());
        assert!(!Gap::parse(" ", true).has_comments());
    }

    #[test]
    fn blank_lines_between_tables_and_inside_them() {
        let lines = vec![
            None,
            None,
            Some("# a".into()),
            None,
            None,
            Some("# b".into()),
            None,
        ];
        let texts = |ls: Vec<Line>| -> String { join_keep(ls) };
        assert_eq!(
            texts(block(&lines, 0, Blanks::Between { first: false })),
            "|# a||# b|"
        );
        assert_eq!(
            texts(block(&lines, 0, Blanks::Between { first: true })),
            "# a||# b|"
        );
        assert_eq!(texts(block(&lines, 2, Blanks::Inside)), "  # a||  # b");
        // A comment hugging the header gets its blank line above.
        assert_eq!(
            texts(block(
                &[Some("# a".into())],
                0,
                Blanks::Between { first: false }
            )),
            "|# a"
        );
    }

    /// Lines rendered one by one, `|` between them, blanks kept (unlike `join`).
    fn join_keep(lines: Vec<Line>) -> String {
        lines
            .into_iter()
            .map(|l| match l {
                Line::Blank => String::new(),
                other => join(vec![other], ""),
            })
            .collect::<Vec<_>>()
            .join("|")
    }

    #[test]
    fn trailing_comments_of_consecutive_lines_share_a_column() {
        let code = |text: &str, comment: Option<&str>| Line::Code {
            indent: 0,
            text: text.into(),
            comment: comment.map(Into::into),
        };
        let text = join(
            vec![
                Line::Blank,
                code("a = 1", Some("# one")),
                code("long = 22", Some("# two")),
                code("b = 3", None),
                code("c = 4", Some("# alone")),
                Line::Blank,
                Line::Blank,
                Line::Comment {
                    indent: 2,
                    text: "# own".into(),
                },
                Line::Blank,
            ],
            "\n",
        );
        assert_eq!(
            text,
            "a = 1       # one\nlong = 22   # two\nb = 3\nc = 4   # alone\n\n  # own\n"
        );
    }

    #[test]
    fn the_comment_lexer_skips_strings() {
        let text = "# top\na = \"#no\" # yes\nb = '#no' # y2\nc = \"\"\"\n# no\n\"\"\"\"\" # y3\n\
                    d = '''#no''' # y4\ne = \"esc \\\" # no\" # y5   \n";
        assert_eq!(
            comments(text),
            vec!["# top", "# yes", "# y2", "# y3", "# y4", "# y5"]
        );
    }

    #[test]
    fn end_with_comment_never_drops_one() {
        let mut lines = vec![Line::code(0, "]".into())];
        end_with_comment(&mut lines, Some("# a".into()));
        end_with_comment(&mut lines, Some("# b".into()));
        assert_eq!(lines.len(), 2);
        assert_eq!(
            lines[1],
            Line::Comment {
                indent: 0,
                text: "# b".into()
            }
        );
    }
}
