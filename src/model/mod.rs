//! The validated model: a [`RawPlan`](crate::config::RawPlan) with names resolved, layouts
//! expanded, inheritance applied (scope, IP version, region) and every rule of SPEC §3 that
//! needs no placement checked. Placement (concrete CIDRs for `netmask` requests) needs the
//! recorded state and belongs to planning.
//!
//! Everything here is in declaration order (files in path order, entries in file order),
//! which is the order SPEC §5 allocates netmask requests in; pools are additionally sorted
//! parents first.

mod allocations;
pub mod association;
mod build;
mod context;
mod draft;
mod explicit;
mod ipam;
mod layout;
pub mod limits;
mod moved;
mod pools;
mod profile;
mod provider;
mod teams;

use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use build::build;
pub use profile::Profile;

use crate::addr::{Family, Prefix};
use crate::diag::{FileId, Loc};

/// Index into [`Model::pools`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolId(pub usize);

/// Index into [`Model::teams`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TeamId(pub usize);

/// Index into [`Model::scopes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScopeId(pub usize);

#[derive(Debug, Clone)]
pub struct Model {
    pub ipam: Ipam,
    /// Account name → ID.
    pub accounts: BTreeMap<String, String>,
    /// `private`, `public`, then custom scopes in declaration order.
    pub scopes: Vec<Scope>,
    /// Parents before children; otherwise declaration order.
    pub pools: Vec<Pool>,
    pub vpcs: Vec<Vpc>,
    pub reservations: Vec<Reservation>,
    pub moved: Vec<Moved>,
    /// Resource IDs that audit leaves out.
    pub audit_ignore: BTreeSet<String>,
    /// Teams by name; empty when the plan declares none (everything is the IPAM owner's).
    pub teams: Vec<Team>,
    /// Files that declare what only the IPAM owner may (`[ipam]`, `[teams]`, accounts,
    /// scopes, pools, layouts, `[audit]`), in path order.
    pub frame_files: Vec<FileId>,
    /// Lookup only, never iterated.
    pool_index: HashMap<String, PoolId>,
    /// Account name → the team of that account. Lookup only.
    team_index: HashMap<String, TeamId>,
    /// The team of each team file; the IPAM owner's files are not listed.
    file_team: BTreeMap<FileId, TeamId>,
}

impl Model {
    pub fn pool(&self, id: PoolId) -> &Pool {
        &self.pools[id.0]
    }

    pub fn pool_id(&self, name: &str) -> Option<PoolId> {
        self.pool_index.get(name).copied()
    }

    pub fn team(&self, id: TeamId) -> &Team {
        &self.teams[id.0]
    }

    /// The team whose file this is; `None` for the IPAM owner's files.
    pub fn team_of_file(&self, file: FileId) -> Option<TeamId> {
        self.file_team.get(&file).copied()
    }

    /// The team whose account this is (each team has its own account).
    pub fn team_of_account(&self, account: &str) -> Option<TeamId> {
        self.team_index.get(account).copied()
    }

    /// The chain of ancestors of a pool, nearest first.
    pub fn ancestors(&self, id: PoolId) -> impl Iterator<Item = PoolId> + '_ {
        std::iter::successors(self.pool(id).parent, |p| self.pool(*p).parent)
    }
}

#[derive(Debug, Clone)]
pub struct Ipam {
    pub name: String,
    pub regions: Vec<String>,
    /// Account name of the owner of every pool.
    pub owner: Option<String>,
    pub profile: Profile,
    pub description: Option<String>,
}

