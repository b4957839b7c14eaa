//! Waking the reader: file-system notifications (inotify on Linux, ReadDirectoryChangesW on
//! Windows, through the `notify` crate) cut the wait between a write and its shipping to
//! milliseconds, while polling every `poll_interval` stays the safety net — for file systems
//! that send no events (NFS, some container mounts), for watch limits, and for any event lost.
//!
//! What is watched is the directory each glob starts from (its part before the first glob
//! character), recursively when the glob crosses directories: a new matching file, a write,
//! a rename or a truncation there wakes the reader, which then does what a poll does.

use crate::config::Input;
use crate::stats::Stats;
use notify::event::{EventKind, ModifyKind, RenameMode};
use notify::{RecursiveMode, Watcher};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// What woke the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The deadline passed (poll interval, batch age, idle timeout...).
    Timeout,
    /// Files changed; `rescan` when names appeared, went or moved (walk the globs again).
    Changed {
        /// Directory entries changed: new files may match.
        rescan: bool,
    },
}

/// The reader's alarm clock: notifications when they work, the deadline always.
pub struct Waker {
    watcher: Option<notify::RecommendedWatcher>,
    rx: mpsc::Receiver<()>,
    /// Kept so that `rx` never reports a disconnection when nothing watches.
    _tx: mpsc::Sender<()>,
    rescan: Arc<AtomicBool>,
    /// Renames seen since the last [`Waker::take_renames`], as (from, to).
    renames: Arc<Mutex<Vec<(PathBuf, PathBuf)>>>,
    /// Watch roots and whether each is watched yet (`false`: not there yet, retried at polls).
    roots: BTreeMap<PathBuf, (RecursiveMode, bool)>,
    /// Roots whose failure was already reported (each is logged once).
    reported: std::collections::BTreeSet<PathBuf>,
}

impl Waker {
    /// A waker for `inputs`; with `watch` false (or when the platform refuses), deadlines only.
    /// Events about `state_dir` (the forwarder's own spool and checkpoint) are ignored.
    pub fn new(inputs: &[Input], watch: bool, state_dir: &Path, stats: &Stats) -> Waker {
        let (tx, rx) = mpsc::channel();
        let rescan = Arc::new(AtomicBool::new(false));
        let renames = Arc::new(Mutex::new(Vec::new()));
        let mut roots = BTreeMap::new();
        for input in inputs {
            for pattern in &input.paths {
                let (root, mode) = watch_root(&crate::config::normalize_pattern(pattern));
                // `C:\batchs`: the paths of its events are then in Windows' own form too.
                let root = crate::winpath::native(&root);
                // Recursive wins when two globs share a root.
                let e = roots.entry(root).or_insert((mode, false));
                if mode == RecursiveMode::Recursive {
                    e.0 = mode;
                }
            }
        }
        let watcher = if watch {
            // Event paths start with the root as written, which may be a symlink to the real one.
            let own: Vec<PathBuf> = [
                Some(state_dir.to_path_buf()),
                std::fs::canonicalize(state_dir).ok(),
            ]
            .into_iter()
            .flatten()
            .collect();
            let (wake, flag, moved) = (tx.clone(), rescan.clone(), renames.clone());
            let handler = move |res: notify::Result<notify::Event>| {
                let changed = match &res {
                    // Lost events (queue overflow): look at everything again.
                    Err(_) => Some(true),
                    Ok(ev)
                        if ev
                            .paths
                            .iter()
                            .all(|p| own.iter().any(|o| p.starts_with(o))) =>
                    {
                        None
                    }
                    Ok(ev) => match ev.kind {
                        // Opens and reads (ours included) say nothing new.
                        EventKind::Access(_) => None,
                        EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Metadata(_)) => {
                            Some(false)
                        }
                        _ => Some(true),
                    },
                };
                // A rename names both ends only here: a file created and renamed out of the
                // glob between two passes is found again from it (see `take_renames`).
                if let Ok(ev) = &res {
                    if let (EventKind::Modify(ModifyKind::Name(RenameMode::Both)), [from, to]) =
                        (ev.kind, ev.paths.as_slice())
                    {
                        if let Ok(mut m) = moved.lock() {
                            if m.len() < MAX_PENDING_RENAMES {
                                m.push((from.clone(), to.clone()));
                            }
                        }
                    }
                }
                if let Some(rescan) = changed {
                    if rescan {
                        flag.store(true, Ordering::SeqCst);
                    }
                    let _ = wake.send(());
                }
            };
            match notify::recommended_watcher(handler) {
                Ok(w) => Some(w),
                Err(e) => {
                    stats.warn(format!(
                        "file watching unavailable ({e}); polling for changes instead"
                    ));
                    None
                }
            }
        } else {
            None
        };
        let mut w = Waker {
            watcher,
            rx,
            _tx: tx,
            rescan,
            renames,
            roots,
            reported: Default::default(),
        };
        w.refresh(stats);
        w
    }

    /// True when at least one directory is watched (events can wake the reader).
    pub fn watching(&self) -> bool {
        self.watcher.is_some() && self.roots.values().any(|(_, ok)| *ok)
    }

    /// Watches roots that were not watched yet (a directory created after the start); called at
    /// every poll. A root that cannot be watched is reported once and polled.
    pub fn refresh(&mut self, stats: &Stats) {
        let Some(watcher) = self.watcher.as_mut() else {
            return;
        };
        for (root, (mode, ok)) in self.roots.iter_mut() {
            if *ok || !root.exists() {
                continue;
            }
            match watcher.watch(root, *mode) {
                Ok(()) => *ok = true,
                Err(e) => {
                    if self.reported.insert(root.clone()) {
                        stats.warn(format!(
                            "cannot watch {} ({e}); polling it instead",
                            root.display()
                        ));
                    }
                }
            }
        }
    }

    /// The renames (from, to) notified since the last call. The reader follows a file renamed
    /// from a followed name to one the globs do not match even when it never saw the file
    /// under its first name — created and rotated away between two passes, its lines would
    /// otherwise be lost.
    pub fn take_renames(&self) -> Vec<(PathBuf, PathBuf)> {
        self.renames
            .lock()
            .map(|mut m| std::mem::take(&mut *m))
            .unwrap_or_default()
    }

    /// Sleeps until a watched file changes or `deadline` passes, whichever comes first.
    pub fn wait(&self, deadline: Instant) -> Wake {
        let now = Instant::now();
        let woke = if deadline <= now {
            self.rx.try_recv().is_ok()
        } else {
            self.rx.recv_timeout(deadline - now).is_ok()
        };
        if !woke {
            return Wake::Timeout;
        }
        // Several events usually come at once: one pass handles them all.
        while self.rx.try_recv().is_ok() {}
        Wake::Changed {
            rescan: self.rescan.swap(false, Ordering::SeqCst),
        }
    }
}

