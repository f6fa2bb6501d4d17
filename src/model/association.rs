//! AWS's IPv4 CIDR block association restrictions (SPEC §9; the Amazon VPC User Guide, "VPC
//! CIDR blocks", "IPv4 CIDR block association restrictions"): which ranges a VPC may not add
//! as secondary blocks, by the range its primary block is in. Checked on explicit CIDRs when
//! the plan is read, and on every placed block when it is planned (a block carved by netmask
//! has its address only then).

use super::{Model, Request, Vpc};
use crate::addr::{Family, Prefix};
use crate::diag::Diag;

fn v4(a: u8, b: u8, len: u8) -> Prefix {
    let start = u128::from(u32::from_be_bytes([a, b, 0, 0]));
    // Every range below is a well-formed IPv4 prefix.
    Prefix::new(Family::V4, start, len).unwrap_or_else(|| unreachable!("{a}.{b}.0.0/{len}"))
}

/// The ranges a VPC whose primary block is `primary` may not add, and, for a primary in
/// 10.0.0.0/8, whether 10.0.0.0/16 is closed too because one of its other blocks lies in
/// 10.0.0.0/15.
fn forbidden(primary: Prefix, others_in_10_0_15: bool) -> Vec<Prefix> {
    let (ten, s172, s192, s198) = (
        v4(10, 0, 8),
        v4(172, 16, 12),
        v4(192, 168, 16),
        v4(198, 19, 16),
    );
    if ten.contains(&primary) {
        let mut out = vec![s172, s192, s198];
        if others_in_10_0_15 {
            out.push(v4(10, 0, 16));
        }
        out
    } else if s172.contains(&primary) {
        vec![ten, s192, v4(172, 31, 16), s198]
    } else if s192.contains(&primary) {
        vec![ten, s172, s198]
    } else {
        // 198.19.0.0/16, 100.64.0.0/10 and public ranges: no RFC 1918 range, no 198.19/16
        // unless the VPC is in it.
        let mut out = vec![ten, s172, s192];
        if !s198.contains(&primary) {
            out.push(s198);
        }
        out
    }
}

/// For each secondary block of `blocks` (the primary first, then the secondaries in the
/// order they are added) that AWS would refuse to add, its position in `blocks`, the range
/// it lies in, and for 10.0.0.0/16 the earlier block in 10.0.0.0/15 that closes it.
pub fn refused(blocks: &[Prefix]) -> Vec<(usize, Prefix, Option<Prefix>)> {
    let Some((&primary, _)) = blocks.split_first() else {
        return Vec::new();
    };
    if primary.family() != Family::V4 {
        return Vec::new();
    }
    let low = v4(10, 0, 15);
    let mut out = Vec::new();
    for (i, block) in blocks.iter().enumerate().skip(1) {
        // Only blocks already associated count: the primary and the secondaries before it.
        let closer = blocks[..i].iter().find(|b| low.contains(b)).copied();
        if let Some(range) = forbidden(primary, closer.is_some())
            .into_iter()
            .find(|r| r.overlaps(block))
        {
            let closer = closer.filter(|_| range == v4(10, 0, 16));
            out.push((i, range, closer));
        }
    }
    out
}

/// The error for secondary block `k` (0-based) of `vpc`, at `cidr`, in `range`; `closer`,
/// for 10.0.0.0/16, the earlier block in 10.0.0.0/15 that closes it.
fn refusal(
    vpc: &Vpc,
    k: usize,
    cidr: Prefix,
    primary: Prefix,
    range: Prefix,
    closer: Option<Prefix>,
) -> Diag {
    let closed: Vec<String> = forbidden(primary, closer.is_some())
        .iter()
        .map(Prefix::to_string)
        .collect();
    let home = [
        v4(10, 0, 8),
        v4(172, 16, 12),
        v4(192, 168, 16),
        v4(198, 19, 16),
    ]
    .into_iter()
    .find(|r| r.contains(&primary))
    .map_or_else(
        || "a public range or 100.64.0.0/10".to_string(),
        |r| r.to_string(),
    );
    let mut help = format!(
        "AWS does not let a VPC whose primary block is in {home} add blocks in {}",
        closed.join(", ")
    );
    if let Some(closer) = closer {
        help.push_str(&format!(
            " (10.0.0.0/16 because its block {closer} lies in 10.0.0.0/15)"
        ));
    }
    help.push_str(": take the block from a pool in another range");
    Diag::error(
        "ipam::profile::vpc_secondary",
        format!(
            "VPC `{}`: AWS does not let a VPC whose primary block is {primary} add {cidr}",
            vpc.name
        ),
    )
    .at(&vpc.secondary[k].loc, format!("in {range}"))
    .help(help)
}