/// A team (SPEC §16): a principal account whose changes arrive as files of its own.
#[derive(Debug, Clone)]
pub struct Team {
    pub name: String,
    /// Account name: the owner of everything the team's files declare.
    pub account: String,
    /// Glob patterns relative to the plan directory, as written, each where it is.
    pub paths: Vec<(String, Loc)>,
    /// The files the patterns match, in path order (at least one).
    pub files: Vec<FileId>,
    pub description: Option<String>,
    /// The team's name in its table header.
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Scope {
    pub name: String,
    pub description: Option<String>,
    /// `None` for the built-in scopes.
    pub loc: Option<Loc>,
}

/// How a pool gets its space.
#[derive(Debug, Clone)]
pub enum Provision {
    /// Explicit blocks (a top-level pool, a sub-pool with `cidrs`, a layout slot).
    Cidrs(Vec<(Prefix, Loc)>),
    /// One block of this prefix length carved from the parent, first fit.
    Netmask(u8, Loc),
}

/// Allocation rules (SPEC §3 rule 7), already checked to be ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub min: Option<u8>,
    pub max: Option<u8>,
    pub default: Option<u8>,
}

impl Rules {
    /// No rules: any size.
    pub const NONE: Rules = Rules {
        min: None,
        max: None,
        default: None,
    };

    /// Whether a block of this prefix length is within `min`..`max`.
    pub fn admits(&self, len: u8) -> bool {
        self.min.is_none_or(|m| len >= m) && self.max.is_none_or(|m| len <= m)
    }
}

/// Where a pool came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Declared,
    /// Generated by a layout, at this slot of its parent's block.
    Layout {
        layout: String,
        slot: u64,
    },
}

#[derive(Debug, Clone)]
pub struct Pool {
    pub name: String,
    /// The pool's name in its table header, or its slot name in a layout.
    pub loc: Loc,
    pub origin: Origin,
    pub scope: ScopeId,
    pub parent: Option<PoolId>,
    pub provision: Provision,
    pub family: Family,
    /// Own or inherited region.
    pub region: Option<String>,
    pub rules: Rules,
    pub required_tags: BTreeMap<String, String>,
    pub auto_import: bool,
    pub shared_with: BTreeSet<String>,
    /// Utilization threshold, percent.
    pub alert_at: Option<u8>,
    pub protect: bool,
    pub description: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Layout slots of this pool left unnamed: held for growth, never allocated. Located at
    /// the layout's `parent` key.
    pub held: Vec<(Prefix, Loc)>,
    /// 1 for a top-level pool.
    pub depth: usize,
}

impl Pool {
    /// The prefix length of the pool's largest block, when known before placement.
    pub fn widest_len(&self) -> u8 {
        match &self.provision {
            Provision::Cidrs(cidrs) => cidrs
                .iter()
                .map(|(c, _)| c.prefix_len())
                .min()
                .unwrap_or(self.family.bits()),
            Provision::Netmask(n, _) => *n,
        }
    }
}

/// What a block asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// This exact block.
    Cidr(Prefix),
    /// The lowest free block of this length.
    Netmask(u8),
}

impl Request {
    pub fn prefix_len(&self) -> u8 {
        match self {
            Request::Cidr(c) => c.prefix_len(),
            Request::Netmask(n) => *n,
        }
    }
}

/// A block taken from a pool.
#[derive(Debug, Clone)]
pub struct Block {
    pub pool: PoolId,
    pub request: Request,
    /// The netmask is the pool's `default_netmask`, not written on the block: a recorded
    /// block of another size that the pool's rules still allow is kept (SPEC §6).
    pub defaulted: bool,
    /// The request (`cidr`/`netmask` value), or the `pool` key when the default is used.
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct Vpc {
    pub name: String,
    pub loc: Loc,
    pub primary: Block,
    pub secondary: Vec<Block>,
    pub ipv6: Option<Block>,
    pub subnets: Vec<Subnet>,
    /// Account name: as written, else the team's account in a team's file, else the IPAM
    /// owner.
    pub owner: Option<String>,
    /// The team whose file declares the VPC; `None` in the IPAM owner's files.
    pub team: Option<TeamId>,
    /// Own or the primary pool's region.
    pub region: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub resource_id: Option<String>,
    pub protect: bool,
    pub description: Option<String>,
}

impl Vpc {
    /// Primary, then secondaries in list order, then the IPv6 block (SPEC §5 order).
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        std::iter::once(&self.primary)
            .chain(&self.secondary)
            .chain(&self.ipv6)
    }
}

