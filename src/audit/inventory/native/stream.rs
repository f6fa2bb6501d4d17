//! The native reader's fast path: the `resources` list cut into stretches at entry
//! boundaries, each stretch read by its own thread, in chunks, from the file itself.
//!
//! Reading a million entries is bound by memory more than by parsing: on a virtual machine
//! every page of memory first touched costs a fault, and a 150 MB text read whole is 150 MB of
//! them before any parsing starts. Here each thread reads its stretch through a buffer of a
//! few hundred kilobytes that stays in cache, and the whole text never exists at once.
//!
//! Each entry is still read by serde_json with the same deserializers as the one-pass reader
//! ([`super::de`]), so an entry reads the same either way. A cut is a guess ([`cut_near`]),
//! checked rather than trusted: the thread reading the stretch before it reads entry by entry
//! from a known boundary and must land exactly on the cut; where it does not, it reads on to
//! the end of the list and the later stretches are thrown away. Anything unexpected (invalid
//! JSON or UTF-8, a trailing comma, text after the document, a read error) gives up, and the
//! caller reads the file again in one pass, which reports the exact error.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny};

use super::Part;
use super::de::{Entry, EntrySeed, Field, Header, Loose};
use crate::audit::inventory::intern::Interner;

/// How a document is cut up and read.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan {
    /// Threads, at most.
    pub(super) threads: usize,
    /// Bytes of the list a stretch has at least.
    pub(super) min_part: u64,
    /// Bytes read at a time.
    pub(super) chunk: usize,
}

impl Plan {
    /// Bytes read at a time: small enough to stay in a core's cache while it is parsed,
    /// large enough that a read costs little.
    pub(super) const CHUNK: usize = 256 << 10;
}

/// How far past a wanted cut to look for an entry boundary.
const WINDOW: usize = 64 << 10;

/// Where the document comes from: a file, or text already in memory.
pub(super) trait Source: Sync {
    /// Its length in bytes.
    fn size(&self) -> u64;

    /// A reader of the bytes from `offset` on.
    fn open_at(&self, offset: u64) -> io::Result<Box<dyn Read + '_>>;
}

impl Source for &[u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn open_at(&self, offset: u64) -> io::Result<Box<dyn Read + '_>> {
        let from = usize::try_from(offset).map_or(self.len(), |o| o.min(self.len()));
        Ok(Box::new(&self[from..]))
    }
}

/// A file, each reader its own handle (threads read different places at once).
pub(super) struct FileSource<'a> {
    pub(super) path: &'a Path,
    pub(super) len: u64,
}

impl Source for FileSource<'_> {
    fn size(&self) -> u64 {
        self.len
    }

    fn open_at(&self, offset: u64) -> io::Result<Box<dyn Read + '_>> {
        let mut file = File::open(self.path)?;
        file.seek(SeekFrom::Start(offset))?;
        Ok(Box::new(file.take(self.len.saturating_sub(offset))))
    }
}

