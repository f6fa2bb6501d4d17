//! A plan as data (SPEC §6): one [`Change`] per resource, each an [`Action`] with the
//! resource's recorded and desired [`Record`]s and, for a replace or a delete, a [`Reason`].
//!
//! As in Terraform's plans, the reason explains; it never decides. Apply reads the actions and
//! the desired records, never the reason, which is display only.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::addr::Prefix;
use crate::model::Address;
use crate::state::{PoolRecord, ReservationRecord, ScopeRecord, SubnetRecord, VpcRecord};

/// What a plan does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    /// Delete, then create.
    Replace,
    Delete,
    /// Renamed by `[[moved]]`, nothing else.
    Move,
}

impl Action {
    /// Terraform's `actions` list.
    pub fn actions(self) -> &'static [&'static str] {
        match self {
            Action::Create => &["create"],
            Action::Update => &["update"],
            Action::Replace => &["delete", "create"],
            Action::Delete => &["delete"],
            Action::Move => &["no-op"],
        }
    }

    /// The marker in human output.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Move => "→",
        }
    }

    /// Whether the resource (as it is) is destroyed.
    pub fn destroys(self) -> bool {
        matches!(self, Action::Replace | Action::Delete)
    }
}

/// One resource's record, as the state holds it. A VPC's is without its subnets, which are
/// resources of their own. The large ones are boxed: a plan of 300,000 changes holds two
/// records each, and most are subnets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Record {
    Scope(ScopeRecord),
    Pool(Box<PoolRecord>),
    Vpc(Box<VpcRecord>),
    Subnet(SubnetRecord),
    Reservation(ReservationRecord),
}

impl Record {
    /// A VPC as a resource: its record without its subnets.
    pub fn vpc(v: &VpcRecord) -> Record {
        // Field by field: cloning the record whole would copy its subnets only to drop them.
        Record::Vpc(Box::new(VpcRecord {
            pool: v.pool.clone(),
            cidr: v.cidr,
            secondary: v.secondary.clone(),
            ipv6: v.ipv6.clone(),
            owner: v.owner.clone(),
            region: v.region.clone(),
            resource_id: v.resource_id.clone(),
            protect: v.protect,
            description: v.description.clone(),
            tags: v.tags.clone(),
            subnets: Default::default(),
        }))
    }

    /// Whether the record is marked `protect = true`.
    pub fn protect(&self) -> bool {
        match self {
            Record::Pool(p) => p.protect,
            Record::Vpc(v) => v.protect,
            Record::Reservation(r) => r.protect,
            Record::Scope(_) | Record::Subnet(_) => false,
        }
    }

    /// The record as the JSON plan and the state file show it.
    pub fn to_json(&self) -> serde_json::Value {
        let value = match self {
            Record::Scope(r) => serde_json::to_value(r),
            Record::Pool(r) => serde_json::to_value(r),
            Record::Vpc(r) => serde_json::to_value(r),
            Record::Subnet(r) => serde_json::to_value(r),
            Record::Reservation(r) => serde_json::to_value(r),
        };
        value.unwrap_or(serde_json::Value::Null)
    }
}

/// Why a resource is replaced or deleted. Display only: apply never reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reason {
    /// Deleted: no longer declared.
    Gone,
    /// A pool moves to another scope.
    Scope { from: String, to: String },
    /// A pool gets another parent (`None`: top level).
    Parent {
        from: Option<String>,
        to: Option<String>,
    },
    /// A pool changes IP version.
    IpVersion { from: u8, to: u8 },
    /// A pool's parent pool is replaced.
    ParentReplaced(String),
    /// A pool is now carved by netmask instead of given CIDRs.
    NowCarved,
    /// A block moves to another pool.
    Pool { from: String, to: String },
    /// A block changes size.
    Netmask { from: u8, to: u8 },
    /// A block changes address.
    Cidr { from: Prefix, to: Prefix },
    /// A subnet moves to another zone (a vSwitch cannot change zone).
    Zone {
        from: Option<String>,
        to: Option<String>,
    },
    /// The pool a block is taken from is replaced.
    PoolReplaced(String),
    /// The VPC a subnet is carved from is replaced.
    VpcReplaced(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pool = |p: &Option<String>| p.as_ref().map_or("none".into(), |p| format!("pool.{p}"));
        let zone = |z: &Option<String>| z.clone().unwrap_or_else(|| "none".into());
        match self {
            Reason::Gone => write!(f, "no longer in the plan"),
            Reason::Scope { from, to } => write!(f, "scope changes from {from} to {to}"),
            Reason::Parent { from, to } => {
                write!(f, "parent changes from {} to {}", pool(from), pool(to))
            }
            Reason::IpVersion { from, to } => write!(f, "IP version changes from {from} to {to}"),
            Reason::ParentReplaced(p) => write!(f, "parent pool.{p} is replaced"),
            Reason::NowCarved => {
                write!(f, "carved from its parent by netmask instead of its CIDRs")
            }
            Reason::Pool { from, to } => write!(f, "pool changes from pool.{from} to pool.{to}"),
            Reason::Netmask { from, to } => write!(f, "netmask changes from /{from} to /{to}"),
            Reason::Cidr { from, to } => write!(f, "CIDR changes from {from} to {to}"),
            Reason::Zone { from, to } => {
                write!(f, "zone changes from {} to {}", zone(from), zone(to))
            }
            Reason::PoolReplaced(p) => write!(f, "pool.{p} is replaced"),
            Reason::VpcReplaced(v) => write!(f, "vpc.{v} is replaced"),
        }
    }
}

/// Whose files a change belongs to, in a plan that declares teams (SPEC §16). Display only.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TeamTag {
    /// The IPAM owner's files (every file no team's paths match).
    Owner,
    /// A team's files.
    Team(String),
}

impl fmt::Display for TeamTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TeamTag::Owner => write!(f, "IPAM owner"),
            TeamTag::Team(t) => write!(f, "{t}"),
        }
    }
}

/// A VPC whose owner account moves to another team's (a declaration moved from one team's
/// file to another's): the teams of the recorded and of the new owner account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamChange {
    pub from: TeamTag,
    pub to: TeamTag,
}

/// One change of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub address: Address,
    pub previous_address: Option<Address>,
    pub action: Action,
    /// The recorded resource; `None` for a create.
    pub before: Option<Record>,
    /// The resource after apply, every CIDR concrete; `None` for a delete.
    pub after: Option<Record>,
    /// Why a resource is replaced or deleted: display only.
    pub reason: Option<Reason>,
    /// In a plan that declares teams: the team whose file declares the resource (for a
    /// delete, the team of the recorded owner account); `None` without teams. Display only:
    /// apply never reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<TeamTag>,
    /// A VPC moved between teams: the teams of its recorded and its new owner account.
    /// Display only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_change: Option<TeamChange>,
}

/// Addresses are their text (`vpc.checkout`) in saved plans.
impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        let text = String::deserialize(d)?;
        Address::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not an address")))
    }
}
