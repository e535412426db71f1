//! The app as a desktop citizen: the tray icon and its menu, closing to the
//! tray, pausing notifications for a while, starting at login, the unread
//! total on the launcher badge, and quitting with every connection ended
//! cleanly. Preferences live in `settings.json` in the config folder.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};
use tauri::{
    menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu},
    tray::TrayIconBuilder,
    AppHandle, Manager, Wry,
};
use tauri_plugin_autostart::ManagerExt;

use crate::AppState;

/// The desktop entry the package installs; the badge names it.
pub const DESKTOP_ID: &str = "chatpi-desktop.desktop";
const TRAY_ID: &str = "main";

/// What the user chose, kept across restarts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Closing the window hides it to the tray instead of quitting.
    pub close_to_tray: bool,
    /// Notifications are paused until this time (Unix seconds).
    pub paused_until: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            close_to_tray: true,
            paused_until: None,
        }
    }
}

impl Settings {
    pub fn path(config_dir: &Path) -> PathBuf {
        config_dir.join("settings.json")
    }

    /// The saved settings; defaults when there are none or they cannot be
    /// read (a broken file is reported, not fatal).
    pub fn load(path: &Path) -> Self {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
                tracing::warn!(path = %path.display(), %error, "ignoring unreadable settings");
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)
    }

    /// Whether notifications are paused at `now` (Unix seconds).
    pub fn paused_at(&self, now: u64) -> bool {
        self.paused_until.is_some_and(|until| now < until)
    }
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The tray menu's items that change after it is built.
pub struct TrayMenu {
    toggle: MenuItem<Wry>,
    unread: MenuItem<Wry>,
    resume: MenuItem<Wry>,
    close_to_tray: CheckMenuItem<Wry>,
    autostart: CheckMenuItem<Wry>,
}

/// The settings file and the tray's live items.
pub struct Desktop {
    path: PathBuf,
    settings: Mutex<Settings>,
    menu: Mutex<Option<TrayMenu>>,
    last_total: Mutex<Option<u64>>,
    tray: std::sync::atomic::AtomicBool,
}

