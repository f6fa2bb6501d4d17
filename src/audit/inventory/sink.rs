//! Building rows: what every reader hands over (a resource and its raw CIDRs), checked here
//! once, each bad CIDR turned into a skip with its reason.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::intern::{Interner, Slot};
use super::normalize::{Chunk, normalize};
use super::{Discovered, Format, Inventory, Kind, Skipped};
use crate::addr::{Family, Prefix, PrefixError};
use crate::diag::Diag;

/// Where the rows and skips of one file go while it is read.
pub(super) struct Sink {
    /// The file, as shown to the user.
    pub(super) source: String,
    /// The same, as the rows hold it.
    pub(super) row_source: Arc<str>,
    /// The file's distinct regions, accounts, zones and tag sets.
    pub(super) strings: Interner,
    pub(super) rows: Vec<Discovered>,
    /// Beside each row: whether the inventory said it is primary (`None`: it did not, and
    /// [`normalize`] decides).
    pub(super) given: Vec<Option<bool>>,
    /// Rows already in chunks (a native file read by several threads), before `rows`.
    pub(super) chunks: Vec<Chunk>,
    pub(super) skipped: Vec<Skipped>,
    /// In a file of several JSON documents, the one being read (1-based): skips and errors
    /// name it, since each document numbers its entries from 0.
    pub(super) document: Option<usize>,
}

/// What every row of one resource shares.
pub(super) struct Resource {
    pub(super) id: String,
    pub(super) kind: Kind,
    pub(super) region: Option<String>,
    pub(super) account: Option<String>,
    pub(super) vpc_id: Option<String>,
    pub(super) zone: Option<String>,
    pub(super) tags: BTreeMap<String, String>,
    pub(super) name: Option<String>,
}

/// What a reader knows about a block's usage.
#[derive(Clone, Copy)]
pub(super) enum Usage {
    Unknown,
    /// The share of the block in use (a cloud IPAM's `IpUsage`): `used` is that share of the
    /// block's addresses, `total` the block's size.
    Share(f64),
    /// Counts as the provider gives them.
    Counts {
        used: u128,
        total: u128,
    },
    /// The provider's count of free addresses and the number it reserves per subnet.
    Available {
        available: u128,
        reserved: u128,
    },
}

/// A CIDR as the inventory writes it, before it is checked.
pub(super) struct RawCidr {
    /// The field it came from, for the skip reason.
    pub(super) field: String,
    pub(super) text: String,
    pub(super) primary: bool,
    /// Whether the export says which block is primary; when it does not (a cloud IPAM lists
    /// each block alone), the first IPv4 block of the resource is (see `normalize`).
    pub(super) said: bool,
    pub(super) usage: Usage,
}

impl RawCidr {
    pub(super) fn new(field: impl Into<String>, text: impl Into<String>, primary: bool) -> RawCidr {
        RawCidr {
            field: field.into(),
            text: text.into(),
            primary,
            said: true,
            usage: Usage::Unknown,
        }
    }

    /// Makes the first IPv4 block primary (the first block, when none is IPv4), unless one
    /// already is: for networks whose address space has no primary of its own.
    pub(super) fn first_ipv4_primary(cidrs: &mut [RawCidr]) {
        if cidrs.iter().any(|c| c.primary) {
            return;
        }
        let first = cidrs
            .iter()
            .position(|c| !c.text.contains(':'))
            .or((!cidrs.is_empty()).then_some(0));
        if let Some(i) = first {
            cidrs[i].primary = true;
        }
    }

    /// A block of an export that does not say which block is primary.
    pub(super) fn unsaid(field: impl Into<String>, text: impl Into<String>) -> RawCidr {
        RawCidr {
            said: false,
            ..RawCidr::new(field, text, false)
        }
    }
}

impl Sink {
    pub(super) fn new(source: String) -> Sink {
        Sink {
            row_source: Arc::from(source.as_str()),
            source,
            strings: Interner::default(),
            rows: Vec::new(),
            given: Vec::new(),
            chunks: Vec::new(),
            skipped: Vec::new(),
            document: None,
        }
    }

    /// The file, and the document within it when it holds several: `all.json (document 2)`.
    pub(super) fn label(&self) -> String {
        match self.document {
            Some(n) => format!("{} (document {n})", self.source),
            None => self.source.clone(),
        }
    }

    pub(super) fn skip(&mut self, entry: &str, reason: impl Into<String>) {
        self.skipped.push(Skipped {
            source: format!("{}: {entry}", self.label()),
            reason: reason.into(),
        });
    }

