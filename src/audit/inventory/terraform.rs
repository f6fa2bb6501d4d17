//! Terraform: a state (`terraform state pull`, version 4) and `terraform show -json` output,
//! of a state (`values`) or of a saved plan (`planned_values`: what will exist once the plan
//! is applied), in the root module and every child module.
//!
//! The network resources of the AWS, Alibaba Cloud, Azure and Google providers are read
//! ([`types`]), managed resources and data sources alike: a data source names a network that
//! exists. Every other resource is listed as skipped with its type, never passed over.

mod config;
mod types;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::doc::{Doc, Object};
use super::json::{get, items, kind_of, text};
use super::{Kind, Sink, not_this_format};
use crate::diag::Diag;
use config::Config;
use types::{Context, Type};

const HELP: &str = "export it with `terraform state pull` or `terraform show -json`";

/// A state (`version` beside its `resources`, `terraform_version` or `lineage`), or
/// `terraform show -json` output (`format_version` beside `values`, `planned_values` or
/// `prior_state`).
pub(super) fn detect(value: &Value) -> bool {
    let Some(map) = value.as_object() else {
        return false;
    };
    let has = |keys: &[&str]| keys.iter().any(|k| map.contains_key(*k));
    (has(&["version"]) && has(&["resources", "terraform_version", "lineage"]))
        || (has(&["format_version"]) && has(&["values", "planned_values", "prior_state"]))
}

/// Reads a state or `terraform show -json` output.
pub(super) fn read(doc: Doc, sink: &mut Sink) -> Result<(), Box<Diag>> {
    let Some(top) = doc.object() else {
        return Err(not_this_format(sink, "terraform", "is not an object", HELP));
    };
    let mut walk = Walk::new(sink);
    if top.get("version").is_none() && top.get("format_version").is_some() {
        read_show(&top, &mut walk)?;
    } else {
        read_state(&top, &mut walk)?;
    }
    walk.finish();
    Ok(())
}

/// Rows of the document so far, and which of them are a VPC's extra blocks.
struct Walk<'s> {
    sink: &'s mut Sink,
    first_row: usize,
    associations: Vec<usize>,
}