/// Reads the document from `start` (past any byte-order mark) as `plan` says; `None` when
/// anything is not as expected.
pub(super) fn read(
    source: &dyn Source,
    start: u64,
    row_source: &Arc<str>,
    plan: Plan,
) -> Option<(Header<'static>, Vec<Part>)> {
    let mut header = Header {
        format: None,
        format_version: None,
        resources: false,
    };
    let list = match walk_from(source, start, true, &mut header, plan.chunk)? {
        Walked::End => return Some((header, Vec::new())),
        Walked::List(list) => list,
    };
    header.resources = true;
    // A few stretches per thread, taken in turn as threads come free: one thread slowed
    // down (by another program, say) then holds up the rest by a short stretch at most.
    let threads = plan.threads.max(1);
    let wanted = (source.size().saturating_sub(list) / plan.min_part.max(1))
        .min((threads * STRETCHES_PER_THREAD) as u64)
        .max(1);
    let share = source.size().saturating_sub(list) / wanted;
    let mut bounds = vec![list];
    for k in 1..wanted {
        let after = bounds[bounds.len() - 1] + 1;
        if let Some(cut) = cut_near(source, (list + k * share).max(after)) {
            bounds.push(cut);
        }
    }
    let next = AtomicUsize::new(0);
    let work = |name: Arc<str>| {
        let mut strings = Interner::default();
        let mut runs = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(&from) = bounds.get(k) else {
                break;
            };
            let stop = bounds.get(k + 1).copied();
            let bytes = usize::try_from(stop.unwrap_or(source.size()) - from).unwrap_or(usize::MAX);
            let part = Part::new(name.clone(), bytes, std::mem::take(&mut strings));
            let mut run = stretch(source, from, stop, k == 0, part, plan.chunk);
            // The values the thread has met serve its next stretch too.
            if let Some(run) = &mut run {
                strings = std::mem::take(&mut run.part.strings);
            }
            runs.push((k, run));
        }
        runs
    };
    let threads = threads.min(bounds.len());
    let mut runs: Vec<(usize, Option<Run>)> = std::thread::scope(|s| {
        // Each thread counts its own handle to the file's name: a count that two cores
        // update a million times each bounces between them.
        let others: Vec<_> = (1..threads)
            .map(|_| {
                let name = Arc::from(&**row_source);
                s.spawn(|| work(name))
            })
            .collect();
        let mut runs = work(row_source.clone());
        for handle in others {
            runs.extend(
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        runs
    });
    runs.sort_unstable_by_key(|(k, _)| *k);
    // The first stretch starts at a known boundary; each later one counts only if the one
    // before it ended exactly on its cut.
    let mut parts = Vec::with_capacity(runs.len());
    for (_, run) in runs {
        let run = run?;
        parts.push(run.part);
        if let Some(end) = run.end {
            return match walk_from(source, end, false, &mut header, plan.chunk)? {
                Walked::End => Some((header, parts)),
                Walked::List(_) => None,
            };
        }
    }
    None
}

/// Stretches per thread, where the list is long enough.
const STRETCHES_PER_THREAD: usize = 4;

/// What a thread read of one stretch.
struct Run {
    part: Part,
    /// Just after the list's `]`, when the stretch ran to the end of the list (it was the last
    /// one, or it did not land on its cut); `None` when it stopped on its cut.
    end: Option<u64>,
}

/// What the reader expects next in a stretch.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The first entry of the list, or its `]`.
    FirstEntry,
    Entry,
    /// `,` or `]` after an entry.
    Separator,
}

/// Reads entries from `from` up to the entry that starts at `stop` (not read) or the end of
/// the list. `first`: `from` is just after the list's `[`, else the start of an entry.
fn stretch(
    source: &dyn Source,
    from: u64,
    stop: Option<u64>,
    first: bool,
    mut part: Part,
    size: usize,
) -> Option<Run> {
    let mut input = source.open_at(from).ok()?;
    let mut chunk = Chunk::new(from, size);
    let mut expect = if first {
        Expect::FirstEntry
    } else {
        Expect::Entry
    };
    loop {
        let (text, last) = chunk.text()?;
        let b = text.as_bytes();
        let mut p = 0;
        loop {
            p = skip_ws(b, p);
            if p == b.len() {
                if last {
                    return None;
                }
                break;
            }
            match expect {
                Expect::FirstEntry | Expect::Entry => {
                    if Some(chunk.offset(p)) == stop {
                        return Some(Run { part, end: None });
                    }
                    if expect == Expect::FirstEntry && b[p] == b']' {
                        let end = Some(chunk.offset(p + 1));
                        return Some(Run { part, end });
                    }
                    match entry(&text[p..], last, &mut part) {
                        Ok(n) => {
                            p += n;
                            expect = Expect::Separator;
                        }
                        Err(Stop::More) => break,
                        Err(Stop::Fail) => return None,
                    }
                }
                Expect::Separator => match b[p] {
                    b',' => {
                        p += 1;
                        expect = Expect::Entry;
                    }
                    b']' => {
                        let end = Some(chunk.offset(p + 1));
                        return Some(Run { part, end });
                    }
                    _ => return None,
                },
            }
        }
        chunk.consume(p);
        chunk.fill(&mut input)?;
    }
}

/// Where a walk of the top level stopped.
enum Walked {
    /// At the `resources` list: the offset just after its `[`.
    List(u64),
    /// At the end of the document.
    End,
}

