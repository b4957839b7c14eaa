//! Log patterns: `cluster labelonly=t` on the 16 Loghub samples, measured by grouping
//! accuracy against their ground-truth `EventId` (an event counts when the events sharing
//! its label are exactly those sharing its EventId), beside Drain's published figures.

use loupe_query::{compile, parse, ExecContext, Row, Value};
use std::collections::HashMap;
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    match std::env::var("LOUPE_SHARED_DATA") {
        Ok(d) => PathBuf::from(d),
        Err(_) => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
    }
}

/// Drain's grouping accuracy on each sample (Zhu et al., ICSE-SEIP 2019, Table 2).
const DRAIN: &[(&str, f64)] = &[
    ("HDFS", 0.998),
    ("Hadoop", 0.948),
    ("Spark", 0.920),
    ("Zookeeper", 0.967),
    ("OpenStack", 0.733),
    ("BGL", 0.963),
    ("HPC", 0.887),
    ("Thunderbird", 0.955),
    ("Windows", 0.997),
    ("Linux", 0.690),
    ("Mac", 0.787),
    ("Android", 0.911),
    ("HealthApp", 0.780),
    ("Apache", 1.000),
    ("OpenSSH", 0.788),
    ("Proxifier", 0.527),
];

fn event_ids(csv_path: &PathBuf) -> Vec<String> {
    let mut r = csv::Reader::from_path(csv_path).expect("structured csv");
    let headers = r.headers().expect("headers").clone();
    let col = headers
        .iter()
        .position(|h| h == "EventId")
        .expect("EventId");
    r.records()
        .map(|rec| rec.expect("record")[col].to_string())
        .collect()
}

fn accuracy(labels: &[String], truth: &[String]) -> f64 {
    let mut by_label: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, l) in labels.iter().enumerate() {
        by_label.entry(l).or_default().push(i);
    }
    let mut truth_count: HashMap<&str, usize> = HashMap::new();
    for t in truth {
        *truth_count.entry(t).or_default() += 1;
    }
    let mut good = 0;
    for members in by_label.values() {
        let t = &truth[members[0]];
        if members.iter().all(|&i| &truth[i] == t) && truth_count[t.as_str()] == members.len() {
            good += members.len();
        }
    }
    good as f64 / truth.len() as f64
}

/// Every ground-truth group that is split or merged: where its events went, what shares
/// their labels, and one line of each (`LOUPE_CLUSTER_DUMP=<system>` or `all`).
fn dump_misgroupings(lines: &[String], labels: &[String], truth: &[String]) {
    let mut by_truth: HashMap<&str, HashMap<&str, Vec<usize>>> = HashMap::new();
    let mut by_label: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
    for i in 0..lines.len() {
        by_truth
            .entry(&truth[i])
            .or_default()
            .entry(&labels[i])
            .or_default()
            .push(i);
        *by_label
            .entry(&labels[i])
            .or_default()
            .entry(&truth[i])
            .or_default() += 1;
    }
    let mut ids: Vec<_> = by_truth.keys().copied().collect();
    ids.sort_by_key(|id| std::cmp::Reverse(by_truth[id].values().map(Vec::len).sum::<usize>()));
    for id in ids {
        let split = &by_truth[id];
        let merged = split.keys().any(|l| by_label[l].len() > 1);
        if split.len() == 1 && !merged {
            continue;
        }
        let n: usize = split.values().map(Vec::len).sum();
        println!("  {id} ({n} events) in {} clusters", split.len());
        for (label, members) in split {
            let others: Vec<String> = by_label[label]
                .iter()
                .filter(|(t, _)| **t != id)
                .map(|(t, c)| format!("{t}x{c}"))
                .collect();
            println!(
                "    label {label} x{} with [{}]: {}",
                members.len(),
                others.join(" "),
                lines[members[0]]
            );
        }
    }
}

