//! Property tests of plan and apply (SPEC §5, §6) at library level: random sequences of 3–6
//! plans are loaded ([`load_model`]), planned against the records the previous applies left
//! ([`plan`]) and applied ([`apply`]), all in process.
//!
//! The plans ([`spec`]): a pool `corp` (10.0.0.0/20), sometimes a second top-level pool `lab`
//! (10.1.0.0/22) with a sub-pool `multi` provisioned with one or two explicit /24s, and a
//! sub-pool `team` carved from `corp` by netmask; VPCs `a`..`e` by netmask (/22–/28) or
//! explicit CIDR, some with subnets; sometimes a reservation `r`. Each plan is
//! the previous one with a few edits, so most resources keep their request from one plan to
//! the next. Steps that fail validation are skipped; steps whose plan fails are checked
//! against the oracle below and leave the records as they were.
//!
//! Properties, for every step:
//! - (a) every applied state passes [`check`], and apply gives exactly the plan's records;
//! - (b) pinning: a pool, VPC, subnet or reservation in two consecutive applied states whose
//!   request (and its pool's) did not change keeps exactly its CIDR;
//! - (c) a plan right after apply has no changes;
//! - (d) a block released by a plan is not handed to another resource by the same plan: no
//!   block new in a plan overlaps a block recorded before it in the same space, unless both
//!   belong to the same resource;
//! - (e) exhaustion and claim errors only when the space really lacks the block: a brute-force
//!   oracle (every recorded block stays taken for the plan, kept blocks stay where they are,
//!   new explicit claims first, then first fit in declaration order) predicts which requests
//!   fail and, when none does, the exact CIDR of every block — the plan must agree
//!   ([`oracle`]); removing a CIDR of `multi` that still holds a kept block is refused;
//! - planning twice gives the same plan (determinism).
//!
//! `generator_exercises_every_path` replays 48 sequences from a fixed seed and checks the
//! generator reaches applied, pinned, refused and release-and-place steps, so the properties
//! above are not vacuous.

mod oracle;
mod spec;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use ipam::apply::apply;
use ipam::load::model as load_model;
use ipam::plan::plan;
use ipam::state::Records;
use ipam::state::check::check;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use oracle::{blocks_by_address, held, predict};
use spec::{Spec, sequence};

/// What happened over a whole sequence, to see that the generator exercises every path.
#[derive(Debug, Default)]
struct Tally {
    invalid: usize,
    refused: usize,
    applied: usize,
    pinned: usize,
    /// Applied steps that release a block and place a new one in the same space: the
    /// steps where (d) can fail.
    release_and_place: usize,
    /// Applied steps with a sub-pool of two explicit CIDRs.
    multi_cidr: usize,
}

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("reconcile_props")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("work dir");
    dir
}

