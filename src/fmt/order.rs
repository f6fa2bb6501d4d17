//! What each table of a plan file is, and the order `fmt` writes its keys in: the order of
//! the plan schema and the README's plan example (what identifies an entry, where its
//! address comes from, where it lives and who owns it, then rules, then free text and tags,
//! then what is nested in it).
//!
//! Only the keys of records (a pool, a VPC, …) are ordered. Tables whose keys are names the
//! author chose (`[accounts]`, `pools`, `subnets`, tags, …) keep their order: the order of
//! named entries is declaration order, which decides first fit (a VPC's subnets are carved
//! in the order they are written), so it must never be sorted.

/// The attributes every pool-bearing table takes (declared pools, layout levels, leaves).
const POOL_ATTRS: [&str; 8] = [
    "allocation",
    "required_tags",
    "shared_with",
    "auto_import",
    "alert_at",
    "protect",
    "description",
    "tags",
];

const POOL: [&str; 13] = [
    "scope",
    "parent",
    "cidrs",
    "netmask",
    "region",
    POOL_ATTRS[0],
    POOL_ATTRS[1],
    POOL_ATTRS[2],
    POOL_ATTRS[3],
    POOL_ATTRS[4],
    POOL_ATTRS[5],
    POOL_ATTRS[6],
    POOL_ATTRS[7],
];

const LEVEL: [&str; 11] = [
    "slots",
    "names",
    "region",
    POOL_ATTRS[0],
    POOL_ATTRS[1],
    POOL_ATTRS[2],
    POOL_ATTRS[3],
    POOL_ATTRS[4],
    POOL_ATTRS[5],
    POOL_ATTRS[6],
    POOL_ATTRS[7],
];

/// What a table (or an inline table, or the elements of an array) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The file itself. Its keys keep their order, like its tables.
    Root,
    Ipam,
    Accounts,
    Scopes,
    Scope,
    Pools,
    Pool,
    Rules,
    Tags,
    Layouts,
    Layout,
    Level,
    Leaf,
    SlotName,
    Vpcs,
    Vpc,
    Block,
    Subnets,
    Subnet,
    Reservations,
    Reservation,
    Moved,
    Teams,
    Team,
    Audit,
    /// `[state]`.
    StateTable,
    /// A table the plan language does not know (a typo, a newer version's): written as it
    /// is ordered.
    Other,
}

impl Kind {
    /// The kind of the value under `key` (for an array, of its elements).
    pub fn child(self, key: &str) -> Kind {
        use Kind::*;
        match (self, key) {
            (Root, "ipam") => Ipam,
            (Root, "accounts") => Accounts,
            (Root, "scopes") => Scopes,
            (Root, "pools") => Pools,
            (Root, "layouts") => Layouts,
            (Root, "vpcs") => Vpcs,
            (Root, "reservations") => Reservations,
            (Root, "moved") => Moved,
            (Root, "teams") => Teams,
            (Root, "audit") => Audit,
            (Root, "state") => StateTable,
            (Scopes, _) => Scope,
            (Teams, _) => Team,
            (Pools, _) => Pool,
            (Layouts, _) => Layout,
            (Vpcs, _) => Vpc,
            (Subnets, _) => Subnet,
            (Reservations, _) => Reservation,
            (Pool | Level | Leaf, "allocation") => Rules,
            (Pool | Level | Leaf, "required_tags" | "tags") => Tags,
            (Layout, "levels") => Level,
            (Layout, "leaf") => Leaf,
            (Level, "names") => SlotName,
            (Vpc, "tags") | (Subnet | Reservation, "tags") => Tags,
            (Vpc, "secondary" | "ipv6") => Block,
            (Vpc, "subnets") => Subnets,
            _ => Other,
        }
    }

