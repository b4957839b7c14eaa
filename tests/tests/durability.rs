//! `kill -9` of the indexer in the middle of a stream: what was acknowledged survives,
//! and a sender that retries everything (acknowledged or not) creates no duplicate.

use loupe_e2e::Server;
use std::collections::HashSet;
use std::sync::mpsc;

const BATCHES: u64 = 60;
const PER_BATCH: u64 = 200;
const CHANNEL: &str = "aaaaaaaa-0000-4000-8000-000000000001";

fn batch_body(seq: u64) -> Vec<u8> {
    let mut body = String::new();
    for i in 0..PER_BATCH {
        body.push_str(&format!(
            "{{\"time\":{},\"host\":\"h{}\",\"event\":\"durability-probe line={}-{}\"}}\n",
            1_772_409_600 + seq * PER_BATCH + i,
            i % 5,
            seq,
            i
        ));
    }
    body.into_bytes()
}

fn send(server_url: &str, seq: u64) -> Result<u16, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent
        .post(&format!("{server_url}/services/collector/event"))
        .header("Authorization", &format!("Splunk {}", loupe_e2e::TOKEN))
        .header("X-Splunk-Request-Channel", CHANNEL)
        .header("X-Loupe-Sequence", &seq.to_string())
        .send(&batch_body(seq)[..])
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}

#[test]
fn kill_9_mid_stream_loses_nothing_acknowledged_and_duplicates_nothing() {
    let mut server = Server::start("");
    let url = server.url.clone();
    let (acked_tx, acked_rx) = mpsc::channel::<u64>();
    let sender = std::thread::spawn(move || {
        for seq in 0..BATCHES {
            match send(&url, seq) {
                Ok(200) => {
                    if acked_tx.send(seq).is_err() {
                        return;
                    }
                }
                _ => return, // the server is gone
            }
        }
    });
    // Kill while the stream is flowing: after the 20th acknowledgement.
    let mut acked = Vec::new();
    while acked.len() < 20 {
        acked.push(acked_rx.recv().expect("sender stopped before 20 acks"));
    }
    server.kill9();
    sender.join().unwrap();
    acked.extend(acked_rx.try_iter());
    assert!(
        acked.len() >= 20 && (acked.len() as u64) < BATCHES,
        "killed mid-stream: {} acks",
        acked.len()
    );

    server.restart();
    // Every acknowledged event survived the kill.
    let survived = server.count("durability-probe");
    assert!(
        survived >= acked.len() as u64 * PER_BATCH,
        "{survived} < {} acknowledged",
        acked.len() as u64 * PER_BATCH
    );
    // The sender resends everything from the start, as a forwarder without its acks would.
    for seq in 0..BATCHES {
        assert_eq!(send(&server.url, seq), Ok(200), "batch {seq}");
    }
    assert_eq!(server.count("durability-probe"), BATCHES * PER_BATCH);
    let (status, answer) = server.search("durability-probe", (BATCHES * PER_BATCH) as usize);
    assert_eq!(status, 200);
    let distinct: HashSet<&str> = answer["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["_raw"].as_str().unwrap())
        .collect();
    assert_eq!(
        distinct.len() as u64,
        BATCHES * PER_BATCH,
        "every line exactly once"
    );

    // And once more after a clean restart cycle: the write-ahead log was trimmed, nothing replays twice.
    server.kill9();
    server.restart();
    assert_eq!(server.count("durability-probe"), BATCHES * PER_BATCH);
}

#[test]
fn sigterm_commits_and_exits_cleanly() {
    let mut server = Server::start("");
    let (status, a) = server.hec(
        "/services/collector/event",
        br#"{"event":"graceful-probe one"}{"event":"graceful-probe two"}"#,
        &[],
    );
    assert_eq!(status, 200, "{a}");
    let exit = server.terminate();
    assert!(exit.success(), "{exit:?}");
    // A clean stop leaves nothing to replay: the log was checkpointed past every record.
    let wal = server.data_dir().join("wal");
    let checkpoint: u64 = std::fs::read_to_string(wal.join("checkpoint"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(checkpoint >= 1, "checkpoint {checkpoint}");
    server.restart();
    assert_eq!(server.count("graceful-probe"), 2);
}
