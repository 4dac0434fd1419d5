//! Fieldscreen's Tauri shell. Thin: each command forwards to `Field` (the officer app over the
//! vault) or `Training` (scenarios, in memory); the shell adds the lock timer, focus and window
//! lifecycle, and the navigation guard.

pub mod content;
pub mod dto;
pub mod field;
pub mod speech;
pub mod training;
pub mod view;

#[cfg(test)]
mod bindings;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use screening::{Answer, Flag};
use tauri::{Emitter, Manager, Runtime, State};

use dto::*;
use field::Field;
use training::Training;

pub struct AppState {
    pub field: Mutex<Field>,
    pub training: Mutex<Training>,
}

/// The event the UI drops all screen state on.
pub const LOCKED_EVENT: &str = "locked";
/// A sync pass ended: the UI refreshes what it shows of the hub.
pub const SYNC_EVENT: &str = "sync";
/// Progress of a bundle export: `{done, total}`.
pub const EXPORT_PROGRESS_EVENT: &str = "export-progress";

fn field<T>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&mut Field) -> Result<T, CommandError>,
) -> Result<T, CommandError> {
    let mut g = state.field.lock().map_err(|_| CommandError::new(ErrorKind::Internal, "state lock poisoned"))?;
    g.touch(Instant::now());
    f(&mut g)
}

fn training<T>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&mut Training) -> Result<T, CommandError>,
) -> Result<T, CommandError> {
    let mut g = state.training.lock().map_err(|_| CommandError::new(ErrorKind::Internal, "state lock poisoned"))?;
    f(&mut g)
}

// ---- officer app: allowed whatever the lock state -------------------------------------------

#[tauri::command]
fn status(state: State<'_, AppState>) -> Result<AppStatus, CommandError> {
    field(&state, |f| Ok(f.status()))
}

#[tauri::command]
fn setup_options(state: State<'_, AppState>) -> Result<SetupOptions, CommandError> {
    field(&state, |f| f.setup_options())
}

#[tauri::command]
fn setup(state: State<'_, AppState>, args: SetupArgs) -> Result<AppStatus, CommandError> {
    field(&state, |f| f.setup(args))
}

/// The hub is asked (NW-06) between the two halves, without the state lock, off the main
/// thread: a hung hub holds up neither the window nor the lock timer.
#[tauri::command]
async fn unlock(state: State<'_, AppState>, secret: String) -> Result<AppStatus, CommandError> {
    let Some((vault, locks)) = field(&state, |f| f.open_vault(&secret))? else {
        return field(&state, |f| Ok(f.status()));
    };
    let checked = sync::device::check_in(vault, None, chrono::Utc::now());
    field(&state, |f| f.finish_unlock(checked, locks))
}

#[tauri::command]
fn lock<R: Runtime>(app: tauri::AppHandle<R>, state: State<'_, AppState>) -> Result<AppStatus, CommandError> {
    let status = field(&state, |f| {
        f.lock();
        Ok(f.status())
    })?;
    let _ = app.emit(LOCKED_EVENT, ());
    Ok(status)
}

/// The person or officer touched the screen: resets the inactivity timer.
#[tauri::command]
fn touch(state: State<'_, AppState>) -> Result<(), CommandError> {
    field(&state, |_| Ok(()))
}

// ---- officer app: refused while locked (enforced in `Field`) --------------------------------

#[tauri::command]
fn home(state: State<'_, AppState>) -> Result<Home, CommandError> {
    field(&state, |f| f.home())
}

#[tauri::command]
fn new_screening_options(state: State<'_, AppState>) -> Result<NewScreeningOptions, CommandError> {
    field(&state, |f| f.new_screening_options())
}

#[tauri::command]
fn start_screening(state: State<'_, AppState>, args: StartArgs) -> Result<SessionView, CommandError> {
    field(&state, |f| f.start(args))
}

#[tauri::command]
fn resume_draft(state: State<'_, AppState>, draft_id: String) -> Result<SessionView, CommandError> {
    field(&state, |f| f.resume(&draft_id))
}

#[tauri::command]
fn current_view(state: State<'_, AppState>) -> Result<SessionView, CommandError> {
    field(&state, |f| f.view())
}

#[tauri::command]
fn answer(state: State<'_, AppState>, item_id: String, answer: Answer) -> Result<SessionView, CommandError> {
    field(&state, |f| f.answer(&item_id, answer))
}

#[tauri::command]
fn go_back(state: State<'_, AppState>) -> Result<SessionView, CommandError> {
    field(&state, |f| f.back())
}

#[tauri::command]
fn stop_screening(state: State<'_, AppState>) -> Result<SessionView, CommandError> {
    field(&state, |f| f.stop())
}

