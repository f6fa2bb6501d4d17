//! A saved plan's `configuration`: what `terraform show -json` of a plan says about values
//! it does not know yet. A network created by the plan has no ID until it is applied, so it
//! is named by its address, and its subnets (whose `vpc_id` is unknown too) are tied to it by
//! the reference their configuration makes (`vpc_id = aws_vpc.main.id`). Each resource's
//! region comes from its provider configuration when that is a constant.

use std::collections::HashMap;

use serde_json::Value;

use super::super::doc::Doc;
use super::super::json::{get, text};
use super::types::{Context, Type};

/// What the configuration says of each resource, by module path and resource address.
#[derive(Default)]
pub(super) struct Config {
    /// `(module path, resource address)` → the resource's configuration, e.g.
    /// `("vpc_module", "aws_subnet.private")`.
    resources: HashMap<(String, String), Value>,
    /// Provider configuration key → its constant `region`.
    regions: HashMap<String, String>,
}

impl Config {
    /// Reads `configuration`; an absent or odd one says nothing.
    pub(super) fn read(doc: Option<Doc>) -> Config {
        let mut config = Config::default();
        let Some(value) = doc.map(Doc::value) else {
            return config;
        };
        if let Some(Value::Object(providers)) = get(&value, "provider_config") {
            for (key, provider) in providers {
                let region = get(provider, "expressions")
                    .and_then(|e| get(e, "region"))
                    .and_then(|r| text(get(r, "constant_value")));
                if let Some(region) = region {
                    config.regions.insert(key.clone(), region);
                }
            }
        }
        if let Some(root) = get(&value, "root_module") {
            config.module(root, "", 0);
        }
        config
    }

    fn module(&mut self, module: &Value, path: &str, depth: usize) {
        // Module calls nest as deep as the document does; the parser limits that already.
        if depth > 64 {
            return;
        }
        if let Some(Value::Array(resources)) = get(module, "resources") {
            for r in resources {
                if let Some(address) = text(get(r, "address")) {
                    self.resources
                        .insert((path.to_string(), address), r.clone());
                }
            }
        }
        if let Some(Value::Object(calls)) = get(module, "module_calls") {
            for (name, call) in calls {
                if let Some(inner) = get(call, "module") {
                    let path = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    self.module(inner, &path, depth + 1);
                }
            }
        }
    }

    /// What the configuration tells about the planned resource at `address`.
    pub(super) fn context(&self, address: &str, ty: Type) -> Context {
        let mut context = Context {
            address: Some(address.to_string()),
            ..Context::default()
        };
        let Some((instance, path, resource)) = split_address(address) else {
            return context;
        };
        let Some(config) = self.resources.get(&(path, resource)) else {
            return context;
        };
        // `vpc_module:aws`: a module without a provider block of its own inherits its
        // parent's, and in the end the root module's (`aws`).
        let mut key = text(get(config, "provider_config_key"));
        while let Some(k) = key.take() {
            if let Some(region) = self.regions.get(&k) {
                context.region = Some(region.clone());
                break;
            }
            key = k.split_once(':').map(|(_, inner)| inner.to_string());
        }
        if let Some(attribute) = ty.network_reference() {
            let references = get(config, "expressions")
                .and_then(|e| get(e, attribute))
                .and_then(|a| get(a, "references"))
                .and_then(Value::as_array);
            context.network = references
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .find_map(resource_reference)
                .map(|r| match instance.as_str() {
                    "" => r,
                    module => format!("{module}.{r}"),
                });
        }
        context
    }
}