    /// One row per distinct valid CIDR of a resource; each bad one skipped with its reason.
    /// `expected` names the CIDR field for the skip of a resource that has none.
    pub(super) fn emit(
        &mut self,
        entry: &str,
        resource: Resource,
        cidrs: Vec<RawCidr>,
        expected: &str,
    ) {
        if cidrs.is_empty() {
            self.skip(entry, format!("no `{expected}`"));
            return;
        }
        let mut seen: Vec<Prefix> = Vec::with_capacity(cidrs.len());
        let mut seen_bad: Vec<&str> = Vec::new();
        let mut rows = Vec::with_capacity(cidrs.len());
        for raw in &cidrs {
            match raw.text.parse::<Prefix>() {
                Ok(cidr) => {
                    if seen.contains(&cidr) {
                        continue;
                    }
                    seen.push(cidr);
                    let (used, total) = usage(raw.usage, cidr);
                    rows.push((cidr, raw.said.then_some(raw.primary), used, total));
                }
                Err(e) => {
                    if seen_bad.contains(&raw.text.as_str()) {
                        continue;
                    }
                    seen_bad.push(&raw.text);
                    let reason = cidr_problem(&raw.field, &raw.text, &e);
                    self.skip(entry, reason);
                }
            }
        }
        if rows.is_empty() {
            return;
        }
        // Every row of the resource shares its strings and tags.
        let strings = &mut self.strings;
        let mut shared = |text: Option<String>, field| text.map(|t| strings.shared(field, &t));
        let region = shared(resource.region, Slot::Region);
        let account = shared(resource.account, Slot::Account);
        let vpc_id = shared(resource.vpc_id, Slot::VpcId);
        let zone = shared(resource.zone, Slot::Zone);
        let id: Arc<str> = resource.id.into();
        let name: Option<Arc<str>> = resource.name.map(Arc::from);
        let tags = self.strings.tags(resource.tags);
        for (cidr, primary, used, total) in rows {
            self.rows.push(Discovered {
                id: id.clone(),
                kind: resource.kind,
                cidr,
                region: region.clone(),
                account: account.clone(),
                vpc_id: vpc_id.clone(),
                zone: zone.clone(),
                used,
                total,
                tags: tags.clone(),
                name: name.clone(),
                source: self.row_source.clone(),
                primary: primary.unwrap_or(false),
            });
            self.given.push(primary);
        }
    }

