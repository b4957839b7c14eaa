//! Line breaking: multi-line joining, truncation, invalid UTF-8, and the promise
//! that chunk boundaries never change the events.

use loupe_event::linebreak::{EventBreaker, LineBreaking};
use loupe_event::sourcetype;
use proptest::prelude::*;
use std::borrow::Cow;

#[derive(Debug, Clone, PartialEq)]
struct Out {
    text: String,
    truncated: bool,
    lossy: bool,
}

fn run_chunks(mut b: EventBreaker, chunks: &[&[u8]]) -> Vec<Out> {
    let mut v = Vec::new();
    let mut on = |e: loupe_event::RawEvent<'_>| {
        v.push(Out {
            text: e.text.into_owned(),
            truncated: e.truncated,
            lossy: e.lossy_utf8,
        })
    };
    for c in chunks {
        b.push(c, &mut on);
    }
    b.finish(&mut on);
    v
}

fn run(b: EventBreaker, input: &[u8]) -> Vec<Out> {
    run_chunks(b, &[input])
}

fn texts(v: &[Out]) -> Vec<&str> {
    v.iter().map(|o| o.text.as_str()).collect()
}

fn breaker(name: &str, max: usize) -> EventBreaker {
    sourcetype::lookup(name).expect("sourcetype").breaker(max)
}

const JAVA: &str = "2015-10-18 18:01:47,978 ERROR [main] org.x.App: boom\n\
java.lang.RuntimeException: boom\n\
\tat com.x.Y.z(Y.java:10)\n\
\tat com.x.Y.main(Y.java:5)\n\
Caused by: java.io.IOException: disk full\n\
\t... 3 more\n\
2015-10-18 18:01:48,000 INFO [main] org.x.App: next\n";

#[test]
fn java_stack_trace_joins_into_one_event() {
    let v = run(breaker("Hadoop", 10_000), JAVA.as_bytes());
    assert_eq!(v.len(), 2);
    let first: Vec<&str> = JAVA.lines().take(6).collect();
    assert_eq!(v[0].text, first.join("\n"));
    assert_eq!(
        v[1].text,
        "2015-10-18 18:01:48,000 INFO [main] org.x.App: next"
    );
    assert!(v.iter().all(|o| !o.truncated && !o.lossy));
}

#[test]
fn java_stack_trace_with_crlf_and_blank_lines() {
    let crlf = JAVA
        .replace('\n', "\r\n")
        .replace("\t... 3 more", "\r\n\t... 3 more\r\n  ");
    let v = run(breaker("Hadoop", 10_000), crlf.as_bytes());
    assert_eq!(v.len(), 2);
    // The blank line inside the trace is kept; the trailing blank lines are not.
    let want = "2015-10-18 18:01:47,978 ERROR [main] org.x.App: boom\n\
java.lang.RuntimeException: boom\n\
\tat com.x.Y.z(Y.java:10)\n\
\tat com.x.Y.main(Y.java:5)\n\
Caused by: java.io.IOException: disk full\n\
\n\
\t... 3 more";
    assert_eq!(v[0].text, want);
}

#[test]
fn auto_joins_indented_and_stack_trace_lines() {
    // `auto` keeps a Java trace whole: its exception line and `Caused by:` are not indented
    // but are never the start of a log record.
    let v = run(breaker("auto", 10_000), JAVA.as_bytes());
    assert_eq!(
        texts(&v),
        [
            "2015-10-18 18:01:47,978 ERROR [main] org.x.App: boom\njava.lang.RuntimeException: boom\n\tat com.x.Y.z(Y.java:10)\n\tat com.x.Y.main(Y.java:5)\nCaused by: java.io.IOException: disk full\n\t... 3 more",
            "2015-10-18 18:01:48,000 INFO [main] org.x.App: next",
        ]
    );
    // Lines that only look alike still start events.
    let v = run(
        breaker("auto", 10_000),
        b"Errors: 3 found\nMyErrorHandler started\nplain line\n",
    );
    assert_eq!(v.len(), 3);
}

#[test]
fn batch_lines_each_start_an_event() {
    let input = "01:45:13 02/03/2026 INFO  Début\n01:51:15 02/03/2026 ERROR Lot 1 KO\n  détail\n";
    let v = run(breaker("batch", 10_000), input.as_bytes());
    assert_eq!(
        texts(&v),
        [
            "01:45:13 02/03/2026 INFO  Début",
            "01:51:15 02/03/2026 ERROR Lot 1 KO\n  détail"
        ]
    );
}

#[test]
fn first_line_without_timestamp_is_its_own_event() {
    let input = "header line\n\tmore\n2015-10-18 18:01:47,978 INFO x\n";
    let v = run(breaker("Hadoop", 10_000), input.as_bytes());
    assert_eq!(
        texts(&v),
        ["header line\n\tmore", "2015-10-18 18:01:47,978 INFO x"]
    );
}

