//! The layout rules one by one: each case is an input and its canonical text, and every
//! canonical text must format to itself.

use super::{Error, format};

#[track_caller]
fn canonical(input: &str, expected: &str) {
    let out = format(input).expect("formats");
    assert_eq!(
        out, expected,
        "\n--- got ---\n{out}\n--- expected ---\n{expected}"
    );
    assert_eq!(format(&out).expect("formats again"), out, "not idempotent");
}

#[test]
fn record_keys_follow_the_schema_and_unknown_ones_come_last() {
    canonical(
        "[pools.a]\ncolour = \"red\"\ntags = { x = \"1\" }\nprotect = true\nzebra = 1\ndescription = \"d\"\nparent = \"p\"\nnetmask = 16\n",
        "[pools.a]\nparent = \"p\"\nnetmask = 16\nprotect = true\ndescription = \"d\"\ntags = { x = \"1\" }\ncolour = \"red\"\nzebra = 1\n",
    );
    canonical(
        "[vpcs.v]\nsubnets.a = { zone = \"z\", netmask = 24 }\ntags = {}\nowner = \"o\"\nregion = \"r\"\nnetmask = 20\npool = \"p\"\n",
        "[vpcs.v]\npool = \"p\"\nnetmask = 20\nregion = \"r\"\nowner = \"o\"\ntags = {}\nsubnets.a = { netmask = 24, zone = \"z\" }\n",
    );
}

#[test]
fn names_keep_their_order_and_line_up() {
    // Subnets are carved in the order they are written: never sorted.
    canonical(
        "[vpcs.v]\npool = \"p\"\nsubnets.web = { netmask = 24 }\nsubnets.a = { netmask = 25 }\nsubnets.database = { netmask = 26 }\n",
        "[vpcs.v]\npool = \"p\"\nsubnets.web      = { netmask = 24 }\nsubnets.a        = { netmask = 25 }\nsubnets.database = { netmask = 26 }\n",
    );
    canonical(
        "[accounts]\nnetwork = \"1\"\nb = \"2\"   # the b team\n",
        "[accounts]\nnetwork = \"1\"\nb       = \"2\"   # the b team\n",
    );
    // Fields are not names: no alignment.
    canonical(
        "[ipam]\nname    = \"x\"\nregions = []\n",
        "[ipam]\nname = \"x\"\nregions = []\n",
    );
}

#[test]
fn spacing_quotes_and_keys() {
    canonical(
        "  [ pools . a ]  \n   parent='p'\ncidrs=[ '10.0.0.0/8' ,\"10.1.0.0/16\" ]\n\"region\"   =  'r'\n",
        "[pools.a]\nparent = \"p\"\ncidrs = [\"10.0.0.0/8\", \"10.1.0.0/16\"]\nregion = \"r\"\n",
    );
    // A literal string that would need escapes stays literal; numbers stay as written.
    canonical(
        "[x]\npath = 'C:\\dir'\nquote = 'say \"hi\"'\nn = 0x1F\nbig = 1_000\n'a b' = 1\n\"c.d\" = 2\n",
        "[x]\npath = 'C:\\dir'\nquote = 'say \"hi\"'\nn = 0x1F\nbig = 1_000\n\"a b\" = 1\n\"c.d\" = 2\n",
    );
    canonical(
        "[x]\ntext = \"\"\"\nline one\n  line two\"\"\"\nafter = 1\n",
        "[x]\ntext = \"\"\"\nline one\n  line two\"\"\"\nafter = 1\n",
    );
}

#[test]
fn one_blank_line_before_each_table_and_none_inside() {
    canonical(
        "[ipam]\nname = \"x\"\n\n\nregions = []\n[accounts]\na = \"1\"\n\n\n\n[pools.p]\n\ncidrs = []\n\n",
        "[ipam]\nname = \"x\"\nregions = []\n\n[accounts]\na = \"1\"\n\n[pools.p]\ncidrs = []\n",
    );
    // Empty tables keep their header.
    canonical("[scopes.b]\n[pools.p]\n", "[scopes.b]\n\n[pools.p]\n");
}

#[test]
fn comments_stay_with_what_they_describe() {
    canonical(
        "#:schema ./plan.schema.json\n# About the file.\n\n# About the pool.\n[pools.a]   # the header\n# about the description\ndescription = \"d\"\n# about cidrs\ncidrs = []   # inline\n# about the end of a\n\n[pools.b]\ncidrs = []\n\n# at the end\n",
        "#:schema ./plan.schema.json\n# About the file.\n\n# About the pool.\n[pools.a]   # the header\n# about cidrs\ncidrs = []   # inline\n# about the description\ndescription = \"d\"\n# about the end of a\n\n[pools.b]\ncidrs = []\n\n# at the end\n",
    );
    // A comment directly above a header gets the blank line above it.
    canonical(
        "[a]\nx = 1\n# about b\n[b]\ny = 2\n# hugging the end\n",
        "[a]\nx = 1\n\n# about b\n[b]\ny = 2\n# hugging the end\n",
    );
    // Paragraphs of a comment block keep one blank line between them.
    canonical(
        "[a]\nx = 1\n\n\n# section\n\n\n# about b\n[b]\n",
        "[a]\nx = 1\n\n# section\n\n# about b\n[b]\n",
    );
}

