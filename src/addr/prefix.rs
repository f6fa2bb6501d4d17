//! Canonical CIDR prefixes and exact address counts.
//!
//! Both families go through one representation: the network address as a `u128` (IPv4 uses the
//! low 32 bits) plus a prefix length. Everything above this module (the allocator, the overlap
//! sweep, the model) does its arithmetic on that, so IPv4 and IPv6 share every code path.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An IP version. Ordered so that IPv4 sorts before IPv6 everywhere output is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Family {
    #[serde(rename = "4")]
    V4,
    #[serde(rename = "6")]
    V6,
}

impl Family {
    /// Address width in bits: 32 or 128.
    pub const fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    /// The version number users write: 4 or 6.
    pub const fn number(self) -> u8 {
        match self {
            Family::V4 => 4,
            Family::V6 => 6,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IPv{}", self.number())
    }
}

/// Why a string is not a canonical CIDR. Messages are written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    #[error(
        "`{input}` is not a CIDR block: expected an address and a prefix length, like 10.0.0.0/16"
    )]
    Syntax { input: String },
    #[error("`{input}` has no prefix length")]
    MissingLength { input: String },
    #[error("`{input}`: prefix length {len} is out of range for {family} (0 to {})", family.bits())]
    Length {
        input: String,
        family: Family,
        len: String,
    },
    #[error("`{input}` has host bits set")]
    HostBits { input: String, canonical: Prefix },
}

impl PrefixError {
    /// A help line that tells the user how to fix the input.
    pub fn help(&self) -> String {
        match self {
            PrefixError::Syntax { .. } => {
                "write the network address, a slash and the prefix length, e.g. 10.0.0.0/16 or 2001:db8::/32".into()
            }
            PrefixError::MissingLength { input } => {
                format!("add the prefix length, e.g. {input}/24")
            }
            PrefixError::Length { family, .. } => {
                format!("an {family} prefix length is between 0 and {}", family.bits())
            }
            PrefixError::HostBits { canonical, .. } => format!("did you mean {canonical}?"),
        }
    }
}

/// A canonical CIDR block: the address has no bits set beyond the prefix length.
///
/// Ordering is by family, then network address, then prefix length (shorter first), so that a
/// sorted list reads in address order with every container just before what it contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix {
    family: Family,
    start: u128,
    len: u8,
}

impl Prefix {
    /// Builds a prefix from raw parts, refusing host bits and out-of-range lengths.
    pub fn new(family: Family, start: u128, len: u8) -> Option<Prefix> {
        if len > family.bits() || start > max_addr(family) || start & host_mask(family, len) != 0 {
            return None;
        }
        Some(Prefix { family, start, len })
    }

    /// The prefix of length `len` containing `addr`, host bits cleared. `len` must be valid.
    pub(crate) fn containing(family: Family, addr: u128, len: u8) -> Prefix {
        debug_assert!(len <= family.bits());
        Prefix {
            family,
            start: addr & !host_mask(family, len),
            len,
        }
    }

    pub const fn family(&self) -> Family {
        self.family
    }

    /// The network address as an integer (IPv4 in the low 32 bits).
    pub const fn start(&self) -> u128 {
        self.start
    }

    /// The last address of the block, inclusive.
    pub fn end(&self) -> u128 {
        self.start | host_mask(self.family, self.len)
    }

    /// The prefix length.
    pub const fn prefix_len(&self) -> u8 {
        self.len
    }

    /// Number of host bits: address width minus prefix length.
    pub const fn host_bits(&self) -> u8 {
        self.family.bits() - self.len
    }

    /// Number of addresses in the block.
    pub fn size(&self) -> AddrCount {
        AddrCount::pow2(self.host_bits())
    }

    /// True when `other` lies entirely inside `self` (a prefix contains itself).
    pub fn contains(&self, other: &Prefix) -> bool {
        self.family == other.family
            && self.len <= other.len
            && other.start & !host_mask(self.family, self.len) == self.start
    }

    /// True when the two blocks share any address. Prefixes are nested or disjoint, so this is
    /// containment in either direction.
    pub fn overlaps(&self, other: &Prefix) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// The enclosing block one bit shorter, or `None` for a /0.
    pub fn parent(&self) -> Option<Prefix> {
        (self.len > 0).then(|| Prefix::containing(self.family, self.start, self.len - 1))
    }