/// Explicit blocks, when the plan is read: a VPC whose primary and secondaries are all
/// explicit CIDRs is checked here; the others when they are placed.
pub fn check_explicit(model: &Model, vpc: &Vpc) -> Vec<Diag> {
    if !model.ipam.profile.secondary_restrictions {
        return Vec::new();
    }
    let explicit = |r: Request| match r {
        Request::Cidr(c) => Some(c),
        Request::Netmask(_) => None,
    };
    let blocks: Option<Vec<Prefix>> = std::iter::once(&vpc.primary)
        .chain(&vpc.secondary)
        .map(|b| explicit(b.request))
        .collect();
    match blocks {
        Some(blocks) => diags(vpc, &blocks),
        None => Vec::new(),
    }
}

/// Placed blocks (`placed`: the primary, then the secondaries in the VPC's order): the VPCs
/// that have a secondary block and a block carved by netmask.
pub fn check_placed(model: &Model, vpc: &Vpc, placed: &[Prefix]) -> Vec<Diag> {
    let by_netmask = std::iter::once(&vpc.primary)
        .chain(&vpc.secondary)
        .any(|b| matches!(b.request, Request::Netmask(_)));
    if !model.ipam.profile.secondary_restrictions
        || vpc.secondary.is_empty()
        || !by_netmask
        || placed.len() != 1 + vpc.secondary.len()
    {
        return Vec::new();
    }
    diags(vpc, placed)
}

fn diags(vpc: &Vpc, blocks: &[Prefix]) -> Vec<Diag> {
    refused(blocks)
        .into_iter()
        .map(|(i, range, closer)| refusal(vpc, i - 1, blocks[i], blocks[0], range, closer))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        s.parse().expect("test CIDR")
    }

    fn refused_of(blocks: &[&str]) -> Vec<(usize, String)> {
        let blocks: Vec<Prefix> = blocks.iter().map(|b| p(b)).collect();
        refused(&blocks)
            .into_iter()
            .map(|(i, r, _)| (i, r.to_string()))
            .collect()
    }

    #[test]
    fn follows_the_table_by_the_primary_range() {
        // 10.0.0.0/8: no other RFC 1918 range, no 198.19/16; public and 100.64/10 allowed.
        assert_eq!(
            refused_of(&[
                "10.5.0.0/16",
                "172.16.0.0/16",
                "192.168.0.0/16",
                "198.19.0.0/16",
                "100.64.0.0/16",
                "203.0.113.0/24",
                "10.6.0.0/16",
            ]),
            [
                (1, "172.16.0.0/12".to_string()),
                (2, "192.168.0.0/16".to_string()),
                (3, "198.19.0.0/16".to_string()),
            ]
        );
        // 172.16.0.0/12: 172.31.0.0/16 is closed, other 172.16/12 blocks are not.
        assert_eq!(
            refused_of(&[
                "172.20.0.0/16",
                "172.31.0.0/16",
                "172.21.0.0/16",
                "10.0.0.0/16"
            ]),
            [
                (1, "172.31.0.0/16".to_string()),
                (3, "10.0.0.0/8".to_string())
            ]
        );
        assert_eq!(
            refused_of(&["192.168.0.0/20", "192.168.16.0/20", "172.16.0.0/20"]),
            [(2, "172.16.0.0/12".to_string())]
        );
        // A public primary: no RFC 1918 range, no 198.19/16; 100.64/10 allowed.
        assert_eq!(
            refused_of(&[
                "203.0.113.0/24",
                "100.64.0.0/16",
                "198.19.0.0/24",
                "10.0.0.0/16"
            ]),
            [
                (2, "198.19.0.0/16".to_string()),
                (3, "10.0.0.0/8".to_string())
            ]
        );
        // 198.19.0.0/16 itself: more of it is fine.
        assert!(refused_of(&["198.19.0.0/24", "198.19.1.0/24"]).is_empty());
    }

    #[test]
    fn closes_10_0_0_0_16_while_a_block_lies_in_10_0_0_0_15() {
        assert_eq!(
            refused_of(&["10.1.0.0/16", "10.0.0.0/16"]),
            [(1, "10.0.0.0/16".to_string())]
        );
        assert_eq!(
            refused_of(&["10.2.0.0/16", "10.0.0.0/16"]),
            Vec::<(usize, String)>::new(),
            "no block in 10.0.0.0/15"
        );
        assert_eq!(
            refused_of(&["10.2.0.0/16", "10.1.128.0/20", "10.0.0.0/20"]),
            [(2, "10.0.0.0/16".to_string())],
            "a secondary in 10.0.0.0/15 closes it too"
        );
        // Only blocks added before: the first of two in 10.0.0.0/16 is added while none
        // lies in 10.0.0.0/15, and then closes it for the second.
        assert_eq!(
            refused_of(&["10.2.0.0/16", "10.0.0.0/20", "10.0.16.0/20"]),
            [(2, "10.0.0.0/16".to_string())]
        );
        let blocks: Vec<Prefix> = ["10.2.0.0/16", "10.0.0.0/20", "10.0.16.0/20"]
            .iter()
            .map(|b| p(b))
            .collect();
        assert_eq!(
            refused(&blocks)[0].2,
            Some(p("10.0.0.0/20")),
            "names the closer"
        );
    }
}
