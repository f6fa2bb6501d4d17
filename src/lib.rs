//! `ipam`: IP address management as code.
//!
//! The pipeline, one stage per module:
//!
//! 1. [`addr`]: prefix arithmetic, the first-fit [`addr::Allocator`] and the overlap sweep
//!    that every later stage places and checks addresses with.

pub mod addr;
