//! Accounts added through the window: a pasted token goes to the keychain
//! (gnome-keyring over D-Bus) and nowhere else, survives a restart, and is
//! deleted with the account; a token command's output is used, and a
//! failing one is reported.

use std::{path::Path, time::Duration};

use chatpi_server::{demo, Secret, Store};
use serde_json::{json, Value};

use crate::driver::{app_log_path, App};

const SERVICE: &str = "dev.chatpi.desktop";

fn seed(data: &Path) -> Secret {
    std::fs::create_dir_all(data).unwrap();
    let store = Store::open(&data.join("chatpi.db")).unwrap();
    demo::seed(&store).unwrap();
    Secret::load_or_create(&data.join("chatpi.key")).unwrap()
}

fn stored_token(account: &str) -> keyring::Result<String> {
    keyring::Entry::new(SERVICE, &format!("{account}:authorization-token"))?.get_password()
}

/// Every file under `dir` that contains `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if let Ok(bytes) = std::fs::read(&path) {
            if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

async fn fill_and_submit(app: &App, label: &str, source: &str, secret: &str) {
    let form = "#account-dialog";
    app.wait_for(&format!("{form} input[name=\"url\"]")).await;
    for (name, value) in [
        ("label", label),
        ("url", &app.server_url()),
        ("apiKey", "local"),
    ] {
        app.set_value(&format!("{form} input[name=\"{name}\"]"), value)
            .await;
    }
    app.click(&format!(
        "{form} input[name=\"source\"][value=\"{source}\"]"
    ))
    .await;
    let field = if source == "command" {
        "tokenCommand"
    } else {
        "authorizationToken"
    };
    app.set_value(&format!("{form} input[name=\"{field}\"]"), secret)
        .await;
    app.click(&format!("{form} .submit-btn")).await;
}

async fn account_id(app: &App, label: &str) -> String {
    let state = app.invoke("app_state", json!({})).await;
    let accounts = state["accounts"].as_array().cloned().unwrap_or_default();
    let account = accounts.iter().find(|a| a["label"] == label);
    account
        .and_then(|a| a["id"].as_str())
        .unwrap_or_default()
        .to_owned()
}