#[test]
fn joined_events_are_capped_in_lines() {
    let mut input = String::from("2015-10-18 18:01:47,978 INFO start\n");
    for i in 0..10 {
        input.push_str(&format!("\tline {i}\n"));
    }
    let b = breaker("Hadoop", 10_000).with_max_lines(4);
    let v = run(b, input.as_bytes());
    assert_eq!(v.len(), 3);
    assert_eq!(v[0].text.lines().count(), 4);
    assert_eq!(v[1].text, "\tline 3\n\tline 4\n\tline 5\n\tline 6");
}

#[test]
fn truncation_single_line() {
    let v = run(
        EventBreaker::each_line(10),
        b"0123456789abc\nxy\n0123456789\n",
    );
    assert_eq!(
        v,
        [
            Out {
                text: "0123456789".into(),
                truncated: true,
                lossy: false
            },
            Out {
                text: "xy".into(),
                truncated: false,
                lossy: false
            },
            Out {
                text: "0123456789".into(),
                truncated: false,
                lossy: false
            },
        ]
    );
}

#[test]
fn truncation_at_char_boundary() {
    // Five 2-byte chars; a 9-byte cut would split the fifth.
    let v = run(EventBreaker::each_line(9), "ééééé\n".as_bytes());
    assert_eq!(v[0].text, "éééé");
    assert!(v[0].truncated && !v[0].lossy);
    // Same through byte-by-byte chunks (the carry path).
    let input = "ééééé\n😀😀😀\nok\n".as_bytes();
    let chunks: Vec<&[u8]> = input.chunks(1).collect();
    let v = run_chunks(EventBreaker::each_line(9), &chunks);
    assert_eq!(texts(&v), ["éééé", "😀😀", "ok"]);
    assert_eq!(
        v.iter().map(|o| o.truncated).collect::<Vec<_>>(),
        [true, true, false]
    );
}

#[test]
fn truncation_skips_the_rest_of_a_long_event() {
    let mut input = String::from("2015-10-18 18:01:47,978 ERROR boom\n");
    for i in 0..100 {
        input.push_str(&format!("\tat frame{i}(X.java:{i})\n"));
    }
    input.push_str("2015-10-18 18:01:48,000 INFO next\n");
    input.push_str(&"x".repeat(500));
    input.push_str("\n2015-10-18 18:01:49,000 INFO last\n");
    let v = run(breaker("Hadoop", 200), input.as_bytes());
    assert_eq!(v.len(), 3, "{:?}", texts(&v));
    assert!(v[0].truncated);
    assert_eq!(v[0].text.len(), 200);
    assert!(input.starts_with(v[0].text.as_str()));
    assert_eq!(v[1].text.len(), 200);
    assert!(v[1].truncated);
    assert!(v[1]
        .text
        .starts_with("2015-10-18 18:01:48,000 INFO next\nxxx"));
    assert_eq!(v[2].text, "2015-10-18 18:01:49,000 INFO last");
    assert!(!v[2].truncated);
}

#[test]
fn invalid_utf8_is_decoded_lossily() {
    let v = run(EventBreaker::each_line(100), b"ok \xff\xfe end\nfine\n");
    assert_eq!(v[0].text, "ok \u{fffd}\u{fffd} end");
    assert!(v[0].lossy);
    assert!(!v[1].lossy);
    // A valid character split across chunks is not lossy.
    let s = "prix 10€\n".as_bytes();
    for cut in 0..s.len() {
        let v = run_chunks(EventBreaker::each_line(100), &[&s[..cut], &s[cut..]]);
        assert_eq!(texts(&v), ["prix 10€"]);
        assert!(!v[0].lossy);
    }
}

#[test]
fn single_line_events_are_borrowed() {
    let mut b = breaker("access_combined", 10_000);
    let mut borrowed = 0;
    let mut n = 0;
    b.push(b"a [02/Mar/2026:00:04:16 +0100] x\r\nb\n", &mut |e| {
        n += 1;
        if matches!(e.text, Cow::Borrowed(_)) {
            borrowed += 1;
        }
    });
    assert_eq!((n, borrowed), (2, 2));
    // Joined LF events inside one chunk are borrowed too.
    let mut b = breaker("Hadoop", 10_000);
    let mut kinds = Vec::new();
    b.push(JAVA.as_bytes(), &mut |e| {
        kinds.push(matches!(e.text, Cow::Borrowed(_)))
    });
    assert_eq!(kinds, [true]);
}

