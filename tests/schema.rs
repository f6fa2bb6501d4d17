//! The committed schemas must match the types they are generated from.

#[test]
fn every_schema_is_up_to_date() {
    for (name, file) in ipam::schema::SCHEMAS {
        let path = format!("schemas/{file}");
        let committed = std::fs::read_to_string(&path).expect("committed schema");
        let current = ipam::schema::schema(name).expect("known schema");
        assert!(
            committed == current + "\n",
            "{path} is out of date: run `cargo run -- schema {name} > {path}`"
        );
    }
}

#[test]
fn state_schema_documents_the_recorded_fields() {
    let schema: serde_json::Value =
        serde_json::from_str(&ipam::schema::schema("state").expect("state")).expect("JSON");
    for field in ["format_version", "lineage", "serial", "resources"] {
        assert!(
            schema["properties"][field]["description"].is_string(),
            "{field} is documented"
        );
    }
}

#[test]
fn plan_schema_is_draft_07_and_describes_the_tables() {
    let schema: serde_json::Value =
        serde_json::from_str(&ipam::schema::plan_schema()).expect("valid JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    for table in [
        "ipam",
        "accounts",
        "scopes",
        "pools",
        "layouts",
        "vpcs",
        "reservations",
        "moved",
        "audit",
    ] {
        assert!(
            schema["properties"][table]["description"].is_string(),
            "{table} is documented"
        );
    }
    assert_eq!(
        schema["additionalProperties"], false,
        "unknown keys are refused"
    );
}
