//! The seam between the commands and wherever the state lives (SPEC §7, §14).
//!
//! Every command reaches the state through [`open`](super::open) and these two traits:
//! readers call [`Backend::load`]; writers take a [`Session`] with [`Backend::lock`], read the
//! state under it, and [`Session::save`] the next one. A save compares and swaps on the serial
//! the writer read, so a writer that lost its lock or read an older state can never overwrite
//! a newer one, whatever the backend.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::history::{Record, Skipped, Time};
use super::{Location, Records, State, StateError, VpcRecord};

/// Where a state is kept: read it, lock it for writing, break a stuck lock.
pub trait Backend: Send + Sync {
    /// Where this state is, for messages and saved plans.
    fn location(&self) -> &Location;

    /// The current state, read without the lock (plans only read); `None` when nothing has
    /// been recorded yet. A state of a newer format, or one that does not parse, is an error.
    fn load(&self) -> Result<Option<State>, StateError>;

    /// Whether a state is recorded here, without reading it: a writer refused for lack of a
    /// state checks this before it takes the lock (which may create files).
    fn exists(&self) -> Result<bool, StateError>;

    /// Takes the one-writer lock for `operation` ("apply", "import", ...), waiting up to
    /// `timeout` (zero: fail at once) while another writer holds it. The lock is held until
    /// the session is dropped, or until the process ends.
    fn lock(&self, operation: &str, timeout: Duration)
    -> Result<Box<dyn Session + '_>, StateError>;

    /// Breaks the lock whose record has this ID and returns that record. The holder, if it
    /// is still alive, can no longer save.
    fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError>;

    /// The versions this backend keeps, oldest first: every one ever written (PostgreSQL),
    /// or the current state and its backup (a file).
    fn versions(&self) -> Result<Vec<Version>, StateError>;

    /// The kept version with this serial; `None` when it is not kept.
    fn version(&self, serial: u64) -> Result<Option<State>, StateError>;

    /// The history kept with this state (SPEC §15), oldest first: every record from
    /// `since` on (all when `None`) is handed to `each` as it is read, so a long history is
    /// never held whole. No history yet is an empty one. A record that cannot be read (a
    /// torn last append, a damaged entry) is skipped and returned, never an error: the
    /// history only informs. Read without the lock, like [`Backend::load`].
    fn history(
        &self,
        since: Option<Time>,
        each: &mut dyn FnMut(Record),
    ) -> Result<Vec<Skipped>, StateError>;
}

/// A writer's hold on the state: the lock, and the only way to save.
pub trait Session: Send {
    /// The record others are shown while this session holds the lock.
    fn info(&self) -> &LockInfo;

    /// The current state, read under the lock.
    fn load(&mut self) -> Result<Option<State>, StateError>;

    /// Replaces the state with `next`, provided the lock is still this session's and the
    /// recorded state is still the one read: serial `read` (`None`: no state yet). Otherwise
    /// nothing is written. A crash at any instant leaves the old or the new state whole.
    fn save(&mut self, next: &State, read: Option<u64>) -> Result<(), StateError>;

    /// Appends one record to the history, under this session's lock (refused, like a save,
    /// when the lock is no longer this session's), durable when it returns. Apply calls it
    /// only after its save succeeded, and a failure here must not undo that save: callers
    /// report it as a warning. Records are only ever appended, never rewritten.
    fn append_history(&mut self, record: &Record) -> Result<(), StateError>;
}

/// Who holds a state's lock, as shown to whoever has to wait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// What `ipam force-unlock` takes: 16 hex digits, new for every lock.
    pub id: String,
    /// The holder's process.
    pub pid: u32,
    /// The holder's machine (its host name, or "unknown").
    pub host: String,
    /// The holder's user (`$USER` or `$LOGNAME`, or "unknown").
    pub user: String,
    /// The command holding it: "apply", "import", ...
    pub operation: String,
    /// When it was taken, RFC 3339 UTC (`2026-11-22T10:04:05Z`).
    pub created: String,
    /// The state it guards.
    pub path: String,
}

impl LockInfo {
    /// A new record for this process.
    pub fn now(operation: &str, location: &Location) -> LockInfo {
        use super::ids;
        LockInfo {
            id: ids::random_id(),
            pid: std::process::id(),
            host: ids::host_name(),
            user: ids::user_name(),
            operation: operation.to_string(),
            created: ids::rfc3339(std::time::SystemTime::now()),
            path: location.to_string(),
        }
    }

    /// The lines shown in diagnostics.
    pub fn describe(&self) -> String {
        format!(
            "  ID:        {}\n  operation: {}\n  who:       {}@{}, pid {}\n  since:     {}",
            self.id, self.operation, self.user, self.host, self.pid, self.created
        )
    }
}

/// A kept version of a state, as `ipam state versions` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub serial: u64,
    pub lineage: String,
    /// When it was written, RFC 3339 UTC.
    pub written: String,
    /// Who wrote it (`user@host`), where the backend records it.
    pub who: Option<String>,
    /// What it changed from the version before it, where that one is known.
    pub changes: Option<Changes>,
}

/// What a state changed from the one before it: per kind of resource (`scope`, `pool`,
/// `vpc`, `subnet`, `reservation`), how many were added, changed and removed. Kinds with no
/// change are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes(pub BTreeMap<String, Counts>);

/// Resources of one kind added, changed and removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
}