/// The current item's words read aloud: a WAV in memory, handed to the UI as bytes. The words are
/// chosen under the state lock; the speech engine runs after it is released.
#[tauri::command]
fn speak(state: State<'_, AppState>, part: SpeakPart) -> Result<tauri::ipc::Response, CommandError> {
    let speech = field(&state, |f| f.speech(part))?;
    speech::render(speech).map(tauri::ipc::Response::new)
}

#[tauri::command]
fn training_speak(state: State<'_, AppState>, part: SpeakPart) -> Result<tauri::ipc::Response, CommandError> {
    let speech = training(&state, |t| t.speech(part))?;
    speech::render(speech).map(tauri::ipc::Response::new)
}

#[tauri::command]
fn handover_start(state: State<'_, AppState>) -> Result<SessionView, CommandError> {
    field(&state, |f| f.handover_start())
}

#[tauri::command]
fn handover_end(state: State<'_, AppState>, secret: String) -> Result<SessionView, CommandError> {
    field(&state, |f| f.handover_end(&secret))
}

#[tauri::command]
fn outcome(state: State<'_, AppState>) -> Result<OutcomeView, CommandError> {
    field(&state, |f| f.outcome())
}

#[tauri::command]
fn set_referral(
    state: State<'_, AppState>,
    resource_id: String,
    choice: ReferralChoice,
) -> Result<OutcomeView, CommandError> {
    field(&state, |f| f.set_referral(&resource_id, choice))
}

#[tauri::command]
fn check_notes(state: State<'_, AppState>, text: String) -> Result<Vec<Flag>, CommandError> {
    field(&state, |f| f.check_notes(&text))
}

#[tauri::command]
fn save_notes(state: State<'_, AppState>, text: String) -> Result<OutcomeView, CommandError> {
    field(&state, |f| f.save_notes(&text))
}

#[tauri::command]
fn resource_card(state: State<'_, AppState>) -> Result<ResourceCard, CommandError> {
    field(&state, |f| f.resource_card())
}

#[tauri::command]
fn finalize(state: State<'_, AppState>) -> Result<Finalized, CommandError> {
    field(&state, |f| f.finalize())
}

#[tauri::command]
fn export_options<R: Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<ExportOptions, CommandError> {
    let folder = app
        .path()
        .document_dir()
        .or_else(|_| app.path().home_dir())
        .map_err(|e| CommandError::new(ErrorKind::Io, format!("no documents folder: {e}")))?;
    field(&state, |f| f.export_options(&folder))
}

/// Runs off the main thread so that progress events reach the window while it works.
#[tauri::command]
async fn export_bundle<R: Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    args: ExportArgs,
) -> Result<ExportDone, CommandError> {
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let mut progress = |done: usize, total: usize| {
        let _ = app.emit(EXPORT_PROGRESS_EVENT, ExportProgress { done, total });
    };
    field(&state, |f| f.export(args, &mut progress, &cancel))
}

/// Enrolls this device with the unit's hub. The state lock is taken to make the request and to
/// keep the answer, never while the hub is asked: the unit CA is found by its fingerprint and
/// checked ([`sync::pin`]), then the request goes to the hub pinned on it.
#[tauri::command]
async fn enroll_device(state: State<'_, AppState>, args: EnrollArgs) -> Result<SyncView, CommandError> {
    let req = field(&state, |f| f.enroll_request(&args))?;
    let (url, fingerprint) = (args.hub_url.trim().to_string(), args.fingerprint.clone());
    let (pem, hub_url, resp) = tauri::async_runtime::spawn_blocking(move || -> Result<_, CommandError> {
        let pem = sync::pin::ca_from_fingerprint(&url, &fingerprint)?;
        let client = sync::HubClient::new(&url, std::slice::from_ref(&pem))?;
        let resp = client.enroll(&req)?;
        Ok((pem, client.url().to_string(), resp))
    })
    .await
    .map_err(|e| CommandError::new(ErrorKind::Internal, e.to_string()))??;
    field(&state, |f| f.finish_enroll(&hub_url, pem, &resp))
}

#[tauri::command]
fn sync_status(state: State<'_, AppState>) -> Result<SyncView, CommandError> {
    field(&state, |f| f.sync_status())
}

/// A pass now (the officer asked); the background loop goes on as before. The state lock is
/// taken only to prepare and commit, never while the hub is asked.
#[tauri::command]
async fn sync_now(state: State<'_, AppState>) -> Result<SyncView, CommandError> {
    field(&state, |f| f.sync_status())?;
    sync_pass(&state.field);
    field(&state, |f| f.sync_status())
}

#[tauri::command]
fn close_screening(state: State<'_, AppState>) -> Result<(), CommandError> {
    field(&state, |f| f.close())
}