fn run_sequence(dir: &Path, specs: &[Spec], tally: &mut Tally) -> Result<(), TestCaseError> {
    let file = dir.join("ipam.toml");
    let mut records = Records::default();
    // The spec the current records were applied from.
    let mut applied: Option<&Spec> = None;
    for (k, spec) in specs.iter().enumerate() {
        let toml = spec.toml();
        fs::write(&file, &toml).expect("write plan");
        let Ok((model, _)) = load_model(&file) else {
            tally.invalid += 1;
            continue;
        };
        let predicted = predict(spec, &records);
        let planned = match plan(&model, &records) {
            Ok(p) => p,
            Err(diags) => {
                tally.refused += 1;
                // (e) every failure the oracle predicts, and no other.
                let mut exhausted = BTreeSet::new();
                let mut refused = BTreeSet::new();
                let mut deprovisioned = BTreeSet::new();
                for d in &diags {
                    let who = between(&d.message, " for ", " ").map(str::to_string);
                    match d.code {
                        "ipam::plan::exhausted" => {
                            let who =
                                between(&d.message, " left for ", ";").expect("who is exhausted");
                            exhausted.insert(who.to_string());
                        }
                        "ipam::plan::claim" => {
                            refused.insert(who.expect("who claims"));
                        }
                        "ipam::plan::deprovision" => {
                            let pool = between(&d.message, "pool `", "`").expect("which pool");
                            deprovisioned.insert(pool.to_string());
                        }
                        code => {
                            return Err(TestCaseError::fail(format!(
                                "step {k}: unexpected {code}: {}\n{toml}",
                                d.message
                            )));
                        }
                    }
                }
                prop_assert_eq!(
                    (&exhausted, &refused, &deprovisioned),
                    (
                        &predicted.exhausted,
                        &predicted.refused,
                        &predicted.deprovisioned
                    ),
                    "step {}: the plan's failures (exhausted, refused, deprovisioned) differ \
                     from the oracle's\n{}\nrecords: {:#?}",
                    k,
                    toml,
                    records
                );
                continue;
            }
        };
        // (e) when the oracle says everything fits, it does, exactly where first fit puts it.
        prop_assert!(
            predicted.exhausted.is_empty()
                && predicted.refused.is_empty()
                && predicted.deprovisioned.is_empty(),
            "step {}: planned although the oracle predicts failures {:?}\n{}",
            k,
            predicted,
            toml
        );
        let desired = blocks_by_address(&planned.desired);
        prop_assert_eq!(
            &desired,
            &predicted.placed,
            "step {}: placement differs from first fit\n{}\nrecords: {:#?}",
            k,
            toml,
            records
        );

        // Determinism.
        let again = plan(&model, &records).map_err(|_| TestCaseError::fail("replan failed"))?;
        prop_assert_eq!(&again.changes, &planned.changes, "step {}: plans differ", k);
        prop_assert_eq!(&again.desired, &planned.desired);

        // (d) nothing new overlaps a block recorded before, in the same space, held by
        // another resource.
        let before = held(&records);
        let after = held(&planned.desired);
        let released: BTreeSet<&str> = before
            .iter()
            .filter(|h| !after.contains(h))
            .map(|h| h.space.as_str())
            .collect();
        if after
            .iter()
            .any(|h| !before.contains(h) && released.contains(h.space.as_str()))
        {
            tally.release_and_place += 1;
        }
        for new in after.iter().filter(|h| !before.contains(h)) {
            if let Some(old) = before
                .iter()
                .find(|o| o.space == new.space && o.holder != new.holder && o.net.overlaps(new.net))
            {
                return Err(TestCaseError::fail(format!(
                    "step {k}: {} gets {} in {}, overlapping {} that {} held before this \
                     plan\n{toml}",
                    new.holder, new.net, new.space, old.net, old.holder
                )));
            }
        }

        // (a) apply gives exactly the plan's records, and they keep every invariant.
        let (next, _) = apply(&records, &planned).map_err(|problems| {
            TestCaseError::fail(format!("step {k}: apply refused: {problems:?}\n{toml}"))
        })?;
        prop_assert_eq!(&next, &planned.desired, "step {}", k);
        let problems = check(&next);
        prop_assert!(problems.is_empty(), "step {}: {:?}\n{}", k, problems, toml);

        // (b) pinning against the previous applied state.
        if let Some(prev) = applied {
            let was = prev.requests();
            let now = spec.requests();
            let old_blocks = blocks_by_address(&records);
            let new_blocks = blocks_by_address(&next);
            for (who, req) in &now {
                if was.get(who) != Some(req) {
                    continue;
                }
                if let (Some(a), Some(b)) = (old_blocks.get(who), new_blocks.get(who)) {
                    tally.pinned += 1;
                    prop_assert_eq!(
                        a,
                        b,
                        "step {}: {} moved although its request ({}) did not change\n{}",
                        k,
                        who,
                        req,
                        toml
                    );
                }
            }
        }

        // (c) a plan right after apply has no changes.
        let after_plan = plan(&model, &next).map_err(|d| {
            TestCaseError::fail(format!(
                "step {k}: plan after apply failed: {:?}",
                d.iter().map(|d| &d.message).collect::<Vec<_>>()
            ))
        })?;
        prop_assert!(
            !after_plan.has_changes(),
            "step {}: plan after apply has changes: {:?}\n{}",
            k,
            after_plan.changes,
            toml
        );

        tally.applied += 1;
        if spec.multi_cidrs().len() == 2 {
            tally.multi_cidr += 1;
        }
        records = next;
        applied = Some(spec);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn plan_and_apply_keep_their_promises(specs in sequence()) {
        let dir = workdir("sequence");
        let mut tally = Tally::default();
        run_sequence(&dir, &specs, &mut tally)?;
    }
}

/// The generator reaches every outcome the properties talk about: applied steps with
/// pinned resources, refused plans, and invalid ones are all common enough (a fixed seed
/// keeps this deterministic).
#[test]
fn generator_exercises_every_path() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let dir = workdir("coverage");
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = sequence();
    let mut tally = Tally::default();
    for _ in 0..48 {
        let specs = strategy
            .new_tree(&mut runner)
            .expect("generate a sequence")
            .current();
        run_sequence(&dir, &specs, &mut tally).expect("the properties hold");
    }
    eprintln!("{tally:?}");
    assert!(tally.applied > 48, "{tally:?}");
    assert!(tally.pinned > 48, "{tally:?}");
    assert!(tally.refused > 0, "{tally:?}");
    assert!(tally.release_and_place > 0, "{tally:?}");
    assert!(tally.multi_cidr > 0, "{tally:?}");
}

/// The text between `before` and `after` in `message`.
fn between<'a>(message: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let rest = &message[message.find(before)? + before.len()..];
    Some(&rest[..rest.find(after)?])
}
