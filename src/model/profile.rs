//! Provider profiles (SPEC §9): the limits a cloud IPAM and VPC service enforce, so a plan
//! that the cloud would refuse is refused here first. The numbers and their sources are in
//! the README ("Provider profiles"); `none` sets no limit.

use crate::addr::{Family, Prefix};
use crate::config::raw::ProfileName;

/// Allowed prefix lengths: from `min` to `max` in steps of `step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub min: u8,
    pub max: u8,
    pub step: u8,
}

impl Sizes {
    const fn range(min: u8, max: u8) -> Sizes {
        Sizes { min, max, step: 1 }
    }

    pub fn admits(&self, len: u8) -> bool {
        (self.min..=self.max).contains(&len) && (len - self.min).is_multiple_of(self.step.max(1))
    }

    /// "/8 to /28", "/56", "/44 to /60 in steps of 4".
    pub fn describe(&self) -> String {
        match (self.min == self.max, self.step) {
            (true, _) => format!("/{}", self.min),
            (false, 0 | 1) => format!("/{} to /{}", self.min, self.max),
            (false, s) => format!("/{} to /{} in steps of {s}", self.min, self.max),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    pub name: &'static str,
    /// The cloud whose limits these are, as messages name it.
    pub cloud: &'static str,
    pub max_depth: Option<usize>,
    pub max_cidrs_per_pool: Option<usize>,
    pub max_children_per_pool: Option<usize>,
    pub max_pools_per_scope: Option<usize>,
    /// Including the built-in `private` and `public`.
    pub max_scopes: Option<usize>,
    /// Alibaba Cloud: the public scope holds IPv6 only, every other scope IPv4 only.
    pub public_v6_private_v4: bool,
    /// Sizes of a VPC's IPv4 blocks, primary and secondary.
    pub vpc_v4: Option<Sizes>,
    /// Ranges no VPC IPv4 block may overlap: (first address, prefix length).
    pub vpc_v4_reserved: &'static [(u32, u8)],
    /// IPv4 blocks of one VPC, the primary included.
    pub max_vpc_v4_blocks: Option<usize>,
    pub vpc_v6: Option<Sizes>,
    pub subnet_v4: Option<Sizes>,
    pub subnet_v6: Option<Sizes>,
    /// A subnet's zone must belong to its VPC's region.
    pub zones_in_region: bool,
    /// AWS: a VPC's secondary IPv4 blocks are restricted by its primary block's range.
    pub secondary_restrictions: bool,
}

impl Profile {
    pub const NONE: Profile = Profile {
        name: "none",
        cloud: "",
        max_depth: None,
        max_cidrs_per_pool: None,
        max_children_per_pool: None,
        max_pools_per_scope: None,
        max_scopes: None,
        public_v6_private_v4: false,
        vpc_v4: None,
        vpc_v4_reserved: &[],
        max_vpc_v4_blocks: None,
        vpc_v6: None,
        subnet_v4: None,
        subnet_v6: None,
        zones_in_region: false,
        secondary_restrictions: false,
    };

    pub fn of(name: ProfileName) -> Profile {
        match name {
            ProfileName::None => Profile::NONE,
            // Alibaba Cloud VPC and IPAM API references (CreateVpc, AssociateVpcCidrBlock,
            // CreateVSwitch, AddIpamPoolCidr) and the IPAM guide.
            ProfileName::Alicloud => Profile {
                name: "alicloud",
                cloud: "Alibaba Cloud",
                max_depth: Some(10),
                max_cidrs_per_pool: Some(50),
                max_children_per_pool: Some(50),
                max_pools_per_scope: Some(500),
                max_scopes: Some(5),
                public_v6_private_v4: true,
                vpc_v4: Some(Sizes::range(8, 28)),
                vpc_v4_reserved: &[
                    (0x6440_0000, 10), // 100.64.0.0/10
                    (0xE000_0000, 4),  // 224.0.0.0/4
                    (0x7F00_0000, 8),  // 127.0.0.0/8
                    (0xA9FE_0000, 16), // 169.254.0.0/16
                ],
                max_vpc_v4_blocks: Some(6),
                vpc_v6: Some(Sizes::range(56, 56)),
                subnet_v4: Some(Sizes::range(16, 29)),
                subnet_v6: Some(Sizes::range(64, 64)),
                zones_in_region: true,
                secondary_restrictions: false,
            },
            // Amazon VPC User Guide ("VPC CIDR blocks", "Subnet sizing", quotas) and IPAM's
            // IPv6 netmask lengths.
            ProfileName::Aws => Profile {
                name: "aws",
                cloud: "AWS",
                max_depth: Some(10),
                max_scopes: Some(5),
                vpc_v4: Some(Sizes::range(16, 28)),
                vpc_v4_reserved: &[(0xA9FE_0000, 16)], // 169.254.0.0/16
                max_vpc_v4_blocks: Some(5),
                vpc_v6: Some(Sizes {
                    min: 44,
                    max: 60,
                    step: 4,
                }),
                subnet_v4: Some(Sizes::range(16, 28)),
                subnet_v6: Some(Sizes {
                    min: 44,
                    max: 64,
                    step: 4,
                }),
                zones_in_region: true,
                secondary_restrictions: true,
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

    /// The sizes a VPC block of a family may have.
    pub fn vpc_sizes(&self, family: Family) -> Option<Sizes> {
        match family {
            Family::V4 => self.vpc_v4,
            Family::V6 => self.vpc_v6,
        }
    }

    /// The sizes a subnet of a family may have.
    pub fn subnet_sizes(&self, family: Family) -> Option<Sizes> {
        match family {
            Family::V4 => self.subnet_v4,
            Family::V6 => self.subnet_v6,
        }
    }

    /// The reserved ranges no VPC IPv4 block may overlap.
    pub fn reserved(&self) -> impl Iterator<Item = Prefix> + '_ {
        self.vpc_v4_reserved
            .iter()
            .filter_map(|&(start, len)| Prefix::new(Family::V4, u128::from(start), len))
    }
}

/// Whether a zone ID belongs to a region: the region is the longest of `regions` (the
/// region itself among them) that prefixes the zone ID at a boundary: `cn-hangzhou-h` is
/// in `cn-hangzhou`, `us-east-1a` in `us-east-1`, AWS Local Zone `us-west-2-lax-1a` in
/// `us-west-2`, and `cn-shanghai-finance-1z` in `cn-shanghai-finance-1` when that region is
/// known, not in `cn-shanghai`. A boundary is a `-`, or a letter after a region ID that ends
/// in a digit (so `us-east-10a` is not in `us-east-1`).
pub fn zone_in_region<'a>(
    zone: &str,
    region: &str,
    regions: impl IntoIterator<Item = &'a str>,
) -> bool {
    let prefixes = |r: &str| {
        zone.strip_prefix(r).is_some_and(|rest| {
            rest.starts_with('-')
                || (r.ends_with(|c: char| c.is_ascii_digit())
                    && rest.starts_with(|c: char| c.is_ascii_alphabetic()))
        })
    };
    if !prefixes(region) {
        return false;
    }
    !regions
        .into_iter()
        .any(|r| r.len() > region.len() && prefixes(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_belong_to_the_longest_region_that_prefixes_them() {
        let known = [
            "us-east-1",
            "us-west-2",
            "cn-shanghai",
            "cn-shanghai-finance-1",
        ];
        let ok = |zone: &str, region: &str| zone_in_region(zone, region, known);
        assert!(ok("us-east-1a", "us-east-1"));
        assert!(ok("us-west-2-lax-1a", "us-west-2"));
        assert!(ok("cn-hangzhou-h", "cn-hangzhou"));
        assert!(ok("ap-southeast-1a", "ap-southeast-1"));
        assert!(!ok("eu-west-1a", "us-east-1"));
        assert!(!ok("us-east-10a", "us-east-1"));
        assert!(!ok("us-east-1", "us-east-1"));
        assert!(!ok("cn-hangzhouh", "cn-hangzhou"));
        assert!(!ok("cn-shanghai-finance-1z", "cn-shanghai"));
        assert!(ok("cn-shanghai-finance-1z", "cn-shanghai-finance-1"));
    }

    #[test]
    fn sizes_are_ranges_with_steps() {
        let v6 = Sizes {
            min: 44,
            max: 60,
            step: 4,
        };
        assert!(v6.admits(44) && v6.admits(56) && v6.admits(60));
        assert!(!v6.admits(45) && !v6.admits(64) && !v6.admits(40));
        assert_eq!(v6.describe(), "/44 to /60 in steps of 4");
        assert_eq!(Sizes::range(56, 56).describe(), "/56");
        assert_eq!(Sizes::range(8, 28).describe(), "/8 to /28");
    }

    #[test]
    fn reserved_ranges_parse() {
        let r: Vec<String> = Profile::of(ProfileName::Alicloud)
            .reserved()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(
            r,
            [
                "100.64.0.0/10",
                "224.0.0.0/4",
                "127.0.0.0/8",
                "169.254.0.0/16"
            ]
        );
        assert_eq!(Profile::NONE.reserved().count(), 0);
    }
}