/// The label of each line, and the time spent clustering added to `clustering`.
fn labels_of(query: &str, lines: &[String], clustering: &mut std::time::Duration) -> Vec<String> {
    let p = parse(query).expect("parses");
    let mut ex = compile(&p.commands, &ExecContext::default()).expect("compiles");
    let rows: Vec<Row> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Row::from_pairs([("_raw", Value::Str(l.clone())), ("n", Value::Int(i as i64))])
        })
        .collect();
    let started = std::time::Instant::now();
    ex.push(rows).expect("runs");
    let out = ex.finish().expect("finishes");
    *clustering += started.elapsed();
    assert_eq!(out.len(), lines.len());
    out.iter()
        .map(|r| {
            r.get("cluster_label")
                .map(|v| v.to_string())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn cluster_grouping_accuracy_on_loghub() {
    let root = data_dir().join("loghub");
    if !root.exists() {
        eprintln!("no loghub samples at {}", root.display());
        return;
    }
    let query = std::env::var("LOUPE_CLUSTER_QUERY")
        .unwrap_or_else(|_| "| cluster labelonly=t".to_string());
    let mut total = 0.0;
    let mut worst = 1.0f64;
    let mut clustering = std::time::Duration::ZERO;
    let mut lines_seen = 0;
    for (system, drain) in DRAIN {
        let dir = root.join(system);
        let log = std::fs::read_to_string(dir.join(format!("{system}_2k.log"))).expect("log");
        let lines: Vec<String> = log.lines().map(str::to_string).collect();
        let truth = event_ids(&dir.join(format!("{system}_2k.log_structured.csv")));
        assert_eq!(lines.len(), truth.len(), "{system}");
        lines_seen += lines.len();
        // The fastest of three runs: the machine may be shared, and the labels are the same.
        let mut fastest = std::time::Duration::MAX;
        let mut labels = Vec::new();
        for _ in 0..3 {
            let mut took = std::time::Duration::ZERO;
            labels = labels_of(&query, &lines, &mut took);
            fastest = fastest.min(took);
        }
        clustering += fastest;
        let acc = accuracy(&labels, &truth);
        if std::env::var("LOUPE_CLUSTER_DUMP").is_ok_and(|d| d == *system || d == "all") {
            dump_misgroupings(&lines, &labels, &truth);
        }
        println!("{system:<12} {acc:.3}  (Drain {drain:.3})");
        total += acc;
        worst = worst.min(acc);
    }
    let avg = total / DRAIN.len() as f64;
    println!(
        "average {avg:.3} (Drain 0.865), lowest {worst:.3}; {lines_seen} lines clustered in {:?}, {:.0} lines/s",
        clustering,
        lines_seen as f64 / clustering.as_secs_f64().max(1e-9)
    );
    // Floors against regressions, just below what is reached (0.952 on average, Linux lowest
    // at 0.813, where the truth tells `user=root` from `user=guest`); issue 18 asked for 0.90
    // with no system below 0.75.
    assert!(avg >= 0.945, "average grouping accuracy {avg:.3}");
    assert!(worst >= 0.80, "lowest grouping accuracy {worst:.3}");
}

/// `match=termset` and `match=ngramset` with the default `t=0.8` on realistic events: each
/// system gets about as many clusters as it has kinds of event, neither one per event (as
/// trigrams of the raw text gave: 1999 clusters for HDFS's 2000 lines, 0.001 accuracy, in
/// 98 s) nor a handful.
#[test]
fn set_matches_cluster_loghub_into_about_its_kinds() {
    let root = data_dir().join("loghub");
    if !root.exists() {
        eprintln!("no loghub samples at {}", root.display());
        return;
    }
    for mode in ["termset", "ngramset"] {
        let mut total = 0.0;
        for (system, _) in DRAIN {
            let dir = root.join(system);
            let log = std::fs::read_to_string(dir.join(format!("{system}_2k.log"))).expect("log");
            let lines: Vec<String> = log.lines().map(str::to_string).collect();
            let truth = event_ids(&dir.join(format!("{system}_2k.log_structured.csv")));
            let mut took = std::time::Duration::ZERO;
            let query = format!("| cluster labelonly=t match={mode}");
            let labels = labels_of(&query, &lines, &mut took);
            let clusters = labels
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len();
            let kinds = truth.iter().collect::<std::collections::HashSet<_>>().len();
            let acc = accuracy(&labels, &truth);
            println!("{mode:<8} {system:<12} {clusters:>4} clusters for {kinds:>3} kinds, accuracy {acc:.3}, {took:?}");
            // OpenSSH's user names are words, which no set comparison tells from the message:
            // up to 4.4 clusters per kind there.
            assert!(
                clusters * 2 >= kinds && clusters <= kinds * 5,
                "{mode} on {system}: {clusters} clusters for {kinds} kinds"
            );
            total += acc;
        }
        let avg = total / DRAIN.len() as f64;
        println!("{mode}: average accuracy {avg:.3}");
        // Reached: termset 0.878, ngramset 0.853.
        assert!(avg >= 0.84, "{mode}: average grouping accuracy {avg:.3}");
    }
}
