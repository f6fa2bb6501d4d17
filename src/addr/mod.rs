//! The address engine: canonical prefixes, a first-fit allocator for one pool, an overlap
//! sweep and a containment index. It knows nothing of pools, files or plans, only address
//! space; both IP families share every code path through `u128` arithmetic.
//!
//! - [`Prefix`]: a canonical CIDR. `10.0.0.1/8` is refused with *"has host bits set; did you
//!   mean 10.0.0.0/8?"*; lengths beyond 32/128, missing lengths and bad syntax each get their
//!   own error.
//! - [`Allocator`]: one pool's space, built from its provisioned CIDRs and the blocks already
//!   taken. `claim(cidr)` takes an explicit block or names the block it collides with;
//!   `allocate(netmask)` returns the lowest-addressed aligned free block of that size (first
//!   fit, SPEC §5) or says what the largest free block is; `release(cidr)`; free blocks in
//!   address order; the largest free block; used and free counts, exact up to 2^128.
//! - [`overlaps`] / [`nearest_containers`]: every overlapping pair (or each block's nearest
//!   container) among many CIDRs in O(n log n + k); [`ContainerIndex`], the narrowest
//!   containing CIDR in a few hash probes.
//!
//! # How the allocator stays fast
//!
//! Free space is kept as maximal free ranges (never crossing a provisioned CIDR), each filed
//! under its *capacity*, the largest aligned block it holds. A range holds an aligned /n
//! exactly when its capacity is /n or larger, and the lowest such range holds the lowest free
//! /n, so first fit is: take the lowest range among the capacity classes ≤ n (a bitmask of
//! non-empty classes and each class's lowest range), carve the block off, re-file at most two
//! leftovers. Release joins the block with its free neighbours inside the same provisioned
//! CIDR. Taken blocks are recorded in an append-only sorted log (first fit and state loading
//! produce them in ascending order, so recording is a push), with an ordered map for blocks
//! that arrive out of order and tombstones for releases. No operation looks at the taken
//! blocks one by one, so the cost of an allocation does not grow with the number of
//! allocations already made; building an allocator from n taken blocks sorts them once,
//! O(n log n). Blocks never merge across provisioned CIDRs: a pool provisioned with two
//! adjacent /9s hands out at most a /9, as the cloud IPAMs do.
//!
//! The overlap sweep sorts compact keys (family, start, shorter first) and walks them once
//! with a stack of open blocks: since two prefixes are nested or disjoint, the blocks on the
//! stack are exactly those containing the current one.
//!
//! The measurements (`cargo bench --bench addr`) are in `benches/README.md`.

mod allocator;
mod index;
mod overlap;
mod prefix;

pub use allocator::{AllocError, Allocator};
pub use index::ContainerIndex;
pub use overlap::{Overlap, nearest_containers, overlaps};
pub use prefix::{AddrCount, Family, Prefix, PrefixError};
