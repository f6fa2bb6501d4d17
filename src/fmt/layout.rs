//! A parsed TOML document (toml_edit keeps every comment and whitespace) laid out as
//! canonical lines: tables in the author's order, each table's keys in schema order,
//! comments carried along with what they precede or end the line of.

use toml_edit::{Array, DocumentMut, InlineTable, Item, Key, RawString, Table, Value};

use super::lines::{Blanks, Gap, Line, block, end_with_comment};
use super::order::Kind;

/// Spaces per level of a value written over several lines.
const INDENT: usize = 2;

/// The whole document as lines.
pub fn document(doc: &DocumentMut) -> Vec<Line> {
    let mut out = Vec::new();
    let root = doc.as_table();
    let mut entries = flatten(children(root), Kind::Root);
    // The comments above the file's first key head the file (the `#:schema` line first),
    // even if sorting moves that key.
    let mut head = raw(doc.decor().prefix()).to_string();
    if let Some(first) = entries.first_mut() {
        head.push_str(&std::mem::take(&mut first.prefix));
    }
    let head = Gap::parse(&head, false);
    out.extend(block(&head.lines, 0, Blanks::Between { first: true }));
    out.extend(entry_lines(entries, 0, ""));

    let mut tables = Vec::new();
    nested_tables(root, &mut Vec::new(), Kind::Root, false, &mut tables);
    // The author's order, as toml_edit writes it: a table without a position of its own
    // (an implicit parent) goes with the one before it.
    let mut last = 0;
    for t in &mut tables {
        if let Some(pos) = t.table.position() {
            last = pos;
        }
        t.position = last;
    }
    tables.sort_by_key(|t| t.position);
    for t in tables {
        let values = flatten(children(t.table), t.kind);
        if t.table.is_implicit() && values.is_empty() {
            continue;
        }
        let mut prefix = String::new();
        if let Some(key) = t.path.last() {
            prefix.push_str(raw(key.leaf_decor().prefix()));
        }
        prefix.push_str(raw(t.table.decor().prefix()));
        let gap = Gap::parse(&prefix, false);
        out.extend(block(
            &gap.lines,
            0,
            Blanks::Between {
                first: out.is_empty(),
            },
        ));
        let name = t
            .path
            .iter()
            .map(|k| key_text(k))
            .collect::<Vec<_>>()
            .join(".");
        let header = if t.array {
            format!("[[{name}]]")
        } else {
            format!("[{name}]")
        };
        let mut lines = vec![Line::code(0, header)];
        let suffix = Gap::parse(raw(t.table.decor().suffix()), true);
        end_with_comment(&mut lines, suffix.same_line);
        out.extend(lines);
        out.extend(block(&suffix.lines, 0, Blanks::Inside));
        out.extend(entry_lines(values, 0, ""));
    }

    let mut tail = Gap::parse(raw(doc.decor().suffix()), false);
    tail.extend_lines(Gap::parse(raw(Some(doc.trailing())), false));
    if tail.has_comments() {
        let mut lines = block(&tail.lines, 0, Blanks::Inside);
        if tail.lines.first() == Some(&None) && !out.is_empty() {
            lines.insert(0, Line::Blank);
        }
        out.extend(lines);
    }
    out
}

/// A table with a header, where it is in the document.
struct Headed<'a> {
    position: isize,
    path: Vec<&'a Key>,
    table: &'a Table,
    kind: Kind,
    array: bool,
}

/// Every table that may have a header, as toml_edit's own writer visits them.
fn nested_tables<'a>(
    table: &'a Table,
    path: &mut Vec<&'a Key>,
    kind: Kind,
    array: bool,
    out: &mut Vec<Headed<'a>>,
) {
    if !table.is_dotted() && !path.is_empty() {
        out.push(Headed {
            position: 0,
            path: path.clone(),
            table,
            kind,
            array,
        });
    }
    for (name, item) in table.iter() {
        let Some(key) = table.key(name) else { continue };
        let child = kind.child(name);
        match item {
            Item::Table(t) => {
                path.push(key);
                nested_tables(t, path, child, false, out);
                path.pop();
            }
            Item::ArrayOfTables(a) => {
                for t in a.iter() {
                    path.push(key);
                    nested_tables(t, path, child, true, out);
                    path.pop();
                }
            }
            Item::None | Item::Value(_) => {}
        }
    }
}

