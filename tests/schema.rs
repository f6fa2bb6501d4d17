//! The committed schemas must match the types they are generated from.

#[test]
fn plan_schema_is_up_to_date() {
    let committed = std::fs::read_to_string("schemas/plan.schema.json").expect("committed schema");
    assert!(
        committed == ipam::schema::plan_schema() + "\n",
        "schemas/plan.schema.json is out of date: run `cargo run -- schema > schemas/plan.schema.json`"
    );
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