impl Desktop {
    pub fn new(config_dir: &Path) -> Self {
        let path = Settings::path(config_dir);
        let settings = Settings::load(&path);
        Self {
            path,
            settings: Mutex::new(settings),
            menu: Mutex::new(None),
            last_total: Mutex::new(None),
            tray: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn set_tray_available(&self, available: bool) {
        self.tray
            .store(available, std::sync::atomic::Ordering::Release);
    }

    pub fn settings(&self) -> Settings {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn update(&self, f: impl FnOnce(&mut Settings)) {
        let mut settings = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut settings);
        if let Err(error) = settings.save(&self.path) {
            tracing::error!(path = %self.path.display(), %error, "cannot save the settings");
        }
    }

    pub fn notifications_paused(&self) -> bool {
        self.settings().paused_at(now_secs())
    }

    /// Shows the unread total on the tray and the launcher badge, when it
    /// changed.
    pub fn set_unread(&self, total: u64) {
        {
            let mut last = self.last_total.lock().unwrap_or_else(|p| p.into_inner());
            if *last == Some(total) {
                return;
            }
            *last = Some(total);
        }
        if let Ok(menu) = self.menu.lock() {
            if let Some(menu) = menu.as_ref() {
                let _ = menu.unread.set_text(unread_text(total));
            }
        }
        std::thread::spawn(move || {
            if let Err(error) = badge::set(total) {
                tracing::debug!(%error, "cannot update the launcher badge");
            }
        });
    }

    fn refresh_pause(&self) {
        let paused = self.notifications_paused();
        if let Ok(menu) = self.menu.lock() {
            if let Some(menu) = menu.as_ref() {
                let _ = menu.resume.set_enabled(paused);
            }
        }
    }
}

pub fn unread_text(total: u64) -> String {
    match total {
        0 => "No unread messages".into(),
        1 => "1 unread message".into(),
        n => format!("{n} unread messages"),
    }
}

fn desktop(app: &AppHandle) -> Option<std::sync::Arc<crate::app::Ctx>> {
    app.try_state::<AppState>().map(|s| s.ctx.clone())
}

/// Builds the tray icon and its menu.
pub fn build_tray(app: &AppHandle) -> tauri::Result<()> {
    let Some(ctx) = desktop(app) else {
        return Ok(());
    };
    let settings = ctx.desktop.settings();
    let toggle = MenuItem::with_id(app, "toggle", "Hide Chatpi", true, None::<&str>)?;
    let unread = MenuItem::with_id(app, "unread", unread_text(0), false, None::<&str>)?;
    let pause_30 = MenuItem::with_id(app, "pause:1800", "For 30 minutes", true, None::<&str>)?;
    let pause_1h = MenuItem::with_id(app, "pause:3600", "For 1 hour", true, None::<&str>)?;
    let pause_8h = MenuItem::with_id(app, "pause:28800", "For 8 hours", true, None::<&str>)?;
    let resume = MenuItem::with_id(
        app,
        "resume",
        "Resume notifications",
        settings.paused_at(now_secs()),
        None::<&str>,
    )?;
    let pause = Submenu::with_items(
        app,
        "Pause notifications",
        true,
        &[&pause_30, &pause_1h, &pause_8h, &resume],
    )?;
    let close_to_tray = CheckMenuItem::with_id(
        app,
        "close-to-tray",
        "Keep running when the window is closed",
        true,
        settings.close_to_tray,
        None::<&str>,
    )?;
    let autostart_on = app.autolaunch().is_enabled().unwrap_or(false);
    let autostart = CheckMenuItem::with_id(
        app,
        "autostart",
        "Start at login",
        true,
        autostart_on,
        None::<&str>,
    )?;
    let quit = MenuItem::with_id(app, "quit", "Quit Chatpi", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &toggle,
            &PredefinedMenuItem::separator(app)?,
            &unread,
            &pause,
            &PredefinedMenuItem::separator(app)?,
            &close_to_tray,
            &autostart,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Chatpi")
        .menu(&menu)
        .on_menu_event(|app, event| on_menu(app, event.id().as_ref()));
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    if let Ok(mut slot) = ctx.desktop.menu.lock() {
        *slot = Some(TrayMenu {
            toggle,
            unread,
            resume,
            close_to_tray,
            autostart,
        });
    }
    Ok(())
}

fn on_menu(app: &AppHandle, id: &str) {
    let Some(ctx) = desktop(app) else {
        return;
    };
    match id {
        "toggle" => {
            let visible = app
                .get_webview_window("main")
                .and_then(|w| w.is_visible().ok())
                .unwrap_or(false);
            if visible {
                hide(app);
            } else {
                show(app);
            }
        }
        "resume" => {
            ctx.desktop.update(|s| s.paused_until = None);
            ctx.desktop.refresh_pause();
        }
        "close-to-tray" => {
            let on = !ctx.desktop.settings().close_to_tray;
            ctx.desktop.update(|s| s.close_to_tray = on);
            sync_check(&ctx, |m| &m.close_to_tray, on);
        }
        "autostart" => {
            let launcher = app.autolaunch();
            let on = !launcher.is_enabled().unwrap_or(false);
            let done = if on {
                launcher.enable()
            } else {
                launcher.disable()
            };
            if let Err(error) = done {
                tracing::error!(%error, "cannot change starting at login");
            }
            let now = launcher.is_enabled().unwrap_or(false);
            sync_check(&ctx, |m| &m.autostart, now);
        }
        "quit" => quit(app.clone()),
        other => {
            if let Some(secs) = other
                .strip_prefix("pause:")
                .and_then(|s| s.parse::<u64>().ok())
            {
                let until = now_secs() + secs;
                ctx.desktop.update(|s| s.paused_until = Some(until));
                ctx.desktop.refresh_pause();
            }
        }
    }
}

fn sync_check(ctx: &crate::app::Ctx, item: impl Fn(&TrayMenu) -> &CheckMenuItem<Wry>, on: bool) {
    if let Ok(menu) = ctx.desktop.menu.lock() {
        if let Some(menu) = menu.as_ref() {
            let _ = item(menu).set_checked(on);
        }
    }
}

fn set_toggle_text(app: &AppHandle, visible: bool) {
    if let Some(ctx) = desktop(app) {
        if let Ok(menu) = ctx.desktop.menu.lock() {
            if let Some(menu) = menu.as_ref() {
                let text = if visible {
                    "Hide Chatpi"
                } else {
                    "Show Chatpi"
                };
                let _ = menu.toggle.set_text(text);
            }
        }
    }
}

/// Brings the window forward (a second launch, the tray, a notification).
pub fn show(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
    set_toggle_text(app, true);
}

pub fn hide(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.hide();
    }
    set_toggle_text(app, false);
}

/// Whether closing the window should hide it instead of quitting: when
/// chosen, and there is a tray to bring it back from.
pub fn close_to_tray(app: &AppHandle) -> bool {
    desktop(app).is_some_and(|ctx| {
        ctx.desktop.settings().close_to_tray
            && ctx.desktop.tray.load(std::sync::atomic::Ordering::Acquire)
    })
}

/// Ends every connection (each leaves its channels and closes its
/// socket), then exits; gives up waiting after a few seconds.
pub fn quit(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        if let Some(ctx) = desktop(&app) {
            let sessions = ctx.sessions();
            let all = async {
                for session in &sessions {
                    session.conn.disconnect().await;
                }
            };
            if tokio::time::timeout(Duration::from_secs(3), all)
                .await
                .is_err()
            {
                tracing::warn!("some connections did not close in time");
            }
        }
        app.exit(0);
    });
}

