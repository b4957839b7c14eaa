//! Windows paths, one way. Globs are matched with `/` separators on every platform (so
//! `D:\batchs\**\*.log` and `D:/batchs/**/*.log` are the same glob), but what a user sees —
//! the event's `source`, the checkpoint's paths, the warnings — is the path as Windows shows
//! it: `D:\batchs\mutuelle-azur\envoi_mail.log`, one separator, the drive letter as written in
//! the configuration. A lookup on the log path (the batch inventory) matches only then.
//!
//! The string functions here are pure and platform-independent, so they are unit-tested on
//! Linux too; [`native`] applies them only when built for Windows.
//!
//! Also here: where the forwarder keeps its files by default (`%ProgramData%\Loupe\` on
//! Windows, `/etc/loupe-forwarder` and `/var/lib/loupe-forwarder` elsewhere).

use std::path::{Path, PathBuf};

/// `s` with every `/` turned into `\`, and a bare drive (`C:`, which Windows reads as "the
/// current directory of drive C") made its root (`C:\`). UNC paths keep their two leading
/// separators (`//srv/share` → `\\srv\share`).
pub fn windows_form(s: &str) -> String {
    let mut out = s.replace('/', "\\");
    if is_bare_drive(&out) {
        out.push('\\');
    }
    out
}

/// `s` with `\` turned into `/`: the form globs are matched against.
pub fn glob_form(s: &str) -> String {
    s.replace('\\', "/")
}

/// True for `C:` (a drive letter and a colon, nothing else).
fn is_bare_drive(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 2 && b[0].is_ascii_alphabetic() && b[1] == b':'
}

/// The platform's own form of a path built from a `/`-separated glob prefix: on Windows
/// [`windows_form`], elsewhere unchanged. Walking from the native form makes every path found
/// below it native too (the walker joins names with the platform's separator).
pub fn native(p: &Path) -> PathBuf {
    if cfg!(windows) {
        PathBuf::from(windows_form(&p.to_string_lossy()))
    } else {
        p.to_path_buf()
    }
}

/// The event `source` of a file: its path as the platform shows it.
pub fn source_form(p: &Path) -> String {
    native(p).to_string_lossy().into_owned()
}

/// The Nth (1-based) segment of a Windows path, not counting the drive or the UNC server
/// and share: in `C:\batchs\mutuelle-azur\envoi_mail.log` segment 1 is `batchs`, 2 is
/// `mutuelle-azur` (what `host_segment` means on Windows, whatever separators were used).
pub fn windows_segment(s: &str, n: usize) -> Option<String> {
    let s = windows_form(s);
    let rest = if let Some(unc) = s.strip_prefix("\\\\") {
        // \\server\share\dir\file: server and share are the "drive".
        unc.splitn(3, '\\').nth(2).unwrap_or("")
    } else if s.len() >= 2 && is_bare_drive(&s[..2]) {
        &s[2..]
    } else {
        &s[..]
    };
    rest.split('\\')
        .filter(|c| !c.is_empty() && *c != ".")
        .nth(n.checked_sub(1)?)
        .map(str::to_string)
}

