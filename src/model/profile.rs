//! Provider profiles (SPEC §9): the limits a cloud IPAM enforces, so a plan that the cloud
//! would refuse is refused here first.

use crate::addr::Family;
use crate::config::raw::ProfileName;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    pub name: &'static str,
    pub max_depth: Option<usize>,
    pub max_cidrs_per_pool: Option<usize>,
    pub max_children_per_pool: Option<usize>,
    pub max_pools_per_scope: Option<usize>,
    /// Including the built-in `private` and `public`.
    pub max_scopes: Option<usize>,
    /// Alibaba Cloud: the public scope holds IPv6 only, every other scope IPv4 only.
    pub public_v6_private_v4: bool,
}

impl Profile {
    pub const NONE: Profile = Profile {
        name: "none",
        max_depth: None,
        max_cidrs_per_pool: None,
        max_children_per_pool: None,
        max_pools_per_scope: None,
        max_scopes: None,
        public_v6_private_v4: false,
    };

    pub fn of(name: ProfileName) -> Profile {
        match name {
            ProfileName::None => Profile::NONE,
            ProfileName::Alicloud => Profile {
                name: "alicloud",
                max_depth: Some(10),
                max_cidrs_per_pool: Some(50),
                max_children_per_pool: Some(50),
                max_pools_per_scope: Some(500),
                max_scopes: Some(5),
                public_v6_private_v4: true,
            },
            ProfileName::Aws => Profile {
                name: "aws",
                max_depth: Some(10),
                max_scopes: Some(5),
                ..Profile::NONE
            },
        }
    }

    /// The one family a scope may hold under this profile, if restricted.
    pub fn scope_family(&self, scope: &str) -> Option<Family> {
        self.public_v6_private_v4.then(|| {
            if scope == "public" {
                Family::V6
            } else {
                Family::V4
            }
        })
    }
}
