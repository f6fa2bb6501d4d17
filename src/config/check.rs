//! Every type and unknown-key error of a plan file at once, as JSON Schema validators do:
//! the parsed TOML document is walked against the plan's schema (generated from the same
//! types serde reads, so the two agree), reporting each wrong value, unknown key and missing
//! key where it is, and carrying on with the next. serde stops at the first; this walk runs
//! only when serde has failed, so a valid plan pays nothing for it.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::OnceLock;

use serde_json::Value;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diag::{Diag, FileId, Loc, suggest};

/// What a value must be, compiled from the schema once per process.
#[derive(Debug)]
enum Shape {
    String,
    Integer,
    Boolean,
    Array(usize),
    /// A table of named entries, all of one shape (`[pools.NAME]`, tags).
    Map(usize),
    /// A table with known keys (a struct).
    Table {
        fields: BTreeMap<String, usize>,
        required: Vec<String>,
    },
    /// One of these strings.
    Enum(Vec<String>),
    /// Any of these shapes.
    AnyOf(Vec<usize>),
    /// A schema construct this walk does not model: serde decides.
    Any,
}

#[derive(Debug)]
struct Shapes {
    nodes: Vec<Shape>,
    root: usize,
}

static PLAN: OnceLock<Shapes> = OnceLock::new();

fn plan_shapes() -> &'static Shapes {
    PLAN.get_or_init(|| {
        let schema = schemars::generate::SchemaSettings::draft07()
            .into_generator()
            .into_root_schema_for::<super::RawFile>();
        Shapes::compile(schema.as_value())
    })
}

impl Shapes {
    fn compile(root: &Value) -> Shapes {
        let mut c = Compiler {
            defs: root.get("definitions"),
            nodes: Vec::new(),
            by_ref: BTreeMap::new(),
        };
        let root = c.node(root);
        Shapes {
            nodes: c.nodes,
            root,
        }
    }
}

struct Compiler<'a> {
    defs: Option<&'a Value>,
    nodes: Vec<Shape>,
    by_ref: BTreeMap<String, usize>,
}

impl<'a> Compiler<'a> {
    fn push(&mut self, shape: Shape) -> usize {
        self.nodes.push(shape);
        self.nodes.len() - 1
    }

    fn node(&mut self, schema: &'a Value) -> usize {
        if let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/definitions/"))
        {
            if let Some(&id) = self.by_ref.get(name) {
                return id;
            }
            // Reserve the slot first, so a type that contains itself compiles.
            let id = self.push(Shape::Any);
            self.by_ref.insert(name.to_owned(), id);
            if let Some(def) = self.defs.and_then(|d| d.get(name)) {
                self.nodes[id] = self.shape(def);
            }
            return id;
        }
        let shape = self.shape(schema);
        self.push(shape)
    }