    /// The other half of this block's parent, or `None` for a /0.
    pub fn buddy(&self) -> Option<Prefix> {
        (self.len > 0).then(|| Prefix {
            family: self.family,
            start: self.start ^ (1u128 << self.host_bits()),
            len: self.len,
        })
    }

    /// The `ipnet` form, for display and interop.
    pub fn to_ipnet(&self) -> IpNet {
        match self.family {
            // In range by construction: IPv4 starts are < 2^32 and lengths ≤ 32.
            Family::V4 => IpNet::V4(
                Ipv4Net::new(Ipv4Addr::from(self.start as u32), self.len).unwrap_or_default(),
            ),
            Family::V6 => {
                IpNet::V6(Ipv6Net::new(Ipv6Addr::from(self.start), self.len).unwrap_or_default())
            }
        }
    }

    /// Converts a canonical `IpNet`; a non-canonical one is refused with the suggestion.
    pub fn from_ipnet(net: IpNet) -> Result<Prefix, PrefixError> {
        let (family, addr) = match net.addr() {
            IpAddr::V4(a) => (Family::V4, u128::from(u32::from(a))),
            IpAddr::V6(a) => (Family::V6, u128::from(a)),
        };
        let canonical = Prefix::containing(family, addr, net.prefix_len());
        if canonical.start != addr {
            return Err(PrefixError::HostBits {
                input: net.to_string(),
                canonical,
            });
        }
        Ok(canonical)
    }
}

impl Ord for Prefix {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.family, self.start, self.len).cmp(&(other.family, other.start, other.len))
    }
}

impl PartialOrd for Prefix {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_ipnet(), f)
    }
}

impl FromStr for Prefix {
    type Err = PrefixError;

    fn from_str(input: &str) -> Result<Prefix, PrefixError> {
        let trimmed = input.trim();
        let Some((addr, len)) = trimmed.split_once('/') else {
            return Err(if trimmed.parse::<IpAddr>().is_ok() {
                PrefixError::MissingLength {
                    input: input.into(),
                }
            } else {
                PrefixError::Syntax {
                    input: input.into(),
                }
            });
        };
        let addr: IpAddr = addr.parse().map_err(|_| PrefixError::Syntax {
            input: input.into(),
        })?;
        let family = match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        };
        let len_error = || PrefixError::Length {
            input: input.into(),
            family,
            len: len.into(),
        };
        // Digits only: `+8` or ` 8` would be accepted by `u8::from_str` but is not a CIDR.
        if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(len_error());
        }
        let len: u8 = len.parse().map_err(|_| len_error())?;
        if len > family.bits() {
            return Err(len_error());
        }
        let net = match addr {
            IpAddr::V4(a) => IpNet::V4(Ipv4Net::new(a, len).map_err(|_| len_error())?),
            IpAddr::V6(a) => IpNet::V6(Ipv6Net::new(a, len).map_err(|_| len_error())?),
        };
        Prefix::from_ipnet(net).map_err(|e| match e {
            PrefixError::HostBits { canonical, .. } => PrefixError::HostBits {
                input: input.into(),
                canonical,
            },
            other => other,
        })
    }
}

impl Serialize for Prefix {
    /// As its text, formatted on the stack: a million rows of audit JSON serialize a
    /// million CIDRs.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use std::io::Write as _;
        // The longest CIDR, `ffff:…:ffff/128`, is 43 bytes.
        let mut buf = [0u8; 64];
        let mut cursor = std::io::Cursor::new(&mut buf[..]);
        if write!(cursor, "{self}").is_err() {
            return serializer.collect_str(self);
        }
        let len = cursor.position() as usize;
        match std::str::from_utf8(&buf[..len]) {
            Ok(text) => serializer.serialize_str(text),
            Err(_) => serializer.collect_str(self),
        }
    }
}

impl schemars::JsonSchema for Prefix {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Cidr".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A canonical CIDR block (no host bits set), IPv4 or IPv6.",
            "type": "string",
            "examples": ["10.0.0.0/8", "2001:db8::/48"]
        })
    }
}

