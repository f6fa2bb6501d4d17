//! CSV inventories: a header row naming the columns, then one row per resource CIDR.
//!
//! Columns, in any order: `id`, `type` (`vpc`, `subnet` or `vswitch`) and `cidr`, which are
//! required, and `region`, `account`, `vpc_id`, `zone`, `used`, `total`, `tags`
//! (`key=value;key=value`), `name`, `primary` (`true`/`false`). Header names are matched
//! without regard to case, spaces or dashes, with the aliases `kind`, `cidr_block`,
//! `owner_id`, `account_id`, `availability_zone`, `zone_id`, `region_id`; other columns are
//! ignored. Fields may be quoted (RFC 4180: `"a,b"`, `""` for a quote, line breaks inside
//! quotes). The delimiter is a comma, or a tab or semicolon when the header uses one.

use std::collections::BTreeMap;

use super::intern::Slot;
use super::{Discovered, Kind, Sink, cidr_problem, entry_name, first_line};
use crate::addr::Prefix;
use crate::diag::Diag;

/// The columns ipam reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Id,
    Type,
    Cidr,
    Region,
    Account,
    VpcId,
    Zone,
    Used,
    Total,
    Tags,
    Name,
    Primary,
}

const COLUMNS: usize = 12;

impl Col {
    const REQUIRED: [Col; 3] = [Col::Id, Col::Type, Col::Cidr];

    fn from_header(name: &str) -> Option<Col> {
        let name = name.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Some(match name.as_str() {
            "id" | "resource_id" => Col::Id,
            "type" | "kind" | "resource_type" => Col::Type,
            "cidr" | "cidr_block" => Col::Cidr,
            "region" | "region_id" => Col::Region,
            "account" | "account_id" | "owner" | "owner_id" => Col::Account,
            "vpc_id" | "vpc" => Col::VpcId,
            "zone" | "zone_id" | "availability_zone" => Col::Zone,
            "used" => Col::Used,
            "total" => Col::Total,
            "tags" => Col::Tags,
            "name" => Col::Name,
            "primary" => Col::Primary,
            _ => return None,
        })
    }

    const fn name(self) -> &'static str {
        match self {
            Col::Id => "id",
            Col::Type => "type",
            Col::Cidr => "cidr",
            Col::Region => "region",
            Col::Account => "account",
            Col::VpcId => "vpc_id",
            Col::Zone => "zone",
            Col::Used => "used",
            Col::Total => "total",
            Col::Tags => "tags",
            Col::Name => "name",
            Col::Primary => "primary",
        }
    }
}

/// Where each known column is in a row, and how many fields a row has.
struct Header {
    at: [Option<usize>; COLUMNS],
    fields: usize,
    delimiter: u8,
    /// 1-based line of the header row.
    line: usize,
    text: String,
}

impl Header {
    fn parse(text: &str, delimiter: u8) -> Option<Result<Header, String>> {
        let mut records = Records::new(text, delimiter);
        let record = records.find(|r| !r.is_blank())?;
        let mut at = [None; COLUMNS];
        for (i, name) in record.fields.iter().enumerate() {
            let Some(col) = Col::from_header(name) else {
                continue;
            };
            if let Some(first) = at[col as usize] {
                return Some(Err(format!(
                    "the column `{}` appears twice in the header (fields {} and {})",
                    col.name(),
                    first + 1,
                    i + 1
                )));
            }
            at[col as usize] = Some(i);
        }
        Some(Ok(Header {
            at,
            fields: record.fields.len(),
            delimiter,
            line: record.line,
            text: first_line(&text[record.start..]),
        }))
    }

    fn has(&self, col: Col) -> bool {
        self.at[col as usize].is_some()
    }

    /// The header, with the delimiter that makes it name `id` and `cidr` (comma first).
    fn find(text: &str) -> Option<Result<Header, String>> {
        let mut first = None;
        for delimiter in [b',', b'\t', b';'] {
            match Header::parse(text, delimiter)? {
                Ok(h) if h.has(Col::Id) && h.has(Col::Cidr) => return Some(Ok(h)),
                other => {
                    first.get_or_insert(other);
                }
            }
        }
        first
    }
}

/// True when the text starts with a CSV header naming at least `id` and `cidr`.
pub(super) fn is_inventory(text: &str) -> bool {
    matches!(Header::find(text), Some(Ok(h)) if h.has(Col::Id) && h.has(Col::Cidr))
}