/// The launcher badge: the `com.canonical.Unity.LauncherEntry` signal,
/// which docks such as KDE's task manager, Dash to Dock and Plank show as
/// a count on the app's icon.
pub mod badge {
    use std::{collections::HashMap, sync::OnceLock};

    use zbus::zvariant::Value;

    use super::DESKTOP_ID;

    static BUS: OnceLock<Option<zbus::blocking::Connection>> = OnceLock::new();

    pub fn set(total: u64) -> zbus::Result<()> {
        let Some(bus) = BUS
            .get_or_init(|| zbus::blocking::Connection::session().ok())
            .as_ref()
        else {
            return Err(zbus::Error::Failure("no session bus".into()));
        };
        let count = i64::try_from(total).unwrap_or(i64::MAX);
        let mut props: HashMap<&str, Value<'_>> = HashMap::new();
        props.insert("count", Value::from(count));
        props.insert("count-visible", Value::from(total > 0));
        bus.emit_signal(
            None::<&str>,
            "/dev/chatpi/desktop/launcher",
            "com.canonical.Unity.LauncherEntry",
            "Update",
            &(format!("application://{DESKTOP_ID}"), props),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_default_to_closing_to_the_tray() {
        let dir = tempfile::tempdir().unwrap();
        let path = Settings::path(dir.path());
        assert_eq!(Settings::load(&path), Settings::default());
        assert!(Settings::default().close_to_tray);
        let settings = Settings {
            close_to_tray: false,
            paused_until: Some(1_000),
        };
        settings.save(&path).unwrap();
        assert_eq!(Settings::load(&path), settings);
        std::fs::write(&path, b"{broken").unwrap();
        assert_eq!(Settings::load(&path), Settings::default());
    }

    #[test]
    fn a_pause_ends_at_its_time() {
        let settings = Settings {
            paused_until: Some(100),
            ..Settings::default()
        };
        assert!(settings.paused_at(99));
        assert!(!settings.paused_at(100));
        assert!(!Settings::default().paused_at(0));
    }

    #[test]
    fn the_unread_line_reads_well() {
        assert_eq!(unread_text(0), "No unread messages");
        assert_eq!(unread_text(1), "1 unread message");
        assert_eq!(unread_text(12), "12 unread messages");
    }
}
