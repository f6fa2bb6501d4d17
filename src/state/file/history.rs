//! The file backend's history (SPEC §15): `<state>.history` beside the state, one JSON
//! record per line, only ever appended, under the state's lock.
//!
//! A crash mid-append can leave a torn last line. Reading skips any line that is not a
//! whole record and reports it; the next append sees the missing newline and starts on a
//! fresh line, so one torn record never damages the ones after it. Nothing here is read by
//! plan or apply: the history is a record of what happened, not an input.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use super::{FileBackend, LockGuard, sync_dir};
use crate::state::StateError;
use crate::state::error::with_suffix;
use crate::state::history::{Record, Skipped, Time};

impl FileBackend {
    /// Where the history is kept: `<path>.history`.
    pub fn history_path(&self) -> PathBuf {
        with_suffix(&self.path, ".history")
    }

    /// Appends `record` as one line, synced before it returns. `lock` must be this state's
    /// lock, still held (checked under the commit lock, as a save is): a writer whose lock
    /// was broken appends nothing. The file is created on the first record and never
    /// opened through a symbolic link.
    pub fn append_history(&self, record: &Record, lock: &LockGuard) -> Result<(), StateError> {
        let mut line = serde_json::to_vec(record).map_err(StateError::Encode)?;
        line.push(b'\n');
        let path = self.history_path();
        let _commit = self.commit_lock()?;
        self.check_lock(lock)?;
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| StateError::io("open", &path, e))?;
        let io = |e| StateError::io("append to", &path, e);
        let len = file.metadata().map_err(io)?.len();
        if len > 0 && !ends_with_newline(&mut file, len).map_err(io)? {
            // The last append was cut short: this record starts on a line of its own.
            line.insert(0, b'\n');
        }
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .map_err(io)?;
        if len == 0 {
            // A new file: its name must survive a crash too.
            sync_dir(self.dir())?;
        }
        Ok(())
    }

    /// Reads the history oldest first, handing each record from `since` on to `each`; a
    /// missing file is an empty history. Lines that are not whole records are skipped and
    /// returned, with their line numbers.
    pub fn read_history(
        &self,
        since: Option<Time>,
        each: &mut dyn FnMut(Record),
    ) -> Result<Vec<Skipped>, StateError> {
        let path = self.history_path();
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StateError::io("read", &path, e)),
        };
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut skipped = Vec::new();
        let mut buf = Vec::new();
        let mut number = 0u64;
        loop {
            buf.clear();
            let n = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| StateError::io("read", &path, e))?;
            if n == 0 {
                break;
            }
            number += 1;
            let text = buf.trim_ascii();
            if text.is_empty() {
                continue;
            }
            // A record from before `since` is passed over unparsed: its time comes right
            // after its kind, as this file writes them.
            if let Some(since) = since
                && written_at(text).is_some_and(|t| t < since)
            {
                continue;
            }
            match serde_json::from_slice::<Record>(text) {
                Ok(r) if since.is_none_or(|s| r.time() >= s) => each(r),
                Ok(_) => {}
                Err(e) => skipped.push(Skipped {
                    line: number,
                    reason: if e.is_eof() || !buf.ends_with(b"\n") {
                        "the record is cut short (an append interrupted by a crash)".into()
                    } else {
                        format!("not a history record: {e}")
                    },
                }),
            }
        }
        Ok(skipped)
    }
}

/// The time of a record line as this file writes it (`{"kind":"…","time":"…Z",…`), read
/// from its first bytes; `None` when the line does not start so (it is then parsed whole).
fn written_at(line: &[u8]) -> Option<Time> {
    let head = &line[..line.len().min(48)];
    let key = b"\"time\":\"";
    let at = head.windows(key.len()).position(|w| w == key)? + key.len();
    let value = line.get(at..at + 20)?;
    Time::parse(std::str::from_utf8(value).ok()?).ok()
}