impl<'s> Walk<'s> {
    fn new(sink: &'s mut Sink) -> Walk<'s> {
        let first_row = sink.rows.len();
        Walk {
            sink,
            first_row,
            associations: Vec::new(),
        }
    }

    /// The rows of one resource instance.
    fn instance(&mut self, ty: Type, attributes: &Value, position: &str, context: &Context) {
        let before = self.sink.rows.len();
        types::rows(ty, attributes, position, context, self.sink);
        if ty.is_association() {
            self.associations.extend(before..self.sink.rows.len());
        }
    }

    /// A resource of a type ipam does not read, named by its address.
    fn unsupported(&mut self, address: &str, type_name: &str, instances: usize) {
        let count = match instances {
            1 => String::new(),
            n => format!(" ({n} instances)"),
        };
        self.sink.skip(
            address,
            format!("type `{type_name}`{count}: not a network resource ipam reads"),
        );
    }

    fn finish(self) {
        lend_vpc_fields(self.sink, self.first_row, &self.associations);
    }
}

fn read_state(top: &Object, walk: &mut Walk) -> Result<(), Box<Diag>> {
    match top.get("version").map(Doc::value).and_then(|v| v.as_u64()) {
        Some(4) => {}
        Some(v) => {
            return Err(Box::new(
                Diag::error(
                    "ipam::audit::version",
                    format!(
                        "{} is a Terraform state of version {v}; ipam reads version 4",
                        walk.sink.label()
                    ),
                )
                .help(
                    "Terraform 0.12 and later write version 4: run `terraform state pull` \
                     with a current Terraform",
                ),
            ));
        }
        None => {
            return Err(not_this_format(
                walk.sink,
                "terraform",
                "has no state `version`",
                HELP,
            ));
        }
    }
    let Some(resources) = top.get("resources").and_then(Doc::elements) else {
        return Err(not_this_format(
            walk.sink,
            "terraform",
            "has no `resources` list",
            HELP,
        ));
    };
    let none = Context::default();
    for (i, resource) in resources.into_iter().enumerate() {
        let resource = resource.value();
        let position = format!("resources[{i}]");
        if !resource.is_object() {
            walk.sink
                .skip(&position, format!("not a resource: {}", kind_of(&resource)));
            continue;
        }
        let Some(type_name) = text(get(&resource, "type")) else {
            walk.sink.skip(&position, "no `type`");
            continue;
        };
        let name = text(get(&resource, "name")).unwrap_or(position);
        let mut address = format!("{type_name}.{name}");
        if text(get(&resource, "mode")).as_deref() == Some("data") {
            address = format!("data.{address}");
        }
        if let Some(module) = text(get(&resource, "module")) {
            address = format!("{module}.{address}");
        }
        let instances = items(get(&resource, "instances"), &[]);
        let Some(ty) = Type::of(&type_name) else {
            walk.unsupported(&address, &type_name, instances.len());
            continue;
        };
        for (j, instance) in instances.into_iter().enumerate() {
            let position = match get(instance, "index_key") {
                Some(Value::String(key)) => format!("{address}[{key:?}]"),
                Some(Value::Number(n)) => format!("{address}[{n}]"),
                _ if j == 0 => address.clone(),
                _ => format!("{address} (instance {j})"),
            };
            let Some(attributes) = get(instance, "attributes").filter(|a| a.is_object()) else {
                walk.sink.skip(&position, "no `attributes`");
                continue;
            };
            walk.instance(ty, attributes, &position, &none);
        }
    }
    Ok(())
}

/// `terraform show -json`: of a plan, what will exist once it is applied (`planned_values`);
/// of a state, what exists (`values`).
fn read_show(top: &Object, walk: &mut Walk) -> Result<(), Box<Diag>> {
    let (values, plan) = if let Some(planned) = top.get("planned_values") {
        (Some(planned), true)
    } else if let Some(values) = top.get("values") {
        (Some(values), false)
    } else {
        let prior = top.get("prior_state").and_then(Doc::object);
        (prior.and_then(|p| p.get("values")), false)
    };
    let Some(values) = values else {
        return Err(not_this_format(
            walk.sink,
            "terraform",
            "has no `values` or `planned_values`",
            HELP,
        ));
    };
    let config = if plan {
        Config::read(top.get("configuration"))
    } else {
        Config::default()
    };
    let Some(values) = values.object() else {
        return Ok(());
    };
    if let Some(root) = values.get("root_module") {
        module(root, "root_module", &config, walk);
    }
    Ok(())
}

/// The resources of one module, then of its child modules.
fn module(doc: Doc, position: &str, config: &Config, walk: &mut Walk) {
    let Some(this) = doc.object() else {
        walk.sink
            .skip(position, "not a module: its value is not an object");
        return;
    };
    let resources = this
        .get("resources")
        .map(|r| r.items(&[]))
        .unwrap_or_default();
    for (i, resource) in resources.into_iter().enumerate() {
        let resource = resource.value();
        let position = format!("{position}.resources[{i}]");
        let address = text(get(&resource, "address"));
        let entry = address.clone().unwrap_or_else(|| position.clone());
        let Some(type_name) = text(get(&resource, "type")) else {
            walk.sink.skip(&entry, "no `type`");
            continue;
        };
        let Some(ty) = Type::of(&type_name) else {
            walk.unsupported(&entry, &type_name, 1);
            continue;
        };
        let Some(values) = get(&resource, "values").filter(|v| v.is_object()) else {
            walk.sink.skip(&entry, "no `values`");
            continue;
        };
        let context = match &address {
            Some(address) => config.context(address, ty),
            None => Context::default(),
        };
        walk.instance(ty, values, &entry, &context);
    }
    let children = this
        .get("child_modules")
        .map(|c| c.items(&[]))
        .unwrap_or_default();
    for (i, child) in children.into_iter().enumerate() {
        let name = child
            .object()
            .and_then(|c| c.get("address"))
            .and_then(|a| a.value().as_str().map(str::to_string))
            .unwrap_or_else(|| format!("{position}.child_modules[{i}]"));
        module(child, &name, config, walk);
    }
}

/// A VPC's extra blocks come from association resources that know only the VPC's ID: the
/// VPC, when this document holds it, lends them its region, account, tags and name.
fn lend_vpc_fields(sink: &mut Sink, first_row: usize, associations: &[usize]) {
    if associations.is_empty() {
        return;
    }
    let mut vpcs: HashMap<Arc<str>, usize> = HashMap::new();
    for (i, row) in sink.rows.iter().enumerate().skip(first_row) {
        if row.kind == Kind::Vpc && row.primary {
            vpcs.entry(row.id.clone()).or_insert(i);
        }
    }
    for &i in associations {
        let Some(&vpc) = vpcs.get(&sink.rows[i].id) else {
            continue;
        };
        let lender = sink.rows[vpc].clone();
        let row = &mut sink.rows[i];
        row.region = row.region.take().or(lender.region);
        row.account = row.account.take().or(lender.account);
        row.name = row.name.take().or(lender.name);
        if row.tags.is_empty() {
            row.tags = lender.tags;
        }
    }
}
