//! Chatpi Desktop's backend: it holds every account's `Connection` and
//! message stores, serves the webview's commands, sends it batched
//! `chat://` events and raises notifications. On first run it signs in two
//! demo accounts on an embedded local server.

mod accounts;
mod app;
mod commands;
mod desktop;
mod embedded;
mod error;
mod events;
mod keychain;
mod notify;
mod outbox;
mod session;
mod store;
mod token_command;
mod view;

use std::{
    path::Path,
    sync::{Arc, OnceLock},
    time::Instant,
};

use anyhow::Context;

use tauri::{Manager, WindowEvent};
use tokio::sync::watch;

use crate::{accounts::AccountsFile, app::Ctx, error::CommandError, events::Batcher};

/// What every command can reach, once start-up is done.
pub struct AppState {
    ctx: Arc<Ctx>,
    ready: watch::Receiver<Option<Result<(), String>>>,
}

impl AppState {
    /// The shared state, waiting for start-up to finish.
    async fn ctx(&self) -> Result<Arc<Ctx>, CommandError> {
        let mut ready = self.ready.clone();
        let value = ready
            .wait_for(Option::is_some)
            .await
            .map_err(|_| CommandError::new("startup", "start-up did not finish"))?;
        match value.as_ref() {
            Some(Ok(())) => Ok(self.ctx.clone()),
            Some(Err(message)) => Err(CommandError::new("startup", message.clone())),
            None => Err(CommandError::new("startup", "start-up did not finish")),
        }
    }
}

/// Loads the account list (writing the first-run one), starts the embedded
/// server when a local account needs it, and signs every account in.
async fn startup(ctx: &Arc<Ctx>, data_dir: &Path) -> anyhow::Result<()> {
    // With no account configured (a first run, or every account
    // removed), the embedded default signs its demo accounts in.
    let file = match AccountsFile::load(&ctx.accounts_path)? {
        Some(file) if !file.accounts.is_empty() => file,
        _ => {
            let file = AccountsFile::first_run();
            file.save(&ctx.accounts_path)?;
            file
        }
    };
    if let Ok(mut records) = ctx.records.lock() {
        *records = file.clone();
    }
    embedded::create_private_dir(data_dir)?;
    let outbox_path = data_dir.join("outbox.db");
    let outbox = outbox::OutboxDb::open(&outbox_path)
        .with_context(|| format!("cannot open the outbox at {}", outbox_path.display()))?;
    if let Ok(mut slot) = ctx.outbox.lock() {
        *slot = Some(outbox);
    }
    if file.has_local() {
        let local = embedded::start(data_dir).await?;
        if let Ok(mut slot) = ctx.embedded.lock() {
            *slot = Some(Arc::new(local));
        }
    }
    for record in &file.accounts {
        match ctx.start_session(record) {
            Ok(session) => {
                if let Ok(mut sessions) = ctx.sessions.write() {
                    sessions.push(session);
                }
            }
            Err(error) => tracing::error!(account = %record.id, %error, "cannot start the account"),
        }
    }
    ctx.accounts_changed();
    Ok(())
}

static STARTED: OnceLock<Instant> = OnceLock::new();

/// When [`run`] began: the reference for start-up timings.
fn started() -> Instant {
    *STARTED.get_or_init(Instant::now)
}

pub fn run() {
    started();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                "chatpi_desktop=info,chatpi_client=warn,chatpi_server=warn".into()
            }),
        )
        .with_writer(std::io::stderr)
        .init();

    let result = tauri::Builder::default()
        // First: a second launch hands over to the running app and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            desktop::show(app);
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(
            // Size and position; whether it was hidden to the tray is not
            // restored, so the app always opens with its window.
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(
                    tauri_plugin_window_state::StateFlags::all()
                        - tauri_plugin_window_state::StateFlags::VISIBLE,
                )
                .build(),
        )
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .setup(|app| {
            let handle = app.handle().clone();
            let batcher = Batcher::new(Arc::new(handle.clone()));
            tauri::async_runtime::spawn(batcher.clone().run());
            let config_dir = app.path().app_config_dir()?;
            let accounts_path = AccountsFile::path(&config_dir);
            let data_dir = app.path().app_data_dir()?;
            let desktop = desktop::Desktop::new(&config_dir);
            let ctx = Ctx::new(handle, batcher, accounts_path, desktop);
            let (tx, ready) = watch::channel(None);
            app.manage(AppState {
                ctx: ctx.clone(),
                ready,
            });
            // A desktop with no tray (no StatusNotifier host) still runs
            // the app; closing the window then quits.
            let tray = desktop::build_tray(app.handle());
            if let Err(error) = &tray {
                tracing::warn!(%error, "no tray icon");
            }
            ctx.desktop.set_tray_available(tray.is_ok());
            tauri::async_runtime::spawn(async move {
                let started = startup(&ctx, &data_dir).await.map_err(|e| format!("{e:#}"));
                if let Err(error) = &started {
                    tracing::error!(%error, "start-up failed");
                }
                let _ = tx.send(Some(started));
            });
            Ok(())
        })
        .on_window_event(|window, event| match event {
            WindowEvent::Focused(focused) => {
                let focused = *focused;
                window
                    .state::<AppState>()
                    .ctx
                    .set_screen(|s| s.focused = focused);
            }
            WindowEvent::CloseRequested { api, .. } => {
                if desktop::close_to_tray(window.app_handle()) {
                    api.prevent_close();
                    desktop::hide(window.app_handle());
                } else {
                    desktop::quit(window.app_handle().clone());
                    api.prevent_close();
                }
            }
            _ => {}
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_state,
            commands::list_channels,
            commands::open_channel,
            commands::fetch_window,
            commands::load_older,
            commands::send_message,
            commands::retry_message,
            commands::discard_message,
            commands::react,
            commands::set_typing,
            commands::mark_read,
            commands::presence,
            commands::add_account,
            commands::edit_account,
            commands::remove_account,
            commands::reorder_accounts,
            commands::set_token,
            commands::reconnect,
            commands::set_muted,
            commands::set_active,
            commands::set_title,
            commands::first_paint,
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("chatpi-desktop: {error}");
        std::process::exit(1);
    }
}
