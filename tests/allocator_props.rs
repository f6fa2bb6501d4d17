//! Property tests: the allocator against a brute-force model on a small space (SPEC §5).
//!
//! The space is a /18 (IPv4 10.0.0.0/18, or the same shape at the bottom of an IPv6 /114),
//! provisioned as a random mix of /20 and /21 roots, then driven by random claims,
//! allocations and releases. After every step the allocator must agree exactly with a model
//! that searches every aligned block by brute force.

use ipam::addr::{AddrCount, AllocError, Allocator, Family, Prefix};
use proptest::prelude::*;

/// Prefix lengths in this test are relative to a /18 space and shifted by the family.
#[derive(Clone, Copy, Debug)]
struct Space {
    family: Family,
    base: u128,
}

impl Space {
    fn new(v6: bool) -> Space {
        if v6 {
            Space {
                family: Family::V6,
                base: 0x2001_0db8_u128 << 96,
            }
        } else {
            Space {
                family: Family::V4,
                base: 0x0a00_0000,
            }
        }
    }

    /// `len` is an IPv4-style length in 18..=32; offset is within the /18.
    fn prefix(&self, offset: u32, len: u8) -> Prefix {
        let shift = self.family.bits() - 32;
        let host = 32 - u32::from(len);
        let aligned = u128::from(offset >> host << host);
        Prefix::new(self.family, self.base + aligned, len + shift).expect("aligned")
    }

    fn netmask(&self, len: u8) -> u8 {
        len + (self.family.bits() - 32)
    }
}

#[derive(Clone, Debug)]
enum Op {
    Claim(u32, u8),
    Allocate(u8),
    Release(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u32..1 << 14, 17u8..=30).prop_map(|(o, l)| Op::Claim(o, l)),
        (17u8..=30).prop_map(Op::Allocate),
        any::<usize>().prop_map(Op::Release),
    ]
}

/// Each quarter of the /18: absent, one /20, or two /21s.
fn roots(space: Space, shape: &[u8; 4]) -> Vec<Prefix> {
    let mut roots = Vec::new();
    for (q, s) in shape.iter().enumerate() {
        let off = (q as u32) << 12;
        match s {
            1 => roots.push(space.prefix(off, 20)),
            2 => {
                roots.push(space.prefix(off, 21));
                roots.push(space.prefix(off + (1 << 11), 21));
            }
            _ => {}
        }
    }
    roots
}

struct Model {
    roots: Vec<Prefix>,
    taken: Vec<Prefix>,
}

impl Model {
    fn is_free(&self, block: &Prefix) -> bool {
        self.roots.iter().any(|r| r.contains(block))
            && !self.taken.iter().any(|t| t.overlaps(block))
    }

    /// Lowest-addressed aligned free block of length `len`, by trying every one.
    fn first_fit(&self, space: Space, len: u8) -> Option<Prefix> {
        let step = 1u32 << (32 - len.max(18));
        if len < 18 {
            return None;
        }
        (0..1u32 << 14)
            .step_by(step as usize)
            .map(|o| space.prefix(o, len))
            .find(|b| self.is_free(b))
    }

    fn largest_free(&self, space: Space) -> Option<Prefix> {
        (18..=32).find_map(|len| self.first_fit(space, len))
    }

    fn used(&self) -> AddrCount {
        self.taken
            .iter()
            .fold(AddrCount::ZERO, |a, t| a.plus(t.size()))
    }
}

fn check_invariants(alloc: &Allocator, model: &Model) {
    let mut taken = model.taken.clone();
    taken.sort();
    assert_eq!(alloc.taken(), taken, "taken blocks");
    assert_eq!(alloc.used(), model.used(), "used count");
    assert_eq!(alloc.free(), alloc.total().minus(alloc.used()));
    let free = alloc.free_blocks();
    let free_sum = free.iter().fold(AddrCount::ZERO, |a, b| a.plus(b.size()));
    assert_eq!(free_sum, alloc.free(), "free blocks add up");
    for (i, block) in free.iter().enumerate() {
        assert!(model.is_free(block), "{block} listed free but is not");
        if let Some(next) = free.get(i + 1) {
            assert!(
                block.end() < next.start(),
                "free blocks disjoint and sorted"
            );
        }
        // Maximal: merging with the buddy must be impossible.
        if let (Some(parent), Some(buddy)) = (block.parent(), block.buddy()) {
            assert!(
                !model.is_free(&buddy) || !model.roots.iter().any(|r| r.contains(&parent)),
                "{block} should have merged with {buddy}"
            );
        }
    }
}

