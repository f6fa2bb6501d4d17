//! The plan file format (SPEC §4) as spanned serde types: every value keeps its byte span so
//! any later stage can point at it. The JSON Schema in `schemas/plan.schema.json` is generated
//! from these types; their doc comments are its descriptions.
//!
//! Values that need checking beyond their TOML type (CIDRs, netmasks, percentages) are read
//! as plain strings and integers and checked in `model`, where a problem becomes a located
//! diagnostic with a help line instead of a serde message. No untagged, internally tagged or
//! flattened serde constructs: they lose spans (CRAFT.md).

use std::collections::BTreeMap;
use std::ops::Range;

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};

/// A value with the byte span it was read from.
#[derive(Debug, Clone)]
pub struct Sp<T> {
    pub value: T,
    pub span: Range<usize>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Sp<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = toml::Spanned::<T>::deserialize(deserializer)?;
        Ok(Sp {
            span: spanned.span(),
            value: spanned.into_inner(),
        })
    }
}

impl<T: PartialEq> PartialEq for Sp<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Sp<T> {}

impl<T: Ord> PartialOrd for Sp<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Ordered by value only, so spanned names can key a map.
impl<T: Ord> Ord for Sp<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.value.cmp(&other.value)
    }
}

impl<T: JsonSchema> JsonSchema for Sp<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
}

/// A table of named entries, e.g. `[pools.NAME]`. Keys keep their spans; file order is
/// recovered from them where it matters (SPEC §5 declaration order).
pub type Named<T> = BTreeMap<Sp<String>, Sp<T>>;

/// A small table of named entries (a VPC's subnets), in a vector sorted by name: a map node
/// keeps room for eleven entries, so 100,000 VPCs with two subnets each would hold 250 MB
/// of empty slots. Reads and writes as a TOML table, like [`Named`].
#[derive(Debug)]
pub struct Entries<T>(Vec<(Sp<String>, Sp<T>)>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<T> Entries<T> {
    /// By name.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Sp<String>, &Sp<T>)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table of named entries")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Entries<T>, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry::<Sp<String>, Sp<T>>()? {
                    entries.push(entry);
                }
                // As a map keeps them: by name, the last of a name (TOML allows none twice).
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                let mut kept: Vec<(Sp<String>, Sp<T>)> = Vec::with_capacity(entries.len());
                for e in entries {
                    match kept.last_mut() {
                        Some(last) if last.0 == e.0 => last.1 = e.1,
                        _ => kept.push(e),
                    }
                }
                Ok(Entries(kept))
            }
        }
        deserializer.deserialize_map(Visit(std::marker::PhantomData))
    }
}

/// The same schema as [`Named`]: users see a table either way.
impl<T: JsonSchema> JsonSchema for Entries<T> {
    fn inline_schema() -> bool {
        <Named<T> as JsonSchema>::inline_schema()
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        <Named<T> as JsonSchema>::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        <Named<T> as JsonSchema>::schema_id()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        <Named<T> as JsonSchema>::json_schema(generator)
    }
}

/// String → string map (tags, required tags).
pub type Tags = BTreeMap<Sp<String>, Sp<String>>;

/// One plan file. A plan is one file or a directory of them; every section may appear in
/// any file, and names are global across files.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ipam plan file")]
pub struct RawFile {
    /// The IPAM itself. Exactly one file of the plan has this table.
    pub ipam: Option<Sp<RawIpam>>,
    /// Accounts by name: `payments = "123456789012"`. Owners and `shared_with` name these.
    #[serde(default)]
    pub accounts: Tags,
    /// Custom private scopes: independent address spaces that may overlap `private`.
    /// `private` and `public` always exist.
    #[serde(default)]
    pub scopes: Named<RawScope>,
    /// Address pools. A top-level pool is provisioned with `cidrs`; a sub-pool names a
    /// `parent` and is provisioned with `cidrs` inside it or with a `netmask` carved from it.
    #[serde(default)]
    pub pools: Named<RawPool>,
    /// Layouts: pools generated level by level inside a parent (region → line of business →
    /// environment), each level's block size set by its number of slots.
    #[serde(default)]
    pub layouts: Named<RawLayout>,
    /// VPC allocations.
    #[serde(default)]
    pub vpcs: Named<RawVpc>,
    /// Reservations (custom allocations): blocks held in a pool for something outside the
    /// cloud, so that nothing else is allocated there.
    #[serde(default)]
    pub reservations: Named<RawReservation>,
    /// Renames, applied to the recorded state instead of a destroy and create.
    #[serde(default)]
    pub moved: Vec<Sp<RawMoved>>,
    /// Teams: principal accounts whose changes arrive as files of their own. A file that
    /// a team's `paths` match is that team's; every other file is the IPAM owner's. Only
    /// the IPAM owner's files may declare teams.
    #[serde(default)]
    pub teams: Named<RawTeam>,
    /// Audit settings.
    pub audit: Option<Sp<RawAudit>>,
    /// Where the state lives, for a plan whose state is shared (a team's database): used
    /// when neither `--state` nor `IPAM_STATE` gives one.
    pub state: Option<Sp<RawState>>,
}