fn ends_with_newline(file: &mut File, len: u64) -> io::Result<bool> {
    let mut last = [0u8];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::fs;
    use std::time::Duration;

    use super::*;
    use crate::state::history::{AuditRecord, Counts, Snapshot};

    fn backend(name: &str) -> FileBackend {
        let dir = std::env::temp_dir().join(format!(
            "ipam-history-{name}-{}",
            crate::state::ids::random_id()
        ));
        fs::create_dir_all(&dir).expect("dir");
        FileBackend::new(dir.join("ipam.state.json"))
    }

    fn snapshot(serial: u64) -> Record {
        Record::Apply(Snapshot {
            time: Time(1_767_225_600 + serial * 86_400),
            serial,
            pools: BTreeMap::new(),
        })
    }

    fn read(b: &FileBackend) -> (Vec<Record>, Vec<Skipped>) {
        let mut records = Vec::new();
        let skipped = b
            .read_history(None, &mut |r| records.push(r))
            .expect("read");
        (records, skipped)
    }

    #[test]
    fn appends_and_reads_in_order() {
        let b = backend("order");
        assert_eq!(read(&b), (Vec::new(), Vec::new()), "no file: empty");
        let lock = b.take_lock("test", Duration::ZERO).expect("lock");
        let audit = Record::Audit(AuditRecord {
            time: Time(1_767_225_600),
            serial: 1,
            scopes: [("private".to_string(), Counts::default())].into(),
            usage: [("vpc-1".to_string(), 0.5)].into(),
        });
        for r in [snapshot(1), audit.clone(), snapshot(2)] {
            b.append_history(&r, &lock).expect("append");
        }
        let (records, skipped) = read(&b);
        assert_eq!(records, vec![snapshot(1), audit, snapshot(2)]);
        assert!(skipped.is_empty());
        let mut since = Vec::new();
        b.read_history(Some(Time(1_767_225_600 + 86_400)), &mut |r| since.push(r))
            .expect("read");
        assert_eq!(since, vec![snapshot(1), snapshot(2)]);
    }

    #[test]
    fn a_torn_last_record_is_skipped_and_the_next_starts_a_fresh_line() {
        let b = backend("torn");
        let lock = b.take_lock("test", Duration::ZERO).expect("lock");
        b.append_history(&snapshot(1), &lock).expect("append");
        let whole = serde_json::to_string(&snapshot(2)).expect("encode");
        let mut text = fs::read(b.history_path()).expect("read");
        text.extend_from_slice(&whole.as_bytes()[..whole.len() / 2]);
        fs::write(b.history_path(), &text).expect("tear");
        let (records, skipped) = read(&b);
        assert_eq!(records, vec![snapshot(1)]);
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].line, 2);
        assert!(skipped[0].reason.contains("cut short"), "{skipped:?}");
        b.append_history(&snapshot(3), &lock).expect("append");
        let (records, skipped) = read(&b);
        assert_eq!(records, vec![snapshot(1), snapshot(3)]);
        assert_eq!(skipped.len(), 1, "the torn line stays, reported");
    }

    #[test]
    fn old_records_are_passed_over_by_their_time_alone() {
        let line = serde_json::to_string(&snapshot(3)).expect("encode");
        assert_eq!(
            written_at(line.as_bytes()),
            Some(Time(1_767_225_600 + 3 * 86_400))
        );
        assert_eq!(written_at(b"{\"time\":\"2026-01-01"), None, "cut short");
        assert_eq!(written_at(b"not json"), None);
        // An old line that would not even parse is skipped unread; a new one is reported.
        let b = backend("since");
        let old = line.replace("\"pools\":{}", "\"pools\":{oops");
        let new = serde_json::to_string(&snapshot(9)).expect("encode");
        fs::write(b.history_path(), format!("{old}\n{new}\n")).expect("write");
        let mut got = Vec::new();
        let skipped = b
            .read_history(Some(Time(1_767_225_600 + 5 * 86_400)), &mut |r| got.push(r))
            .expect("read");
        assert_eq!(got, vec![snapshot(9)]);
        assert!(skipped.is_empty());
    }

    #[test]
    fn damaged_lines_are_reported_not_fatal() {
        let b = backend("damaged");
        let good = serde_json::to_string(&snapshot(1)).expect("encode");
        fs::write(
            b.history_path(),
            format!("{good}\n{{\"kind\":\"weather\"}}\nnot json\n\n{good}\n"),
        )
        .expect("write");
        let (records, skipped) = read(&b);
        assert_eq!(records.len(), 2);
        assert_eq!(
            skipped.iter().map(|s| s.line).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert!(skipped[0].reason.starts_with("not a history record"));
    }

    #[test]
    fn a_broken_lock_appends_nothing_and_links_are_not_followed() {
        let b = backend("lock");
        let lock = b.take_lock("test", Duration::ZERO).expect("lock");
        b.break_lock(&lock.info().id).expect("break");
        assert!(b.append_history(&snapshot(1), &lock).is_err());
        assert!(!b.history_path().exists());
        let b = backend("link");
        let target = b.path().with_file_name("elsewhere");
        std::os::unix::fs::symlink(&target, b.history_path()).expect("link");
        let lock = b.take_lock("test", Duration::ZERO).expect("lock");
        assert!(b.append_history(&snapshot(1), &lock).is_err());
        assert!(!target.exists(), "the link's target is untouched");
    }
}
