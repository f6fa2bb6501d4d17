//! Regions where an export gives only a zone or an ARN.

/// The region of an availability zone: `us-east-1d` → `us-east-1`, `us-west-2-lax-1a` →
/// `us-west-2` (AWS); `cn-hangzhou-b` → `cn-hangzhou`, `ap-southeast-1a` → `ap-southeast-1`
/// (Alibaba).
pub(super) fn region_of_zone(zone: &str) -> Option<String> {
    let zone = zone.trim();
    let parts: Vec<&str> = zone.split('-').collect();
    // AWS and Alibaba regions that end in a number: up to the first part that starts with
    // a digit, keeping its digits.
    if let Some(i) = parts
        .iter()
        .position(|p| p.as_bytes().first().is_some_and(u8::is_ascii_digit))
    {
        if i == 0 {
            return None;
        }
        let digits: String = parts[i].chars().take_while(char::is_ascii_digit).collect();
        return Some(format!("{}-{digits}", parts[..i].join("-")));
    }
    // Alibaba regions without a number (`cn-hangzhou`): the zone adds `-x`.
    match parts.as_slice() {
        [region @ .., last] if region.len() >= 2 && last.len() == 1 => Some(region.join("-")),
        _ => None,
    }
}

/// The region and account of an ARN: `arn:aws:ec2:us-east-1:111122223333:subnet/…`.
pub(super) fn arn_parts(arn: &str) -> (Option<String>, Option<String>) {
    let mut parts = arn.split(':');
    let (Some("arn"), Some(_partition), Some(_service), Some(region), Some(account)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return (None, None);
    };
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    (some(region), some(account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_give_regions() {
        let cases = [
            ("us-east-1d", Some("us-east-1")),
            ("us-gov-west-1a", Some("us-gov-west-1")),
            ("us-west-2-lax-1a", Some("us-west-2")),
            ("us-east-1-wl1-bos-wlz-1", Some("us-east-1")),
            ("cn-hangzhou-b", Some("cn-hangzhou")),
            ("cn-huhehaote-a", Some("cn-huhehaote")),
            ("ap-southeast-1a", Some("ap-southeast-1")),
            ("cn-shanghai-finance-1z", Some("cn-shanghai-finance-1")),
            ("", None),
            ("1a", None),
            ("zone", None),
        ];
        for (zone, region) in cases {
            assert_eq!(region_of_zone(zone).as_deref(), region, "{zone}");
        }
    }

    #[test]
    fn arns_give_region_and_account() {
        assert_eq!(
            arn_parts("arn:aws:ec2:us-east-1:111122223333:subnet/subnet-1"),
            (Some("us-east-1".into()), Some("111122223333".into()))
        );
        assert_eq!(arn_parts("arn:aws:ec2::1:ipam"), (None, Some("1".into())));
        assert_eq!(arn_parts("not an arn"), (None, None));
    }
}
