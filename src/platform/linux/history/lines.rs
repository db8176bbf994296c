//! Bounded line splitting over any byte stream (a file region, a gzip decoder).
//!
//! Logs can hold lines of any length and any bytes. Lines are handed out as byte slices
//! with their number and offset; a line longer than the bound is handed out cut to it (and
//! counted), and the rest of it skipped without being kept, so one giant line costs reading
//! time but no memory.

use std::io::{self, Read};

use memchr::memchr;

/// One line as read.
pub struct Line<'a> {
    /// 1-based, counting from where reading started.
    pub number: u64,
    /// Byte offset of the line's start in the stream (plus the stream's start offset).
    pub offset: u64,
    /// Without the newline; at most the line bound long.
    pub bytes: &'a [u8],
}

#[derive(Debug, Default)]
pub struct Stats {
    /// Bytes consumed from the stream.
    pub bytes: u64,
    pub lines: u64,
    /// Lines longer than the bound, handed out cut.
    pub cut: u64,
    /// The byte limit stopped reading before the stream's end.
    pub hit_limit: bool,
    /// `keep_going` said stop.
    pub stopped: bool,
    /// The last complete line (for the newest time in a file), bounded.
    pub last_line: Vec<u8>,
    /// A read error after the lines before it were handed out.
    pub error: Option<io::Error>,
}

const CHUNK: usize = 256 << 10;

/// Splits `reader` into lines, reading at most `limit` bytes. `skip_first` drops the first
/// (partial) line, for reads that start in the middle of a file. `keep_going` is asked
/// between chunks, so a time budget stops a long read promptly.
pub fn for_each_line<R: Read>(
    mut reader: R,
    start_offset: u64,
    limit: u64,
    max_line: usize,
    skip_first: bool,
    keep_going: &dyn Fn() -> bool,
    mut f: impl FnMut(Line<'_>),
) -> Stats {
    let max_line = max_line.max(1);
    let mut stats = Stats::default();
    let mut buf = vec![0u8; CHUNK + max_line];
    // Bytes of an unfinished line at the start of `buf`.
    let mut carry = 0usize;
    // Offset in the stream of buf[0].
    let mut base = start_offset;
    // Inside a line that is not handed out (the partial first one, or the rest of a cut
    // one): drop bytes up to its newline.
    let mut dropping = skip_first;
    let mut number = 0u64;
    loop {
        if !keep_going() {
            stats.stopped = true;
            break;
        }
        let room = (limit - stats.bytes).min((buf.len() - carry) as u64) as usize;
        if room == 0 {
            stats.hit_limit = true;
            break;
        }
        let n = match read_some(&mut reader, &mut buf[carry..carry + room]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) => {
                stats.error = Some(err);
                break;
            }
        };
        stats.bytes += n as u64;
        let filled = carry + n;
        let mut pos = 0usize;
        let mut last: Option<(usize, usize)> = None;
        while let Some(len) = memchr(b'\n', &buf[pos..filled]) {
            let end = pos + len;
            if dropping {
                dropping = false;
            } else {
                number += 1;
                let cut_end = end.min(pos + max_line);
                if end - pos > max_line {
                    stats.cut += 1;
                }
                f(Line {
                    number,
                    offset: base + pos as u64,
                    bytes: &buf[pos..cut_end],
                });
                last = Some((pos, cut_end));
            }
            pos = end + 1;
        }
        // Kept once per chunk, not once per line.
        if let Some((from, to)) = last {
            stats.last_line.clear();
            stats.last_line.extend_from_slice(&buf[from..to]);
        }
        let rest = filled - pos;
        if dropping {
            carry = 0;
        } else if rest >= max_line {
            // A line longer than the bound: hand out its start, drop the rest unkept.
            number += 1;
            stats.cut += 1;
            f(Line {
                number,
                offset: base + pos as u64,
                bytes: &buf[pos..pos + max_line],
            });
            dropping = true;
            carry = 0;
        } else {
            buf.copy_within(pos..filled, 0);
            carry = rest;
        }
        base += (filled - carry) as u64;
    }
    // A last line without a newline still counts, unless reading stopped short of its end.
    if carry > 0 && !dropping && !stats.hit_limit && !stats.stopped && stats.error.is_none() {
        number += 1;
        f(Line {
            number,
            offset: base,
            bytes: &buf[..carry],
        });
        stats.last_line.clear();
        stats.last_line.extend_from_slice(&buf[..carry]);
    }
    stats.lines = number;
    stats
}

fn read_some<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(
        data: &[u8],
        limit: u64,
        max_line: usize,
        skip_first: bool,
    ) -> (Vec<(u64, u64, Vec<u8>)>, Stats) {
        let mut out = Vec::new();
        let stats = for_each_line(data, 0, limit, max_line, skip_first, &|| true, |l| {
            out.push((l.number, l.offset, l.bytes.to_vec()))
        });
        (out, stats)
    }

    #[test]
    fn lines_numbers_and_offsets() {
        let (lines, stats) = split(b"a\nbb\n\nccc", 1 << 20, 100, false);
        assert_eq!(
            lines,
            vec![
                (1, 0, b"a".to_vec()),
                (2, 2, b"bb".to_vec()),
                (3, 5, b"".to_vec()),
                (4, 6, b"ccc".to_vec())
            ]
        );
        assert_eq!(stats.lines, 4);
        assert_eq!(stats.last_line, b"ccc");
        assert!(!stats.hit_limit);
    }

    #[test]
    fn giant_lines_are_cut_and_the_next_line_survives() {
        let mut data = vec![b'x'; 3 * CHUNK];
        data.extend_from_slice(b"\nafter\n");
        let (lines, stats) = split(&data, u64::MAX, 10, false);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].2, vec![b'x'; 10]);
        assert_eq!(lines[1], (2, 3 * CHUNK as u64 + 1, b"after".to_vec()));
        assert_eq!(stats.cut, 1);
    }

    #[test]
    fn long_lines_within_one_chunk_are_cut_too() {
        let mut data = vec![b'y'; 1000];
        data.extend_from_slice(b"\nnext\n");
        let (lines, stats) = split(&data, u64::MAX, 10, false);
        assert_eq!(lines[0].2, vec![b'y'; 10]);
        assert_eq!(lines[1].2, b"next");
        assert_eq!(stats.cut, 1);
    }

    #[test]
    fn offsets_stay_right_across_chunks() {
        let mut data = Vec::new();
        let mut expected = Vec::new();
        for i in 0..100_000u64 {
            expected.push(data.len() as u64);
            data.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        let (lines, _) = split(&data, u64::MAX, 64, false);
        assert_eq!(lines.len(), 100_000);
        for (line, offset) in lines.iter().zip(&expected) {
            assert_eq!(line.1, *offset);
            assert_eq!(&data[*offset as usize..][..line.2.len()], &line.2[..]);
        }
    }

    #[test]
    fn the_limit_stops_reading_and_drops_the_unfinished_line() {
        let (lines, stats) = split(b"one\ntwo\nthree\n", 6, 100, false);
        assert_eq!(lines.len(), 1);
        assert!(stats.hit_limit);
    }

    #[test]
    fn a_read_from_the_middle_skips_the_partial_line() {
        let (lines, _) = split(b"tail of a line\nwhole\n", 1 << 20, 100, true);
        assert_eq!(lines, vec![(1, 15, b"whole".to_vec())]);
    }
}