/// A key-value of a table body or an inline table, before it is ordered.
enum Child<'a> {
    Value(&'a Value),
    /// Dotted keys (`subnets.a = …`): the table they make, flattened into the body.
    Dotted(Vec<(&'a Key, Child<'a>)>),
}

fn children(table: &Table) -> Vec<(&Key, Child<'_>)> {
    table
        .iter()
        .filter_map(|(name, item)| {
            let key = table.key(name)?;
            match item {
                Item::Value(v) => Some((key, value_child(v))),
                Item::Table(t) if t.is_dotted() => Some((key, Child::Dotted(children(t)))),
                _ => None,
            }
        })
        .collect()
}

fn inline_children(table: &InlineTable) -> Vec<(&Key, Child<'_>)> {
    table
        .iter()
        .filter_map(|(name, v)| Some((table.key(name)?, value_child(v))))
        .collect()
}

fn value_child(v: &Value) -> Child<'_> {
    match v.as_inline_table() {
        Some(t) if t.is_dotted() => Child::Dotted(inline_children(t)),
        _ => Child::Value(v),
    }
}

/// One key-value with its full dotted key, where it sorts, and its comments.
struct Flat<'a> {
    key: String,
    /// Schema rank and original position at each level of the dotted key.
    sort: Vec<(usize, usize)>,
    /// Entries of one table of names share a group and line up on `=`.
    group: Option<usize>,
    /// The whitespace and comments before the key, as read.
    prefix: String,
    value: &'a Value,
    kind: Kind,
    /// Comment lines before the entry.
    lead: Vec<Option<String>>,
    /// The comment ending the entry's (last) line.
    trailing: Option<String>,
    /// Comment lines after the entry, inside what it is written in.
    after: Vec<Option<String>>,
    /// The value's lines, when already rendered (each value is rendered once: nested
    /// values would otherwise be rendered again at every level).
    lines: Option<Vec<Line>>,
}

/// The key-values of one table, in the order they were written (comments are attached in
/// that order, then the entries are sorted).
fn flatten<'a>(children: Vec<(&'a Key, Child<'a>)>, kind: Kind) -> Vec<Flat<'a>> {
    let mut out = Vec::new();
    let mut groups = 0;
    walk(children, kind, "", &[], &mut groups, &mut out);
    out
}

fn walk<'a>(
    children: Vec<(&'a Key, Child<'a>)>,
    kind: Kind,
    prefix: &str,
    sort: &[(usize, usize)],
    groups: &mut usize,
    out: &mut Vec<Flat<'a>>,
) {
    let group = kind.is_named().then(|| {
        *groups += 1;
        *groups
    });
    for (position, (key, child)) in children.into_iter().enumerate() {
        let text = key_text(key);
        let path = if prefix.is_empty() {
            text
        } else {
            format!("{prefix}.{text}")
        };
        let mut rank = sort.to_vec();
        rank.push((kind.rank(key.get()), position));
        let decor = format!(
            "{}{}",
            raw(key.dotted_decor().prefix()),
            raw(key.leaf_decor().prefix())
        );
        match child {
            Child::Value(value) => out.push(Flat {
                key: path,
                sort: rank,
                group,
                prefix: decor,
                value,
                kind: kind.child(key.get()),
                lead: Vec::new(),
                trailing: None,
                after: Vec::new(),
                lines: None,
            }),
            Child::Dotted(grand) => {
                let start = out.len();
                walk(grand, kind.child(key.get()), &path, &rank, groups, out);
                if let Some(first) = out.get_mut(start) {
                    first.prefix.insert_str(0, &decor);
                }
            }
        }
    }
}