/// The IPAM: one per plan.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIpam {
    /// Name of the IPAM.
    pub name: Sp<String>,
    /// Operating regions; the first is the managed region. Pool and VPC regions must be
    /// among these.
    pub regions: Sp<Vec<Sp<String>>>,
    /// The account (a name from `[accounts]`) that owns every pool. Allocations are owned
    /// by it unless they name another owner that the pool is shared with.
    pub owner: Option<Sp<String>>,
    /// Provider profile setting limits: `none` (default), `alicloud` or `aws`.
    pub profile: Option<Sp<ProfileName>>,
    /// Files below the plan directory that are not plan files (they belong to other tools):
    /// glob patterns relative to the plan directory. `*` and `?` match within one path
    /// segment, `**` across segments; a pattern naming a directory excludes everything
    /// below it. `taplo.toml` and `.taplo.toml` are always excluded; the file holding this
    /// table never is.
    #[serde(default)]
    pub exclude: Vec<Sp<String>>,
    /// Free text.
    pub description: Option<Sp<String>>,
}

/// A provider profile: the limits of a cloud's IPAM and VPC service, checked before
/// anything is allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProfileName {
    /// No provider limits.
    None,
    /// Alibaba Cloud VPC IPAM limits.
    Alicloud,
    /// AWS VPC IPAM limits.
    Aws,
}

/// A custom private scope.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScope {
    /// Free text.
    pub description: Option<Sp<String>>,
}

/// Allocation rules of a pool, as in the cloud IPAMs: the netmask of any VPC or reservation taken from
/// it must lie in `[min_netmask, max_netmask]`; `default_netmask` is used when none is given.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRules {
    /// Shortest allowed prefix length (largest block).
    pub min_netmask: Option<Sp<i64>>,
    /// Longest allowed prefix length (smallest block).
    pub max_netmask: Option<Sp<i64>>,
    /// Prefix length used when an allocation gives none.
    pub default_netmask: Option<Sp<i64>>,
}

/// Declares a struct with the attributes every pool can carry (declared pools, layout
/// levels, layout leaves), so the three stay in step and the model reads them one way.
macro_rules! with_pool_attrs {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// Allocation rules for VPCs and reservations taken from this pool.
            pub allocation: Option<Sp<RawRules>>,
            /// Tags every VPC allocated from this pool must carry, with these values.
            #[serde(default)]
            pub required_tags: Tags,
            /// Adopt discovered VPCs inside this pool (`ipam import`). Needs a region.
            pub auto_import: Option<Sp<bool>>,
            /// Accounts (names from `[accounts]`) that may allocate from this pool.
            pub shared_with: Option<Sp<Vec<Sp<String>>>>,
            /// Utilization threshold in percent; above it `show` flags the pool and
            /// `check` fails.
            pub alert_at: Option<Sp<i64>>,
            /// Refuse any plan that would destroy this pool.
            pub protect: Option<Sp<bool>>,
            /// Free text.
            pub description: Option<Sp<String>>,
            /// Tags of the pool itself.
            #[serde(default)]
            pub tags: Tags,
        }

        impl $name {
            pub fn attrs(&self) -> PoolAttrs<'_> {
                PoolAttrs {
                    allocation: self.allocation.as_ref(),
                    required_tags: &self.required_tags,
                    auto_import: self.auto_import.as_ref(),
                    shared_with: self.shared_with.as_ref(),
                    alert_at: self.alert_at.as_ref(),
                    protect: self.protect.as_ref(),
                    description: self.description.as_ref(),
                    tags: &self.tags,
                }
            }
        }
    };
}