async fn wait_connected(app: &App, id: &str) {
    for _ in 0..100 {
        let state = app.invoke("app_state", json!({})).await;
        let accounts = state["accounts"].as_array().cloned().unwrap_or_default();
        let status = accounts
            .iter()
            .find(|a| a["id"] == id)
            .map(|a| a["status"]["state"].clone());
        if status == Some(Value::from("connected")) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("account {id} did not connect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_keep_their_tokens_in_the_keychain_only() {
    let home = tempfile::tempdir().unwrap();
    let secret = seed(&home.path().join("data/dev.chatpi.desktop"));
    let app = App::launch(home.path()).await;
    app.wait_texts("#account-rail .account[data-account-id]", |t| t.len() == 2)
        .await;

    // A failing token command is reported, and nothing is saved.
    app.click("#add-account").await;
    fill_and_submit(
        &app,
        "Broken",
        "command",
        "echo 'vault is sealed' >&2; exit 3",
    )
    .await;
    app.wait_text("#account-dialog .error", |t| t.contains("vault is sealed"))
        .await;

    // A working one: its output is the token (kept where a password
    // manager would keep it, outside the app's folders).
    let vault = tempfile::tempdir().unwrap();
    let carol = secret.mint("carol", Duration::from_secs(3600));
    let carol_file = vault.path().join("carol.token");
    std::fs::write(&carol_file, &carol).unwrap();
    let command = format!("cat '{}'", carol_file.display());
    fill_and_submit(&app, "Carol by command", "command", &command).await;
    app.wait_texts("#account-rail .account[data-account-id]", |t| t.len() == 3)
        .await;
    app.wait_gone("#account-dialog .submit-btn").await;

    // A pasted token goes to the keychain.
    let dave = secret.mint("dave", Duration::from_secs(3600));
    app.click("#add-account").await;
    fill_and_submit(&app, "Dave", "paste", &dave).await;
    app.wait_texts("#account-rail .account[data-account-id]", |t| t.len() == 4)
        .await;
    let id = account_id(&app, "Dave").await;
    assert!(id.starts_with("acct-"), "no account named Dave");
    assert_eq!(stored_token(&id).unwrap(), dave);
    wait_connected(&app, &id).await;

    // Restarted, still signed in.
    app.close().await;
    let app = App::launch(home.path()).await;
    app.wait_texts("#account-rail .account[data-account-id]", |t| t.len() == 4)
        .await;
    wait_connected(&app, &id).await;

    // No token in the app's folders or its log.
    for token in [&dave, &carol] {
        let leaks = files_containing(home.path(), token);
        let leaks: Vec<_> = leaks
            .into_iter()
            .filter(|p| !p.ends_with("server-port"))
            .collect();
        assert!(leaks.is_empty(), "a token was written to {leaks:?}");
    }
    assert!(
        std::fs::metadata(app_log_path(home.path())).is_ok(),
        "the app's log was not captured"
    );

    // Removed, and the keychain entry with it.
    app.invoke("remove_account", json!({ "account": id })).await;
    app.wait_texts("#account-rail .account[data-account-id]", |t| t.len() == 3)
        .await;
    assert!(matches!(stored_token(&id), Err(keyring::Error::NoEntry)));
    app.close().await;
}

/// A private session bus, with or without a Secret Service on it.
struct Bus {
    daemons: Vec<std::process::Child>,
    address: String,
}

/// The Secret Service's bus name, and its login collection's object path.
const SECRETS: &str = "org.freedesktop.secrets";
const SECRETS_NAME: &str = "string:org.freedesktop.secrets";
const LOGIN: &str = "/org/freedesktop/secrets/collection/login";

impl Bus {
    /// A bus with nothing on it: no Secret Service.
    fn bare() -> Self {
        use std::io::BufRead;
        let mut bus = std::process::Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("cannot start dbus-daemon");
        let mut line = String::new();
        let stdout = bus.stdout.take().expect("piped");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let address = line.trim().to_owned();
        Self {
            daemons: vec![bus],
            address,
        }
    }

    /// A bus with gnome-keyring's Secret Service, its files and control
    /// socket under `home`, its login collection made and unlocked.
    fn with_keyring(home: &Path) -> Self {
        use std::io::Write;
        let mut bus = Self::bare();
        let runtime = home.join("run");
        std::fs::create_dir_all(&runtime).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let mut keyring = std::process::Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("XDG_DATA_HOME", home)
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("cannot start gnome-keyring-daemon");
        let mut stdin = keyring.stdin.take().expect("piped");
        stdin.write_all(b"chatpi-test").unwrap();
        drop(stdin);
        bus.daemons.push(keyring);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !bus
            .call(
                "org.freedesktop.DBus",
                &[
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    SECRETS_NAME,
                ],
            )
            .contains("boolean true")
        {
            assert!(
                std::time::Instant::now() < deadline,
                "no Secret Service on the bus"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        bus
    }

    /// Calls a method of `dest` with `dbus-send`; its printed reply.
    fn call(&self, dest: &str, args: &[&str]) -> String {
        let out = std::process::Command::new("dbus-send")
            .arg(format!("--bus={}", self.address))
            .args(["--print-reply", &format!("--dest={dest}")])
            .args(args)
            .output()
            .expect("cannot run dbus-send");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stores a secret in this bus's keychain, from a child process: libdbus
    /// reads the session bus address once per process, so this one must
    /// keep the bus it started with.
    fn store(&self, name: &str, secret: &str) {
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new(exe)
            .args(["--exact", "keychain::store_secret_process", "--ignored"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env(STORE_VAR, format!("{name}\n{secret}"))
            .output()
            .expect("cannot run the storing process");
        assert!(
            out.status.success(),
            "storing {name} failed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        for d in self.daemons.iter_mut().rev() {
            let _ = d.kill();
            let _ = d.wait();
        }
    }
}

/// What [`store_secret_process`] stores: the entry's name and the secret,
/// a line each.
const STORE_VAR: &str = "CHATPI_E2E_STORE_SECRET";

#[test]
#[ignore = "a child process of a_missing_or_locked_keychain_is_named_in_time"]
fn store_secret_process() {
    let spec = std::env::var(STORE_VAR).expect("run by Bus::store");
    let (name, secret) = spec.split_once('\n').expect("a name and a secret");
    keyring::Entry::new(SERVICE, name)
        .and_then(|e| e.set_password(secret))
        .expect("storing the secret");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_locked_keychain_is_named_in_time() {
    for locked in [false, true] {
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("config/dev.chatpi.desktop");
        std::fs::create_dir_all(&config).unwrap();
        let accounts = json!({ "accounts": [{
            "id": "acct-work", "label": "Work",
            "source": { "kind": "remote", "url": "ws://127.0.0.1:9", "apiKey": "k", "userKey": "me" },
        }]});
        std::fs::write(config.join("accounts.json"), accounts.to_string()).unwrap();
        let bus = if locked {
            // The account's token is in the keychain, and the collection
            // that holds it is locked.
            let bus = Bus::with_keyring(&home.path().join("keyring"));
            bus.store("acct-work:authorization-token", "a-token");
            bus.call(
                SECRETS,
                &[
                    "/org/freedesktop/secrets",
                    "org.freedesktop.Secret.Service.Lock",
                    &format!("array:objpath:{LOGIN}"),
                ],
            );
            let state = bus.call(
                SECRETS,
                &[
                    LOGIN,
                    "org.freedesktop.DBus.Properties.Get",
                    "string:org.freedesktop.Secret.Collection",
                    "string:Locked",
                ],
            );
            assert!(
                state.contains("boolean true"),
                "the collection did not lock: {state}"
            );
            bus
        } else {
            Bus::bare()
        };
        let app = App::launch_with(
            home.path(),
            &[("DBUS_SESSION_BUS_ADDRESS", bus.address.clone())],
        )
        .await;
        app.wait_for("#account-rail .account[data-account-id=\"acct-work\"]")
            .await;
        let shown = std::time::Instant::now();
        // The locked collection's unlock prompt is refused or never
        // answered: either way the window says the keychain may be locked.
        let want = if locked {
            "locked"
        } else {
            "keychain is unavailable"
        };
        let text = app
            .wait_text("#status", |t| t.to_lowercase().contains(want))
            .await;
        eprintln!("locked={locked}: {:?}: {}", shown.elapsed(), text.trim());
        assert!(
            shown.elapsed() <= Duration::from_secs(8),
            "locked={locked}: the keychain error took {:?}: {text}",
            shown.elapsed()
        );
        app.close().await;
    }
}