/// Walks the document's top-level object from `from`: its start when `at_start`, else just
/// after a value in it (the end of the `resources` list). Values of `format` and
/// `format_version` go to `header`. The walk is started again from `from` with more text
/// whenever it runs out: the top level is small, the list aside.
fn walk_from(
    source: &dyn Source,
    from: u64,
    at_start: bool,
    header: &mut Header<'static>,
    size: usize,
) -> Option<Walked> {
    let mut input = source.open_at(from).ok()?;
    let mut chunk = Chunk::new(from, size);
    loop {
        chunk.fill(&mut input)?;
        let (text, last) = chunk.text()?;
        match walk(text, at_start, header, last) {
            Ok(Step::List(p)) => return Some(Walked::List(chunk.offset(p))),
            Ok(Step::End) => return Some(Walked::End),
            Err(Stop::More) => {}
            Err(Stop::Fail) => return None,
        }
    }
}

enum Step {
    /// The `resources` list starts: the offset just after its `[`.
    List(usize),
    End,
}

/// Why a value was not read: the text ran out before it ended, or it is not valid.
enum Stop {
    More,
    Fail,
}

/// [`walk_from`] over the text it has; `last`: there is no more.
fn walk(
    text: &str,
    at_start: bool,
    header: &mut Header<'static>,
    last: bool,
) -> Result<Step, Stop> {
    let b = text.as_bytes();
    let more = |p: usize| {
        if p < b.len() || last {
            Stop::Fail
        } else {
            Stop::More
        }
    };
    let mut p = skip_ws(b, 0);
    if at_start {
        if b.get(p) != Some(&b'{') {
            return Err(more(p));
        }
        p = skip_ws(b, p + 1);
        if b.get(p) == Some(&b'}') {
            return end(b, p + 1, last);
        }
    } else {
        match b.get(p) {
            Some(b',') => p = skip_ws(b, p + 1),
            Some(b'}') => return end(b, p + 1, last),
            _ => return Err(more(p)),
        }
    }
    loop {
        if b.get(p) != Some(&b'"') {
            return Err(more(p));
        }
        let (field, n) = one::<Field>(&text[p..], last)?;
        p = skip_ws(b, p + n);
        if b.get(p) != Some(&b':') {
            return Err(more(p));
        }
        p += 1;
        match field {
            Field::Format => {
                let (value, n) = one::<Loose>(&text[p..], last)?;
                header.format = Some(value.into_owned());
                p += n;
            }
            Field::FormatVersion => {
                let (value, n) = one::<Loose>(&text[p..], last)?;
                header.format_version = Some(value.into_owned());
                p += n;
            }
            Field::Resources if !header.resources => {
                p = skip_ws(b, p);
                if b.get(p) != Some(&b'[') {
                    return Err(more(p));
                }
                return Ok(Step::List(p + 1));
            }
            _ => {
                let (IgnoredAny, n) = one(&text[p..], last)?;
                p += n;
            }
        }
        p = skip_ws(b, p);
        match b.get(p) {
            Some(b',') => p = skip_ws(b, p + 1),
            Some(b'}') => return end(b, p + 1, last),
            _ => return Err(more(p)),
        }
    }
}

/// The document ended at `p`: only whitespace may follow.
fn end(b: &[u8], p: usize, last: bool) -> Result<Step, Stop> {
    match skip_ws(b, p) == b.len() {
        true if last => Ok(Step::End),
        true => Err(Stop::More),
        false => Err(Stop::Fail),
    }
}

/// Reads the entry at the start of `text` into `part`: the bytes it took.
fn entry(text: &str, last: bool, part: &mut Part) -> Result<usize, Stop> {
    if !text.starts_with('{') {
        // Not a resource (a skip), and maybe a number cut by the end of the chunk.
        let (entry, n) = one::<Entry>(text, last)?;
        part.convert(entry);
        return Ok(n);
    }
    // An object ends with its `}`: read whole, it is read right. One deserializer per
    // entry, handing it to `part` as it is read, is the fast path of a million.
    let mut de = serde_json::Deserializer::from_str(text);
    match (EntrySeed { part }).deserialize(&mut de) {
        Ok(()) => Ok(de.into_iter::<IgnoredAny>().byte_offset()),
        Err(e) if e.is_eof() && !last => Err(Stop::More),
        Err(_) => Err(Stop::Fail),
    }
}

