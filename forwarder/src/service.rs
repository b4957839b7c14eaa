//! `loupe-forwarder service install|uninstall|start|stop`: the forwarder as a Windows service,
//! so that a batch server ships its logs from boot, without anyone logged in.
//!
//! The service is the same binary started by the service manager as
//! `loupe-forwarder.exe --config <file> service run`. A stop (or a shutdown) sets the stop
//! flag of [`crate::run`]: the reader spools what it has batched, the shipper gets
//! [`crate::STOP_GRACE`] to deliver the spool, and every acknowledged batch has its checkpoint
//! written — what is left stays in the spool and goes first at the next start, under the same
//! sequence numbers (the indexer drops what it already has). Nothing is lost, nothing doubled.
//!
//! A service has no console: what the forwarder writes to stderr goes to
//! `%ProgramData%\Loupe\logs\forwarder.log` (kept below [`LOG_MAX_BYTES`] by one rotation to
//! `forwarder.log.1` at each start), besides `index=_internal` as usual.
//!
//! The state machine ([`Lifecycle`], [`serve`]) is platform-independent so that it is tested
//! on Linux; only the wiring to the service manager (`windows-service`) is Windows-only.

use crate::{Config, RunOptions};
use std::ffi::OsString;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The service's name (`sc.exe query LoupeForwarder`).
pub const SERVICE_NAME: &str = "LoupeForwarder";
/// What the Services console shows.
pub const DISPLAY_NAME: &str = "Loupe forwarder";
/// The Services console's description.
pub const DESCRIPTION: &str = "Tails log files and ships them to a Loupe indexer (HEC).";
/// The log file is rotated (once) at start when it is bigger than this.
pub const LOG_MAX_BYTES: u64 = 10 << 20;

/// Why a service command failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Services exist only on Windows.
    #[error("`service` commands are for Windows; on Linux use the systemd unit (forwarder/packaging/loupe-forwarder.service)")]
    NotWindows,
    /// The configuration the service would run with is not valid.
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
    /// The forwarder stopped on an error.
    #[error(transparent)]
    Run(#[from] crate::RunError),
    /// The service manager refused (not an administrator, no such service...).
    #[error("{what}: {source}")]
    Manager {
        /// What was asked.
        what: String,
        /// Its answer.
        source: std::io::Error,
    },
    /// The service did not reach the state asked for in time.
    #[error("{0}")]
    Timeout(String),
}

/// The arguments the service manager starts the binary with: the configuration as an absolute
/// path (a service starts in `C:\Windows\System32`), then the hidden `service run`.
pub fn launch_arguments(config: &Path) -> Vec<OsString> {
    let config = std::path::absolute(config).unwrap_or_else(|_| config.to_path_buf());
    vec![
        "--config".into(),
        config.into_os_string(),
        "service".into(),
        "run".into(),
    ]
}

/// What the service tells the service manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Reading the configuration.
    StartPending,
    /// Forwarding; accepts stop and shutdown.
    Running,
    /// Stop asked: spooling, delivering for at most [`crate::STOP_GRACE`].
    StopPending,
    /// Ended; 0 after a stop, 1 when the configuration or the state directory failed.
    Stopped {
        /// The service's exit code.
        exit_code: u32,
    },
}

/// A control request from the service manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// `sc stop`, `Stop-Service`, the Services console.
    Stop,
    /// The machine shuts down.
    Shutdown,
    /// "Tell me your state."
    Interrogate,
    /// Anything else (pause, parameters change...).
    Other,
}

/// How a request was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Done (or nothing to do); `report` is the state to tell the manager, if it changed.
    Handled {
        /// The new state to report.
        report: Option<State>,
    },
    /// Not something this service does.
    NotImplemented,
}

/// The part of the service shared by the control handler (the manager's thread) and the
/// worker: the stop flag of the run.
#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    stop: Arc<AtomicBool>,
}

impl Lifecycle {
    /// A service not asked to stop yet.
    pub fn new() -> Lifecycle {
        Lifecycle::default()
    }

    /// The flag [`crate::run`] watches.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Takes a control request. A second stop while stopping changes nothing.
    pub fn on_request(&self, r: Request) -> Answer {
        match r {
            Request::Stop | Request::Shutdown => {
                let was = self.stop.swap(true, Ordering::SeqCst);
                Answer::Handled {
                    report: (!was).then_some(State::StopPending),
                }
            }
            Request::Interrogate => Answer::Handled { report: None },
            Request::Other => Answer::NotImplemented,
        }
    }
}

