//! Compliance: the rules of its pool a managed row must keep (see the audit's module
//! documentation, "Compliance").

use super::hold::Target;
use crate::addr::Prefix;
use crate::audit::inventory::{Discovered, Kind};
use crate::model::{Model, Rules};
use crate::state::{PoolRecord, Records, VpcRecord};

/// Who may hold addresses of a pool (SPEC §3 rule 10).
pub(super) struct Owner<'a> {
    model: &'a Model,
    /// The IPAM owner's name and account ID.
    owner: Option<(&'a str, Option<&'a str>)>,
}

impl<'a> Owner<'a> {
    pub(super) fn new(model: &'a Model) -> Owner<'a> {
        let owner = model
            .ipam
            .owner
            .as_deref()
            .map(|o| (o, model.accounts.get(o).map(String::as_str)));
        Owner { model, owner }
    }

    /// Whether `account` (a name or an ID) is the owner or one `pool` is shared with. With
    /// no owner declared, nothing is held against an account.
    fn allowed(&self, account: &str, pool: &PoolRecord) -> bool {
        let Some((name, id)) = self.owner else {
            return true;
        };
        let is = |n: &str, id: Option<&str>| account == n || id == Some(account);
        is(name, id)
            || pool
                .shared_with
                .iter()
                .any(|s| is(s, self.model.accounts.get(s).map(String::as_str)))
    }

    fn describe(&self) -> String {
        match self.owner {
            Some((name, Some(id))) => format!("{name}, {id}"),
            Some((name, None)) => name.to_string(),
            None => String::new(),
        }
    }
}

/// Why a block's size breaks its pool's allocation rules, if it does.
pub(crate) fn outside_rules(pool: &str, rules: Rules, cidr: Prefix) -> Option<String> {
    let len = cidr.prefix_len();
    let bound = |m: Option<u8>| m.map_or("any".to_string(), |m| format!("/{m}"));
    (!rules.admits(len)).then(|| {
        format!(
            "netmask /{len} is outside pool {pool}'s allocation rules ({} to {})",
            bound(rules.min),
            bound(rules.max)
        )
    })
}

/// Every rule of its pool a managed row breaks (see the module documentation,
/// "Compliance").
pub(super) fn broken_rules(
    row: &Discovered,
    target: &Target,
    vpc: &VpcRecord,
    records: &Records,
    owner: &Owner,
) -> Vec<String> {
    let mut reasons = Vec::new();
    let pool_name = target.holder.pool;
    let Some(pool) = records.pools.get(pool_name) else {
        return reasons;
    };
    if row.kind == Kind::Vpc {
        reasons.extend(outside_rules(pool_name, pool.rules(), row.cidr));
        for (key, want) in &pool.required_tags {
            match row.tags.get(key.as_str()) {
                None => reasons.push(format!(
                    "tag {key} = \"{want}\", required by pool {pool_name}, is missing"
                )),
                Some(have) if **have != **want => reasons.push(format!(
                    "tag {key} is \"{}\", but pool {pool_name} requires \"{want}\"",
                    &**have
                )),
                Some(_) => {}
            }
        }
    }
    let expected = vpc.region.as_deref().or(pool.region.as_deref());
    if let (Some(have), Some(want)) = (row.region.as_deref(), expected)
        && have != want
    {
        reasons.push(format!(
            "in region {have}, but the plan puts {} in {want}",
            target.holder.address
        ));
    }
    if let Some(account) = row.account.as_deref()
        && !owner.allowed(account, pool)
    {
        reasons.push(format!(
            "account {account} is neither the IPAM owner ({}) nor an account pool {pool_name} is shared with",
            owner.describe()
        ));
    }
    reasons
}