#[derive(Debug, Clone)]
pub struct Subnet {
    pub name: String,
    pub loc: Loc,
    pub request: Request,
    pub request_loc: Loc,
    pub zone: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Reservation {
    pub name: String,
    pub loc: Loc,
    pub block: Block,
    /// The team whose file declares the reservation; `None` in the IPAM owner's files.
    pub team: Option<TeamId>,
    pub protect: bool,
    pub description: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// A resource address (SPEC §6).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Address {
    Scope(String),
    Pool(String),
    Vpc(String),
    Subnet(String, String),
    Reservation(String),
}

impl Address {
    /// Parses `scope.NAME`, `pool.NAME`, `vpc.NAME`, `vpc.NAME.subnet.S`,
    /// `reservation.NAME`. Pool names may contain dots and slashes; VPC names with dots are
    /// read as a subnet address only when the `.subnet.` part is present.
    pub fn parse(text: &str) -> Option<Address> {
        let (kind, name) = text.split_once('.')?;
        if name.is_empty() {
            return None;
        }
        match kind {
            "scope" => Some(Address::Scope(name.into())),
            "pool" => Some(Address::Pool(name.into())),
            "reservation" => Some(Address::Reservation(name.into())),
            "vpc" => match name.rsplit_once(".subnet.") {
                Some((vpc, subnet)) if !vpc.is_empty() && !subnet.is_empty() => {
                    Some(Address::Subnet(vpc.into(), subnet.into()))
                }
                _ => Some(Address::Vpc(name.into())),
            },
            _ => None,
        }
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        AddressRef::from(self).fmt(f)
    }
}

/// A resource address over names held elsewhere: for the lookups and messages of large
/// plans and states, which should not allocate a string per resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddressRef<'a> {
    Scope(&'a str),
    Pool(&'a str),
    Vpc(&'a str),
    Subnet(&'a str, &'a str),
    Reservation(&'a str),
}

impl<'a> From<&'a Address> for AddressRef<'a> {
    fn from(a: &'a Address) -> AddressRef<'a> {
        match a {
            Address::Scope(n) => AddressRef::Scope(n),
            Address::Pool(n) => AddressRef::Pool(n),
            Address::Vpc(n) => AddressRef::Vpc(n),
            Address::Subnet(v, s) => AddressRef::Subnet(v, s),
            Address::Reservation(n) => AddressRef::Reservation(n),
        }
    }
}

impl std::fmt::Display for AddressRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddressRef::Scope(n) => write!(f, "scope.{n}"),
            AddressRef::Pool(n) => write!(f, "pool.{n}"),
            AddressRef::Vpc(n) => write!(f, "vpc.{n}"),
            AddressRef::Subnet(v, s) => write!(f, "vpc.{v}.subnet.{s}"),
            AddressRef::Reservation(n) => write!(f, "reservation.{n}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Moved {
    pub from: Address,
    pub to: Address,
    pub loc: Loc,
    /// The team whose file holds the block: it may rename only what its account owns.
    pub team: Option<TeamId>,
}

#[cfg(test)]
mod tests {
    use super::Address;

    #[test]
    fn addresses_round_trip() {
        for text in [
            "scope.company-b",
            "pool.corp/cn-hangzhou/payments/prod",
            "vpc.checkout",
            "vpc.checkout.subnet.a",
            "reservation.dc",
        ] {
            let a = Address::parse(text).expect("valid");
            assert_eq!(a.to_string(), text);
        }
        assert_eq!(
            Address::parse("vpc.x.subnet.y"),
            Some(Address::Subnet("x".into(), "y".into()))
        );
        for bad in ["vpc", "vpc.", "thing.x", "pools.x"] {
            assert_eq!(Address::parse(bad), None, "{bad}");
        }
    }
}