// ---- training: in memory, no vault, nothing written ----------------------------------------

#[tauri::command]
fn training_scenarios(state: State<'_, AppState>) -> Result<Vec<ScenarioSummary>, CommandError> {
    training(&state, |t| Ok(t.scenarios()))
}

#[tauri::command]
fn training_begin(
    state: State<'_, AppState>,
    scenario_id: String,
    language: Option<String>,
) -> Result<TrainingView, CommandError> {
    training(&state, |t| t.begin(&scenario_id, language.as_deref(), Instant::now()))
}

#[tauri::command]
fn training_view(state: State<'_, AppState>) -> Result<TrainingView, CommandError> {
    training(&state, |t| t.view())
}

#[tauri::command]
fn training_answer(state: State<'_, AppState>, item_id: String, answer: Answer) -> Result<TrainingView, CommandError> {
    training(&state, |t| t.answer(&item_id, answer, Instant::now()))
}

#[tauri::command]
fn training_back(state: State<'_, AppState>) -> Result<TrainingView, CommandError> {
    training(&state, |t| t.back(Instant::now()))
}

#[tauri::command]
fn training_stop(state: State<'_, AppState>) -> Result<TrainingView, CommandError> {
    training(&state, |t| t.stop(Instant::now()))
}

#[tauri::command]
fn training_debrief(state: State<'_, AppState>, notes: String) -> Result<TrainingDebrief, CommandError> {
    training(&state, |t| t.debrief(&notes))
}

#[tauri::command]
fn training_end(state: State<'_, AppState>) -> Result<(), CommandError> {
    training(&state, |t| {
        t.end();
        Ok(())
    })
}

/// Only the app's own pages: the bundled UI, or the dev server in a debug build.
pub fn navigation_allowed(url: &tauri::Url) -> bool {
    match (url.scheme(), url.host_str()) {
        ("tauri", Some("localhost")) => true,
        ("http" | "https", Some("tauri.localhost")) => true,
        ("http", Some("localhost")) => cfg!(debug_assertions) && url.port() == Some(1420),
        _ => false,
    }
}

/// The app on any runtime (the real one, or the mock runtime in tests).
pub fn app<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_dialog::init())
        .plugin(
            tauri::plugin::Builder::<R, ()>::new("navigation-guard")
                .on_navigation(|_, url| navigation_allowed(url))
                .build(),
        )
        .on_window_event(|window, event| window_event(&window.state::<AppState>(), event))
        .invoke_handler(tauri::generate_handler![
            status,
            setup_options,
            setup,
            unlock,
            lock,
            touch,
            home,
            new_screening_options,
            start_screening,
            resume_draft,
            current_view,
            answer,
            go_back,
            stop_screening,
            handover_start,
            handover_end,
            speak,
            training_speak,
            outcome,
            set_referral,
            check_notes,
            save_notes,
            resource_card,
            finalize,
            export_options,
            export_bundle,
            sync_status,
            sync_now,
            enroll_device,
            close_screening,
            training_scenarios,
            training_begin,
            training_view,
            training_answer,
            training_back,
            training_stop,
            training_debrief,
            training_end
        ])
}

/// Focus and close: the focus clock starts on blur; closing locks.
fn window_event(state: &AppState, event: &tauri::WindowEvent) {
    let Ok(mut f) = state.field.lock() else { return };
    match event {
        tauri::WindowEvent::Focused(focused) => f.focus_changed(*focused, Instant::now()),
        tauri::WindowEvent::CloseRequested { .. } | tauri::WindowEvent::Destroyed => {
            f.lock();
        }
        _ => {}
    }
}

/// How often the lock timer looks at the inactivity and focus clocks.
pub const LOCK_TICK: Duration = Duration::from_secs(1);

/// The lock timer: every [`LOCK_TICK`] until `stop`, locks when a clock ran out and calls
/// `on_locked`. It waits for nothing but the state lock, which no sync pass holds across IO.
fn lock_timer(state: &AppState, stop: &AtomicBool, mut on_locked: impl FnMut()) {
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(LOCK_TICK);
        let locked = match state.field.lock() {
            Ok(mut f) => f.tick(Instant::now()),
            Err(_) => return,
        };
        if locked {
            on_locked();
        }
    }
}

fn spawn_lock_timer<R: Runtime>(app: tauri::AppHandle<R>) {
    std::thread::spawn(move || {
        let state = app.state::<AppState>();
        lock_timer(&state, &AtomicBool::new(false), || {
            let _ = app.emit(LOCKED_EVENT, ());
        })
    });
}

/// The app's vault as the sync crate borrows it: the state lock for a moment at a time.
struct AppVault<'a> {
    field: &'a Mutex<Field>,
    dir: PathBuf,
}

