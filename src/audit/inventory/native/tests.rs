//! The native reader: the fast reader, cut up every way, reads as the one-pass reader does.

use super::de::{ENTRY_FIELDS, Field};
use super::*;
use crate::audit::inventory::Skipped;

#[test]
fn announcement_is_read_from_the_top_only() {
    assert!(announces(
        r#"{"format": "ipam-inventory", "format_version": 1, "resources": []}"#
    ));
    assert!(announces("{\n  \"format\" :\n \"ipam-inventory\"\n}"));
    assert!(!announces(
        r#"{"resources": [], "format": "ipam-inventory"}"#
    ));
    assert!(!announces(r#"{"outputs": {"format": "ipam-inventory"}}"#));
    assert!(!announces(r#"{"format_version": "ipam-inventory"}"#));
    assert!(!announces("é".repeat(3000).as_str()));
}

#[test]
fn the_reader_knows_every_field_the_schema_documents() {
    let schema = serde_json::to_value(native_schema()).expect("schema");
    let properties = schema["definitions"]["NativeResource"]["properties"]
        .as_object()
        .expect("resource properties");
    let mut documented: Vec<&str> = properties.keys().map(String::as_str).collect();
    documented.sort_unstable();
    let mut read: Vec<&str> = ENTRY_FIELDS.iter().map(|(name, _)| *name).collect();
    read.sort_unstable();
    assert_eq!(documented, read);
    for (name, field) in ENTRY_FIELDS {
        let parsed: Field = serde_json::from_value(serde_json::json!(name)).expect("field");
        assert_eq!(parsed, field, "{name}");
    }
    let required = schema["definitions"]["NativeResource"]["required"]
        .as_array()
        .expect("required");
    assert_eq!(required.len(), 3, "{required:?}");
    assert_eq!(schema["properties"]["format"]["const"], FORMAT_NAME);
}

#[test]
fn counts_beyond_u64_are_written_as_strings() {
    let resource = NativeResource {
        id: "s".into(),
        kind: Kind::Subnet,
        cidr: "2001:db8::/64".parse().expect("cidr"),
        primary: None,
        region: None,
        account: None,
        vpc_id: None,
        zone: None,
        used: Some(5),
        total: Some(1 << 64),
        tags: BTreeMap::new(),
        name: None,
    };
    let json = serde_json::to_value(&resource).expect("json");
    assert_eq!(json["used"], 5);
    assert_eq!(json["total"], "18446744073709551616");
    assert_eq!(json["type"], "subnet");
}

/// What a read gave: the rows with what was said of `primary`, and the skips.
type Read = (Vec<(Discovered, Option<bool>)>, Vec<Skipped>);

fn contents(sink: Sink) -> Read {
    let (chunks, skipped) = sink.into_parts();
    let rows = chunks
        .into_iter()
        .flat_map(|c| c.rows.into_iter().flatten().zip(c.given))
        .collect();
    (rows, skipped)
}

/// The fast reader, cut up as `plan` says, reads `text` as the one-pass reader does; where
/// the one-pass reader fails, it gives up (and the caller reads again in one pass).
fn reads_the_same(text: &str, plan: stream::Plan) {
    let mut one = Sink::new("f.json".into());
    let expected = read_one_pass(text, &mut one).map(|()| contents(one));
    let mut sink = Sink::new("f.json".into());
    let row_source = sink.row_source.clone();
    match stream::read(&text.as_bytes(), 0, &row_source, plan) {
        Some((header, parts)) => {
            let got = finish(header, parts, &mut sink).map(|()| contents(sink));
            assert_eq!(got, expected, "{plan:?}\n{text}");
        }
        None => assert!(
            expected.is_err(),
            "gave up on a good file: {plan:?}\n{text}"
        ),
    }
}

fn plans() -> Vec<stream::Plan> {
    let mut plans = Vec::new();
    for (threads, min_part) in [(1, 1 << 20), (2, 1), (3, 40), (5, 7), (8, 1)] {
        for chunk in [3, 61, 4096] {
            plans.push(stream::Plan {
                threads,
                min_part,
                chunk,
            });
        }
    }
    plans
}

/// Entries of every kind the reader meets: rows, skips, entries that are not objects,
/// escapes, text in several scripts, unknown fields holding lists of objects (where a cut
/// guessed from `}, {` falls inside an entry), numbers too large for a count.
const ENTRIES: [&str; 16] = [
    r#"{"id": "vpc-1", "type": "vpc", "cidr": "10.0.0.0/16", "region": "eu-west-1", "account": 111122223333, "tags": {"env": "prod", "n": 3, "ok": true, "none": null}, "name": "prod"}"#,
    r#"{"id": "vpc-1", "type": "vpc", "cidr": "2001:db8::/56", "primary": false}"#,
    r#"{"id":"subnet-1","type":"subnet","cidr":"10.0.1.0/24","vpc_id":"vpc-1","zone":"eu-west-1a","used":12,"total":"251"}"#,
    r#"{"id": " vpc-\u0032 ", "type": "VPC", "cidr": "10.2.0.0/16", "name": "caf\u00e9 \"quoted\" \\ \/", "tags": {"k\u00e9y": "v\n"}}"#,
    r#"{"id": "vsw-é", "type": "vswitch", "cidr": "10.3.0.0/24", "name": "日本語 ☃ 𝄞", "tags": {"ключ": "значение"}}"#,
    r#"{"id": "vpc-x", "type": "vpc", "cidr": "10.9.0.1/16"}"#,
    r#"{"type": "vpc", "cidr": "XXXX"}"#,
    r#"{"id": 7, "type": "bus", "cidr": 5, "primary": "yes", "used": -1, "total": 1.5, "tags": [1]}"#,
    r#"{"id": "vpc-n", "type": "vpc", "cidr": "10.4.0.0/16", "used": 123456789012345678901234567890, "total": 18446744073709551616}"#,
    r#"{"id": "vpc-u", "type": "vpc", "cidr": "10.5.0.0/16", "extra": [{"a": 1}, {"b": [{"c": "}, {"}, {"d": 2}]}, {"e": 3}], "more": {"x": {"y": []}}}"#,
    r#"{"id": "vpc-d", "type": "vpc", "cidr": "10.6.0.0/16", "cidr": "10.7.0.0/16", "tags": {"a": "1", "a": "2"}}"#,
    r#"{"id": "vpc-t", "type": "vpc", "cidr": "10.8.0.0/16", "tags": {"bad": {"x": 1}, "worse": [2]}}"#,
    r#"[{"id": "in-a-list"}, {"id": "x"}]"#,
    r#"12345"#,
    r#""a string, {""#,
    r#"null"#,
];

/// A document of `entries` laid out with `between` between entries.
fn document(entries: &[&str], between: &str) -> String {
    format!(
        "{{\"format\": \"ipam-inventory\", \"format_version\": 1, \"note\": [{{\"a\": 1}}, {{\"b\": 2}}],\n\"resources\": [{}],\n\"after\": {{\"k\": [1, 2]}}}}\n",
        entries.join(between)
    )
}

#[test]
fn cut_up_or_in_one_pass_a_document_reads_the_same() {
    let mut sink = Sink::new("f.json".into());
    read_one_pass(&document(&ENTRIES, ","), &mut sink).expect("the entries make a valid document");
    // A few hundred entries in an order that a fixed seed shuffles.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let entries: Vec<&str> = (0..300)
        .map(|_| ENTRIES[(next() % ENTRIES.len() as u64) as usize])
        .collect();
    let layouts = [",", ",\n", " ,\r\n\t ", "\n,\n"];
    for (i, between) in layouts.iter().enumerate() {
        let text = document(&entries, between);
        for (j, plan) in plans().into_iter().enumerate() {
            // Every layout with a few plans, one layout with all of them.
            if i == 0 || j % layouts.len() == i {
                reads_the_same(&text, plan);
            }
        }
    }
    let compact = document(&entries, ",");
    reads_the_same(
        &compact,
        stream::Plan {
            threads: 2,
            min_part: 1,
            chunk: 1 << 20,
        },
    );
    // Without lists of objects inside entries every guessed cut is right, and the
    // stretches are joined rather than read again.
    let plain: Vec<&str> = entries
        .iter()
        .copied()
        .filter(|e| !e.contains("}, {"))
        .collect();
    for between in layouts {
        let text = document(&plain, between);
        for plan in plans() {
            reads_the_same(&text, plan);
        }
        let mut sink = Sink::new("f.json".into());
        let plan = stream::Plan {
            threads: 4,
            min_part: 1,
            chunk: 64,
        };
        read_text(&text, &mut sink, plan).expect("read");
        assert!(
            sink.chunks.len() > 4,
            "{between:?}: {} stretches",
            sink.chunks.len()
        );
    }
}

#[test]
fn the_top_of_the_document_reads_the_same() {
    let entry = ENTRIES[0];
    let deep = format!("{}{}", "[".repeat(300), "]".repeat(300));
    let texts = [
        r#"{"format": "ipam-inventory", "format_version": 1, "resources": []}"#.to_string(),
        format!(r#"{{"resources": [{entry}], "format": "ipam-inventory", "format_version": 1}}"#),
        format!(r#"{{"format": "ipam-inventory", "format_version": 2, "resources": [{entry}]}}"#),
        format!(r#"{{"format": "other", "format_version": 1, "resources": [{entry}]}}"#),
        r#"{"format": "ipam-inventory", "format_version": 1}"#.to_string(),
        format!(r#"{{"format_version": 1, "resources": [{entry}], "resources": 5}}"#),
        format!(
            r#"{{"form\u0061t": "ipam-inventory", "format_version": 1, "resources": [{entry}]}}"#
        ),
        "  { }  ".to_string(),
        format!(r#"{{"format_version": 1, "x": {deep}, "resources": [{entry}, {deep}]}}"#),
    ];
    for text in &texts {
        for plan in plans() {
            reads_the_same(text, plan);
        }
    }
}

#[test]
fn a_document_that_is_not_valid_json_is_given_up() {
    let entry = ENTRIES[0];
    let texts = [
        format!(r#"{{"format_version": 1, "resources": [{entry},]}}"#),
        format!(r#"{{"format_version": 1, "resources": [{entry} {entry}]}}"#),
        format!(r#"{{"format_version": 1, "resources": [{entry}, {entry}"#),
        format!(r#"{{"format_version": 1, "resources": [{entry}]}} x"#),
        format!(r#"{{"format_version": 1, "resources": [{entry}]}}{{}}"#),
        r#"{"format_version": 1, "resources": {}}"#.to_string(),
        r#"{"format_version": 1, "resources": [1 2]}"#.to_string(),
        "{\"format_version\": 1, \"resources\": [{\"id\": \"a\tb\"}]}".to_string(),
        "{\"format_version\": 1, \"resources\": [{\"id\": \"a\u{1}b\"}]}".to_string(),
        r#"{"format_version": 1, "resources": [{"id": "\x"}]}"#.to_string(),
        r#"{"format_version": 1, "resources": [{"id" "a"}]}"#.to_string(),
        r#"{"format_version": 1 "resources": []}"#.to_string(),
        format!("[{entry}]"),
        r#"{"format_version": 01, "resources": []}"#.to_string(),
    ];
    for text in &texts {
        let mut sink = Sink::new("f.json".into());
        assert!(read_one_pass(text, &mut sink).is_err(), "{text}");
        for plan in plans() {
            reads_the_same(text, plan);
        }
    }
}

#[test]
fn skips_in_later_stretches_name_their_place_in_the_whole_list() {
    let good = ENTRIES[2];
    let mut entries = vec![good; 2000];
    entries[1500] = r#"{"id": "late", "type": "vpc"}"#;
    let text = document(&entries, ",\n");
    let mut sink = Sink::new("f.json".into());
    let plan = stream::Plan {
        threads: 4,
        min_part: 1,
        chunk: 512,
    };
    read_text(&text, &mut sink, plan).expect("read");
    assert!(sink.chunks.len() > 1, "the list was not cut");
    let (rows, skipped) = contents(sink);
    assert_eq!(rows.len(), 1999);
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].source, "f.json: late (resources[1500])");
    assert_eq!(skipped[0].reason, "no `cidr`");
}

#[test]
fn a_file_is_read_straight_when_it_announces_the_format() {
    let text = document(&ENTRIES, ",\n");
    let dir = std::env::temp_dir().join(format!("ipam-native-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let plain = dir.join("plain.json");
    let bom = dir.join("bom.json");
    let csv = dir.join("inventory.csv");
    std::fs::write(&plain, &text).expect("write");
    std::fs::write(&bom, format!("\u{feff}{text}")).expect("write");
    std::fs::write(&csv, "id,type,cidr\nvpc-1,vpc,10.0.0.0/16\n").expect("write");
    let mut expected = Sink::new("f.json".into());
    read_one_pass(&text, &mut expected).expect("one pass");
    let expected = contents(expected);
    for path in [&plain, &bom] {
        let mut sink = Sink::new("f.json".into());
        assert_eq!(read_file(path, false, &mut sink), Ok(true), "{path:?}");
        assert_eq!(contents(sink), expected, "{path:?}");
    }
    let mut sink = Sink::new("f.json".into());
    assert_eq!(read_file(&csv, false, &mut sink), Ok(false));
    assert_eq!(
        read_file(&dir.join("missing.json"), false, &mut sink),
        Ok(false)
    );
    std::fs::remove_dir_all(&dir).expect("clean up");
}