#[test]
fn trailing_comments_of_consecutive_lines_share_a_column() {
    canonical(
        "[pools.p]\nalert_at = 80 # a\nshared_with = [\"x\"]      # b\nprotect = true\ndescription = \"d\"  # c\n",
        "[pools.p]\nshared_with = [\"x\"]   # b\nalert_at = 80         # a\nprotect = true\ndescription = \"d\"   # c\n",
    );
}

#[test]
fn arrays_over_several_lines_get_one_element_per_line() {
    canonical(
        "[audit]\nignore = [ # why\n\"a\", \"b\",   # b is old\n    # c is new\n  'c'\n  # the end\n]   # after\n",
        "[audit]\nignore = [   # why\n  \"a\",\n  \"b\",   # b is old\n  # c is new\n  \"c\",\n  # the end\n]   # after\n",
    );
    canonical(
        "[layouts.l]\nparent = \"p\"\nlevels = [\n{names=[\"a\"],slots=4},\n    { slots = 2, names = [\"x\", { slot = 1, name = \"y\" }] }]\n",
        "[layouts.l]\nparent = \"p\"\nlevels = [\n  { slots = 4, names = [\"a\"] },\n  { slots = 2, names = [\"x\", { name = \"y\", slot = 1 }] },\n]\n",
    );
    canonical("x = [\n]\ny = [ ]\n", "x = []\ny = []\n");
    canonical(
        "x = [[1,\n2], [3]]\n",
        "x = [\n  [\n    1,\n    2,\n  ],\n  [3],\n]\n",
    );
}

#[test]
fn inline_tables_in_schema_order_and_over_several_lines() {
    canonical(
        "[pools.p]\nallocation={default_netmask=24,min_netmask=20 , max_netmask = 26}\n",
        "[pools.p]\nallocation = { min_netmask = 20, max_netmask = 26, default_netmask = 24 }\n",
    );
    // TOML 1.1 lets an inline table span lines and hold comments.
    canonical(
        "[layouts.l]\nleaf = {   # leaf pools\n  alert_at = 80,   # percent\n  # the rules\n  allocation = { default_netmask = 22 }\n}\n",
        "[layouts.l]\nleaf = {   # leaf pools\n  # the rules\n  allocation = { default_netmask = 22 },\n  alert_at = 80,   # percent\n}\n",
    );
    canonical(
        "[pools.p]\nallocation.max_netmask = 26\nallocation.min_netmask = 20\n",
        "[pools.p]\nallocation.min_netmask = 20\nallocation.max_netmask = 26\n",
    );
}

#[test]
fn arrays_of_tables_and_root_keys_keep_their_order() {
    canonical(
        "# renames\n[[moved]]\nto = \"vpc.b\"\nfrom = \"vpc.a\"\n# the second\n[[moved]]\nfrom = \"vpc.c\"\nto = \"vpc.d\"\n",
        "# renames\n[[moved]]\nfrom = \"vpc.a\"\nto = \"vpc.b\"\n\n# the second\n[[moved]]\nfrom = \"vpc.c\"\nto = \"vpc.d\"\n",
    );
    // Root keys are sections: their order is declaration order, kept.
    canonical(
        "#:schema x\n\nvpcs.a = { pool = \"p\" }\npools.p = { cidrs = [] }\n[ipam]\nname = \"n\"\n",
        "#:schema x\n\nvpcs.a = { pool = \"p\" }\npools.p = { cidrs = [] }\n\n[ipam]\nname = \"n\"\n",
    );
}

#[test]
fn the_schema_line_stays_first() {
    canonical(
        "#:schema x\n# head\npools.p.description = 'd'\npools.p.cidrs = []\n",
        "#:schema x\n# head\npools.p.cidrs = []\npools.p.description = \"d\"\n",
    );
    canonical(
        "#:schema x\n\n[pools.p]\ndescription = \"d\"\ncidrs = []\n",
        "#:schema x\n\n[pools.p]\ncidrs = []\ndescription = \"d\"\n",
    );
}

#[test]
fn line_endings_and_edges() {
    canonical(
        "[a]\r\nx = 1 # c\r\n\r\n\r\n[b]\r\n",
        "[a]\r\nx = 1   # c\r\n\r\n[b]\r\n",
    );
    canonical("", "");
    canonical("\n\n", "");
    canonical("# only a comment", "# only a comment\n");
    canonical("x = 1", "x = 1\n");
    canonical("\u{feff}[a]\nx=1\n", "\u{feff}[a]\nx = 1\n");
}

#[test]
fn broken_toml_is_located() {
    match format("[pools.a]\ncidrs = [\"10.0.0.0/8\"\n") {
        Err(Error::Syntax { message, span }) => {
            assert!(!message.is_empty());
            assert!(span.start >= 10, "{span:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        format("a = 1\na = 2\n"),
        Err(Error::Syntax { .. })
    ));
}

#[test]
fn the_check_catches_a_lost_comment_or_value() {
    assert!(super::verify("a = 1 # c\n", "a = 1\n").is_err());
    assert!(super::verify("a = 1\n", "a = 2\n").is_err());
    assert!(super::verify("a = nan\n", "a = nan # c\n").is_err());
    assert!(super::verify("a = nan # c\n", "a = nan   # c\n").is_ok());
}