    fn shape(&mut self, schema: &'a Value) -> Shape {
        if schema.get("$ref").is_some() {
            return Shape::AnyOf(vec![self.node(schema)]);
        }
        let alternatives = schema
            .get("anyOf")
            .or_else(|| schema.get("oneOf"))
            .and_then(Value::as_array);
        if let Some(alternatives) = alternatives {
            let alternatives: Vec<&Value> = alternatives.iter().filter(|a| !is_null(a)).collect();
            let consts: Option<Vec<String>> = alternatives
                .iter()
                .map(|a| a.get("const").and_then(Value::as_str).map(str::to_owned))
                .collect();
            if let Some(consts) = consts.filter(|c| !c.is_empty()) {
                return Shape::Enum(consts);
            }
            let ids = alternatives.into_iter().map(|a| self.node(a)).collect();
            return Shape::AnyOf(ids);
        }
        if let Some(c) = schema.get("const").and_then(Value::as_str) {
            return Shape::Enum(vec![c.to_owned()]);
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let types: Vec<&str> = types.into_iter().filter(|t| *t != "null").collect();
        match types.as_slice() {
            ["string"] => Shape::String,
            ["integer"] => Shape::Integer,
            ["boolean"] => Shape::Boolean,
            ["array"] => match schema.get("items") {
                Some(items) => Shape::Array(self.node(items)),
                None => Shape::Any,
            },
            ["object"] => self.object(schema),
            _ => Shape::Any,
        }
    }

    fn object(&mut self, schema: &'a Value) -> Shape {
        match (schema.get("properties"), schema.get("additionalProperties")) {
            (Some(Value::Object(props)), Some(Value::Bool(false))) => {
                let fields = props
                    .iter()
                    .map(|(k, v)| (k.clone(), self.node(v)))
                    .collect();
                let required = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| {
                        r.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                Shape::Table { fields, required }
            }
            (None, Some(values @ Value::Object(_))) => Shape::Map(self.node(values)),
            _ => Shape::Any,
        }
    }
}

fn is_null(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

/// Every type, unknown-key and missing-key problem of a parsed plan file, in document order
/// of the walk.
pub(super) fn check(file: FileId, doc: &Spanned<DeTable<'_>>) -> Vec<Diag> {
    let shapes = plan_shapes();
    let mut walk = Walk {
        shapes,
        file,
        diags: Vec::new(),
    };
    walk.table(doc.get_ref(), doc.span(), shapes.root);
    walk.diags
}

struct Walk<'s> {
    shapes: &'s Shapes,
    file: FileId,
    diags: Vec<Diag>,
}

impl Walk<'_> {
    fn loc(&self, span: Range<usize>) -> Loc {
        Loc::new(self.file, span)
    }

    fn value(&mut self, v: &Spanned<DeValue<'_>>, shape: usize) {
        let span = v.span();
        if span.is_empty() {
            return; // a placeholder the parser put where it could not read a value
        }
        match (&self.shapes.nodes[shape], v.get_ref()) {
            (Shape::Any, _)
            | (Shape::String, DeValue::String(_))
            | (Shape::Boolean, DeValue::Boolean(_)) => {}
            (Shape::Integer, DeValue::Integer(i)) => {
                if i64::from_str_radix(i.as_str(), i.radix()).is_err() {
                    let d = Diag::error(
                        "ipam::parse::type",
                        format!("invalid value: integer `{}` is out of range", i.as_str()),
                    )
                    .at(&self.loc(span), "too large")
                    .help("integers in a plan are between -2^63 and 2^63-1");
                    self.diags.push(d);
                }
            }
            (Shape::Array(item), DeValue::Array(items)) => {
                let item = *item;
                for element in items.iter() {
                    self.value(element, item);
                }
            }
            (Shape::Map(_) | Shape::Table { .. }, DeValue::Table(t)) => {
                self.table(t, span, shape);
            }
            (Shape::Enum(variants), DeValue::String(s)) => {
                if !variants.iter().any(|v| v == s.as_ref()) {
                    let d =
                        Diag::error("ipam::parse::unknown_value", format!("unknown value `{s}`"))
                            .at(&self.loc(span), "not one of the allowed values");
                    let d = match suggest(s, variants.iter().map(String::as_str)) {
                        Some(close) => d.help(format!("did you mean `{close}`?")),
                        None => d.help(format!("expected one of {}", quoted(variants))),
                    };
                    self.diags.push(d);
                }
            }
            (Shape::AnyOf(alternatives), value) => {
                let fits = alternatives
                    .iter()
                    .copied()
                    .find(|&a| self.shape_fits(a, value));
                match fits {
                    Some(a) => self.value(v, a),
                    None => self.wrong_type(v, shape),
                }
            }
            _ => self.wrong_type(v, shape),
        }
    }

    /// Whether a value has the kind (string, table, …) of a shape, so an alternative is chosen
    /// by kind and then checked in depth.
    fn shape_fits(&self, shape: usize, value: &DeValue<'_>) -> bool {
        match (&self.shapes.nodes[shape], value) {
            (Shape::Any, _)
            | (Shape::String | Shape::Enum(_), DeValue::String(_))
            | (Shape::Integer, DeValue::Integer(_))
            | (Shape::Boolean, DeValue::Boolean(_))
            | (Shape::Array(_), DeValue::Array(_))
            | (Shape::Map(_) | Shape::Table { .. }, DeValue::Table(_)) => true,
            (Shape::AnyOf(alternatives), v) => alternatives.iter().any(|&a| self.shape_fits(a, v)),
            _ => false,
        }
    }

    fn table(&mut self, t: &DeTable<'_>, span: Range<usize>, shape: usize) {
        match &self.shapes.nodes[shape] {
            Shape::Map(values) => {
                let values = *values;
                for (_, v) in t.iter() {
                    self.value(v, values);
                }
            }
            Shape::Table { fields, required } => {
                let mut suggested = Vec::new();
                for (key, v) in t.iter() {
                    match fields.get(key.get_ref().as_ref()) {
                        Some(&field) => self.value(v, field),
                        None => suggested.extend(self.unknown_key(key, fields)),
                    }
                }
                for name in required {
                    // A misspelt required key is reported once, as the unknown key whose
                    // "did you mean" names it.
                    if !t.contains_key(name.as_str()) && !suggested.contains(&name.as_str()) {
                        let d = Diag::error("ipam::parse::type", format!("missing field `{name}`"))
                            .at(&self.loc(span.clone()), "in this table")
                            .help(SCHEMA_HELP);
                        self.diags.push(d);
                    }
                }
            }
            _ => {}
        }
    }

    /// Reports an unknown key; returns the key it is likely a misspelling of.
    fn unknown_key<'f>(
        &mut self,
        key: &Spanned<toml::de::DeString<'_>>,
        fields: &'f BTreeMap<String, usize>,
    ) -> Option<&'f str> {
        let name = key.get_ref().as_ref();
        let d = Diag::error("ipam::parse::unknown_key", format!("unknown key `{name}`"))
            .at(&self.loc(key.span()), "not a key of this table");
        let names: Vec<&str> = fields.keys().map(String::as_str).collect();
        let close = suggest(name, names.iter().copied());
        let d = match close {
            Some(close) => d.help(format!("did you mean `{close}`?")),
            None if names.is_empty() => d.help("this table takes no keys"),
            None => d.help(format!("expected one of {}", quoted(&names))),
        };
        self.diags.push(d);
        close
    }

    fn wrong_type(&mut self, v: &Spanned<DeValue<'_>>, shape: usize) {
        let d = Diag::error(
            "ipam::parse::type",
            format!(
                "invalid type: {}, expected {}",
                unexpected(v.get_ref()),
                self.expected(shape)
            ),
        )
        .at(&self.loc(v.span()), "wrong type")
        .help(SCHEMA_HELP);
        self.diags.push(d);
    }

    /// What a shape takes, in TOML's words.
    fn expected(&self, shape: usize) -> String {
        match &self.shapes.nodes[shape] {
            Shape::String => "a string".into(),
            Shape::Integer => "an integer".into(),
            Shape::Boolean => "true or false".into(),
            Shape::Array(_) => "an array".into(),
            Shape::Map(_) | Shape::Table { .. } => "a table".into(),
            Shape::Enum(variants) => format!("one of {}", quoted(variants)),
            Shape::AnyOf(alternatives) => alternatives
                .iter()
                .map(|&a| self.expected(a))
                .collect::<Vec<_>>()
                .join(" or "),
            Shape::Any => "a value".into(),
        }
    }
}

