//! A disk that really fills up (a small tmpfs under the data dir, `ENOSPC` from the kernel):
//! ingest answers 503, keeps every acknowledged event, and takes data again once there is room.
//! Mounting needs root; the test says so and passes without running elsewhere.

use loupe_e2e::Server;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted for the test, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn new(at: &Path, size: &str) -> Mount {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .expect("run mount");
        assert!(ok.success(), "mount a tmpfs at {}", at.display());
        Mount(at.to_path_buf())
    }

    fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .expect("run mount");
        assert!(ok.success(), "remount {}", self.0.display());
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// A server whose data dir is a tmpfs of `size`; `None` (and a note) when not root.
fn server_on_tmpfs(size: &str, extra: &str) -> Option<(Mount, Server)> {
    if !is_root() {
        eprintln!("not run: mounting a small filesystem needs root");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let mount = Mount::new(&dir.path().join("data"), size);
    Some((mount, Server::start_in(dir, "127.0.0.1:0", extra)))
}

/// One HEC body of `n` events of about 1 KB, tagged with the batch number.
fn batch(b: usize, n: usize) -> Vec<u8> {
    let pad = "x".repeat(1000);
    let mut body = Vec::new();
    for i in 0..n {
        body.extend_from_slice(
            serde_json::json!({"event": format!("fill batch{b} event{i} {pad}")})
                .to_string()
                .as_bytes(),
        );
    }
    body
}

#[test]
fn a_really_full_disk_answers_503_then_recovers_and_loses_nothing_acknowledged() {
    // The free-space guard is off: the kernel's ENOSPC is what is tested.
    let Some((mount, mut s)) = server_on_tmpfs("24m", "min_free_disk = \"0\"\n") else {
        return;
    };
    let mut acked = 0usize;
    let mut refused = None;
    for b in 0..400 {
        let (status, a) = s.hec("/services/collector/event", &batch(b, 200), &[]);
        if status == 200 {
            acked += 1;
            continue;
        }
        refused = Some((status, a));
        break;
    }
    let (status, a) = refused.expect("24 MB filled up without a refusal");
    assert_eq!(status, 503, "{a}");
    assert_eq!(a["code"], 9, "{a}");
    assert!(acked > 0, "some batches fit before the disk filled");
    let (status, h) = s.hec("/services/collector/event", &batch(9_999, 1), &[]);
    assert_eq!(status, 503, "still full: {h}");

    // Room again: the same server takes data and everything acknowledged is searchable. If a
    // commit failed while the disk was full, ingest stays refused (503) until one succeeds: the
    // flush is that commit, where a live server would wait for its next commit tick.
    mount.resize("512m");
    s.flush();
    let (status, a) = s.hec("/services/collector/event", &batch(10_000, 200), &[]);
    assert_eq!(status, 200, "after space was freed: {a}");
    acked += 1;
    s.flush();
    assert_eq!(s.count("fill"), (acked * 200) as u64);
    assert_eq!(s.count("batch9999"), 0, "a refused batch is not indexed");

    // And after a crash, from the log and the buckets alone.
    s.kill9();
    s.restart();
    s.flush();
    assert_eq!(s.count("fill"), (acked * 200) as u64);
    s.kill9();
    drop(mount);
}

/// Fills what is left of the disk with a file; returns its path (remove it to free the room).
fn fill_up(dir: &Path) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).expect("create filler");
    let chunk = vec![0u8; 64 * 1024];
    while f.write_all(&chunk).is_ok() {}
    while f.write_all(&chunk[..512]).is_ok() {}
    path
}

/// A commit that fails (the disk filled up between the acknowledgement and the commit) must not
/// lose the events tantivy held: the server indexes them again from its log, and once there is
/// room the same process, without a restart, finds every one of them.
#[test]
fn a_commit_that_fails_on_a_full_disk_loses_nothing_it_held() {
    // No commit but the ones asked for, and no free-space guard: the kernel's ENOSPC decides.
    let extra = "min_free_disk = \"0\"\ncommit_interval = \"1h\"\n";
    let Some((mount, mut s)) = server_on_tmpfs("64m", extra) else {
        return;
    };
    for b in 0..20 {
        let (status, a) = s.hec("/services/collector/event", &batch(b, 200), &[]);
        assert_eq!(status, 200, "batch {b}: {a}");
    }
    let filler = fill_up(&s.data_dir());
    let (status, text) = s.try_flush();
    assert_ne!(
        status, 200,
        "a commit on a full disk cannot succeed: {text}"
    );
    let (status, a) = s.hec("/services/collector/event", &batch(9_999, 1), &[]);
    assert_eq!(status, 503, "refused while commits fail: {a}");
    assert_eq!(a["code"], 9, "{a}");

    std::fs::remove_file(&filler).unwrap();
    s.flush();
    assert_eq!(s.count("fill"), 20 * 200);
    let (status, a) = s.hec("/services/collector/event", &batch(20, 200), &[]);
    assert_eq!(status, 200, "healthy again after a commit: {a}");
    assert_eq!(s.count("fill"), 21 * 200);

    s.kill9();
    s.restart();
    assert_eq!(s.count("fill"), 21 * 200);
    s.kill9();
    drop(mount);
}
