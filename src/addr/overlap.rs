//! Overlap sweep over many CIDRs in O(n log n + k) (SPEC §8, §12).
//!
//! Two prefixes are either disjoint or nested, so after sorting by (family, start, shorter
//! first) every block that overlaps a later one contains it. One pass with a stack of the
//! blocks still "open" (whose end is not yet passed) finds, for each block, all blocks that
//! contain it: exactly the stack. No pair of blocks is ever compared unless they overlap.

use super::prefix::{Family, Prefix};

/// A pair of overlapping inputs, by index into the slice given to [`overlaps`]. `outer`
/// contains `inner` (for identical CIDRs, `outer` is the one earlier in the input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Overlap {
    pub outer: usize,
    pub inner: usize,
}

/// Every overlapping pair among `cidrs`: IPv4 before IPv6, by the inner block's position in
/// address order, then by the outer block from the widest to the nearest.
pub fn overlaps(cidrs: &[Prefix]) -> Vec<Overlap> {
    let mut found = Vec::new();
    sweep(cidrs, |stack, inner| {
        found.extend(stack.iter().map(|&(_, outer)| Overlap { outer, inner }));
    });
    found
}

/// For each input, the index of the narrowest *other* input that contains it (for identical
/// CIDRs, the later one's container is the earlier one), or `None`.
pub fn nearest_containers(cidrs: &[Prefix]) -> Vec<Option<usize>> {
    let mut nearest = vec![None; cidrs.len()];
    sweep(cidrs, |stack, inner| {
        nearest[inner] = stack.last().map(|&(_, outer)| outer);
    });
    nearest
}

/// Visits the inputs in address order, each with the stack of `(last address, index)` of the
/// inputs that contain it, outermost first.
fn sweep(cidrs: &[Prefix], mut visit: impl FnMut(&[(u128, usize)], usize)) {
    // Sort compact keys rather than indices into `cidrs`: the comparisons then touch one
    // contiguous array, which is most of the cost at a million entries. The index is part
    // of the key, so identical CIDRs keep input order and the output is deterministic.
    let mut v4: Vec<(u64, usize)> = Vec::new();
    let mut v6: Vec<(u128, u8, usize)> = Vec::new();
    for (i, cidr) in cidrs.iter().enumerate() {
        match cidr.family() {
            Family::V4 => v4.push(((cidr.start() as u64) << 8 | u64::from(cidr.prefix_len()), i)),
            Family::V6 => v6.push((cidr.start(), cidr.prefix_len(), i)),
        }
    }
    v4.sort_unstable();
    v6.sort_unstable();
    let mut stack: Vec<(u128, usize)> = Vec::new();
    let mut step = |stack: &mut Vec<(u128, usize)>, cidr: Prefix, i: usize| {
        while stack.last().is_some_and(|&(end, _)| end < cidr.start()) {
            stack.pop();
        }
        visit(stack, i);
        stack.push((cidr.end(), i));
    };
    for (key, i) in v4 {
        step(
            &mut stack,
            Prefix::containing(Family::V4, u128::from(key >> 8), key as u8),
            i,
        );
    }
    // The families are separate spaces: nothing IPv4 contains anything IPv6.
    stack.clear();
    for (start, len, i) in v6 {
        step(&mut stack, Prefix::containing(Family::V6, start, len), i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ps(list: &[&str]) -> Vec<Prefix> {
        list.iter().map(|s| s.parse().expect("valid")).collect()
    }

    #[test]
    fn finds_nested_and_identical_blocks() {
        let cidrs = ps(&[
            "10.0.1.0/24",    // 0
            "10.0.0.0/16",    // 1
            "10.1.0.0/16",    // 2
            "10.0.1.0/24",    // 3: identical to 0
            "10.0.1.128/25",  // 4
            "192.168.0.0/16", // 5
        ]);
        assert_eq!(
            overlaps(&cidrs),
            vec![
                Overlap { outer: 1, inner: 0 },
                Overlap { outer: 1, inner: 3 },
                Overlap { outer: 0, inner: 3 },
                Overlap { outer: 1, inner: 4 },
                Overlap { outer: 0, inner: 4 },
                Overlap { outer: 3, inner: 4 },
            ]
        );
        assert_eq!(
            nearest_containers(&cidrs),
            vec![Some(1), None, None, Some(0), Some(3), None]
        );
    }

    #[test]
    fn families_never_overlap() {
        // ::/96 has the same integer range as 0.0.0.0/0 and must still not nest in it.
        let cidrs = ps(&["0.0.0.0/0", "::/0", "10.0.0.0/8", "2001:db8::/32", "::/96"]);
        assert_eq!(
            overlaps(&cidrs),
            vec![
                Overlap { outer: 0, inner: 2 },
                Overlap { outer: 1, inner: 4 },
                Overlap { outer: 1, inner: 3 },
            ]
        );
        let v6_only = ps(&["::/96", "0.0.0.0/0"]);
        assert!(overlaps(&v6_only).is_empty());
    }

    #[test]
    fn disjoint_input_has_no_pairs() {
        let cidrs = ps(&["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/23", "10.0.4.0/22"]);
        assert!(overlaps(&cidrs).is_empty());
        assert!(nearest_containers(&cidrs).iter().all(Option::is_none));
        assert!(overlaps(&[]).is_empty());
    }

    /// Against all pairs, on inputs dense enough to nest often.
    #[test]
    fn matches_all_pairs() {
        let mut x: u32 = 12345;
        let cidrs: Vec<Prefix> = (0..400)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                let len = 20 + (x % 9) as u8;
                Prefix::containing(Family::V4, u128::from(0x0a00_0000 | (x >> 20) << 8), len)
            })
            .collect();
        let mut expected = Vec::new();
        for (i, a) in cidrs.iter().enumerate() {
            for (j, b) in cidrs.iter().enumerate() {
                let outer_first =
                    a.prefix_len() < b.prefix_len() || (a.prefix_len() == b.prefix_len() && i < j);
                if i != j && a.contains(b) && outer_first {
                    expected.push((i, j));
                }
            }
        }
        let mut got: Vec<(usize, usize)> = overlaps(&cidrs)
            .iter()
            .map(|o| (o.outer, o.inner))
            .collect();
        got.sort_unstable();
        expected.sort_unstable();
        assert!(!expected.is_empty());
        assert_eq!(got, expected);
    }
}