/// The service's work: reads the configuration, reports `Running`, forwards until the stop
/// flag is set, reports `Stopped`. `report` tells the service manager (a test records it).
pub fn serve(
    config: &Path,
    life: &Lifecycle,
    report: &mut dyn FnMut(State),
) -> Result<(), ServiceError> {
    serve_with_grace(config, life, crate::STOP_GRACE, report)
}

/// [`serve`] with another delivery grace at stop (tests stop with the indexer down).
fn serve_with_grace(
    config: &Path,
    life: &Lifecycle,
    stop_grace: std::time::Duration,
    report: &mut dyn FnMut(State),
) -> Result<(), ServiceError> {
    report(State::StartPending);
    let result = Config::load(config)
        .map_err(ServiceError::from)
        .and_then(|cfg| {
            report(State::Running);
            let opts = RunOptions {
                once: false,
                stop: Some(life.stop_flag()),
                stop_grace,
            };
            crate::run(&cfg, &opts)
                .map(|_| ())
                .map_err(ServiceError::from)
        });
    if let Err(e) = &result {
        eprintln!("loupe-forwarder service: {e}");
    }
    report(State::Stopped {
        exit_code: u32::from(result.is_err()),
    });
    result
}

/// Keeps the service's log file bounded: above [`LOG_MAX_BYTES`] it becomes `<name>.1`
/// (replacing the previous one) and a new file starts.
pub fn rotate_log(path: &Path) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > LOG_MAX_BYTES) {
        let mut old = path.as_os_str().to_owned();
        old.push(".1");
        let _ = std::fs::remove_file(&old);
        let _ = std::fs::rename(path, &old);
    }
}

/// `service install`: registers the service (automatic start, LocalSystem, restarted by the
/// manager 10 s after a crash) for this binary and `config`, checked first.
pub fn install(config: &Path) -> Result<(), ServiceError> {
    Config::load(config)?;
    imp::install(config)
}

/// `service uninstall`: stops the service if it runs, then removes it.
pub fn uninstall() -> Result<(), ServiceError> {
    imp::uninstall()
}

/// `service start`: starts it and waits until it runs (or says why it stopped).
pub fn start() -> Result<(), ServiceError> {
    imp::start()
}

/// `service stop`: asks it to stop and waits until it has (checkpoints written).
pub fn stop() -> Result<(), ServiceError> {
    imp::stop()
}

/// `service run`: what the service manager starts; hands this thread to it until stopped.
pub fn dispatch(config: &Path) -> Result<(), ServiceError> {
    imp::dispatch(config)
}

#[cfg(not(windows))]
mod imp {
    use super::ServiceError;
    use std::path::Path;

    pub fn install(_: &Path) -> Result<(), ServiceError> {
        Err(ServiceError::NotWindows)
    }
    pub fn uninstall() -> Result<(), ServiceError> {
        Err(ServiceError::NotWindows)
    }
    pub fn start() -> Result<(), ServiceError> {
        Err(ServiceError::NotWindows)
    }
    pub fn stop() -> Result<(), ServiceError> {
        Err(ServiceError::NotWindows)
    }
    pub fn dispatch(_: &Path) -> Result<(), ServiceError> {
        Err(ServiceError::NotWindows)
    }
}