impl<'de> Deserialize<'de> for Prefix {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Prefix, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|e: PrefixError| serde::de::Error::custom(format_args!("{e}; {}", e.help())))
    }
}

/// The highest address of a family.
pub(crate) const fn max_addr(family: Family) -> u128 {
    match family {
        Family::V4 => u32::MAX as u128,
        Family::V6 => u128::MAX,
    }
}

/// The host part of a prefix of length `len`: the bits below it, set.
pub(crate) const fn host_mask(family: Family, len: u8) -> u128 {
    let host_bits = family.bits() - len;
    if host_bits == 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    }
}

/// An exact count of addresses, from 0 to 2^128 inclusive (the size of `::/0`, one more than a
/// `u128` holds). Shown as a decimal string in JSON because IPv6 counts exceed JSON integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AddrCount {
    /// Set only for exactly 2^128, with `low == 0`.
    full: bool,
    low: u128,
}

impl AddrCount {
    pub const ZERO: AddrCount = AddrCount {
        full: false,
        low: 0,
    };

    /// 2^`bits`, for `bits` ≤ 128.
    pub const fn pow2(bits: u8) -> AddrCount {
        if bits >= 128 {
            AddrCount { full: true, low: 0 }
        } else {
            AddrCount {
                full: false,
                low: 1u128 << bits,
            }
        }
    }

    /// Whether the count is zero.
    pub fn is_zero(&self) -> bool {
        *self == AddrCount::ZERO
    }

    /// The count as a `u128`, or `None` for 2^128.
    pub const fn to_u128(self) -> Option<u128> {
        if self.full { None } else { Some(self.low) }
    }

    /// `self / total` as a fraction in [0, 1]; 0 when `total` is zero.
    pub fn ratio(self, total: AddrCount) -> f64 {
        if total == AddrCount::ZERO {
            return 0.0;
        }
        self.as_f64() / total.as_f64()
    }

    /// The count as a float (exact up to 2^53; close enough beyond for ratios and trends).
    pub fn as_f64(self) -> f64 {
        if self.full {
            2f64.powi(128)
        } else {
            self.low as f64
        }
    }

    /// Sum; the counts handled here never exceed one address space, so this cannot overflow.
    pub fn plus(self, other: AddrCount) -> AddrCount {
        let (low, carry) = self.low.overflowing_add(other.low);
        debug_assert!(!(carry && (self.full || other.full)));
        AddrCount {
            full: self.full || other.full || carry,
            low,
        }
    }

    /// Difference, saturating at zero.
    pub fn minus(self, other: AddrCount) -> AddrCount {
        if other > self {
            return AddrCount::ZERO;
        }
        let (low, borrow) = self.low.overflowing_sub(other.low);
        AddrCount {
            full: self.full && !other.full && !borrow,
            low,
        }
    }
}

impl fmt::Display for AddrCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.full {
            f.write_str("340282366920938463463374607431768211456")
        } else {
            write!(f, "{}", self.low)
        }
    }
}

impl Serialize for AddrCount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Read back as written: a decimal string (a history keeps counts as `show --json` prints
/// them).
impl<'de> Deserialize<'de> for AddrCount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AddrCount, D::Error> {
        let text = <std::borrow::Cow<str>>::deserialize(deserializer)?;
        if text == "340282366920938463463374607431768211456" {
            return Ok(AddrCount::pow2(128));
        }
        match text.parse::<u128>() {
            Ok(low) if !text.starts_with('+') => Ok(AddrCount { full: false, low }),
            _ => Err(serde::de::Error::custom(format_args!(
                "`{text}` is not a count of addresses (a decimal number up to 2^128)"
            ))),
        }
    }
}

