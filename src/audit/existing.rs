//! The networks a plan must step around (SPEC §18): every row of an audit that no recorded
//! allocation is (unmanaged, not ignored), in the scope the audit put it in. A row of a VPC
//! the plan already declares by `resource_id` (the VPC itself, or one of its subnets) is not
//! in the way: that entry is the network.

use std::collections::BTreeSet;

use super::report::{Management, Report};
use crate::model::Model;
use crate::plan::{Existing, Network};

pub fn existing(report: &Report, model: &Model) -> Existing {
    let declared: BTreeSet<&str> = model
        .vpcs
        .iter()
        .filter_map(|v| v.resource_id.as_deref())
        .collect();
    Existing::new(
        report
            .rows()
            .filter(|row| row.management == Management::Unmanaged)
            .filter(|row| {
                let r = row.resource;
                !declared.contains(&*r.id)
                    && r.vpc_id.as_deref().is_none_or(|v| !declared.contains(v))
            })
            .map(|row| {
                let r = row.resource;
                (
                    row.scope.to_string(),
                    Network {
                        id: r.id.to_string(),
                        kind: r.kind.as_str().to_string(),
                        cidr: r.cidr,
                        name: r.name.as_deref().map(str::to_string),
                    },
                )
            }),
    )
}
