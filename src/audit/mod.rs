//! Discovery and audit (SPEC §8): what really exists in the clouds, read from inventory
//! exports, set against the plan.
//!
//! [`inventory`] reads the exports (native JSON, CSV, AWS CLI output, Alibaba Cloud API
//! responses, Terraform state) into one row per resource CIDR, [`Discovered`], and reports
//! every entry it could not use as [`Skipped`]. Nothing in this module decides whether a
//! network is managed, compliant or overlapping: that is the audit's job, on these rows.

pub mod inventory;

pub use inventory::{
    Discovered, Format, Inventory, Kind, NativeInventory, NativeResource, Skipped, detect,
    native_schema, parse, read, read_all,
};
