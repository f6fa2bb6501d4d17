//! Discovery and audit (SPEC §8): what really exists in the clouds, read from inventory
//! exports, set against the plan.
//!
//! [`inventory`] reads the exports (native JSON, CSV, the AWS CLI's and Alibaba Cloud's
//! listings, Terraform state and `terraform show -json`, Azure, Google Cloud, NetBox) into
//! one row per resource CIDR, [`Discovered`], and reports every entry it could not use as
//! [`Skipped`]. [`report`] decides, for each row, whether it is managed, compliant and
//! overlapping, and how much of it is used; [`crate::render::audit`] prints that.
//! [`import`] adopts discovered VPCs into pools with `auto_import`; [`existing()`] gives
//! `plan --inventory` the discovered networks no recorded allocation is, to place around.

mod existing;
pub mod import;
pub mod inventory;
pub mod report;

pub use existing::existing;
pub use inventory::{
    Discovered, Format, Inventory, Kind, NativeInventory, NativeResource, Options, Skipped, Tags,
    detect, native_schema, parse, read, read_all,
};
pub use report::{FailOn, Report, audit};
