//! The address engine: canonical prefixes, a first-fit allocator for one pool, an overlap
//! sweep and a containment index. It knows nothing of pools, files or plans, only address
//! space; both IP families share every code path through `u128` arithmetic.

mod allocator;
mod index;
mod overlap;
mod prefix;

pub use allocator::{AllocError, Allocator};
pub use index::ContainerIndex;
pub use overlap::{Overlap, nearest_containers, overlaps};
pub use prefix::{AddrCount, Family, Prefix, PrefixError};