impl schemars::JsonSchema for AddrCount {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AddressCount".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A number of addresses, as a decimal string (IPv6 counts exceed JSON numbers).",
            "type": "string",
            "pattern": "^[0-9]+$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        s.parse().expect("valid prefix")
    }

    #[test]
    fn parses_both_families() {
        let v4 = p("10.0.0.0/8");
        assert_eq!(v4.family(), Family::V4);
        assert_eq!(v4.start(), 0x0a00_0000);
        assert_eq!(v4.end(), 0x0aff_ffff);
        assert_eq!(v4.to_string(), "10.0.0.0/8");
        let v6 = p("2001:db8::/32");
        assert_eq!(v6.family(), Family::V6);
        assert_eq!(v6.prefix_len(), 32);
        assert_eq!(v6.to_string(), "2001:db8::/32");
    }

    #[test]
    fn host_bits_suggest_the_canonical_block() {
        let err = "10.0.0.1/8".parse::<Prefix>().unwrap_err();
        assert_eq!(err.to_string(), "`10.0.0.1/8` has host bits set");
        assert_eq!(err.help(), "did you mean 10.0.0.0/8?");
        let err = "2001:db8::1/64".parse::<Prefix>().unwrap_err();
        assert_eq!(err.help(), "did you mean 2001:db8::/64?");
    }

    #[test]
    fn refuses_bad_lengths_and_syntax() {
        for bad in [
            "10.0.0.0/33",
            "10.0.0.0/",
            "10.0.0.0/x",
            "10.0.0.0/+8",
            "::/129",
        ] {
            assert!(
                matches!(bad.parse::<Prefix>(), Err(PrefixError::Length { .. })),
                "{bad}"
            );
        }
        for bad in ["", "ten/8", "10.0.0/8", "10.0.0.0.0/8", "/8"] {
            assert!(
                matches!(bad.parse::<Prefix>(), Err(PrefixError::Syntax { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            "10.1.2.3".parse::<Prefix>(),
            Err(PrefixError::MissingLength { .. })
        ));
    }

    #[test]
    fn edges_of_the_space() {
        let all4 = p("0.0.0.0/0");
        assert_eq!(all4.size().to_u128(), Some(1 << 32));
        assert_eq!(all4.end(), u32::MAX as u128);
        let host = p("255.255.255.255/32");
        assert_eq!(host.size().to_u128(), Some(1));
        assert!(all4.contains(&host));
        let all6 = p("::/0");
        assert_eq!(all6.size().to_u128(), None);
        assert_eq!(
            all6.size().to_string(),
            "340282366920938463463374607431768211456"
        );
        assert_eq!(all6.end(), u128::MAX);
        assert!(all6.contains(&p("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")));
        assert!(!all6.contains(&all4), "families never contain each other");
        assert_eq!(all4.parent(), None);
        assert_eq!(all4.buddy(), None);
    }

    #[test]
    fn containment_buddies_and_order() {
        let a = p("10.0.0.0/24");
        let b = p("10.0.1.0/24");
        assert_eq!(a.buddy(), Some(b));
        assert_eq!(b.buddy(), Some(a));
        assert_eq!(a.parent(), Some(p("10.0.0.0/23")));
        assert!(p("10.0.0.0/23").contains(&b));
        assert!(!a.overlaps(&b));
        assert!(a.overlaps(&p("10.0.0.0/8")));
        let mut v = vec![b, p("10.0.0.0/8"), a, p("::/0")];
        v.sort();
        assert_eq!(v, vec![p("10.0.0.0/8"), a, b, p("::/0")]);
    }

    #[test]
    fn counts_are_exact_up_to_2_pow_128() {
        let half = AddrCount::pow2(127);
        let full = half.plus(half);
        assert_eq!(full, AddrCount::pow2(128));
        assert_eq!(full.minus(half), half);
        assert_eq!(full.minus(full), AddrCount::ZERO);
        assert_eq!(half.minus(full), AddrCount::ZERO);
        assert!((half.ratio(full) - 0.5).abs() < f64::EPSILON);
        assert_eq!(AddrCount::ZERO.ratio(AddrCount::ZERO), 0.0);
    }

    #[test]
    fn serde_round_trip() {
        let json = serde_json::to_string(&p("10.1.0.0/16")).expect("serializes");
        assert_eq!(json, "\"10.1.0.0/16\"");
        let back: Prefix = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, p("10.1.0.0/16"));
        let err = serde_json::from_str::<Prefix>("\"10.1.0.1/16\"").unwrap_err();
        assert!(err.to_string().contains("did you mean 10.1.0.0/16?"));
        assert_eq!(
            serde_json::to_string(&AddrCount::pow2(128)).expect("serializes"),
            "\"340282366920938463463374607431768211456\""
        );
    }
}
