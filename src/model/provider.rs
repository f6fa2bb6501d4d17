//! Provider limits on VPCs and subnets (SPEC §9), checked where the plan already says enough:
//! block sizes (every request has a prefix length before placement), explicit CIDRs in
//! reserved ranges, a pool whose space lies wholly in one, blocks per VPC, and subnet zones
//! in the VPC's region. Each is a located error naming the cloud and the limit; the `none`
//! profile has none of them.

use super::context::Cx;
use super::profile::{Sizes, zone_in_region};
use super::{Block, Model, Provision, Request};
use crate::addr::{Family, Prefix};
use crate::diag::{Diag, Loc};

/// What the checks need to know of the pools, computed once per plan.
pub(super) struct Reserved {
    /// The ranges no VPC IPv4 block may overlap.
    ranges: Vec<Prefix>,
    /// Per pool: the reserved range its whole space lies in, if it does (a pool carved by
    /// netmask lies where its parent does).
    pools: Vec<Option<Prefix>>,
}

impl Reserved {
    pub fn of(model: &Model) -> Reserved {
        let ranges: Vec<Prefix> = model.ipam.profile.reserved().collect();
        let mut pools: Vec<Option<Prefix>> = Vec::with_capacity(model.pools.len());
        for pool in &model.pools {
            let within = if ranges.is_empty() {
                None
            } else {
                match &pool.provision {
                    // Pools are in parents-first order: the parent's answer is known.
                    Provision::Netmask(..) => pool.parent.and_then(|p| pools[p.0]),
                    Provision::Cidrs(cidrs) => {
                        let inside = |c: &Prefix| ranges.iter().find(|r| r.contains(c)).copied();
                        cidrs
                            .iter()
                            .map(|(c, _)| inside(c))
                            .collect::<Option<Vec<_>>>()
                            .and_then(|all| all.first().copied())
                    }
                }
            };
            pools.push(within);
        }
        Reserved { ranges, pools }
    }
}

/// A VPC's blocks as the provider checks see them.
pub(super) struct VpcBlocks<'a> {
    pub name: &'a str,
    pub primary: &'a Block,
    pub secondary: &'a [Block],
    pub ipv6: Option<&'a Block>,
}

impl Cx {
    /// Sizes, reserved ranges and the count of IPv4 blocks of one VPC.
    pub(super) fn provider_vpc(&mut self, vpc: &VpcBlocks<'_>, reserved: &Reserved, model: &Model) {
        let profile = model.ipam.profile;
        let blocks = std::iter::once(vpc.primary)
            .chain(vpc.secondary)
            .chain(vpc.ipv6);
        let mut v4 = 0;
        for block in blocks {
            let family = model.pool(block.pool).family;
            if family == Family::V4 {
                v4 += 1;
                if let Some(max) = profile.max_vpc_v4_blocks
                    && v4 == max + 1
                {
                    self.push(
                        Diag::error(
                            "ipam::profile::vpc_blocks",
                            format!("VPC `{}` has more than {max} IPv4 blocks", vpc.name),
                        )
                        .at(&block.loc, "one block too many")
                        .help(format!(
                            "{} allows {max} IPv4 blocks per VPC, the primary included; move the block to another VPC",
                            profile.cloud
                        )),
                    );
                }
            }
            let len = block.request.prefix_len();
            if let Some(sizes) = profile.vpc_sizes(family)
                && !sizes.admits(len)
            {
                self.push(size_error(
                    "ipam::profile::vpc_size",
                    format!("VPC `{}` asks for a /{len} {family} block", vpc.name),
                    &block.loc,
                    &format!("{} allows VPC {family} blocks of", profile.cloud),
                    sizes,
                ));
            }
            if family == Family::V4 {
                self.reserved_range(vpc.name, block, reserved, model);
            }
        }
    }

    /// A VPC IPv4 block in a range the cloud reserves: an explicit CIDR that overlaps one,
    /// or a block requested from a pool whose space lies wholly inside them.
    fn reserved_range(&mut self, vpc: &str, block: &Block, reserved: &Reserved, model: &Model) {
        let profile = model.ipam.profile;
        let (what, hit) = match block.request {
            Request::Cidr(c) => (
                c.to_string(),
                reserved.ranges.iter().find(|r| r.overlaps(&c)).copied(),
            ),
            Request::Netmask(_) => (
                format!("its block from pool `{}`", model.pool(block.pool).name),
                reserved.pools[block.pool.0],
            ),
        };
        if let Some(range) = hit {
            self.push(
                Diag::error(
                    "ipam::profile::vpc_range",
                    format!(
                        "VPC `{vpc}`: {what} lies in {range}, which {} reserves",
                        profile.cloud
                    ),
                )
                .at(&block.loc, format!("in {range}"))
                .help(format!(
                    "{} does not allow VPC blocks in {}; take the block from another range",
                    profile.cloud,
                    reserved
                        .ranges
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
    }

    /// A subnet's size, and its zone in the VPC's region.
    pub(super) fn provider_subnet(
        &mut self,
        subnet: &str,
        family: Family,
        request: (&Request, &Loc),
        zone: Option<(&str, Loc)>,
        region: Option<&str>,
        model: &Model,
    ) {
        let profile = model.ipam.profile;
        let (request, request_loc) = request;
        let len = request.prefix_len();
        if let Some(sizes) = profile.subnet_sizes(family)
            && !sizes.admits(len)
        {
            let noun = if profile.name == "alicloud" {
                "vSwitch"
            } else {
                "subnet"
            };
            self.push(size_error(
                "ipam::profile::subnet_size",
                format!("subnet `{subnet}` is a /{len} {family} block"),
                request_loc,
                &format!("{} allows {noun} {family} blocks of", profile.cloud),
                sizes,
            ));
        }
        if let (true, Some((zone, zone_loc)), Some(region)) =
            (profile.zones_in_region, zone, region)
            && !zone_in_region(zone, region, model.ipam.regions.iter().map(String::as_str))
        {
            self.push(
                Diag::error(
                    "ipam::profile::zone",
                    format!("zone `{zone}` of subnet `{subnet}` is not in region `{region}`"),
                )
                .at(&zone_loc, format!("not a zone of `{region}`"))
                .help(format!(
                    "on {} a subnet's zone belongs to its VPC's region (`{region}a` or `{region}-a`, not another region's): choose a zone of `{region}`, or build the VPC in the zone's region",
                    profile.cloud
                )),
            );
        }
    }
}

fn size_error(code: &'static str, message: String, loc: &Loc, allows: &str, sizes: Sizes) -> Diag {
    Diag::error(code, message)
        .at(loc, "size not allowed")
        .help(format!("{allows} {}", sizes.describe()))
}