impl Changes {
    /// What `after` changes from `before` (`None`: the first state). One merge over each
    /// pair of ordered maps: linear in the number of records (a lookup per record costs
    /// several times as much at 100,000 VPCs).
    pub fn between(before: Option<&Records>, after: &Records) -> Changes {
        let empty = Records::default();
        let before = before.unwrap_or(&empty);
        let mut kinds = BTreeMap::new();
        let mut put = |kind: &str, counts: Counts| {
            if counts != Counts::default() {
                kinds.insert(kind.to_string(), counts);
            }
        };
        put("scope", count(&before.scopes, &after.scopes, |a, b| a == b));
        put("pool", count(&before.pools, &after.pools, |a, b| a == b));
        let mut vpcs = Counts::default();
        let mut subnets = Counts::default();
        let none = BTreeMap::new();
        merge(&before.vpcs, &after.vpcs, |old, new| {
            vpcs.tally(old, new, VpcRecord::same_but_subnets);
            let old = old.map_or(&none, |v| &v.subnets);
            let new = new.map_or(&none, |v| &v.subnets);
            subnets.add(count(old, new, |a, b| a == b));
        });
        put("vpc", vpcs);
        put("subnet", subnets);
        put(
            "reservation",
            count(&before.reservations, &after.reservations, |a, b| a == b),
        );
        Changes(kinds)
    }

    /// `+20 vpc, ~1 pool, -3 reservation`, or `no changes`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (sign, pick) in [
            ('+', (|c: &Counts| c.added) as fn(&Counts) -> u64),
            ('~', |c: &Counts| c.changed),
            ('-', |c: &Counts| c.removed),
        ] {
            for (kind, counts) in &self.0 {
                let n = pick(counts);
                if n > 0 {
                    parts.push(format!("{sign}{n} {kind}"));
                }
            }
        }
        if parts.is_empty() {
            "no changes".into()
        } else {
            parts.join(", ")
        }
    }
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.added += other.added;
        self.changed += other.changed;
        self.removed += other.removed;
    }

    /// Counts one resource present before (`old`), after (`new`), or both.
    fn tally<T>(&mut self, old: Option<&T>, new: Option<&T>, same: impl Fn(&T, &T) -> bool) {
        match (old, new) {
            (None, Some(_)) => self.added += 1,
            (Some(_), None) => self.removed += 1,
            (Some(a), Some(b)) if !same(a, b) => self.changed += 1,
            _ => {}
        }
    }
}

fn count<T>(
    before: &BTreeMap<String, T>,
    after: &BTreeMap<String, T>,
    same: impl Fn(&T, &T) -> bool,
) -> Counts {
    let mut c = Counts::default();
    merge(before, after, |old, new| c.tally(old, new, &same));
    c
}

/// Calls `f` once per name in either map, in name order, with its record in each.
fn merge<'a, T>(
    before: &'a BTreeMap<String, T>,
    after: &'a BTreeMap<String, T>,
    mut f: impl FnMut(Option<&'a T>, Option<&'a T>),
) {
    fn record<'a, T>((_, r): (&'a String, &'a T)) -> &'a T {
        r
    }
    let mut old = before.iter().peekable();
    let mut new = after.iter().peekable();
    loop {
        let order = match (old.peek(), new.peek()) {
            (None, None) => return,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((a, _)), Some((b, _))) => a.cmp(b),
        };
        match order {
            Ordering::Less => f(old.next().map(record), None),
            Ordering::Greater => f(None, new.next().map(record)),
            Ordering::Equal => f(old.next().map(record), new.next().map(record)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ReservationRecord, SubnetRecord};

    fn vpc(cidr: &str, subnets: &[(&str, &str)]) -> VpcRecord {
        let json = serde_json::json!({
            "pool": "p",
            "cidr": cidr,
            "subnets": subnets
                .iter()
                .map(|(n, c)| (n.to_string(), serde_json::json!({"cidr": c})))
                .collect::<serde_json::Map<_, _>>(),
        });
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn changes_count_each_kind_and_subnets_apart_from_their_vpc() {
        let mut before = Records::default();
        before
            .vpcs
            .insert("a".into(), vpc("10.0.0.0/24", &[("s1", "10.0.0.0/26")]));
        before
            .vpcs
            .insert("b".into(), vpc("10.0.1.0/24", &[("s1", "10.0.1.0/26")]));
        before
            .vpcs
            .insert("gone".into(), vpc("10.0.2.0/24", &[("x", "10.0.2.0/26")]));
        let mut after = before.clone();
        after.vpcs.remove("gone");
        // A subnet added to `a` changes no VPC field.
        after.vpcs.get_mut("a").unwrap().subnets.insert(
            "s2".into(),
            SubnetRecord {
                cidr: "10.0.0.64/26".parse().unwrap(),
                zone: None,
                description: None,
                tags: Default::default(),
            },
        );
        after.vpcs.get_mut("b").unwrap().description = Some("changed".into());
        after.reservations.insert(
            "r".into(),
            ReservationRecord {
                pool: "p".into(),
                cidr: "10.1.0.0/24".parse().unwrap(),
                protect: false,
                description: None,
                tags: Default::default(),
            },
        );
        let changes = Changes::between(Some(&before), &after);
        assert_eq!(
            changes.summary(),
            "+1 reservation, +1 subnet, ~1 vpc, -1 subnet, -1 vpc"
        );
        assert_eq!(
            Changes::between(Some(&after), &after).summary(),
            "no changes"
        );
        let first = Changes::between(None, &before);
        assert_eq!(first.0["vpc"].added, 3);
        assert_eq!(first.0["subnet"].added, 3);
        let text = serde_json::to_string(&first).unwrap();
        assert_eq!(serde_json::from_str::<Changes>(&text).unwrap(), first);
    }
}