/// The volume part of an absolute Windows path, in one case: `C:` for `c:\x` and
/// `\\?\C:\x`, `\\srv\share` for `\\SRV\Share\x` and `\\?\UNC\srv\share\x`; `None` for a
/// relative path. With the file index it names a file across renames and restarts; the
/// volume serial number could too, but Wine reports it differently from one start to the next.
pub fn volume_prefix(s: &str) -> Option<String> {
    let s = windows_form(s);
    let (verbatim, s) = match s.strip_prefix(r"\\?\") {
        Some(rest) => (true, rest),
        None => (false, s.as_str()),
    };
    let unc = if verbatim {
        s.strip_prefix(r"UNC\")
    } else {
        s.strip_prefix(r"\\")
    };
    if let Some(unc) = unc {
        let mut parts = unc.split('\\').filter(|p| !p.is_empty());
        let (server, share) = (parts.next()?, parts.next()?);
        return Some(format!(r"\\{server}\{share}").to_lowercase());
    }
    let b = s.as_bytes();
    (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
        .then(|| s[..2].to_ascii_uppercase())
}

/// Where the forwarder keeps its files when the configuration does not say:
/// `%ProgramData%\Loupe` on Windows (`C:\ProgramData\Loupe` when the variable is unset).
pub fn program_data() -> PathBuf {
    let base = std::env::var_os("ProgramData")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"));
    base.join("Loupe")
}

/// The configuration file read when `--config` is not given.
pub fn default_config() -> PathBuf {
    if cfg!(windows) {
        program_data().join("forwarder.toml")
    } else {
        PathBuf::from("/etc/loupe-forwarder/forwarder.toml")
    }
}

/// The state directory (checkpoints, spool) when the configuration has no `state_dir`.
pub fn default_state_dir() -> PathBuf {
    if cfg!(windows) {
        program_data().join("state")
    } else {
        PathBuf::from("/var/lib/loupe-forwarder")
    }
}

/// Where the Windows service writes what the forwarder would print on stderr.
pub fn default_log_dir() -> PathBuf {
    program_data().join("logs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_separator_whatever_the_glob_used() {
        // What the walker yields under Windows when it starts from the `/` form of a glob.
        assert_eq!(
            windows_form(r"C:/batchs\mutuelle-azur\envoi_mail.log"),
            r"C:\batchs\mutuelle-azur\envoi_mail.log"
        );
        assert_eq!(
            windows_form("C:/batchs/mutuelle-azur/envoi_mail.log"),
            r"C:\batchs\mutuelle-azur\envoi_mail.log"
        );
        // The drive letter as written.
        assert_eq!(windows_form("d:/batchs/x.log"), r"d:\batchs\x.log");
        assert_eq!(windows_form("C:"), r"C:\");
        assert_eq!(windows_form("//srv/logs/a.log"), r"\\srv\logs\a.log");
        assert_eq!(
            glob_form(r"D:\batchs\**\*.log"),
            "D:/batchs/**/*.log".to_string()
        );
    }

    #[test]
    fn segments_skip_drive_and_share() {
        let p = r"C:\batchs\mutuelle-azur\envoi_mail.log";
        assert_eq!(windows_segment(p, 1).as_deref(), Some("batchs"));
        assert_eq!(windows_segment(p, 2).as_deref(), Some("mutuelle-azur"));
        assert_eq!(windows_segment(p, 3).as_deref(), Some("envoi_mail.log"));
        assert_eq!(windows_segment(p, 4), None);
        assert_eq!(windows_segment(p, 0), None);
        assert_eq!(
            windows_segment("C:/batchs\\mutuelle-azur/x.log", 2).as_deref(),
            Some("mutuelle-azur")
        );
        assert_eq!(
            windows_segment(r"\\srv\logs\ORDO-PROD-01\a.log", 1).as_deref(),
            Some("ORDO-PROD-01")
        );
    }

    #[test]
    fn volumes_in_one_form() {
        assert_eq!(volume_prefix(r"c:\batchs\a.log").as_deref(), Some("C:"));
        assert_eq!(volume_prefix("C:/batchs/a.log").as_deref(), Some("C:"));
        assert_eq!(volume_prefix(r"\\?\D:\x").as_deref(), Some("D:"));
        assert_eq!(
            volume_prefix(r"\\SRV\Logs\a.log").as_deref(),
            Some(r"\\srv\logs")
        );
        assert_eq!(
            volume_prefix(r"\\?\UNC\srv\logs\a.log").as_deref(),
            Some(r"\\srv\logs")
        );
        assert_eq!(volume_prefix(r"batchs\a.log"), None);
        assert_eq!(volume_prefix(r"\\srv"), None);
    }

    #[test]
    fn defaults_live_under_program_data_on_windows() {
        assert!(program_data().ends_with("Loupe"));
        if cfg!(windows) {
            assert_eq!(default_config(), program_data().join("forwarder.toml"));
            assert!(default_state_dir().starts_with(program_data()));
        } else {
            assert_eq!(
                default_config(),
                PathBuf::from("/etc/loupe-forwarder/forwarder.toml")
            );
        }
    }
}