#[test]
fn last_line_without_newline_comes_out_at_finish() {
    let mut b = EventBreaker::each_line(100);
    let mut v = Vec::new();
    b.push(b"a\nb", &mut |e| v.push(e.text.into_owned()));
    assert_eq!(v, ["a"]);
    b.finish(&mut |e| v.push(e.text.into_owned()));
    assert_eq!(v, ["a", "b"]);
    // The breaker is reusable after finish.
    b.push(b"c\n", &mut |e| v.push(e.text.into_owned()));
    assert_eq!(v, ["a", "b", "c"]);
}

/// A small input with every awkward case at once.
fn awkward() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(JAVA.replace('\n', "\r\n").as_bytes());
    v.extend_from_slice("2015-10-18 18:01:49,000 WARN é€😀 ünïcödé\n".as_bytes());
    v.extend_from_slice(b"2015-10-18 18:01:50,000 WARN bad \xff\xc3 bytes\n\n\n");
    v.extend_from_slice(format!("2015-10-18 18:01:51,000 {}\n", "long".repeat(30)).as_bytes());
    v.extend_from_slice(b"  indented \xe2\x82 cut euro\n");
    v.extend_from_slice("2015-10-18 18:01:52,000 end ééé".as_bytes());
    v
}

fn all_breakers(max: usize) -> Vec<(&'static str, EventBreaker)> {
    vec![
        ("each", EventBreaker::each_line(max)),
        ("hadoop", breaker("Hadoop", max)),
        ("auto", breaker("auto", max)),
        (
            "indent",
            EventBreaker::new(max, LineBreaking::IndentedContinuation, None),
        ),
    ]
}

#[test]
fn chunk_boundaries_at_every_position_give_the_same_events() {
    let input = awkward();
    for max in [40, 100, 10_000] {
        for (name, b) in all_breakers(max) {
            let whole = run(b.clone(), &input);
            assert!(!whole.is_empty());
            for i in 0..=input.len() {
                let two = run_chunks(b.clone(), &[&input[..i], &input[i..]]);
                assert_eq!(two, whole, "{name} max {max} split at {i}");
            }
            // Every pair of split points for the small maximum (cheap enough).
            if max == 40 {
                for i in (0..=input.len()).step_by(3) {
                    for j in i..=input.len() {
                        let three =
                            run_chunks(b.clone(), &[&input[..i], &input[i..j], &input[j..]]);
                        assert_eq!(three, whole, "{name} split at {i},{j}");
                    }
                }
            }
            let ones: Vec<&[u8]> = input.chunks(1).collect();
            assert_eq!(run_chunks(b.clone(), &ones), whole, "{name} byte by byte");
        }
    }
}

/// Obviously-correct model of `EachLine`: split, strip `\r`, drop blanks, cut, decode.
fn each_line_model(input: &[u8], max: usize) -> Vec<Out> {
    let mut out = Vec::new();
    let mut parts: Vec<&[u8]> = input.split(|&c| c == b'\n').collect();
    if parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    for mut line in parts {
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut truncated = false;
        if line.len() > max {
            truncated = true;
            let mut c = max;
            let mut back = 0;
            while c > 0 && back < 3 && (line[c] & 0xC0) == 0x80 {
                c -= 1;
                back += 1;
            }
            line = &line[..c];
        }
        let lossy = std::str::from_utf8(line).is_err();
        out.push(Out {
            text: String::from_utf8_lossy(line).into_owned(),
            truncated,
            lossy,
        });
    }
    out
}

fn bytes_strategy() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\t".to_vec()),
        Just("é".as_bytes().to_vec()),
        Just("😀".as_bytes().to_vec()),
        Just(b"\xff".to_vec()),
        Just(b"\xe2\x82".to_vec()),
        Just(b"2015-10-18 18:01:47,978 ".to_vec()),
        "[a-z]{1,12}".prop_map(|s| s.into_bytes()),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

proptest! {
    // 256 cases by default; `PROPTEST_CASES=20000` for a longer run.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn random_chunking_never_changes_events(
        input in bytes_strategy(),
        max in 1usize..80,
        cuts in prop::collection::vec(0usize..1000, 0..8),
    ) {
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (input.len() + 1)).collect();
        cuts.sort_unstable();
        let mut chunks = Vec::new();
        let mut prev = 0;
        for c in cuts {
            chunks.push(&input[prev..c]);
            prev = c;
        }
        chunks.push(&input[prev..]);
        for (name, b) in all_breakers(max) {
            let whole = run(b.clone(), &input);
            let split = run_chunks(b, &chunks);
            prop_assert_eq!(&split, &whole, "{}", name);
            for o in &whole {
                prop_assert!(o.text.len() <= max.max(3) * 3, "{} event too long", name);
            }
        }
        prop_assert_eq!(run_chunks(EventBreaker::each_line(max), &chunks), each_line_model(&input, max));
    }
}