/// Reads a CSV inventory into `sink`.
pub(super) fn read(text: &str, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let expected = "the header names the columns, in any order: \
                    id,type,cidr,region,account,vpc_id,zone,used,total,tags \
                    (id, type and cidr are required)";
    let header = match Header::find(text) {
        Some(Ok(h)) => h,
        Some(Err(problem)) => {
            return Err(Box::new(
                Diag::error("ipam::audit::csv", format!("{}: {problem}", sink.source))
                    .help(expected),
            ));
        }
        None => {
            return Err(Box::new(
                Diag::error(
                    "ipam::audit::csv",
                    format!("{} has no header row", sink.source),
                )
                .help(expected),
            ));
        }
    };
    let missing: Vec<&str> = Col::REQUIRED
        .iter()
        .filter(|c| !header.has(**c))
        .map(|c| c.name())
        .collect();
    if !missing.is_empty() {
        return Err(Box::new(
            Diag::error(
                "ipam::audit::csv",
                format!(
                    "{}:{}: the CSV header `{}` has no {} column",
                    sink.source,
                    header.line,
                    header.text,
                    missing
                        .iter()
                        .map(|m| format!("`{m}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .help(expected),
        ));
    }
    let records = Records::new(text, header.delimiter).filter(|r| !r.is_blank());
    for record in records.skip(1) {
        row(&header, record, sink);
    }
    Ok(())
}

fn row(header: &Header, record: Record, sink: &mut Sink) {
    let position = format!("line {}", record.line);
    let field = |col: Col| -> Option<&str> {
        let value = record.fields.get(header.at[col as usize]?)?.trim();
        (!value.is_empty()).then_some(value)
    };
    if record.unterminated {
        sink.skip(
            &entry_name(field(Col::Id), &position),
            "a quoted field is not closed: the rest of the file was read as part of this row",
        );
        return;
    }
    if record.fields.len() != header.fields {
        sink.skip(
            &entry_name(field(Col::Id), &position),
            format!(
                "the row has {} fields, the header {}",
                record.fields.len(),
                header.fields
            ),
        );
        return;
    }
    let mut problems = Vec::new();
    let id = field(Col::Id);
    if id.is_none() {
        problems.push("no `id`".to_string());
    }
    let kind = match field(Col::Type) {
        None => {
            problems.push("no `type`".to_string());
            None
        }
        Some(t) => Kind::parse(t).or_else(|| {
            problems.push(format!("`type` is `{t}`: expected vpc or subnet"));
            None
        }),
    };
    let cidr = match field(Col::Cidr) {
        None => {
            problems.push("no `cidr`".to_string());
            None
        }
        Some(c) => c
            .parse::<Prefix>()
            .map_err(|e| problems.push(cidr_problem("cidr", c, &e)))
            .ok(),
    };
    let mut count = |col: Col| {
        let text = field(col)?;
        text.parse::<u128>()
            .map_err(|_| {
                problems.push(format!(
                    "`{}` is `{text}`, not a count of addresses",
                    col.name()
                ))
            })
            .ok()
    };
    let used = count(Col::Used);
    let total = count(Col::Total);
    if let (Some(u), Some(t)) = (used, total)
        && u > t
    {
        problems.push(format!("`used` ({u}) is more than `total` ({t})"));
    }
    let tags = match field(Col::Tags).map(parse_tags) {
        None => BTreeMap::new(),
        Some(Ok(tags)) => tags,
        Some(Err(problem)) => {
            problems.push(problem);
            BTreeMap::new()
        }
    };
    let primary = field(Col::Primary).and_then(|p| {
        let p = p.to_ascii_lowercase();
        match p.as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => {
                problems.push(format!("`primary` is `{p}`: expected true or false"));
                None
            }
        }
    });
    let (Some(id), Some(kind), Some(cidr), true) = (id, kind, cidr, problems.is_empty()) else {
        sink.skip(&entry_name(id, &position), problems.join("; "));
        return;
    };
    let strings = &mut sink.strings;
    let mut shared = |col: Col, f| field(col).map(|t| strings.shared(f, t));
    let (region, account, vpc_id, zone) = (
        shared(Col::Region, Slot::Region),
        shared(Col::Account, Slot::Account),
        shared(Col::VpcId, Slot::VpcId),
        shared(Col::Zone, Slot::Zone),
    );
    let row = Discovered {
        id: strings.recent(Slot::Id, id),
        kind,
        cidr,
        region,
        account,
        vpc_id,
        zone,
        used,
        total,
        tags: strings.tags(tags),
        name: field(Col::Name).map(|t| strings.recent(Slot::Name, t)),
        source: sink.row_source.clone(),
        primary: false,
    };
    sink.rows.push(row);
    sink.given.push(primary);
}

/// `key=value;key=value`; a value may be empty (`key=`) and may contain `=`.
fn parse_tags(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut tags = BTreeMap::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!(
                "tag `{part}` has no `=`: write tags as key=value;key=value"
            ));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("tag `{part}` has an empty key"));
        }
        tags.insert(key.to_string(), value.trim().to_string());
    }
    Ok(tags)
}

