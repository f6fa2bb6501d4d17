//! Lookups over provider JSON that tolerate how exports vary: key case, lists that come as
//! an object when they have one element, numbers written as strings and strings as numbers.

use std::collections::BTreeMap;

use serde_json::Value;

/// The value of `key`, matched exactly or else without regard to ASCII case (the EC2 Query
/// API's `vpcId` for the CLI's `VpcId`). `null` counts as absent.
pub(super) fn get<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    let map = value.as_object()?;
    let found = map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })?;
    (!found.is_null()).then_some(found)
}

/// The ID of one provider entry (under `id_key`) and how skip reports name it. An entry
/// that is not an object, or has no ID, is reported to `sink` as skipped and gives `None`.
pub(super) fn entry_id(
    v: &Value,
    id_key: &str,
    what: &str,
    position: &str,
    sink: &mut super::Sink,
) -> Option<(String, String)> {
    let id = text(get(v, id_key));
    let entry = super::entry_name(id.as_deref(), position);
    if !v.is_object() {
        sink.skip(&entry, format!("not {what}: {}", kind_of(v)));
        return None;
    }
    match id {
        Some(id) => Some((id, entry)),
        None => {
            sink.skip(&entry, format!("no `{id_key}`"));
            None
        }
    }
}

/// The first of `keys` that is present.
pub(super) fn get_any<'v>(value: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    keys.iter().find_map(|k| get(value, k))
}

/// A string (trimmed, non-empty) or an integer, as text: Alibaba writes `OwnerId` as a
/// number, AWS as a string.
pub(super) fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_string())
        }
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        _ => None,
    }
}

/// A non-negative count, written as a number or as a decimal string.
pub(super) fn count(value: Option<&Value>) -> Option<u128> {
    match value? {
        Value::Number(n) => n.as_u64().map(u128::from),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The elements of a list however the export wrote it: an array; an object wrapping the
/// list under one of `wrappers` (`{"Vpc": [...]}`, `{"item": [...]}`), whose content is
/// itself an array, one object or one string; a lone object or string standing for a list
/// of one. `null`, absent and `""` are empty.
pub(super) fn items<'v>(value: Option<&'v Value>, wrappers: &[&str]) -> Vec<&'v Value> {
    let Some(value) = value else {
        return Vec::new();
    };
    let inner = match value {
        Value::Object(map) => wrappers.iter().find_map(|w| {
            let (_, inner) = map.iter().find(|(k, _)| k.eq_ignore_ascii_case(w))?;
            // The wrapper when it is the only key, or holds an array; otherwise the object
            // is itself the one element (and only happens to have a field of that name).
            (map.len() == 1 || inner.is_array()).then_some(inner)
        }),
        _ => None,
    };
    match inner.unwrap_or(value) {
        Value::Array(list) => list.iter().filter(|v| !v.is_null()).collect(),
        Value::Null => Vec::new(),
        Value::String(s) if s.trim().is_empty() => Vec::new(),
        one => vec![one],
    }
}