/// The pool attributes of any of the three pool-bearing tables, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct PoolAttrs<'a> {
    pub allocation: Option<&'a Sp<RawRules>>,
    pub required_tags: &'a Tags,
    pub auto_import: Option<&'a Sp<bool>>,
    pub shared_with: Option<&'a Sp<Vec<Sp<String>>>>,
    pub alert_at: Option<&'a Sp<i64>>,
    pub protect: Option<&'a Sp<bool>>,
    pub description: Option<&'a Sp<String>>,
    pub tags: &'a Tags,
}

with_pool_attrs! {
    /// An address pool.
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RawPool {
        /// Scope of a top-level pool (default `private`). Sub-pools take their parent's.
        pub scope: Option<Sp<String>>,
        /// The pool this one is carved from.
        pub parent: Option<Sp<String>>,
        /// Provisioned CIDRs: required for a top-level pool; for a sub-pool, blocks inside
        /// the parent (or give `netmask` instead).
        pub cidrs: Option<Sp<Vec<Sp<String>>>>,
        /// For a sub-pool: carve one block of this prefix length from the parent, first fit.
        pub netmask: Option<Sp<i64>>,
        /// Region of the pool, inherited by its sub-pools and allocations.
        pub region: Option<Sp<String>>,
    }
}

/// A generated hierarchy of pools: each level divides every block of the level above into
/// `slots` equal blocks.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLayout {
    /// The pool the layout is generated in; it must have exactly one CIDR.
    pub parent: Sp<String>,
    /// Levels from the top down. Each level's block is the level above's prefix length
    /// plus ⌈log2(slots)⌉.
    pub levels: Sp<Vec<Sp<RawLevel>>>,
    /// Attributes of the pools of the last level.
    pub leaf: Option<Sp<RawLeaf>>,
}

with_pool_attrs! {
    /// One level of a layout.
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RawLevel {
        /// Number of slots this level divides each block above into (rounded up to a
        /// power of two). Unnamed slots are held for growth.
        pub slots: Sp<i64>,
        /// Names of the used slots: the i-th name takes the i-th slot, or
        /// `{ name = "x", slot = 5 }` takes slot 5 (counting from 0);
        /// `{ name = "x", shared_with = ["acct"] }` also shares that slot's pool and
        /// every pool generated below it.
        pub names: Sp<Vec<Sp<LevelName>>>,
        /// Set each generated pool's region to its name.
        pub region: Option<Sp<bool>>,
    }
}

with_pool_attrs! {
    /// Attributes of a layout's leaf pools.
    #[derive(Debug, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RawLeaf {}
}

/// A layout slot name: `"prod"`, or `{ name = "prod", slot = 2 }` to take a given slot,
/// or `{ name = "payments", shared_with = ["payments"] }` to share the pool of that slot and
/// every pool the layout generates below it.
#[derive(Debug, Clone)]
pub struct LevelName {
    pub name: Sp<String>,
    pub slot: Option<Sp<i64>>,
    pub shared_with: Option<Sp<Vec<Sp<String>>>>,
}

/// The table form of a [`LevelName`].
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SlotName {
    /// The slot's name: a segment of the generated pool's name.
    name: Sp<String>,
    /// The slot this name takes, counting from 0 (default: its position in `names`).
    slot: Option<Sp<i64>>,
    /// Accounts (names from `[accounts]`) the pool of this slot, and every pool the layout
    /// generates below it, is shared with, besides the level's and the leaf's
    /// `shared_with`: how one line of business's block is shared with its account.
    shared_with: Option<Sp<Vec<Sp<String>>>>,
}

impl<'de> Deserialize<'de> for LevelName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = LevelName;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a name or a table `{ name = \"…\", slot = N }`")
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<LevelName, E> {
                // The enclosing `Sp` carries the span; the name's own is not known here.
                Ok(LevelName {
                    name: Sp {
                        value: name.to_owned(),
                        span: 0..0,
                    },
                    slot: None,
                    shared_with: None,
                })
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<LevelName, A::Error> {
                let table =
                    SlotName::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(LevelName {
                    name: table.name,
                    slot: table.slot,
                    shared_with: table.shared_with,
                })
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl JsonSchema for LevelName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LevelName".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let table = generator.subschema_for::<SlotName>();
        schemars::json_schema!({
            "description": "A slot name, or a table naming the slot explicitly.",
            "anyOf": [{ "type": "string" }, table]
        })
    }
}