/// One CSV record.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Record {
    /// 1-based line the record starts on.
    pub(super) line: usize,
    /// Byte offset of its start.
    start: usize,
    pub(super) fields: Vec<String>,
    /// A quoted field ran to the end of the text.
    pub(super) unterminated: bool,
}

impl Record {
    pub(super) fn is_blank(&self) -> bool {
        !self.unterminated && self.fields.iter().all(|f| f.trim().is_empty())
    }
}

/// The records of a CSV text (RFC 4180, leniently: text after a closing quote is kept, a
/// quote inside an unquoted field is a character).
pub(super) struct Records<'t> {
    text: &'t str,
    pos: usize,
    line: usize,
    delimiter: u8,
}

impl<'t> Records<'t> {
    pub(super) fn new(text: &'t str, delimiter: u8) -> Records<'t> {
        Records {
            text,
            pos: 0,
            line: 1,
            delimiter,
        }
    }

    /// The end of an unquoted stretch: the next delimiter or line break, or the end.
    fn stretch_end(&self, from: usize) -> usize {
        self.text.as_bytes()[from..]
            .iter()
            .position(|&b| b == self.delimiter || b == b'\n')
            .map_or(self.text.len(), |i| from + i)
    }
}

impl Iterator for Records<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        let text = self.text;
        let bytes = text.as_bytes();
        if self.pos >= bytes.len() {
            return None;
        }
        let mut record = Record {
            line: self.line,
            start: self.pos,
            fields: Vec::new(),
            unterminated: false,
        };
        loop {
            let mut p = self.pos;
            while p < bytes.len() && bytes[p] == b' ' {
                p += 1;
            }
            let mut field = String::new();
            if p < bytes.len() && bytes[p] == b'"' {
                p += 1;
                loop {
                    let Some(q) = bytes[p..].iter().position(|&b| b == b'"').map(|i| p + i) else {
                        field.push_str(&text[p..]);
                        self.line += text[p..].matches('\n').count();
                        p = bytes.len();
                        record.unterminated = true;
                        break;
                    };
                    field.push_str(&text[p..q]);
                    self.line += text[p..q].matches('\n').count();
                    if bytes.get(q + 1) == Some(&b'"') {
                        field.push('"');
                        p = q + 2;
                    } else {
                        p = q + 1;
                        break;
                    }
                }
                let end = self.stretch_end(p);
                field.push_str(text[p..end].trim_end_matches('\r').trim());
                p = end;
            } else {
                let end = self.stretch_end(self.pos);
                field.push_str(text[self.pos..end].trim_end_matches('\r').trim());
                p = end;
            }
            record.fields.push(field);
            if p >= bytes.len() {
                self.pos = bytes.len();
                break;
            }
            self.pos = p + 1;
            if bytes[p] == b'\n' {
                self.line += 1;
                break;
            }
        }
        Some(record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        Records::new(text, b',').map(|r| r.fields).collect()
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let text = "a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",x , y\n";
        assert_eq!(
            fields(text),
            [
                vec!["a", "b,c", "say \"hi\""],
                vec!["multi\nline", "x", "y"]
            ]
        );
        let lines: Vec<usize> = Records::new(text, b',').map(|r| r.line).collect();
        assert_eq!(lines, [1, 2]);
        let after: Vec<usize> = Records::new("\"a\nb\"\nc\n", b',')
            .map(|r| r.line)
            .collect();
        assert_eq!(after, [1, 3]);
    }

    #[test]
    fn trailing_delimiters_and_unterminated_quotes() {
        assert_eq!(fields("a,b,\n"), [vec!["a", "b", ""]]);
        let records: Vec<Record> = Records::new("a\n\"open,b\nc", b',').collect();
        assert_eq!(records.len(), 2);
        assert!(records[1].unterminated);
        assert_eq!(records[1].fields, ["open,b\nc"]);
    }

    #[test]
    fn headers_match_loosely_and_find_their_delimiter() {
        let Some(Ok(h)) = Header::find("ID;Type;CIDR Block;Availability-Zone\n") else {
            panic!("header");
        };
        assert_eq!(h.delimiter, b';');
        assert_eq!(h.at[Col::Cidr as usize], Some(2));
        assert_eq!(h.at[Col::Zone as usize], Some(3));
        assert!(is_inventory("\n\nid\ttype\tcidr\n"));
        assert!(!is_inventory("name,value\n"));
        assert!(matches!(Header::find("id,cidr,cidr\n"), Some(Err(_))));
    }

    #[test]
    fn tags_are_key_value_pairs() {
        let tags = parse_tags(" env = prod ;team=net;;empty=;eq=a=b").expect("tags");
        assert_eq!(tags["env"], "prod");
        assert_eq!(tags["empty"], "");
        assert_eq!(tags["eq"], "a=b");
        assert!(parse_tags("novalue").is_err());
        assert!(parse_tags("=x").is_err());
    }
}