/// `module.a["x"].module.b.aws_subnet.s[0]` → (`module.a["x"].module.b`, `a.b`,
/// `aws_subnet.s`): the module instance, the module path in the configuration, and the
/// resource's address in its module without an index.
fn split_address(address: &str) -> Option<(String, String, String)> {
    let mut rest = address;
    let mut path = Vec::new();
    let mut instance_end = 0;
    while let Some(after) = rest.strip_prefix("module.") {
        let name_end = after.find(['.', '['])?;
        path.push(&after[..name_end]);
        let mut tail = &after[name_end..];
        if tail.starts_with('[') {
            tail = &tail[index_end(tail)?..];
        }
        let tail = tail.strip_prefix('.')?;
        instance_end += rest.len() - tail.len();
        rest = tail;
    }
    let instance = address[..instance_end].trim_end_matches('.').to_string();
    let resource = match rest.find('[') {
        Some(i) => &rest[..i],
        None => rest,
    };
    Some((instance, path.join("."), resource.to_string()))
}

/// The length of a leading `[...]`, quotes inside it respected.
fn index_end(text: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ']' if !quoted => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// The resource a reference names: `aws_vpc.main.id` → `aws_vpc.main`, `aws_vpc.main[0]` →
/// `aws_vpc.main[0]`. Not a resource: `var.x`, `local.y`, `module.m.out`, `each.value`,
/// `count.index`, `data.…` (a data source is kept: `data.aws_vpc.x`).
fn resource_reference(reference: &str) -> Option<String> {
    let (data, rest) = match reference.strip_prefix("data.") {
        Some(rest) => ("data.", rest),
        None => ("", reference),
    };
    let (ty, rest) = rest.split_once('.')?;
    if !ty.contains('_') {
        return None;
    }
    let name_end = rest.find(['.', '[']).unwrap_or(rest.len());
    let name = &rest[..name_end];
    if name.is_empty() {
        return None;
    }
    // A literal index (`[0]`, `["a"]`) names one instance; `[count.index]` cannot be known.
    let index = match rest[name_end..].starts_with('[') {
        true => index_end(&rest[name_end..]).map(|end| &rest[name_end..name_end + end]),
        false => None,
    };
    let literal = index.filter(|i| {
        let inner = &i[1..i.len() - 1];
        inner.chars().all(|c| c.is_ascii_digit()) || inner.starts_with('"')
    });
    Some(format!("{data}{ty}.{name}{}", literal.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_into_module_instance_path_and_resource() {
        let split = |a| split_address(a).expect(a);
        assert_eq!(
            split("aws_vpc.main"),
            (String::new(), String::new(), "aws_vpc.main".into())
        );
        assert_eq!(
            split("module.vpc_module.aws_subnet.vpc_subnet[0]"),
            (
                "module.vpc_module".into(),
                "vpc_module".into(),
                "aws_subnet.vpc_subnet".into()
            )
        );
        assert_eq!(
            split("module.a[\"x.]y\"].module.b[2].data.aws_vpc.v"),
            (
                "module.a[\"x.]y\"].module.b[2]".into(),
                "a.b".into(),
                "data.aws_vpc.v".into()
            )
        );
        assert_eq!(split_address("module.broken"), None);
        assert_eq!(split_address("module.a[\"open"), None);
    }

    #[test]
    fn references_name_resources() {
        assert_eq!(
            resource_reference("aws_vpc.main.id").as_deref(),
            Some("aws_vpc.main")
        );
        assert_eq!(
            resource_reference("aws_vpc.main").as_deref(),
            Some("aws_vpc.main")
        );
        assert_eq!(
            resource_reference("aws_vpc.main[0].id").as_deref(),
            Some("aws_vpc.main[0]")
        );
        assert_eq!(
            resource_reference("aws_vpc.main[count.index]").as_deref(),
            Some("aws_vpc.main")
        );
        assert_eq!(
            resource_reference("data.aws_vpc.shared.id").as_deref(),
            Some("data.aws_vpc.shared")
        );
        for other in [
            "var.vpc_id",
            "local.x",
            "module.net.vpc_id",
            "count.index",
            "x",
        ] {
            assert_eq!(resource_reference(other), None, "{other}");
        }
    }
}
