//! `[[moved]]` (SPEC §6): a recorded resource takes a new name, and everything that refers
//! to it follows, with no replace.

use crate::model::Address;
use crate::state::Records;

/// Why a rename cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenameError {
    #[error("`{0}` is not recorded")]
    NotRecorded(Address),
    #[error("`vpc.{vpc}` is not recorded, so `{to}` cannot be")]
    NoVpc { vpc: String, to: Address },
    #[error("`{from}` and `{to}` are different kinds of resource")]
    Kinds { from: Address, to: Address },
}

/// Renames a recorded resource, updating what refers to it.
pub fn rename(records: &mut Records, from: &Address, to: &Address) -> Result<(), RenameError> {
    let missing = || RenameError::NotRecorded(from.clone());
    match (from, to) {
        (Address::Scope(a), Address::Scope(b)) => {
            let r = records.scopes.remove(a).ok_or_else(missing)?;
            records.scopes.insert(b.clone(), r);
            for p in records.pools.values_mut().filter(|p| p.scope == *a) {
                p.scope.clone_from(b);
            }
        }
        (Address::Pool(a), Address::Pool(b)) => {
            let r = records.pools.remove(a).ok_or_else(missing)?;
            records.pools.insert(b.clone(), r);
            for p in records.pools.values_mut() {
                if p.parent.as_ref() == Some(a) {
                    p.parent = Some(b.clone());
                }
            }
            for v in records.vpcs.values_mut() {
                if v.pool == *a {
                    v.pool.clone_from(b);
                }
                for block in v.secondary.iter_mut().chain(&mut v.ipv6) {
                    if block.pool == *a {
                        block.pool.clone_from(b);
                    }
                }
            }
            for r in records.reservations.values_mut().filter(|r| r.pool == *a) {
                r.pool.clone_from(b);
            }
        }
        (Address::Vpc(a), Address::Vpc(b)) => {
            let r = records.vpcs.remove(a).ok_or_else(missing)?;
            records.vpcs.insert(b.clone(), r);
        }
        (Address::Subnet(va, a), Address::Subnet(vb, b)) => {
            if !records.vpcs.contains_key(vb) {
                return Err(RenameError::NoVpc {
                    vpc: vb.clone(),
                    to: to.clone(),
                });
            }
            let r = records
                .vpcs
                .get_mut(va)
                .and_then(|v| v.subnets.remove(a))
                .ok_or_else(missing)?;
            if let Some(v) = records.vpcs.get_mut(vb) {
                v.subnets.insert(b.clone(), r);
            }
        }
        (Address::Reservation(a), Address::Reservation(b)) => {
            let r = records.reservations.remove(a).ok_or_else(missing)?;
            records.reservations.insert(b.clone(), r);
        }
        _ => {
            return Err(RenameError::Kinds {
                from: from.clone(),
                to: to.clone(),
            });
        }
    }
    Ok(())
}