#[cfg(windows)]
mod imp {
    use super::{Answer, Lifecycle, Request, ServiceError, State};
    use std::ffi::OsString;
    use std::path::{Path, PathBuf};
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};
    use windows_service::service::{
        ServiceAccess, ServiceAction, ServiceActionType, ServiceControl, ServiceControlAccept,
        ServiceErrorControl, ServiceExitCode, ServiceFailureActions, ServiceFailureResetPeriod,
        ServiceInfo, ServiceStartType, ServiceState, ServiceStatus, ServiceType,
    };
    use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
    use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
    use windows_service::{define_windows_service, service_dispatcher};

    /// How long `start` and `stop` wait for the service to get there.
    const WAIT: Duration = Duration::from_secs(30);
    /// How often they look.
    const LOOK_EVERY: Duration = Duration::from_millis(250);

    /// The configuration `service run` was given, for the service's main (which the service
    /// manager calls with its own arguments, not the command line's).
    static CONFIG: OnceLock<PathBuf> = OnceLock::new();

    fn manager_err(what: &str) -> impl FnOnce(windows_service::Error) -> ServiceError + '_ {
        move |e| ServiceError::Manager {
            what: what.to_string(),
            source: match e {
                windows_service::Error::Winapi(io) => io,
                other => std::io::Error::other(other.to_string()),
            },
        }
    }

    fn manager(access: ServiceManagerAccess) -> Result<ServiceManager, ServiceError> {
        ServiceManager::local_computer(None::<&str>, access).map_err(manager_err(
            "opening the service manager (run as an administrator)",
        ))
    }

    pub fn install(config: &Path) -> Result<(), ServiceError> {
        let m = manager(ServiceManagerAccess::CONNECT | ServiceManagerAccess::CREATE_SERVICE)?;
        let exe = std::env::current_exe().map_err(|e| ServiceError::Manager {
            what: "finding this program's path".into(),
            source: e,
        })?;
        let info = ServiceInfo {
            name: OsString::from(super::SERVICE_NAME),
            display_name: OsString::from(super::DISPLAY_NAME),
            service_type: ServiceType::OWN_PROCESS,
            start_type: ServiceStartType::AutoStart,
            error_control: ServiceErrorControl::Normal,
            executable_path: exe,
            launch_arguments: super::launch_arguments(config),
            dependencies: vec![],
            account_name: None, // LocalSystem: reads every log, writes %ProgramData%
            account_password: None,
        };
        let service = m
            .create_service(
                &info,
                ServiceAccess::CHANGE_CONFIG | ServiceAccess::START | ServiceAccess::QUERY_STATUS,
            )
            .map_err(manager_err("creating the service"))?;
        let _ = service.set_description(super::DESCRIPTION);
        // A crash is followed by a restart; a stop asked for is not a failure.
        let restart = ServiceAction {
            action_type: ServiceActionType::Restart,
            delay: Duration::from_secs(10),
        };
        let _ = service.update_failure_actions(ServiceFailureActions {
            reset_period: ServiceFailureResetPeriod::After(Duration::from_secs(86_400)),
            reboot_msg: None,
            command: None,
            actions: Some(vec![restart.clone(), restart.clone(), restart]),
        });
        println!(
            "service {} installed (automatic start) with {}",
            super::SERVICE_NAME,
            config.display()
        );
        Ok(())
    }

    pub fn uninstall() -> Result<(), ServiceError> {
        let m = manager(ServiceManagerAccess::CONNECT)?;
        let service = m
            .open_service(
                super::SERVICE_NAME,
                ServiceAccess::QUERY_STATUS | ServiceAccess::STOP | ServiceAccess::DELETE,
            )
            .map_err(manager_err("opening the service"))?;
        let running = service
            .query_status()
            .map(|s| s.current_state != ServiceState::Stopped)
            .unwrap_or(false);
        if running {
            let _ = service.stop();
            wait_for(&service, ServiceState::Stopped)?;
        }
        service
            .delete()
            .map_err(manager_err("removing the service"))?;
        println!("service {} removed", super::SERVICE_NAME);
        Ok(())
    }

    pub fn start() -> Result<(), ServiceError> {
        let m = manager(ServiceManagerAccess::CONNECT)?;
        let service = m
            .open_service(
                super::SERVICE_NAME,
                ServiceAccess::QUERY_STATUS | ServiceAccess::START,
            )
            .map_err(manager_err("opening the service"))?;
        match service.start::<&str>(&[]) {
            Ok(()) => {}
            // Already running (an automatic service the manager started on its own): that is
            // what was asked for.
            Err(windows_service::Error::Winapi(e))
                if e.raw_os_error()
                    == Some(
                        windows_sys::Win32::Foundation::ERROR_SERVICE_ALREADY_RUNNING as i32,
                    ) => {}
            Err(e) => return Err(manager_err("starting the service")(e)),
        }
        wait_for(&service, ServiceState::Running)?;
        println!("service {} running", super::SERVICE_NAME);
        Ok(())
    }

    pub fn stop() -> Result<(), ServiceError> {
        let m = manager(ServiceManagerAccess::CONNECT)?;
        let service = m
            .open_service(
                super::SERVICE_NAME,
                ServiceAccess::QUERY_STATUS | ServiceAccess::STOP,
            )
            .map_err(manager_err("opening the service"))?;
        service
            .stop()
            .map_err(manager_err("stopping the service"))?;
        wait_for(&service, ServiceState::Stopped)?;
        println!("service {} stopped", super::SERVICE_NAME);
        Ok(())
    }

    /// Waits until the service is in `want`; a service that stops while starting says so.
    fn wait_for(
        service: &windows_service::service::Service,
        want: ServiceState,
    ) -> Result<(), ServiceError> {
        let deadline = Instant::now() + super::super::STOP_GRACE + WAIT;
        loop {
            let status = service
                .query_status()
                .map_err(manager_err("asking the service's state"))?;
            if status.current_state == want {
                return Ok(());
            }
            if want == ServiceState::Running && status.current_state == ServiceState::Stopped {
                return Err(ServiceError::Timeout(format!(
                    "the service stopped while starting (exit code {:?}); see {}",
                    status.exit_code,
                    crate::winpath::default_log_dir()
                        .join("forwarder.log")
                        .display()
                )));
            }
            if Instant::now() > deadline {
                return Err(ServiceError::Timeout(format!(
                    "the service is {:?}, not {want:?}, after {} s",
                    status.current_state,
                    (super::super::STOP_GRACE + WAIT).as_secs()
                )));
            }
            std::thread::sleep(LOOK_EVERY);
        }
    }

    pub fn dispatch(config: &Path) -> Result<(), ServiceError> {
        let _ = CONFIG.set(std::path::absolute(config).unwrap_or_else(|_| config.to_path_buf()));
        service_dispatcher::start(super::SERVICE_NAME, ffi_service_main)
            .map_err(manager_err("connecting to the service manager (`service run` is for the service manager; run `service start`)"))
    }

    define_windows_service!(ffi_service_main, service_main);

    /// Sends what the forwarder prints on stderr to the log file: a service has no console.
    fn log_to_file() {
        use std::os::windows::io::IntoRawHandle;
        let dir = crate::winpath::default_log_dir();
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("forwarder.log");
        super::rotate_log(&path);
        if let Ok(f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
        {
            // The handle stays open for the process's life: it is stderr now.
            let h = f.into_raw_handle();
            // SAFETY: `h` is a valid, owned file handle that is never closed; std's stderr
            // asks GetStdHandle at each write, so it writes there from now on.
            unsafe {
                windows_sys::Win32::System::Console::SetStdHandle(
                    windows_sys::Win32::System::Console::STD_ERROR_HANDLE,
                    h as windows_sys::Win32::Foundation::HANDLE,
                );
            }
        }
    }

    fn status(state: State) -> ServiceStatus {
        let (current_state, controls_accepted, exit_code, wait_hint) = match state {
            State::StartPending => (
                ServiceState::StartPending,
                ServiceControlAccept::empty(),
                0,
                Duration::from_secs(10),
            ),
            State::Running => (
                ServiceState::Running,
                ServiceControlAccept::STOP | ServiceControlAccept::SHUTDOWN,
                0,
                Duration::ZERO,
            ),
            State::StopPending => (
                ServiceState::StopPending,
                ServiceControlAccept::empty(),
                0,
                super::super::STOP_GRACE + Duration::from_secs(5),
            ),
            State::Stopped { exit_code } => (
                ServiceState::Stopped,
                ServiceControlAccept::empty(),
                exit_code,
                Duration::ZERO,
            ),
        };
        ServiceStatus {
            service_type: ServiceType::OWN_PROCESS,
            current_state,
            controls_accepted,
            exit_code: ServiceExitCode::Win32(exit_code),
            checkpoint: 0,
            wait_hint,
            process_id: None,
        }
    }

    fn service_main(_args: Vec<OsString>) {
        log_to_file();
        let life = Lifecycle::new();
        let handler_life = life.clone();
        // The handler runs on the manager's thread and may report before the handle exists
        // on this one: it reports through its own copy, set once registered.
        let handle_cell: std::sync::Arc<OnceLock<service_control_handler::ServiceStatusHandle>> =
            Default::default();
        let cell = handle_cell.clone();
        let handler = move |c: ServiceControl| -> ServiceControlHandlerResult {
            let request = match c {
                ServiceControl::Stop => Request::Stop,
                ServiceControl::Shutdown => Request::Shutdown,
                ServiceControl::Interrogate => Request::Interrogate,
                _ => Request::Other,
            };
            match handler_life.on_request(request) {
                Answer::Handled { report } => {
                    if let (Some(state), Some(h)) = (report, cell.get()) {
                        let _ = h.set_service_status(status(state));
                    }
                    ServiceControlHandlerResult::NoError
                }
                Answer::NotImplemented => ServiceControlHandlerResult::NotImplemented,
            }
        };
        let handle = match service_control_handler::register(super::SERVICE_NAME, handler) {
            Ok(h) => h,
            Err(e) => {
                let why = std::error::Error::source(&e).map(|s| s.to_string());
                eprintln!(
                    "loupe-forwarder service: cannot register with the service manager: {e} ({})",
                    why.unwrap_or_default()
                );
                return;
            }
        };
        let _ = handle_cell.set(handle);
        let config = CONFIG
            .get()
            .cloned()
            .unwrap_or_else(crate::winpath::default_config);
        eprintln!(
            "loupe-forwarder service: starting with {}",
            config.display()
        );
        let mut report = |s: State| {
            let _ = handle.set_service_status(status(s));
        };
        if super::serve(&config, &life, &mut report).is_ok() {
            eprintln!("loupe-forwarder service: stopped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::Mutex;

    #[test]
    fn stop_once_then_nothing_more() {
        let life = Lifecycle::new();
        assert_eq!(
            life.on_request(Request::Interrogate),
            Answer::Handled { report: None }
        );
        assert!(!life.stop_flag().load(Ordering::SeqCst));
        assert_eq!(
            life.on_request(Request::Stop),
            Answer::Handled {
                report: Some(State::StopPending)
            }
        );
        assert!(life.stop_flag().load(Ordering::SeqCst));
        // A shutdown during the stop: nothing new to report.
        assert_eq!(
            life.on_request(Request::Shutdown),
            Answer::Handled { report: None }
        );
        assert_eq!(life.on_request(Request::Other), Answer::NotImplemented);
    }

    #[test]
    fn the_service_is_started_with_its_config_as_an_absolute_path() {
        let args = launch_arguments(Path::new("forwarder.toml"));
        assert_eq!(args.len(), 4);
        assert_eq!(args[0], "--config");
        assert!(Path::new(&args[1]).is_absolute(), "{args:?}");
        assert_eq!(args[2..], ["service", "run"]);
    }

    #[test]
    fn a_bad_config_reports_stopped_with_exit_code_1() {
        let d = tempfile::tempdir().unwrap();
        let cfg = d.path().join("forwarder.toml");
        std::fs::write(&cfg, "bogus = 1\n").unwrap();
        let mut states = Vec::new();
        let r = serve(&cfg, &Lifecycle::new(), &mut |s| states.push(s));
        assert!(r.is_err());
        assert_eq!(
            states,
            [State::StartPending, State::Stopped { exit_code: 1 }]
        );
    }

    #[test]
    fn log_rotation_keeps_one_old_file() {
        let d = tempfile::tempdir().unwrap();
        let log = d.path().join("forwarder.log");
        std::fs::write(&log, vec![b'x'; (LOG_MAX_BYTES + 1) as usize]).unwrap();
        rotate_log(&log);
        assert!(!log.exists());
        assert!(d.path().join("forwarder.log.1").exists());
        std::fs::write(&log, "small\n").unwrap();
        rotate_log(&log);
        assert!(log.exists());
    }

    /// An indexer that acknowledges every batch: enough to see checkpoints move.
    fn fake_indexer() -> (String, Arc<Mutex<usize>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let posts = Arc::new(Mutex::new(0));
        let count = posts.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let count = count.clone();
                std::thread::spawn(move || {
                    let mut r = BufReader::new(conn.try_clone().unwrap());
                    let mut w = conn;
                    loop {
                        let mut len = 0usize;
                        let mut line = String::new();
                        loop {
                            line.clear();
                            if r.read_line(&mut line).unwrap_or(0) == 0 {
                                return;
                            }
                            let l = line.trim_end().to_ascii_lowercase();
                            if let Some(v) = l.strip_prefix("content-length:") {
                                len = v.trim().parse().unwrap_or(0);
                            }
                            if l.is_empty() {
                                break;
                            }
                        }
                        let mut body = vec![0; len];
                        if r.read_exact(&mut body).is_err() {
                            return;
                        }
                        *count.lock().unwrap() += 1;
                        let answer = br#"{"text":"Success","code":0}"#;
                        let _ = write!(
                            w,
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                            answer.len()
                        );
                        let _ = w.write_all(answer);
                    }
                });
            }
        });
        (url, posts)
    }

    #[test]
    fn a_stop_with_the_indexer_down_leaves_the_lines_in_the_spool() {
        let d = tempfile::tempdir().unwrap();
        // Nothing listens there.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = d.path().join("app.log");
        std::fs::write(&log, "one\ntwo\n").unwrap();
        let state = d.path().join("state");
        let cfg = d.path().join("forwarder.toml");
        std::fs::write(
            &cfg,
            format!(
                "state_dir = {state:?}\npoll_interval = \"20ms\"\nbatch_max_age = \"20ms\"\n[output]\nurls = [\"http://127.0.0.1:{port}\"]\ntoken = \"t\"\n[[input]]\npath = {:?}\n",
                log.display().to_string()
            ),
        )
        .unwrap();
        let life = Lifecycle::new();
        let worker = {
            let (life, cfg) = (life.clone(), cfg.clone());
            std::thread::spawn(move || {
                let grace = std::time::Duration::from_millis(100);
                serve_with_grace(&cfg, &life, grace, &mut |_| {}).map_err(|e| e.to_string())
            })
        };
        // Both lines sealed into the spool (they cannot be delivered).
        let spooled = || {
            std::fs::read_dir(state.join("spool"))
                .map(|d| {
                    d.flatten()
                        .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("two")))
                })
                .unwrap_or(false)
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !spooled() {
            assert!(std::time::Instant::now() < deadline, "never spooled");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        life.on_request(Request::Stop);
        // The run ends although the shipper is still retrying; the batch stays for next time.
        assert!(worker.join().unwrap().is_ok());
        assert!(spooled());
        assert!(!state.join("checkpoint.json").exists());
    }

    #[test]
    fn a_stop_ends_the_run_with_every_shipped_line_checkpointed() {
        let d = tempfile::tempdir().unwrap();
        let (url, posts) = fake_indexer();
        let log = d.path().join("app.log");
        let text: String = (0..500).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&log, &text).unwrap();
        let state = d.path().join("state");
        let cfg = d.path().join("forwarder.toml");
        std::fs::write(
            &cfg,
            format!(
                "state_dir = {state:?}\npoll_interval = \"20ms\"\nbatch_max_age = \"50ms\"\n[output]\nurls = [\"{url}\"]\ntoken = \"t\"\n[[input]]\npath = {:?}\n",
                log.display().to_string()
            ),
        )
        .unwrap();
        let life = Lifecycle::new();
        let states = Arc::new(Mutex::new(Vec::new()));
        let worker = {
            let (life, states, cfg) = (life.clone(), states.clone(), cfg.clone());
            std::thread::spawn(move || {
                serve(&cfg, &life, &mut |s| states.lock().unwrap().push(s))
                    .map_err(|e| e.to_string())
            })
        };
        // Running, and the whole file acknowledged: its checkpoint is at the file's end.
        let checkpoint = state.join("checkpoint.json");
        let at_end = || {
            std::fs::read_to_string(&checkpoint)
                .ok()
                .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
                .and_then(|v| {
                    v["files"]
                        .as_object()
                        .map(|f| f.values().any(|m| m["offset"] == text.len()))
                })
                .unwrap_or(false)
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !at_end() {
            assert!(std::time::Instant::now() < deadline, "never checkpointed");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(*posts.lock().unwrap() >= 1);
        assert_eq!(
            life.on_request(Request::Stop),
            Answer::Handled {
                report: Some(State::StopPending)
            }
        );
        let result = worker.join().unwrap();
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(
            *states.lock().unwrap(),
            [
                State::StartPending,
                State::Running,
                State::Stopped { exit_code: 0 }
            ]
        );
        // Nothing left behind in the spool, the checkpoint still at the end.
        let spooled = std::fs::read_dir(state.join("spool"))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(spooled, 0);
        assert!(at_end());
    }
}
