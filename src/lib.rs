//! `ipam`: IP address management as code.
//!
//! The pipeline, one stage per module, each a function of the one before; only apply and the
//! state backend write anything:
//!
//! 1. **load** ([`config::load`], [`load`]): plan files (one `.toml` or a directory of them)
//!    → [`config::RawPlan`], spanned TOML, every file read and parsed.
//! 2. **build** ([`model::build`]): `RawPlan` → [`model::Model`]: names resolved, layouts
//!    expanded, inheritance applied, every rule that needs no placement checked, and with
//!    `[teams]` each team's file held to what its account may do; all
//!    problems collected as located [`diag::Diag`]s.
//! 3. **graph** ([`graph::Graph`]): the dependency graph (scope → pool → sub-pool →
//!    VPC/reservation → subnet) that orders apply and that `ipam graph` prints.
//! 4. **place** ([`plan::place`]): the model against the recorded [`state::Records`] → the
//!    desired records, every concrete CIDR chosen by the first-fit [`addr::Allocator`].
//! 5. **diff** ([`plan::diff`]): recorded vs desired → one [`plan::Change`] per resource.
//! 6. **plan** ([`plan::plan`]): renames, placement and diff as one [`plan::Plan`], pure data;
//!    [`plan::saved`] binds it to its inputs for `apply FILE`.
//! 7. **apply** ([`apply::apply`]): the changes in dependency order, then every invariant
//!    re-checked ([`state::check`]); the result must equal the plan's desired records.
//! 8. **save** ([`state::Session::save`]): the next [`state::State`] written through the
//!    state's [`state::Backend`] ([`state::file`] or [`state::pg`], chosen by
//!    [`state::open`] from a path or a `postgres://` URL), under its lock, compare-and-swap
//!    on the serial; then the apply's utilization snapshot is appended to the history.
//!
//! Beside the pipeline: [`audit`] reads cloud inventories and sets them against the recorded
//! state (management, compliance, overlap, IP usage) and adopts discovered VPCs
//! ([`audit::import`]); [`render`] prints plans, the state, outputs and diagnostics as text,
//! Markdown and JSON; [`state::usage`] computes pool utilization; [`state::history`] keeps
//! what every apply and recorded audit found, and forecasts each pool from it; [`report`]
//! writes all of it as one self-contained HTML file.
//!
//! [`fmt`] rewrites plan files in one canonical layout, comments kept.
//!
//! Underneath: [`addr`], prefix arithmetic, the allocator and the overlap sweep; [`diag`],
//! located diagnostics; [`schema`], the JSON Schemas generated from the types. [`cli`] is the
//! command line and the only code that prints.

// The crate docs are the architecture for contributors (`cargo doc --document-private-items`),
// so module docs link to the private modules they describe.
#![allow(rustdoc::private_intra_doc_links)]

pub mod addr;
pub mod apply;
pub mod audit;
pub mod cli;
pub mod config;
pub mod diag;
pub mod fmt;
pub mod graph;
pub mod load;
pub mod model;
pub mod plan;
pub mod render;
pub mod report;
pub mod schema;
pub mod state;