impl sync::device::VaultAccess for AppVault<'_> {
    fn begin_pass(&self) -> Option<Arc<AtomicBool>> {
        self.field.lock().ok()?.sync_begin()
    }
    fn with_vault<T>(&self, f: impl FnOnce(&vault::Vault) -> Result<T, sync::SyncError>) -> Result<T, sync::SyncError> {
        let g = self.field.lock().map_err(|_| sync::SyncError::Cancelled)?;
        f(g.sync_vault().ok_or(sync::SyncError::Cancelled)?)
    }
    fn data_dir(&self) -> PathBuf {
        self.dir.clone()
    }
}

fn app_vault(field: &Mutex<Field>) -> AppVault<'_> {
    let dir = field.lock().map(|f| f.dir().to_path_buf()).unwrap_or_default();
    AppVault { field, dir }
}

/// One pass now, outside the state lock: `None` when there is nothing to do (locked, not
/// enrolled), else whether the hub answered.
fn sync_pass(field: &Mutex<Field>) -> Option<bool> {
    let access = app_vault(field);
    let cancel = sync::device::VaultAccess::begin_pass(&access)?;
    let outcome = sync::device::sync_pass(&access, cancel, chrono::Utc::now);
    if let Err(sync::SyncError::Revoked { wipe }) = outcome {
        revoke(field, wipe);
        return Some(false);
    }
    let answered = match &outcome {
        Ok(_) => Some(true),
        Err(sync::SyncError::Cancelled) => None,
        Err(e) => Some(!e.is_retryable()),
    };
    if let Ok(mut f) = field.lock() {
        f.sync_done(&outcome);
    }
    answered
}

/// The unit revoked this device: lock, then wipe (as the unit says) and report, outside the
/// state lock.
fn revoke(field: &Mutex<Field>, wipe: bool) {
    let vault = field.lock().ok().and_then(|mut f| f.take_for_revocation());
    if let Some(v) = vault {
        let _ = sync::device::carry_out_revocation(v, wipe, chrono::Utc::now());
    }
}

/// The background sync: `sync::device::run`, the same loop as `fieldscreen device sync
/// --watch`, over the app's vault, until `stop`. `on_event` hears `SYNC_EVENT` after each pass
/// and `LOCKED_EVENT` when a revocation locked the app.
fn sync_loop(state: &AppState, opts: &sync::device::RunOptions, stop: &AtomicBool, mut on_event: impl FnMut(&str)) {
    let access = app_vault(&state.field);
    while !stop.load(Ordering::SeqCst) {
        let ended = sync::device::run(&access, opts, stop, |outcome| {
            if let Ok(mut f) = state.field.lock() {
                f.sync_done(outcome);
            }
            on_event(SYNC_EVENT);
        });
        match ended {
            Ok(()) => return,
            Err(sync::SyncError::Revoked { wipe }) => {
                revoke(&state.field, wipe);
                on_event(LOCKED_EVENT);
            }
            // Shown by `sync_done`; the loop starts again after a pause.
            Err(_) => std::thread::sleep(opts.idle),
        }
    }
}

fn spawn_sync_loop<R: Runtime>(app: tauri::AppHandle<R>) {
    std::thread::spawn(move || {
        let state = app.state::<AppState>();
        sync_loop(&state, &sync::device::RunOptions::default(), &AtomicBool::new(false), |event| {
            let _ = app.emit(event, ());
        })
    });
}

/// The data folder: `FIELDSCREEN_DATA_DIR`, else the OS app-data folder.
fn data_dir<R: Runtime>(app: &tauri::App<R>) -> Result<PathBuf, String> {
    match std::env::var_os("FIELDSCREEN_DATA_DIR") {
        Some(d) => Ok(PathBuf::from(d)),
        None => app.path().app_data_dir().map_err(|e| format!("no app-data folder: {e}")),
    }
}

pub fn run() {
    let library = match content::load() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("fieldscreen: the protocol library is not valid:\n{e}");
            std::process::exit(1);
        }
    };
    let result = app(tauri::Builder::default())
        .setup(move |app| {
            let dir = data_dir(app)?;
            let field = Field::new(dir, library.clone())?;
            app.manage(AppState { field: Mutex::new(field), training: Mutex::new(Training::new(library)) });
            spawn_lock_timer(app.handle().clone());
            spawn_sync_loop(app.handle().clone());
            Ok(())
        })
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(|handle, event| {
            if let tauri::RunEvent::Exit = event {
                if let Ok(mut f) = handle.state::<AppState>().field.lock() {
                    f.lock();
                }
            }
        }),
        Err(e) => {
            eprintln!("fieldscreen: the app could not start: {e}");
            std::process::exit(1);
        }
    }
}