/// True when `value` is an object holding `key` (the Alibaba shape `{"Vpc": ...}`), or an
/// empty object or string (an Alibaba list with no elements).
pub(super) fn wraps(value: &Value, key: &str) -> bool {
    match value {
        Value::Object(map) => map.is_empty() || get(value, key).is_some(),
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// Tags as a map, from any of: AWS's `[{"Key", "Value"}]`, Alibaba's `{"Tag": [...]}` or
/// `{"Tag": {...}}`, the Query API's `{"item": [...]}`, `TagKey`/`TagValue` pairs, or a plain
/// `{"key": "value"}` object (Terraform). Tags without a key are dropped.
pub(super) fn tags(value: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(value) = value else {
        return out;
    };
    let pairs = match value {
        Value::Object(map)
            if !map.is_empty()
                && !["Tag", "item", "member"]
                    .iter()
                    .any(|w| get(value, w).is_some())
                && get_any(value, &["Key", "TagKey"]).is_none() =>
        {
            // A plain map.
            for (k, v) in map {
                if let Some(v) = scalar(v) {
                    out.insert(k.clone(), v);
                }
            }
            return out;
        }
        _ => items(Some(value), &["Tag", "item", "member"]),
    };
    for pair in pairs {
        let Some(key) = text(get_any(pair, &["Key", "TagKey"])) else {
            continue;
        };
        let value = get_any(pair, &["Value", "TagValue"])
            .and_then(scalar)
            .unwrap_or_default();
        out.insert(key, value);
    }
    out
}

/// A scalar as text (tag values may be numbers or booleans in hand-made files).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// What a JSON value is, for messages: "a string", "an object", ...
pub(super) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The response inside an Alibaba `{"DescribeVpcsResponse": {...}}` wrapper, or the value.
pub(super) fn unwrap_response(value: &Value) -> &Value {
    match value.as_object() {
        Some(map) if map.len() == 1 => match map.iter().next() {
            Some((k, inner)) if k.ends_with("Response") && inner.is_object() => inner,
            _ => value,
        },
        _ => value,
    }
}

/// The keys of the first object of a bare list (`--query 'Vpcs[]'`), to tell its format.
pub(super) fn first_object(value: &Value) -> Option<&Value> {
    value.as_array()?.iter().find(|v| v.is_object())
}

/// True when `value` is an empty list: nothing to read in any list format, so it is read as
/// the first of them (`aws-vpcs`).
pub(super) fn is_empty_list(value: &Value) -> bool {
    value.as_array().is_some_and(Vec::is_empty)
}

/// True for an object with any of `keys` (matched as [`get`] does).
pub(super) fn has_any(value: &Value, keys: &[&str]) -> bool {
    keys.iter().any(|k| get(value, k).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_match_without_case_and_null_is_absent() {
        let v = json!({"VpcId": "a", "cidrBlock": "10.0.0.0/8", "Gone": null});
        assert_eq!(get(&v, "VpcId"), Some(&json!("a")));
        assert_eq!(get(&v, "CidrBlock"), Some(&json!("10.0.0.0/8")));
        assert_eq!(get(&v, "Gone"), None);
        assert_eq!(get(&json!([1]), "x"), None);
    }

    #[test]
    fn text_takes_strings_and_integers() {
        assert_eq!(text(Some(&json!(" a "))), Some("a".into()));
        assert_eq!(text(Some(&json!(1234567))), Some("1234567".into()));
        assert_eq!(text(Some(&json!(""))), None);
        assert_eq!(text(Some(&json!(1.5))), None);
        assert_eq!(text(Some(&json!({}))), None);
        assert_eq!(count(Some(&json!("252"))), Some(252));
        assert_eq!(count(Some(&json!(-1))), None);
    }

    #[test]
    fn lists_come_in_every_shape() {
        let wrapped_array = json!({"Vpc": [{"a": 1}, {"a": 2}]});
        let wrapped_one = json!({"Vpc": {"a": 1}});
        let wrapped_string = json!({"SecondaryCidrBlock": "10.0.0.0/16"});
        assert_eq!(items(Some(&wrapped_array), &["Vpc"]).len(), 2);
        assert_eq!(items(Some(&wrapped_one), &["Vpc"]), [&json!({"a": 1})]);
        assert_eq!(
            items(Some(&wrapped_string), &["SecondaryCidrBlock"]),
            [&json!("10.0.0.0/16")]
        );
        assert_eq!(items(Some(&json!([1, null, 2])), &[]).len(), 2);
        assert!(items(Some(&json!("")), &["x"]).is_empty());
        assert!(items(Some(&json!({"Vpc": []})), &["Vpc"]).is_empty());
        assert!(items(None, &["x"]).is_empty());
        // An element that happens to have a field named like the wrapper is one element.
        let element = json!({"Ipv6CidrBlock": "2408::/56", "Ipv6Isp": "BGP"});
        assert_eq!(items(Some(&element), &["Ipv6CidrBlock"]), [&element]);
    }

    #[test]
    fn tags_in_every_shape() {
        let expected: BTreeMap<String, String> = [("env".to_string(), "prod".to_string())].into();
        for shape in [
            json!([{"Key": "env", "Value": "prod"}]),
            json!({"Tag": [{"Key": "env", "Value": "prod"}]}),
            json!({"Tag": {"Key": "env", "Value": "prod"}}),
            json!({"item": [{"key": "env", "value": "prod"}]}),
            json!([{"TagKey": "env", "TagValue": "prod"}]),
            json!({"env": "prod"}),
        ] {
            assert_eq!(tags(Some(&shape)), expected, "{shape}");
        }
        assert!(tags(Some(&json!(null))).is_empty());
        assert!(tags(Some(&json!([{"Value": "no key"}]))).is_empty());
    }

    #[test]
    fn response_wrappers_come_off() {
        let v = json!({"DescribeVpcsResponse": {"Vpcs": {}}});
        assert_eq!(unwrap_response(&v), &json!({"Vpcs": {}}));
        let plain = json!({"Vpcs": []});
        assert_eq!(unwrap_response(&plain), &plain);
    }
}