/// Renames kept between two passes at most: beyond, a storm of renames is left to discovery.
const MAX_PENDING_RENAMES: usize = 10_000;

/// The directory to watch for a glob, and whether recursively: the literal prefix of the
/// pattern (the file's directory for a plain path); recursive when the glob spans directories.
fn watch_root(pattern: &str) -> (PathBuf, RecursiveMode) {
    let parts: Vec<&str> = pattern.split('/').collect();
    let first_glob = parts
        .iter()
        .position(|c| c.contains(['*', '?', '[', '{']))
        // A plain path: its directory, so that the file being created or replaced is seen.
        .unwrap_or(parts.len().saturating_sub(1));
    let mut base = parts[..first_glob].join("/");
    if base.is_empty() {
        base = if pattern.starts_with('/') { "/" } else { "." }.into();
    } else if cfg!(windows) && base.len() == 2 && base.ends_with(':') {
        base.push('/'); // `D:` alone is the current directory of drive D.
    }
    // `dir/*.log` needs only `dir`; `dir/*/x.log` or `dir/**` need what is below it too.
    let mode = if parts.len() - first_glob > 1 || pattern.contains("**") {
        RecursiveMode::Recursive
    } else {
        RecursiveMode::NonRecursive
    };
    (PathBuf::from(base), mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_of_globs() {
        assert_eq!(
            watch_root("/var/log/nginx/*.log"),
            (PathBuf::from("/var/log/nginx"), RecursiveMode::NonRecursive)
        );
        assert_eq!(
            watch_root("/srv/apps/**/*.log"),
            (PathBuf::from("/srv/apps"), RecursiveMode::Recursive)
        );
        assert_eq!(
            watch_root("/srv/*/logs/a.log"),
            (PathBuf::from("/srv"), RecursiveMode::Recursive)
        );
        assert_eq!(
            watch_root("/var/log/app.log"),
            (PathBuf::from("/var/log"), RecursiveMode::NonRecursive)
        );
        assert_eq!(
            watch_root("*.log"),
            (PathBuf::from("."), RecursiveMode::NonRecursive)
        );
    }

    #[test]
    fn a_write_wakes_before_the_deadline_and_a_new_file_asks_for_a_rescan() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("a.log");
        std::fs::write(&log, "one\n").unwrap();
        let text = format!(
            "state_dir = \"/tmp/s\"\n[output]\nurls = [\"http://x\"]\ntoken = \"t\"\n[[input]]\npath = \"{}/*.log\"\n",
            dir.path().display()
        );
        let cfg = crate::Config::parse(&text, Path::new("t.toml")).unwrap();
        let stats = Stats::default();
        let w = Waker::new(&cfg.inputs, true, &dir.path().join("state"), &stats);
        assert!(w.watching(), "inotify should work on a temp dir");
        let far = Instant::now() + std::time::Duration::from_secs(3600);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"two\n"))
            .unwrap();
        assert!(matches!(w.wait(far), Wake::Changed { .. }));
        std::fs::write(dir.path().join("b.log"), "new\n").unwrap();
        assert_eq!(w.wait(far), Wake::Changed { rescan: true });
        // Polling only: nothing but the deadline wakes it.
        let p = Waker::new(&cfg.inputs, false, &dir.path().join("state"), &stats);
        assert!(!p.watching());
        std::fs::write(dir.path().join("c.log"), "new\n").unwrap();
        assert_eq!(p.wait(Instant::now()), Wake::Timeout);
    }
}