    /// The keys of a record in the order they are written; `None` for tables whose keys
    /// are names (kept in the author's order).
    pub fn fields(self) -> Option<&'static [&'static str]> {
        use Kind::*;
        Some(match self {
            Ipam => &[
                "name",
                "regions",
                "owner",
                "profile",
                "description",
                "exclude",
            ],
            Scope => &["description"],
            Pool => &POOL,
            Rules => &["min_netmask", "max_netmask", "default_netmask"],
            Layout => &["parent", "levels", "leaf"],
            Level => &LEVEL,
            Leaf => &POOL_ATTRS,
            SlotName => &["name", "slot", "shared_with"],
            Vpc => &[
                "pool",
                "cidr",
                "netmask",
                "region",
                "owner",
                "resource_id",
                "protect",
                "description",
                "tags",
                "secondary",
                "ipv6",
                "subnets",
            ],
            Block => &["pool", "cidr", "netmask"],
            // Free text last: a subnet is usually one line among its siblings, read as a row.
            Subnet => &["cidr", "netmask", "zone", "tags", "description"],
            Reservation => &["pool", "cidr", "netmask", "protect", "description", "tags"],
            Moved => &["from", "to"],
            Team => &["account", "paths", "description"],
            Audit => &["ignore"],
            StateTable => &["url"],
            Root | Accounts | Scopes | Pools | Tags | Layouts | Vpcs | Subnets | Reservations
            | Teams | Other => return None,
        })
    }

    /// Tables whose keys are names: their entries line up on `=`, a column of names.
    pub fn is_named(self) -> bool {
        use Kind::*;
        matches!(
            self,
            Accounts | Scopes | Pools | Tags | Layouts | Vpcs | Subnets | Reservations | Teams
        )
    }

    /// Where `key` goes among the keys of this table: known keys in schema order, then
    /// the others in their original order (the sort is stable).
    pub fn rank(self, key: &str) -> usize {
        self.fields()
            .and_then(|fields| fields.iter().position(|f| *f == key))
            .unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::Kind;

    /// Every key of the plan schema has its place: a field added to the plan language
    /// fails here until `fmt` knows where to write it.
    #[test]
    fn every_schema_field_is_ordered() {
        let schema: serde_json::Value =
            serde_json::from_str(&crate::schema::plan_schema()).expect("schema is JSON");
        let definitions = schema["definitions"].as_object().expect("definitions");
        let kinds = [
            ("RawIpam", Kind::Ipam),
            ("RawScope", Kind::Scope),
            ("RawPool", Kind::Pool),
            ("RawRules", Kind::Rules),
            ("RawLayout", Kind::Layout),
            ("RawLevel", Kind::Level),
            ("RawLeaf", Kind::Leaf),
            ("SlotName", Kind::SlotName),
            ("RawVpc", Kind::Vpc),
            ("RawBlock", Kind::Block),
            ("RawSubnet", Kind::Subnet),
            ("RawReservation", Kind::Reservation),
            ("RawMoved", Kind::Moved),
            ("RawTeam", Kind::Team),
            ("RawAudit", Kind::Audit),
            ("RawState", Kind::StateTable),
        ];
        let records: BTreeSet<&str> = definitions
            .iter()
            .filter(|(_, d)| d["properties"].as_object().is_some_and(|p| !p.is_empty()))
            .map(|(name, _)| name.as_str())
            .collect();
        let known: BTreeSet<&str> = kinds.iter().map(|(name, _)| *name).collect();
        assert_eq!(records, known, "a record of the schema without a kind");
        for (name, kind) in kinds {
            let schema_keys: BTreeSet<&str> = definitions[name]["properties"]
                .as_object()
                .expect("properties")
                .keys()
                .map(String::as_str)
                .collect();
            let ordered: BTreeSet<&str> =
                kind.fields().expect("a record").iter().copied().collect();
            assert_eq!(schema_keys, ordered, "{name}");
            assert_eq!(
                ordered.len(),
                kind.fields().map_or(0, <[_]>::len),
                "{name}: a key listed twice"
            );
        }
        let root: BTreeSet<&str> = schema["properties"]
            .as_object()
            .expect("root properties")
            .keys()
            .map(String::as_str)
            .collect();
        for key in root {
            assert_ne!(Kind::Root.child(key), Kind::Other, "{key}");
        }
    }

    #[test]
    fn children_follow_the_schema() {
        assert_eq!(Kind::Root.child("pools").child("corp"), Kind::Pool);
        assert_eq!(Kind::Pool.child("allocation"), Kind::Rules);
        assert_eq!(
            Kind::Layout.child("levels").child("allocation"),
            Kind::Rules
        );
        assert_eq!(Kind::Vpc.child("subnets").child("a"), Kind::Subnet);
        assert_eq!(Kind::Vpc.child("secondary"), Kind::Block);
        assert_eq!(Kind::Root.child("poolz"), Kind::Other);
        assert!(Kind::Accounts.is_named() && !Kind::Pool.is_named());
        assert!(Kind::Pool.rank("scope") < Kind::Pool.rank("tags"));
        assert_eq!(Kind::Pool.rank("colour"), usize::MAX);
        assert_eq!(Kind::Subnets.rank("a"), usize::MAX);
    }
}