/// A VPC allocation.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawVpc {
    /// Pool the primary CIDR is taken from.
    pub pool: Sp<String>,
    /// Prefix length of the primary CIDR (default: the pool's `default_netmask`).
    pub netmask: Option<Sp<i64>>,
    /// An explicit primary CIDR inside the pool, instead of a netmask.
    pub cidr: Option<Sp<String>>,
    /// Owning account (default: the IPAM owner); must be the owner or in the pool's
    /// `shared_with`.
    pub owner: Option<Sp<String>>,
    /// Region; must equal the pool's region when the pool has one.
    pub region: Option<Sp<String>>,
    /// Tags; must include the pool's `required_tags`.
    #[serde(default)]
    pub tags: Tags,
    /// The cloud's ID of this VPC (e.g. `vpc-0e98…`), used by audit to match.
    pub resource_id: Option<Sp<String>>,
    /// Secondary CIDRs, each from a pool.
    #[serde(default)]
    pub secondary: Vec<Sp<RawBlock>>,
    /// An IPv6 block from an IPv6 pool.
    pub ipv6: Option<Sp<RawBlock>>,
    /// Subnets (vSwitches) carved from the VPC's primary CIDR.
    #[serde(default)]
    pub subnets: Entries<RawSubnet>,
    /// Refuse any plan that would destroy this VPC.
    pub protect: Option<Sp<bool>>,
    /// Free text.
    pub description: Option<Sp<String>>,
}

/// A block taken from a pool: by `netmask`, by explicit `cidr`, or (neither) by the pool's
/// `default_netmask`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBlock {
    /// Pool the block is taken from.
    pub pool: Sp<String>,
    /// Prefix length to allocate.
    pub netmask: Option<Sp<i64>>,
    /// Explicit block inside the pool.
    pub cidr: Option<Sp<String>>,
}

/// A subnet (vSwitch) inside a VPC's primary CIDR.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSubnet {
    /// Prefix length, carved first fit from the VPC's primary CIDR.
    pub netmask: Option<Sp<i64>>,
    /// An explicit block inside the VPC's primary CIDR, instead of a netmask.
    pub cidr: Option<Sp<String>>,
    /// Availability zone.
    pub zone: Option<Sp<String>>,
    /// Tags.
    #[serde(default)]
    pub tags: Tags,
    /// Free text.
    pub description: Option<Sp<String>>,
}

/// A reservation: a block held in a pool for something outside the cloud.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReservation {
    /// Pool the block is held in.
    pub pool: Sp<String>,
    /// The block, explicitly.
    pub cidr: Option<Sp<String>>,
    /// Or a prefix length, first fit (default: the pool's `default_netmask`).
    pub netmask: Option<Sp<i64>>,
    /// Refuse any plan that would destroy this reservation.
    pub protect: Option<Sp<bool>>,
    /// Free text.
    pub description: Option<Sp<String>>,
    /// Tags.
    #[serde(default)]
    pub tags: Tags,
}

/// A team: the files of one principal account. A team's file may declare only VPCs and
/// reservations in pools shared with the team's account (owned by that account), and
/// `[[moved]]` of its own resources, as AWS and Alibaba Cloud IPAM allow a principal account
/// on a shared pool.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTeam {
    /// The team's account, a name from `[accounts]`: the owner of every VPC in the team's
    /// files. Not the IPAM owner, and not another team's.
    pub account: Sp<String>,
    /// The team's files: glob patterns relative to the plan directory, as in
    /// `[ipam] exclude` (`*` and `?` within one path segment, `**` across segments; a
    /// pattern naming a directory takes everything below it). Each must match at least one
    /// plan file, and no file may be matched by two teams.
    pub paths: Sp<Vec<Sp<String>>>,
    /// Free text.
    pub description: Option<Sp<String>>,
}

/// A rename: `from` and `to` are resource addresses such as `vpc.old` and `vpc.new`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMoved {
    /// The old address.
    pub from: Sp<String>,
    /// The new address.
    pub to: Sp<String>,
}

/// Where the state lives.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawState {
    /// A state file (relative to the plan directory), or a PostgreSQL database:
    /// `postgres://USER@HOST[:PORT]/DBNAME[?sslmode=…]`. Never a password: it comes from
    /// `PGPASSWORD` or `~/.pgpass`.
    pub url: Sp<String>,
}

/// Audit settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    /// Resource IDs that audit leaves out (management status `ignored`).
    #[serde(default)]
    pub ignore: Vec<Sp<String>>,
}
