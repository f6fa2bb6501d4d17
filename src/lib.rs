//! `ipam`: IP address management as code.
//!
//! The pipeline, one stage per module, each a function of the one before:
//!
//! 1. [`config::load`]: plan files → [`config::RawPlan`], spanned TOML.
//! 2. [`model::build`]: `RawPlan` → [`model::Model`]: names resolved, layouts expanded,
//!    inheritance applied, every rule of SPEC §3 that needs no placement checked, all
//!    problems collected as located [`diag::Diag`]s.
//!
//! Underneath: [`addr`], prefix arithmetic, the first-fit [`addr::Allocator`] and the overlap
//! sweep; [`diag`], diagnostics and their rendering; [`schema`], the JSON Schema generated
//! from the plan types. [`cli`] is the command line and the only code that prints.

pub mod addr;
pub mod apply;
pub mod audit;
pub mod cli;
pub mod config;
pub mod diag;
pub mod diff;
pub mod fmt;
pub mod graph;
pub mod model;
pub mod place;
pub mod plan;
pub mod render;
pub mod schema;
pub mod show;
pub mod state;