const SCHEMA_HELP: &str = "see schemas/plan.schema.json (or `ipam schema`) for what each key takes";

/// A value as serde's messages describe it, in TOML's words.
fn unexpected(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("string {:?}", s.as_ref()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => format!("integer `{n}`"),
            Err(_) => format!("integer `{}`", i.as_str()),
        },
        DeValue::Float(f) => format!("floating point `{}`", f.as_str()),
        DeValue::Boolean(b) => format!("boolean `{b}`"),
        DeValue::Datetime(d) => format!("date-time `{d}`"),
        DeValue::Array(_) => "array".into(),
        DeValue::Table(_) => "table".into(),
    }
}

fn quoted<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|n| format!("`{}`", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;
    use crate::config::RawFile;

    /// serde's verdict and the walk's findings for a text the TOML parser reads cleanly.
    fn both(text: &str) -> Option<(Result<RawFile, toml::de::Error>, Vec<Diag>)> {
        let (doc, syntax) = DeTable::parse_recoverable(text);
        if !syntax.is_empty() {
            return None;
        }
        let walk = check(FileId(0), &doc);
        let serde = RawFile::deserialize(toml::de::Deserializer::from(doc));
        Some((serde, walk))
    }

    fn enterprise() -> String {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/enterprise");
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("example")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| std::fs::read_to_string(f).expect("readable"))
            .collect()
    }

    #[test]
    fn every_problem_of_a_file_is_found() {
        let text = "[ipam]\nname = 1\nregions = \"r\"\n[pools.a]\ncidrs = [\"10.0.0.0/8\", 5]\nnetmaks = 1\nalert_at = true\n[pools.b]\nprotect = 1\n[vpcs.v]\nnetmask = 24\n";
        let (serde, walk) = both(text).expect("valid TOML");
        assert!(serde.is_err());
        let mut walk: Vec<(Range<usize>, Diag)> = walk
            .into_iter()
            .map(|d| (d.loc.clone().expect("located").span, d))
            .collect();
        walk.sort_by_key(|(span, _)| span.start);
        let found: Vec<(&str, &str)> = walk
            .iter()
            .map(|(span, d)| (d.code, &text[span.clone()]))
            .collect();
        assert_eq!(
            found,
            vec![
                ("ipam::parse::type", "1"),
                ("ipam::parse::type", "\"r\""),
                ("ipam::parse::type", "5"),
                ("ipam::parse::unknown_key", "netmaks"),
                ("ipam::parse::type", "true"),
                ("ipam::parse::type", "1"),
                ("ipam::parse::type", "[vpcs.v]"),
            ]
        );
        assert_eq!(walk[6].1.message, "missing field `pool`");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// The walk and serde agree: a document serde reads has no findings, and serde's
        /// first objection is among the walk's, at the same place.
        #[test]
        fn the_walk_agrees_with_serde(at in 0.0f64..1.0, cut in 0usize..40, insert in "[a-z0-9./:=\\[\\]{}\", \n-]{0,20}") {
            let text = enterprise();
            let mut start = (text.len() as f64 * at) as usize;
            while !text.is_char_boundary(start) { start -= 1; }
            let mut end = (start + cut).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            let mangled = format!("{}{}{}", &text[..start], insert, &text[end..]);
            if let Some((serde, walk)) = both(&mangled) {
                match serde {
                    Ok(_) => prop_assert!(walk.is_empty(), "{walk:#?}"),
                    Err(e) => prop_assert!(
                        walk.iter().any(|d| d.loc.as_ref().map(|l| l.span.clone()) == e.span()),
                        "serde: {e:?}\nwalk: {walk:#?}"
                    ),
                }
            }
        }
    }
}