/// Lines of a table body (`sep` empty, comments start at the beginning of a line) or of an
/// inline table written over several lines (`sep` a comma, comments start mid-line), sorted
/// and aligned. The comments of a body come with its entries already.
fn entry_lines(mut entries: Vec<Flat<'_>>, indent: usize, sep: &str) -> Vec<Line> {
    if sep.is_empty() {
        for e in &mut entries {
            e.lead = Gap::parse(&e.prefix, false).lines;
            let suffix = Gap::parse(raw(e.value.decor().suffix()), true);
            e.trailing = suffix.same_line;
            e.after = suffix.lines;
        }
    }
    entries.sort_by(|a, b| a.sort.cmp(&b.sort));
    // Group numbers count up from 1 within one table: the widest key of each, by number.
    let groups = entries.iter().filter_map(|e| e.group).max().unwrap_or(0);
    let mut widths = vec![0; groups + 1];
    for e in &entries {
        if let Some(g) = e.group {
            widths[g] = widths[g].max(e.key.chars().count());
        }
    }
    let mut out = Vec::new();
    for e in entries {
        out.extend(block(&e.lead, indent, Blanks::Inside));
        let width = e.group.map_or(0, |g| widths[g]);
        let mut lines = match e.lines {
            Some(lines) => lines,
            None => value_lines(e.value, e.kind, indent),
        };
        if let Some(Line::Code { text, .. }) = lines.first_mut() {
            *text = format!("{:width$} = {text}", e.key);
        }
        if let Some(Line::Code { text, .. }) = lines.last_mut() {
            text.push_str(sep);
        }
        end_with_comment(&mut lines, e.trailing);
        out.extend(lines);
        out.extend(block(&e.after, indent, Blanks::Inside));
    }
    out
}

/// A value's lines; the first continues the line of its key (its indent is the caller's).
fn value_lines(value: &Value, kind: Kind, indent: usize) -> Vec<Line> {
    match value {
        Value::Array(a) => array_lines(a, kind, indent),
        Value::InlineTable(t) => inline_lines(t, kind, indent),
        scalar => vec![Line::code(indent, scalar_text(scalar))],
    }
}

/// `[a, b]` on one line, or one element per line with a trailing comma when the array was
/// written over several lines or holds a comment.
fn array_lines(array: &Array, kind: Kind, indent: usize) -> Vec<Line> {
    let items: Vec<&Value> = array.iter().collect();
    // gaps[i] is what precedes element i; gaps[n] what follows the last one.
    let mut gaps = Vec::with_capacity(items.len() + 1);
    let mut pending = String::new();
    for item in &items {
        pending.push_str(raw(item.decor().prefix()));
        gaps.push(Gap::parse(&pending, true));
        pending = raw(item.decor().suffix()).to_string();
    }
    pending.push_str(raw(Some(array.trailing())));
    gaps.push(Gap::parse(&pending, true));

    let rendered: Vec<Vec<Line>> = items
        .iter()
        .map(|v| value_lines(v, kind, indent + INDENT))
        .collect();
    let multi = gaps.iter().any(|g| g.has_break() || g.has_comments())
        || rendered.iter().any(|r| r.len() > 1);
    if !multi {
        let texts: Vec<String> = rendered.into_iter().map(one_line).collect();
        return vec![Line::code(indent, format!("[{}]", texts.join(", ")))];
    }
    if items.is_empty() && !gaps.iter().any(Gap::has_comments) {
        return vec![Line::code(indent, "[]".into())];
    }
    let mut out = vec![Line::code(indent, "[".into())];
    let mut gaps = gaps.into_iter();
    let mut gap = gaps.next().unwrap_or_default();
    end_with_comment(&mut out, gap.same_line.take());
    for mut lines in rendered {
        out.extend(block(&gap.lines, indent + INDENT, Blanks::Inside));
        if let Some(Line::Code { indent: first, .. }) = lines.first_mut() {
            *first = indent + INDENT;
        }
        if let Some(Line::Code { text, .. }) = lines.last_mut() {
            text.push(',');
        }
        gap = gaps.next().unwrap_or_default();
        end_with_comment(&mut lines, gap.same_line.take());
        out.extend(lines);
    }
    out.extend(block(&gap.lines, indent + INDENT, Blanks::Inside));
    out.push(Line::code(indent, "]".into()));
    out
}

