//! `ipam import --bind` (SPEC §18): a recorded VPC without `resource_id` that audit matched
//! by its CIDR alone gets the discovered ID written into its plan entry (`resource_id =
//! "ID"`, comments and layout kept) and into its record, in the same step as an import, so
//! later audits match it by ID and the next plan shows no change.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use toml_edit::{DocumentMut, value};

use crate::audit::report::Report;
use crate::diag::{Diag, Sources};
use crate::model::{AddressRef, Model};

/// A VPC to bind to the ID audit matched it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The VPC's name in the plan.
    pub vpc: String,
    /// The discovered resource ID.
    pub id: String,
    /// The plan file that declares the VPC.
    pub file: PathBuf,
}

/// A VPC matched by CIDR alone that is not bound, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotBound {
    pub vpc: String,
    pub id: String,
    pub reason: String,
}

/// The VPCs of the plan to bind, by name: every managed VPC row matched by CIDR alone whose
/// plan entry has no `resource_id` yet. An ID that another entry already declares is not
/// written twice (the plan would refuse the duplicate); it is reported instead.
pub fn bindings(
    report: &Report,
    model: &Model,
    sources: &Sources,
) -> (Vec<Binding>, Vec<NotBound>) {
    let declared: BTreeMap<&str, &str> = model
        .vpcs
        .iter()
        .filter_map(|v| Some((v.resource_id.as_deref()?, v.name.as_str())))
        .collect();
    // One lookup per matched VPC, not a scan of the plan's VPCs each.
    let by_name: BTreeMap<&str, &crate::model::Vpc> =
        model.vpcs.iter().map(|v| (v.name.as_str(), v)).collect();
    let mut matched: BTreeMap<&str, &str> = BTreeMap::new();
    for row in report.rows().filter(|r| r.matched_by_cidr) {
        if let Some(holder) = row.holder
            && let AddressRef::Vpc(name) = holder.address
        {
            // One ID per VPC: audit holds all of a VPC's blocks by the same one.
            matched.entry(name).or_insert(&row.resource.id);
        }
    }
    let mut bound = Vec::new();
    let mut refused = Vec::new();
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    for (name, id) in matched {
        // Recorded without an ID, declared with one: the next apply records it.
        let Some(vpc) = by_name.get(name) else {
            continue;
        };
        if vpc.resource_id.is_some() {
            continue;
        }
        let other = declared.get(id).copied();
        if let Some(other) = other.filter(|o| *o != name) {
            refused.push(NotBound {
                vpc: name.to_string(),
                id: id.to_string(),
                reason: format!("vpc.{other} declares this resource_id"),
            });
            continue;
        }
        if !taken.insert(id) {
            refused.push(NotBound {
                vpc: name.to_string(),
                id: id.to_string(),
                reason: "another VPC is bound to this ID".into(),
            });
            continue;
        }
        bound.push(Binding {
            vpc: name.to_string(),
            id: id.to_string(),
            file: sources.get(vpc.loc.file).path.clone(),
        });
    }
    (bound, refused)
}

/// `text` (a plan file) with `resource_id = "ID"` set in the entry `[vpcs.NAME]` of each
/// binding, everything else kept byte for byte.
pub fn bound_text(text: &str, file: &str, bindings: &[&Binding]) -> Result<String, Box<Diag>> {
    let cannot = |why: String| {
        Box::new(
            Diag::error(
                "ipam::import::bind",
                format!("cannot bind in {file}: {why}"),
            )
            .help("add `resource_id = \"ID\"` to the entry by hand, then run `ipam apply`"),
        )
    };
    let mut doc: DocumentMut = text.parse().map_err(|e| cannot(format!("{e}")))?;
    for b in bindings {
        let entry = doc
            .get_mut("vpcs")
            .and_then(|vpcs| vpcs.get_mut(&b.vpc))
            .filter(|entry| !entry.is_none())
            .ok_or_else(|| cannot(format!("no entry vpcs.{} in the file", b.vpc)))?;
        if let Some(inline) = entry.as_inline_table_mut() {
            // `{ pool = "eu" }`: the space before `}` moves after the new last value.
            let mut id = toml_edit::Value::from(b.id.as_str());
            if let Some((_, last)) = inline.iter_mut().last() {
                let suffix = last.decor().suffix().cloned();
                last.decor_mut().set_suffix("");
                if let Some(suffix) = suffix {
                    id.decor_mut().set_suffix(suffix);
                }
            }
            inline.insert("resource_id", id);
        } else if let Some(table) = entry.as_table_like_mut() {
            table.insert("resource_id", value(b.id.as_str()));
        } else {
            return Err(cannot(format!("vpcs.{} is not a table", b.vpc)));
        }
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(vpc: &str, id: &str) -> Binding {
        Binding {
            vpc: vpc.into(),
            id: id.into(),
            file: PathBuf::from("ipam.toml"),
        }
    }

    #[test]
    fn writes_the_id_into_tables_and_inline_tables_keeping_the_rest() {
        let text = "# the web tier\n[vpcs.web]\npool = \"eu\" # first fit\n\n\
                    [vpcs.api]\npool = \"eu\"\n\n[pools.x]\ncidrs = []\n";
        let web = binding("web", "vpc-01");
        let out = bound_text(text, "ipam.toml", &[&web]).expect("bound");
        assert_eq!(
            out,
            "# the web tier\n[vpcs.web]\npool = \"eu\" # first fit\nresource_id = \"vpc-01\"\n\n\
             [vpcs.api]\npool = \"eu\"\n\n[pools.x]\ncidrs = []\n"
        );
        let inline = "vpcs.db = { pool = \"eu\" }\n";
        let db = binding("db", "vpc-02");
        assert_eq!(
            bound_text(inline, "ipam.toml", &[&db]).expect("bound"),
            "vpcs.db = { pool = \"eu\", resource_id = \"vpc-02\" }\n"
        );
    }

    #[test]
    fn an_entry_not_in_the_file_is_an_error() {
        let err = bound_text("[vpcs.web]\n", "a.toml", &[&binding("api", "vpc-1")])
            .expect_err("no such entry");
        assert!(err.message.contains("no entry vpcs.api"), "{}", err.message);
    }
}