    /// Reads every entry with `read`: on several cores when there are many (each thread into
    /// a sink of its own, which are then joined in order, so rows and skips come as if read
    /// one by one). Parsing each entry is most of reading a large export.
    pub(super) fn each<T: Sync>(&mut self, entries: &[T], read: impl Fn(&T, &mut Sink) + Sync) {
        /// Below this, a thread costs more than it saves.
        const MIN_PART: usize = 4_096;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8)
            .min(entries.len() / MIN_PART);
        if threads <= 1 {
            for entry in entries {
                read(entry, self);
            }
            return;
        }
        let part = entries.len().div_ceil(threads);
        let read = &read;
        let parts: Vec<Sink> = std::thread::scope(|s| {
            let handles: Vec<_> = entries
                .chunks(part)
                .map(|chunk| {
                    let mut sink = Sink::new(self.source.clone());
                    sink.row_source = self.row_source.clone();
                    sink.document = self.document;
                    s.spawn(move || {
                        for entry in chunk {
                            read(entry, &mut sink);
                        }
                        sink
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        // What this sink read before comes first.
        if !self.rows.is_empty() {
            let rows = std::mem::take(&mut self.rows);
            let given = std::mem::take(&mut self.given);
            self.chunks
                .push(Chunk::new(self.row_source.clone(), rows, given));
        }
        for part in parts {
            let (mut chunks, mut skipped) = part.into_parts();
            self.chunks.append(&mut chunks);
            self.skipped.append(&mut skipped);
        }
    }

    /// The rows read, in reading order, and the skips.
    pub(super) fn into_parts(mut self) -> (Vec<Chunk>, Vec<Skipped>) {
        if !self.rows.is_empty() {
            let rows = Chunk::new(self.row_source, self.rows, self.given);
            self.chunks.push(rows);
        }
        (self.chunks, self.skipped)
    }

    /// Sorts, merges duplicates and fills regions: the inventory of this one file.
    pub(super) fn finish(self) -> Inventory {
        let (chunks, skipped) = self.into_parts();
        Inventory {
            resources: normalize(chunks),
            skipped,
        }
    }
}

/// `used` and `total` of a block. A provider's count applies to IPv4 blocks only.
fn usage(usage: Usage, cidr: Prefix) -> (Option<u128>, Option<u128>) {
    match usage {
        Usage::Unknown => (None, None),
        Usage::Counts { used, total } => (Some(used.min(total)), Some(total)),
        Usage::Share(share) => {
            let Some(size) = cidr.size().to_u128() else {
                return (None, None);
            };
            if !(0.0..=1.0).contains(&share) {
                return (None, None);
            }
            // Exact enough: IPv4 sizes are exact in an f64; IPv6 shares are estimates anyway.
            let used = (share * size as f64).round() as u128;
            (Some(used.min(size)), Some(size))
        }
        Usage::Available {
            available,
            reserved,
        } => {
            if cidr.family() != Family::V4 {
                return (None, None);
            }
            let Some(size) = cidr.size().to_u128() else {
                return (None, None);
            };
            let total = size.saturating_sub(reserved);
            (Some(total.saturating_sub(available)), Some(total))
        }
    }
}

/// True when a CIDR was redacted rather than mistyped: `2408:XXXX::/56`, `10.*.0.0/16`.
fn is_masked(text: &str) -> bool {
    text.contains(['X', 'x', '*'])
}

/// The skip reason for a CIDR that does not parse, with the canonical suggestion for one
/// with host bits set.
pub(super) fn cidr_problem(field: &str, text: &str, e: &PrefixError) -> String {
    if is_masked(text) {
        format!("`{field}` `{text}` is masked: the export hides part of the address")
    } else {
        format!("`{field}`: {e}; {}", e.help())
    }
}

/// The error for a file that lacks what its (forced or detected) format must have.
pub(super) fn not_this_format(sink: &Sink, name: &str, what: &str, help: &str) -> Box<Diag> {
    let format: &str = match Format::named(name) {
        Some(f) => f.describe(),
        None => name,
    };
    Box::new(
        Diag::error(
            "ipam::audit::format",
            format!("{} {what}: it is not {format}", sink.label()),
        )
        .help(format!("{help}; or name the file's format with --format")),
    )
}

/// Names an entry by ID and position: `vpc-1 (Vpcs[0])`, or the position alone.
pub(super) fn entry_name(id: Option<&str>, position: &str) -> String {
    match id {
        Some(id) => format!("{id} ({position})"),
        None => position.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_and_host_bit_cidrs_have_precise_reasons() {
        let e = "10.0.0.1/16".parse::<Prefix>().expect_err("host bits");
        assert_eq!(
            cidr_problem("CidrBlock", "10.0.0.1/16", &e),
            "`CidrBlock`: `10.0.0.1/16` has host bits set; did you mean 10.0.0.0/16?"
        );
        let e = "2408:XXXX::/56".parse::<Prefix>().expect_err("masked");
        assert!(cidr_problem("Ipv6CidrBlock", "2408:XXXX::/56", &e).contains("is masked"));
    }

    #[test]
    fn usage_subtracts_reserved_addresses_for_ipv4_only() {
        let v4: Prefix = "10.0.0.0/24".parse().expect("cidr");
        let v6: Prefix = "2600::/64".parse().expect("cidr");
        let aws = Usage::Available {
            available: 251,
            reserved: 5,
        };
        assert_eq!(usage(aws, v4), (Some(0), Some(251)));
        assert_eq!(usage(aws, v6), (None, None));
        let more_free_than_usable = Usage::Available {
            available: 999,
            reserved: 4,
        };
        assert_eq!(usage(more_free_than_usable, v4), (Some(0), Some(252)));
        // A cloud IPAM's share of the block, and counts as given.
        let slash20: Prefix = "172.31.0.0/20".parse().expect("cidr");
        assert_eq!(usage(Usage::Share(0.0012), slash20), (Some(5), Some(4096)));
        assert_eq!(usage(Usage::Share(1.5), slash20), (None, None));
        assert_eq!(usage(Usage::Share(f64::NAN), slash20), (None, None));
        assert_eq!(usage(Usage::Share(0.5), v6), (Some(1 << 63), Some(1 << 64)));
        assert_eq!(
            usage(
                Usage::Counts {
                    used: 300,
                    total: 252
                },
                v4
            ),
            (Some(252), Some(252))
        );
    }

    #[test]
    fn the_first_ipv4_block_is_primary_when_none_is() {
        let mut cidrs = vec![
            RawCidr::new("a", "2001:db8::/56", false),
            RawCidr::new("a", "10.0.0.0/16", false),
        ];
        RawCidr::first_ipv4_primary(&mut cidrs);
        assert_eq!(
            cidrs.iter().map(|c| c.primary).collect::<Vec<_>>(),
            [false, true]
        );
        let mut v6 = vec![RawCidr::new("a", "2001:db8::/56", false)];
        RawCidr::first_ipv4_primary(&mut v6);
        assert!(v6[0].primary);
        let mut said = vec![
            RawCidr::new("a", "10.0.0.0/16", false),
            RawCidr::new("a", "10.1.0.0/16", true),
        ];
        RawCidr::first_ipv4_primary(&mut said);
        assert!(!said[0].primary && said[1].primary);
    }
}
