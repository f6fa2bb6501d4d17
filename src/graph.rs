//! The dependency graph of resources (SPEC §6): scope → pool → sub-pool → VPC or
//! reservation → subnet. It orders apply (parents first for creates and updates, children
//! first for deletes) and is what `ipam graph` prints.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use petgraph::Direction;
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::model::{Address, AddressRef, Model};
use crate::state::Records;

/// Resources and "must exist before" edges.
#[derive(Debug, Default)]
pub struct Graph {
    graph: DiGraph<Address, ()>,
    /// Lookup only; every order printed comes from the graph or is sorted.
    index: HashMap<Address, NodeIndex>,
}

/// A dependency cycle, named resource by resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dependency cycle: {}", .0.iter().chain(.0.first()).map(ToString::to_string).collect::<Vec<_>>().join(" → "))]
pub struct Cycle(pub Vec<Address>);

impl Graph {
    /// Adds a resource (once).
    pub fn node(&mut self, a: Address) -> NodeIndex {
        if let Some(&i) = self.index.get(&a) {
            return i;
        }
        let i = self.graph.add_node(a.clone());
        self.index.insert(a, i);
        i
    }

    /// `parent` must exist before `child`. An edge given twice is kept twice (checking
    /// would cost the parent's degree per edge); orders are unaffected and `dot` prints it
    /// once.
    pub fn depends(&mut self, parent: Address, child: Address) {
        let p = self.node(parent);
        let c = self.node(child);
        self.graph.add_edge(p, c, ());
    }

    /// The graph of the plan as declared.
    pub fn of_model(model: &Model) -> Graph {
        let mut g = Graph::default();
        for p in &model.pools {
            let me = Address::Pool(p.name.clone());
            match p.parent {
                Some(parent) => g.depends(Address::Pool(model.pool(parent).name.clone()), me),
                None => g.depends(Address::Scope(model.scopes[p.scope.0].name.clone()), me),
            }
        }
        for v in &model.vpcs {
            let me = Address::Vpc(v.name.clone());
            g.node(me.clone());
            for b in v.blocks() {
                g.depends(Address::Pool(model.pool(b.pool).name.clone()), me.clone());
            }
            for s in &v.subnets {
                g.depends(me.clone(), Address::Subnet(v.name.clone(), s.name.clone()));
            }
        }
        for r in &model.reservations {
            g.depends(
                Address::Pool(model.pool(r.block.pool).name.clone()),
                Address::Reservation(r.name.clone()),
            );
        }
        g
    }

    /// Every resource, parents before children; a cycle is named.
    pub fn order(&self) -> Result<Vec<Address>, Cycle> {
        match toposort(&self.graph, None) {
            Ok(nodes) => Ok(nodes.into_iter().map(|n| self.graph[n].clone()).collect()),
            Err(cycle) => {
                let at = cycle.node_id();
                let scc = tarjan_scc(&self.graph)
                    .into_iter()
                    .find(|c| c.contains(&at))
                    .unwrap_or_else(|| vec![at]);
                Err(Cycle(self.walk_cycle(at, &scc)))
            }
        }
    }

    /// The cycle through `start` inside its strongly connected component, in edge order.
    fn walk_cycle(&self, start: NodeIndex, scc: &[NodeIndex]) -> Vec<Address> {
        let mut path = vec![start];
        let mut at = start;
        while let Some(next) = self
            .graph
            .neighbors(at)
            .filter(|n| scc.contains(n))
            .min_by_key(|n| &self.graph[*n])
        {
            if next == start || path.contains(&next) {
                break;
            }
            path.push(next);
            at = next;
        }
        path.into_iter().map(|n| self.graph[n].clone()).collect()
    }

    /// Graphviz DOT, nodes and edges sorted by address.
    pub fn dot(&self) -> String {
        let mut out = String::from("digraph ipam {\n  rankdir=LR;\n  node [shape=box];\n");
        let mut nodes: Vec<&Address> = self.index.keys().collect();
        nodes.sort();
        for a in nodes {
            out.push_str(&format!("  {:?};\n", a.to_string()));
        }
        let mut edges: Vec<(&Address, &Address)> = self
            .graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .map(|(a, b)| (&self.graph[a], &self.graph[b]))
            .collect();
        edges.sort();
        edges.dedup();
        for (a, b) in edges {
            out.push_str(&format!("  {:?} -> {:?};\n", a.to_string(), b.to_string()));
        }
        out.push_str("}\n");
        out
    }
}

