//! Times `auto` timestamp recognition alone over a file's lines (three passes), so a change
//! to the recognizer can be measured without an import's noise around it:
//! `cargo run --release -p loupe-event --example recognize -- bench-out/corpus-2000000.log`.

use std::io::BufRead;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: recognize FILE (one event per line)")?;
    let lines = std::io::BufReader::new(std::fs::File::open(path)?)
        .lines()
        .collect::<Result<Vec<String>, _>>()?;
    let ctx = loupe_event::timestamp::TimeContext::utc(2026);
    for _ in 0..3 {
        let mut r = loupe_event::timestamp::TimestampRecognizer::auto();
        let start = std::time::Instant::now();
        let found = lines
            .iter()
            .filter(|l| r.recognize(l, &ctx).is_some())
            .count();
        let took = start.elapsed();
        println!(
            "{} lines, {found} with a time: {:.0} ns per line",
            lines.len(),
            took.as_nanos() as f64 / lines.len().max(1) as f64
        );
    }
    Ok(())
}