/// One JSON value at the start of `text` (after any whitespace), and the bytes it took. A
/// value that reaches the end of the text may go on in the next chunk (`123` of `1234`):
/// unless the text is `last`, that is [`Stop::More`].
fn one<'de, T: Deserialize<'de>>(text: &'de str, last: bool) -> Result<(T, usize), Stop> {
    let mut values = serde_json::Deserializer::from_str(text).into_iter::<T>();
    match values.next() {
        Some(Ok(value)) if values.byte_offset() < text.len() || last => {
            Ok((value, values.byte_offset()))
        }
        Some(Ok(_)) | None => Err(if last { Stop::Fail } else { Stop::More }),
        Some(Err(e)) if e.is_eof() && !last => Err(Stop::More),
        Some(Err(_)) => Err(Stop::Fail),
    }
}

/// The bytes of the input read and not yet consumed.
struct Chunk {
    bytes: Vec<u8>,
    /// Bytes read at a time.
    size: usize,
    /// The input offset of `bytes[0]`.
    base: u64,
    /// The input has no more.
    eof: bool,
}

impl Chunk {
    fn new(base: u64, size: usize) -> Chunk {
        let size = size.max(1);
        Chunk {
            bytes: Vec::with_capacity(2 * size),
            size,
            base,
            eof: false,
        }
    }

    fn offset(&self, p: usize) -> u64 {
        self.base + p as u64
    }

    /// The text, up to a character cut by the end of a read, and whether it is the last.
    /// `None` when the bytes are not UTF-8.
    fn text(&self) -> Option<(&str, bool)> {
        match std::str::from_utf8(&self.bytes) {
            Ok(text) => Some((text, self.eof)),
            // Only the end of the input cuts a character: anything else is not UTF-8.
            Err(e) if e.error_len().is_none() && !self.eof => {
                std::str::from_utf8(&self.bytes[..e.valid_up_to()])
                    .ok()
                    .map(|text| (text, false))
            }
            Err(_) => None,
        }
    }

    fn consume(&mut self, n: usize) {
        self.bytes.drain(..n);
        self.base += n as u64;
    }

    /// Appends up to `size` bytes; `None` on a read error.
    fn fill(&mut self, input: &mut dyn Read) -> Option<()> {
        if self.eof {
            return Some(());
        }
        self.bytes.reserve(self.size);
        match input.take(self.size as u64).read_to_end(&mut self.bytes) {
            Ok(0) => self.eof = true,
            Ok(_) => {}
            Err(_) => return None,
        }
        Some(())
    }
}

fn skip_ws(b: &[u8], mut p: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(p) {
        p += 1;
    }
    p
}

/// A likely entry boundary at or after `at`: the `{` of `}, {`. After a line break the scan
/// knows it is outside any string (JSON strings hold no raw line breaks) and follows strings
/// from there; without one (a document on one line, or a last line), it does not know whether
/// `at` is inside a string, and takes the first boundary found either way. Either way the cut
/// is a guess: it can fall inside an entry (`"list": [{…}, {…}]`) or a string, and
/// [`stretch`] checks it.
fn cut_near(source: &dyn Source, at: u64) -> Option<u64> {
    let mut window = Vec::with_capacity(WINDOW);
    source
        .open_at(at)
        .ok()?
        .take(WINDOW as u64)
        .read_to_end(&mut window)
        .ok()?;
    let after_line = window
        .iter()
        .position(|&c| c == b'\n')
        .and_then(|line| Some(line + 1 + boundary(&window[line + 1..], false)?));
    let found = after_line.or_else(
        || match (boundary(&window, false), boundary(&window, true)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        },
    );
    found.map(|i| at + i as u64)
}

/// The first `{` of `}, {` outside strings in `bytes`, which starts inside a string or not.
fn boundary(bytes: &[u8], mut in_string: bool) -> Option<usize> {
    let mut escaped = false;
    // The last two bytes seen outside strings and whitespace.
    let (mut last, mut before) = (0u8, 0u8);
    for (i, &c) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_string = false;
                (before, last) = (last, c);
            }
            continue;
        }
        match c {
            b' ' | b'\n' | b'\r' | b'\t' => {}
            b'"' => in_string = true,
            b'{' if last == b',' && before == b'}' => return Some(i),
            _ => (before, last) = (last, c),
        }
    }
    None
}