/// What must exist before a resource, per `records`, without allocating.
fn parent_keys<'a>(records: &'a Records, a: AddressRef<'a>) -> Vec<AddressRef<'a>> {
    match a {
        AddressRef::Scope(_) => Vec::new(),
        AddressRef::Pool(n) => records
            .pools
            .get(n)
            .map(|p| match &p.parent {
                Some(parent) => AddressRef::Pool(parent),
                None => AddressRef::Scope(&p.scope),
            })
            .into_iter()
            .collect(),
        AddressRef::Vpc(n) => records
            .vpcs
            .get(n)
            .into_iter()
            .flat_map(|v| v.blocks())
            .map(|(pool, _)| AddressRef::Pool(pool))
            .collect(),
        AddressRef::Subnet(v, _) => vec![AddressRef::Vpc(v)],
        AddressRef::Reservation(n) => records
            .reservations
            .get(n)
            .map(|r| AddressRef::Pool(&r.pool))
            .into_iter()
            .collect(),
    }
}

/// Which end of the graph comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum First {
    /// Creates and updates: a resource after what it is in.
    Parents,
    /// Deletes: a resource before what it is in.
    Children,
}

/// Some resources of `records` (what a plan changes) in the order apply makes or removes
/// them: parents or children first, and otherwise in the order given (the plan's), so
/// siblings keep their order. Only the edges among these resources matter, so the cost
/// follows the number of changes, not the size of the state. Returns positions in
/// `addresses`.
pub fn order_of(
    records: &Records,
    addresses: &[&Address],
    first: First,
) -> Result<Vec<usize>, Cycle> {
    let mut graph: DiGraph<usize, ()> = DiGraph::with_capacity(addresses.len(), addresses.len());
    let index: HashMap<AddressRef, NodeIndex> = addresses
        .iter()
        .enumerate()
        .map(|(i, a)| (AddressRef::from(*a), graph.add_node(i)))
        .collect();
    for (i, a) in addresses.iter().enumerate() {
        for p in parent_keys(records, AddressRef::from(*a)) {
            if let Some(&pi) = index.get(&p) {
                graph.add_edge(pi, NodeIndex::new(i), ());
            }
        }
    }
    let (before, after) = match first {
        First::Parents => (Direction::Incoming, Direction::Outgoing),
        First::Children => (Direction::Outgoing, Direction::Incoming),
    };
    // Kahn's algorithm taking the earliest ready resource (node i is `addresses[i]`).
    let mut waiting: Vec<usize> = graph
        .node_indices()
        .map(|n| graph.neighbors_directed(n, before).count())
        .collect();
    let mut ready: BinaryHeap<Reverse<usize>> = waiting
        .iter()
        .enumerate()
        .filter(|(_, w)| **w == 0)
        .map(|(i, _)| Reverse(i))
        .collect();
    let mut order = Vec::with_capacity(addresses.len());
    while let Some(Reverse(i)) = ready.pop() {
        order.push(graph[NodeIndex::new(i)]);
        for next in graph.neighbors_directed(NodeIndex::new(i), after) {
            let w = &mut waiting[next.index()];
            *w -= 1;
            if *w == 0 {
                ready.push(Reverse(next.index()));
            }
        }
    }
    if order.len() == addresses.len() {
        return Ok(order);
    }
    let mut named = Graph::default();
    for e in graph.edge_indices() {
        if let Some((a, b)) = graph.edge_endpoints(e) {
            named.depends(addresses[graph[a]].clone(), addresses[graph[b]].clone());
        }
    }
    // Some resource never became ready: it is on a cycle or below one.
    let stuck = waiting.iter().position(|w| *w > 0).unwrap_or(0);
    Err(named
        .order()
        .err()
        .unwrap_or_else(|| Cycle(vec![addresses[stuck].clone()])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(n: &str) -> Address {
        Address::Pool(n.into())
    }

    #[test]
    fn orders_parents_first() {
        let mut g = Graph::default();
        g.depends(pool("b"), Address::Vpc("v".into()));
        g.depends(pool("a"), pool("b"));
        g.depends(Address::Scope("private".into()), pool("a"));
        let order = g.order().expect("acyclic");
        let at = |a: &Address| order.iter().position(|x| x == a);
        assert!(at(&pool("a")) < at(&pool("b")));
        assert!(at(&pool("b")) < at(&Address::Vpc("v".into())));
    }

    #[test]
    fn names_the_cycle() {
        let mut g = Graph::default();
        g.depends(Address::Scope("private".into()), pool("root"));
        g.depends(pool("root"), pool("a"));
        g.depends(pool("a"), pool("b"));
        g.depends(pool("b"), pool("c"));
        g.depends(pool("c"), pool("a"));
        let cycle = g.order().expect_err("cyclic");
        assert_eq!(cycle.0.len(), 3);
        let text = cycle.to_string();
        for p in ["pool.a", "pool.b", "pool.c"] {
            assert!(text.contains(p), "{text}");
        }
        assert!(!text.contains("pool.root"), "{text}");
    }

    #[test]
    fn apply_order_follows_the_records() {
        let records: Records = serde_json::from_value(serde_json::json!({
            "pools": {
                "a": {"scope": "private", "ip_version": 4, "cidrs": ["10.0.0.0/8"]},
                "b": {"scope": "private", "parent": "a", "ip_version": 4, "cidrs": ["10.0.0.0/16"]}
            },
            "vpcs": {
                "v": {"pool": "b", "cidr": "10.0.0.0/24", "subnets": {"s": {"cidr": "10.0.0.0/26"}}}
            }
        }))
        .expect("records");
        let addresses = [
            Address::Subnet("v".into(), "s".into()),
            Address::Vpc("v".into()),
            pool("b"),
            pool("a"),
        ];
        let refs: Vec<&Address> = addresses.iter().collect();
        let order = order_of(&records, &refs, First::Parents).expect("acyclic");
        assert_eq!(order, vec![3, 2, 1, 0]);
        let order = order_of(&records, &refs, First::Children).expect("acyclic");
        assert_eq!(order, vec![0, 1, 2, 3]);
        // Only the given resources are ordered; unchanged parents are left out.
        let order = order_of(&records, &refs[..2], First::Parents).expect("acyclic");
        assert_eq!(order, vec![1, 0]);
    }

    #[test]
    fn siblings_keep_the_plans_order_both_ways() {
        let records: Records = serde_json::from_value(serde_json::json!({
            "pools": {"a": {"scope": "private", "ip_version": 4, "cidrs": ["10.0.0.0/8"]}},
            "vpcs": {
                "v": {"pool": "a", "cidr": "10.0.0.0/24", "subnets": {
                    "s1": {"cidr": "10.0.0.0/26"},
                    "s2": {"cidr": "10.0.0.64/26"},
                    "s3": {"cidr": "10.0.0.128/26"}
                }},
                "w": {"pool": "a", "cidr": "10.0.1.0/24"}
            }
        }))
        .expect("records");
        let addresses = [
            pool("a"),
            Address::Vpc("v".into()),
            Address::Subnet("v".into(), "s1".into()),
            Address::Subnet("v".into(), "s2".into()),
            Address::Subnet("v".into(), "s3".into()),
            Address::Vpc("w".into()),
        ];
        let refs: Vec<&Address> = addresses.iter().collect();
        let made = order_of(&records, &refs, First::Parents).expect("acyclic");
        assert_eq!(made, vec![0, 1, 2, 3, 4, 5]);
        let removed = order_of(&records, &refs, First::Children).expect("acyclic");
        assert_eq!(removed, vec![2, 3, 4, 1, 5, 0]);
    }

    #[test]
    fn dot_is_sorted_and_stable() {
        let mut one = Graph::default();
        one.depends(pool("b"), Address::Vpc("v".into()));
        one.depends(pool("a"), pool("b"));
        let mut two = Graph::default();
        two.depends(pool("a"), pool("b"));
        two.depends(pool("b"), Address::Vpc("v".into()));
        assert_eq!(one.dot(), two.dot());
        assert!(one.dot().contains("\"pool.a\" -> \"pool.b\";"));
    }
}
