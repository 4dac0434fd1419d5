//! Fieldscreen's Tauri shell. Thin: each command converts DTOs and calls the screening crate.

pub mod content;
pub mod screen;

use std::sync::Mutex;

use screening::Answer;
use tauri::{Runtime, State};

use screen::{CommandError, ProtocolSummary, Screen, SessionView};
use screening::Outcome;

pub struct AppState(pub Mutex<Screen>);

fn with<T>(state: &State<'_, AppState>, f: impl FnOnce(&mut Screen) -> Result<T, CommandError>) -> Result<T, CommandError> {
    let mut guard = state.0.lock().map_err(|_| CommandError { kind: "internal", message: "state lock poisoned".into() })?;
    f(&mut guard)
}

#[tauri::command]
fn list_protocols(state: State<'_, AppState>) -> Result<Vec<ProtocolSummary>, CommandError> {
    with(&state, |s| Ok(s.protocols()))
}

#[tauri::command]
fn start_screening(state: State<'_, AppState>, protocol_id: String, language: String) -> Result<SessionView, CommandError> {
    with(&state, |s| s.start(&protocol_id, &language))
}

#[tauri::command]
fn answer(state: State<'_, AppState>, item_id: String, answer: Answer) -> Result<SessionView, CommandError> {
    with(&state, |s| s.answer(&item_id, answer))
}

#[tauri::command]
fn go_back(state: State<'_, AppState>) -> Result<SessionView, CommandError> {
    with(&state, |s| s.back())
}

#[tauri::command]
fn stop_screening(state: State<'_, AppState>) -> Result<SessionView, CommandError> {
    with(&state, |s| s.stop())
}

#[tauri::command]
fn outcome(state: State<'_, AppState>) -> Result<Outcome, CommandError> {
    with(&state, |s| s.outcome())
}

#[tauri::command]
fn end_screening(state: State<'_, AppState>) -> Result<(), CommandError> {
    with(&state, |s| {
        s.end();
        Ok(())
    })
}

/// The app on any runtime (the real one, or the mock runtime in tests).
pub fn app<R: Runtime>(builder: tauri::Builder<R>, screen: Screen) -> tauri::Builder<R> {
    builder.manage(AppState(Mutex::new(screen))).invoke_handler(tauri::generate_handler![
        list_protocols,
        start_screening,
        answer,
        go_back,
        stop_screening,
        outcome,
        end_screening
    ])
}

pub fn run() {
    let library = match content::load() {
        Ok(l) => l,
        Err(e) => {
            eprintln!("fieldscreen: the protocol library is not valid:\n{e}");
            std::process::exit(1);
        }
    };
    app(tauri::Builder::default(), Screen::new(library))
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("fieldscreen: the app could not start: {e}");
            std::process::exit(1);
        });
}
