//! The records of a state: every resource apply has created, by kind and name, with all its
//! declared attributes and concrete CIDRs, in ordered maps so the file is byte-identical for
//! the same content.

use std::collections::{BTreeMap, BTreeSet};

use std::marker::PhantomData;

use schemars::JsonSchema;
use serde::de::{Deserializer, Error as _, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::addr::Prefix;
use crate::model::Address;

/// Every resource apply has created, by kind and name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Records {
    /// Custom scopes (the built-in `private` and `public` always exist).
    #[serde(deserialize_with = "unique", default)]
    pub scopes: BTreeMap<String, ScopeRecord>,
    #[serde(deserialize_with = "unique", default)]
    pub pools: BTreeMap<String, PoolRecord>,
    #[serde(deserialize_with = "unique", default)]
    pub vpcs: BTreeMap<String, VpcRecord>,
    #[serde(deserialize_with = "unique", default)]
    pub reservations: BTreeMap<String, ReservationRecord>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolRecord {
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// 4 or 6.
    pub ip_version: u8,
    /// The provisioned CIDRs, ascending.
    pub cidrs: Vec<Prefix>,
    /// Slots a layout holds for growth in this pool, ascending: never allocated, and not
    /// counted as free.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<Prefix>,
    /// Set when the pool was carved from its parent by netmask rather than given CIDRs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netmask: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_netmask: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_netmask: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_netmask: Option<u8>,
    #[serde(
        deserialize_with = "unique",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub required_tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub auto_import: bool,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub shared_with: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_at: Option<u8>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(
        deserialize_with = "unique",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub tags: BTreeMap<String, String>,
}

impl PoolRecord {
    /// The allocation rules, as the model has them.
    pub fn rules(&self) -> crate::model::Rules {
        crate::model::Rules {
            min: self.min_netmask,
            max: self.max_netmask,
            default: self.default_netmask,
        }
    }
}

/// A block a VPC holds in a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockRecord {
    pub pool: String,
    pub cidr: Prefix,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpcRecord {
    pub pool: String,
    /// The primary CIDR.
    pub cidr: Prefix,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secondary: Vec<BlockRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<BlockRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(
        deserialize_with = "unique",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub tags: BTreeMap<String, String>,
    /// Subnets (vSwitches) carved from the primary CIDR, by name.
    #[serde(
        deserialize_with = "unique",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub subnets: BTreeMap<String, SubnetRecord>,
}

impl VpcRecord {
    /// Whether two VPC records are the same apart from their subnets (resources of their
    /// own). Every field is named, so a new one cannot be forgotten here.
    pub fn same_but_subnets(&self, b: &VpcRecord) -> bool {
        let VpcRecord {
            pool,
            cidr,
            secondary,
            ipv6,
            owner,
            region,
            resource_id,
            protect,
            description,
            tags,
            subnets: _,
        } = self;
        *pool == b.pool
            && *cidr == b.cidr
            && *secondary == b.secondary
            && *ipv6 == b.ipv6
            && *owner == b.owner
            && *region == b.region
            && *resource_id == b.resource_id
            && *protect == b.protect
            && *description == b.description
            && *tags == b.tags
    }

    /// Primary, secondaries, then the IPv6 block.
    pub fn blocks(&self) -> impl Iterator<Item = (&str, Prefix)> {
        std::iter::once((self.pool.as_str(), self.cidr)).chain(
            self.secondary
                .iter()
                .chain(&self.ipv6)
                .map(|b| (b.pool.as_str(), b.cidr)),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubnetRecord {
    pub cidr: Prefix,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(
        deserialize_with = "unique",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationRecord {
    pub pool: String,
    pub cidr: Prefix,
    #[serde(default, skip_serializing_if = "is_false")]
    pub protect: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(
        deserialize_with = "unique",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub tags: BTreeMap<String, String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Records {
    /// Whether a resource is recorded.
    pub fn contains(&self, address: &Address) -> bool {
        match address {
            Address::Scope(n) => self.scopes.contains_key(n),
            Address::Pool(n) => self.pools.contains_key(n),
            Address::Vpc(n) => self.vpcs.contains_key(n),
            Address::Subnet(v, s) => self.vpcs.get(v).is_some_and(|v| v.subnets.contains_key(s)),
            Address::Reservation(n) => self.reservations.contains_key(n),
        }
    }

    /// Whether a recorded resource is protected.
    pub fn protected(&self, address: &Address) -> bool {
        match address {
            Address::Pool(n) => self.pools.get(n).is_some_and(|p| p.protect),
            Address::Vpc(n) => self.vpcs.get(n).is_some_and(|v| v.protect),
            Address::Reservation(n) => self.reservations.get(n).is_some_and(|r| r.protect),
            Address::Scope(_) | Address::Subnet(..) => false,
        }
    }

    /// Number of recorded resources (scopes, pools, VPCs, subnets, reservations).
    pub fn len(&self) -> usize {
        self.scopes.len()
            + self.pools.len()
            + self.vpcs.len()
            + self.vpcs.values().map(|v| v.subnets.len()).sum::<usize>()
            + self.reservations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A map whose keys must be unique: a state with a name twice is damaged, never "the last
/// one wins".
fn unique<'de, D, V>(d: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Unique<V>(PhantomData<V>);

    impl<'de, V: Deserialize<'de>> Visitor<'de> for Unique<V> {
        type Value = BTreeMap<String, V>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    return Err(A::Error::custom(format!(
                        "`{key}` appears twice; every name is recorded once"
                    )));
                }
                let value = map.next_value()?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }

    d.deserialize_map(Unique(PhantomData))
}