/// `{ a = 1, b = 2 }` in schema order, or, when written over several lines (TOML 1.1), one
/// key per line like a table body, with trailing commas.
fn inline_lines(table: &InlineTable, kind: Kind, indent: usize) -> Vec<Line> {
    let mut entries = flatten(inline_children(table), kind);
    // Comments in written order: what follows an entry up to the next line break ends its
    // line; whole lines before an entry lead it.
    let mut pending = String::new();
    let mut opening: Option<String> = None;
    for i in 0..entries.len() {
        pending.push_str(&entries[i].prefix);
        let gap = Gap::parse(&pending, true);
        match i.checked_sub(1) {
            Some(prev) => entries[prev].trailing = gap.same_line,
            None => opening = gap.same_line,
        }
        entries[i].lead = gap.lines;
        pending = raw(entries[i].value.decor().suffix()).to_string();
    }
    pending.push_str(raw(Some(table.trailing())));
    let mut end = Gap::parse(&pending, true);
    match entries.last_mut() {
        Some(last) => last.trailing = end.same_line.take(),
        None => opening = end.same_line.take(),
    }
    for e in &mut entries {
        e.lines = Some(value_lines(e.value, e.kind, indent + INDENT));
    }
    let multi = opening.is_some()
        || end.has_break()
        || end.has_comments()
        || entries.iter().any(|e| {
            !e.lead.is_empty()
                || e.trailing.is_some()
                || e.lines.as_ref().is_some_and(|l| l.len() > 1)
        });
    if !multi {
        if entries.is_empty() {
            return vec![Line::code(indent, "{}".into())];
        }
        entries.sort_by(|a, b| a.sort.cmp(&b.sort));
        let texts: Vec<String> = entries
            .into_iter()
            .map(|e| format!("{} = {}", e.key, one_line(e.lines.unwrap_or_default())))
            .collect();
        return vec![Line::code(indent, format!("{{ {} }}", texts.join(", ")))];
    }
    let mut out = vec![Line::code(indent, "{".into())];
    end_with_comment(&mut out, opening);
    out.extend(entry_lines(entries, indent + INDENT, ","));
    out.extend(block(&end.lines, indent + INDENT, Blanks::Inside));
    out.push(Line::code(indent, "}".into()));
    out
}

/// The text of a value known to fit on one line.
fn one_line(lines: Vec<Line>) -> String {
    match lines.into_iter().next() {
        Some(Line::Code { text, .. }) => text,
        _ => String::new(),
    }
}

/// A scalar as written, except that a literal string becomes a basic one when that needs
/// no escape.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(f) => match f.as_repr().and_then(|r| r.as_raw().as_str()) {
            Some(r) if is_literal(r) && plain(f.value()) => format!("\"{}\"", f.value()),
            Some(r) => r.to_string(),
            None => f.display_repr().into_owned(),
        },
        Value::Integer(f) => repr_or(f.as_repr(), || f.display_repr().into_owned()),
        Value::Float(f) => repr_or(f.as_repr(), || f.display_repr().into_owned()),
        Value::Boolean(f) => repr_or(f.as_repr(), || f.display_repr().into_owned()),
        Value::Datetime(f) => repr_or(f.as_repr(), || f.display_repr().into_owned()),
        // Not scalars: `value_lines` renders these.
        Value::Array(_) | Value::InlineTable(_) => value.to_string().trim().to_string(),
    }
}

fn repr_or(repr: Option<&toml_edit::Repr>, default: impl FnOnce() -> String) -> String {
    repr.and_then(|r| r.as_raw().as_str())
        .map_or_else(default, str::to_string)
}

/// A key bare when it can be, else in basic quotes when that needs no escape, else as
/// written.
fn key_text(key: &Key) -> String {
    let name = key.get();
    let bare = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if bare {
        return name.to_string();
    }
    match key.as_repr().and_then(|r| r.as_raw().as_str()) {
        Some(r) if is_literal(r) && plain(name) => format!("\"{name}\""),
        Some(r) => r.to_string(),
        None => key.display_repr().into_owned(),
    }
}

/// A single-line literal string (`'…'`, not `'''…'''`).
fn is_literal(repr: &str) -> bool {
    repr.starts_with('\'') && !repr.starts_with("'''")
}

/// Text a basic string holds without escapes.
fn plain(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c == '"' || c == '\\' || (c.is_control() && c != '\t'))
}

/// The text of a decor part; toml_edit keeps it as text once a document is parsed.
fn raw(part: Option<&RawString>) -> &str {
    part.and_then(RawString::as_str).unwrap_or("")
}
