//! Chatpi Desktop's backend: it holds every account's `Connection` and
//! message stores, serves the webview's commands and sends it batched
//! `chat://` events. With no account configured it runs the embedded
//! default (a local server with demo data).

mod commands;
mod embedded;
mod error;
mod events;
mod session;
mod store;
mod view;

use std::sync::{Arc, Mutex};

use tauri::Manager;
use tokio::sync::watch;

use crate::{error::CommandError, events::Batcher, session::Session};

type Ready = Option<Result<Vec<Arc<Session>>, String>>;

/// What every command can reach: the sessions, once started.
pub struct AppState {
    ready: watch::Receiver<Ready>,
    /// The embedded server lives as long as the app.
    embedded: Mutex<Option<chatpi_server::Server>>,
}

impl AppState {
    /// The sessions, waiting for start-up to finish.
    async fn sessions(&self) -> Result<Vec<Arc<Session>>, CommandError> {
        let mut ready = self.ready.clone();
        let value = ready
            .wait_for(Option::is_some)
            .await
            .map_err(|_| CommandError::new("startup", "start-up did not finish"))?;
        match value.as_ref() {
            Some(Ok(sessions)) => Ok(sessions.clone()),
            Some(Err(message)) => Err(CommandError::new("startup", message.clone())),
            None => Err(CommandError::new("startup", "start-up did not finish")),
        }
    }
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                "chatpi_desktop=info,chatpi_client=warn,chatpi_server=warn".into()
            }),
        )
        .with_writer(std::io::stderr)
        .init();

    let result = tauri::Builder::default()
        .setup(|app| {
            let (tx, rx) = watch::channel(None);
            app.manage(AppState {
                ready: rx,
                embedded: Mutex::new(None),
            });
            let handle = app.handle().clone();
            let data_dir = app.path().app_data_dir()?;
            tauri::async_runtime::spawn(async move {
                let batcher = Batcher::new(Arc::new(handle.clone()));
                tauri::async_runtime::spawn(batcher.clone().run());
                let started = match embedded::start(&data_dir).await {
                    Ok(local) => {
                        if let Ok(mut slot) = handle.state::<AppState>().embedded.lock() {
                            *slot = Some(local.server);
                        }
                        Session::start(local.account, batcher)
                            .await
                            .map(|s| vec![s])
                            .map_err(|e| e.message)
                    }
                    Err(e) => Err(format!("{e:#}")),
                };
                if let Err(error) = &started {
                    tracing::error!(%error, "start-up failed");
                }
                let _ = tx.send(Some(started));
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_state,
            commands::list_channels,
            commands::open_channel,
            commands::fetch_window,
            commands::load_older,
            commands::send_message,
            commands::react,
            commands::set_typing,
            commands::mark_read,
            commands::presence,
        ])
        .run(tauri::generate_context!());
    if let Err(error) = result {
        eprintln!("chatpi-desktop: {error}");
        std::process::exit(1);
    }
}
