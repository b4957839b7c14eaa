//! Throughput of the import hot path (ignored by default; run in release):
//! `cargo test -p loupe-event --release --test throughput -- --ignored --nocapture`

mod common;

use common::*;
use loupe_event::linebreak::EventBreaker;
use loupe_event::sourcetype;
use loupe_event::timestamp::TimeContext;
use std::hint::black_box;
use std::time::Instant;

fn loghub() -> Vec<(&'static str, Vec<u8>)> {
    SYSTEMS
        .iter()
        .map(|s| {
            let mut b = read(&data_dir().join(format!("loghub/{s}/{s}_2k.log")));
            if b.last() != Some(&b'\n') {
                b.push(b'\n');
            }
            (*s, b)
        })
        .collect()
}

fn report(what: &str, bytes: usize, events: usize, secs: f64) {
    println!(
        "{what:<58} {:>8.1} MB/s {:>10.0} events/s ({} MB in {:.3} s)",
        bytes as f64 / secs / 1e6,
        events as f64 / secs,
        bytes / 1_000_000,
        secs
    );
}

/// Breaks and timestamps `data` `rounds` times; returns (bytes, events, with-time, secs).
fn run(name: &str, data: &[u8], rounds: usize, recognize: bool) -> (usize, usize, usize, f64) {
    run_in(name, data, rounds, recognize, &TimeContext::utc(2017))
}

fn run_in(
    name: &str,
    data: &[u8],
    rounds: usize,
    recognize: bool,
    ctx: &TimeContext,
) -> (usize, usize, usize, f64) {
    let st = sourcetype::lookup(name).expect("sourcetype");
    let t = Instant::now();
    let mut events = 0;
    let mut timed = 0;
    for _ in 0..rounds {
        let mut breaker = st.breaker(10_000);
        let mut rec = st.recognizer();
        let mut on = |e: loupe_event::RawEvent<'_>| {
            events += 1;
            if recognize && rec.recognize(&e.text, ctx).is_some() {
                timed += 1;
            }
            black_box(&e);
        };
        for chunk in data.chunks(64 * 1024) {
            breaker.push(chunk, &mut on);
        }
        breaker.finish(&mut on);
    }
    (
        data.len() * rounds,
        events,
        timed,
        t.elapsed().as_secs_f64(),
    )
}

#[test]
#[ignore]
fn throughput() {
    let files = loghub();
    let all: Vec<u8> = files.iter().flat_map(|(_, b)| b.iter().copied()).collect();
    let rounds = 20;

    // The real import path: each file with its own sourcetype (joining on, recognizer on).
    let (mut bytes, mut events, mut timed, mut secs) = (0, 0, 0, 0.0);
    for (name, data) in &files {
        let (b, e, t, s) = run(name, data, rounds, true);
        bytes += b;
        events += e;
        timed += t;
        secs += s;
    }
    assert_eq!(timed, events);
    report(
        "loghub, own sourcetype: break (multi-line) + recognise",
        bytes,
        events,
        secs,
    );

    // Same, zone-less times read in Europe/Paris (named zone: offset cache in use).
    let paris = TimeContext::new(2017, jiff::tz::TimeZone::get("Europe/Paris").expect("tzdb"));
    let (mut bytes, mut events, mut secs) = (0, 0, 0.0);
    for (name, data) in &files {
        let (b, e, _, s) = run_in(name, data, rounds, true, &paris);
        bytes += b;
        events += e;
        secs += s;
    }
    report(
        "loghub, own sourcetype, Europe/Paris: break + recognise",
        bytes,
        events,
        secs,
    );

    let (b, e, t, s) = run("auto", &all, rounds, true);
    assert_eq!(t, e);
    report("loghub concatenated, auto: break + recognise", b, e, s);

    let (b, e, _, s) = run("auto", &all, rounds, false);
    report(
        "loghub concatenated, auto: break only (indent joining)",
        b,
        e,
        s,
    );

    let (b, e, _, s) = run("access_combined", &all, rounds, false);
    report("loghub concatenated, each line: break only", b, e, s);

    // Breaker alone on 138-byte lines.
    let line = format!("{:<137}\n", "82.48.80.203 - - [02/Mar/2026:00:04:16 +0100] \"GET / HTTP/1.1\" 200 13813 \"-\" \"Googlebot/2.1\"");
    assert_eq!(line.len(), 138);
    let synth = line.repeat(400_000);
    let t = Instant::now();
    let mut n = 0usize;
    let mut b = EventBreaker::each_line(10_000);
    for chunk in synth.as_bytes().chunks(64 * 1024) {
        b.push(chunk, &mut |e| {
            n += 1;
            black_box(&e);
        });
    }
    b.finish(&mut |_| n += 1);
    report(
        "138-byte lines: each-line breaker alone",
        synth.len(),
        n,
        t.elapsed().as_secs_f64(),
    );

    let (b, e, t, s) = run("access_combined", synth.as_bytes(), 1, true);
    assert_eq!(t, e);
    report("138-byte lines: access_combined break + recognise", b, e, s);
}