fn run(v6: bool, shape: [u8; 4], ops: Vec<Op>) {
    let space = Space::new(v6);
    let roots = roots(space, &shape);
    if roots.is_empty() {
        return;
    }
    let mut alloc = Allocator::build(space.family, roots.clone(), []).expect("disjoint roots");
    let mut model = Model {
        roots: roots.clone(),
        taken: Vec::new(),
    };
    for op in ops {
        match op {
            Op::Claim(offset, len) => {
                let cidr = space.prefix(offset, len);
                let expected = if !model.roots.iter().any(|r| r.contains(&cidr)) {
                    Err(AllocError::OutsidePool { cidr })
                } else if let Some(other) = model
                    .taken
                    .iter()
                    .filter(|t| t.overlaps(&cidr))
                    .min()
                    .copied()
                {
                    Err(AllocError::Taken { cidr, other })
                } else {
                    model.taken.push(cidr);
                    Ok(())
                };
                assert_eq!(alloc.claim(cidr), expected);
            }
            Op::Allocate(len) => {
                let netmask = space.netmask(len);
                let expected = match model.first_fit(space, len) {
                    Some(block) => {
                        model.taken.push(block);
                        Ok(block)
                    }
                    None => Err(AllocError::Exhausted {
                        netmask,
                        largest_free: model.largest_free(space),
                    }),
                };
                assert_eq!(alloc.allocate(netmask), expected);
            }
            Op::Release(i) => {
                if model.taken.is_empty() {
                    continue;
                }
                let block = model.taken.swap_remove(i % model.taken.len());
                assert_eq!(alloc.release(block), Ok(()));
                assert!(alloc.release(block).is_err(), "double release refused");
            }
        }
        check_invariants(&alloc, &model);
    }

    // Building in bulk from the same taken set gives the same free space.
    let rebuilt =
        Allocator::build(space.family, roots.clone(), model.taken.clone()).expect("consistent");
    assert_eq!(rebuilt.free_blocks(), alloc.free_blocks(), "bulk build");
    assert_eq!(rebuilt.used(), alloc.used());

    // Releasing everything restores the provisioned CIDRs exactly.
    for block in model.taken.drain(..) {
        alloc.release(block).expect("taken");
    }
    let mut sorted = roots;
    sorted.sort();
    assert_eq!(alloc.free_blocks(), sorted);
    assert_eq!(alloc.used(), AddrCount::ZERO);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn matches_brute_force_v4(shape in prop::array::uniform4(0u8..3), ops in prop::collection::vec(op(), 1..60)) {
        run(false, shape, ops);
    }

    #[test]
    fn matches_brute_force_v6(shape in prop::array::uniform4(0u8..3), ops in prop::collection::vec(op(), 1..60)) {
        run(true, shape, ops);
    }

    /// Bulk build refuses exactly the inputs that incremental claims refuse.
    #[test]
    fn build_agrees_with_claims(shape in prop::array::uniform4(0u8..3), claims in prop::collection::vec((0u32..1 << 14, 17u8..=28), 0..20)) {
        let space = Space::new(false);
        let roots = roots(space, &shape);
        prop_assume!(!roots.is_empty());
        let blocks: Vec<Prefix> = claims.iter().map(|&(o, l)| space.prefix(o, l)).collect();
        let mut incremental = Allocator::build(space.family, roots.clone(), []).expect("disjoint");
        let all_ok = blocks.iter().all(|b| incremental.claim(*b).is_ok());
        let bulk = Allocator::build(space.family, roots, blocks);
        prop_assert_eq!(bulk.is_ok(), all_ok);
        if let Ok(bulk) = bulk {
            prop_assert_eq!(bulk.free_blocks(), incremental.free_blocks());
        }
    }
}

#[test]
fn mixed_families_are_refused() {
    let v4: Prefix = "10.0.0.0/8".parse().expect("valid");
    let v6: Prefix = "2001:db8::/32".parse().expect("valid");
    assert!(matches!(
        Allocator::build(Family::V4, [v4, v6], []),
        Err(AllocError::FamilyMismatch { .. })
    ));
    let mut alloc = Allocator::build(Family::V4, [v4], []).expect("valid");
    assert!(matches!(
        alloc.claim(v6),
        Err(AllocError::FamilyMismatch { .. })
    ));
    assert!(matches!(
        alloc.provision(v6),
        Err(AllocError::FamilyMismatch { .. })
    ));
    assert!(matches!(
        alloc.allocate(64),
        Err(AllocError::BadNetmask { .. })
    ));
}

#[test]
fn overlapping_roots_are_refused() {
    let a: Prefix = "10.0.0.0/8".parse().expect("valid");
    let b: Prefix = "10.1.0.0/16".parse().expect("valid");
    assert_eq!(
        Allocator::build(Family::V4, [b, a], []).unwrap_err(),
        AllocError::RootOverlap { cidr: b, other: a }
    );
    let mut alloc = Allocator::build(Family::V4, [a], []).expect("valid");
    assert_eq!(
        alloc.provision(b),
        Err(AllocError::RootOverlap { cidr: b, other: a })
    );
    let c: Prefix = "11.0.0.0/8".parse().expect("valid");
    alloc.provision(c).expect("disjoint");
    assert_eq!(alloc.allocate(8), Ok(a));
    assert_eq!(alloc.allocate(8), Ok(c));
}
