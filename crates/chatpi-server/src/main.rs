//! `chatpi-server`: run the local Chatpi-compatible server, and manage its
//! users, chats and tokens.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode, time::Duration};

use chatpi_server::{demo, Secret, Server, ServerConfig, Store};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "chatpi-server",
    version,
    about = "A local Chatpi-compatible chat server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the WebSocket and REST endpoints.
    Serve {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value = "127.0.0.1:4000")]
        addr: SocketAddr,
        /// Signing key file (created with mode 0600); default `<db>.key`.
        #[arg(long)]
        key: Option<PathBuf>,
        /// Close sockets silent for this long.
        #[arg(long, default_value = "45s", value_parser = humantime::parse_duration)]
        idle_timeout: Duration,
    },
    /// Seed demo users and chats (once), print tokens, and serve.
    Demo {
        #[arg(long, default_value = "chatpi-demo.db")]
        db: PathBuf,
        #[arg(long, default_value = "127.0.0.1:4000")]
        addr: SocketAddr,
    },
    /// Create a user, or rename an existing one.
    CreateUser {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        auth_key: String,
        #[arg(long)]
        username: Option<String>,
    },
    /// Print a token for a user, valid for the given lifetime.
    MintToken {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        auth_key: String,
        /// Lifetime, like `1h`, `30m` or `7days`.
        #[arg(long, default_value = "24h", value_parser = humantime::parse_duration)]
        ttl: Duration,
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Create a chat with members (auth keys) and print its id.
    CreateChat {
        #[arg(long)]
        db: PathBuf,
        #[arg(long)]
        name: String,
        #[arg(long = "member", required = true)]
        members: Vec<String>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "chatpi_server=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            db,
            addr,
            key,
            idle_timeout,
        } => {
            let config = ServerConfig {
                addr,
                key_path: key,
                idle_timeout,
                ..ServerConfig::new(db)
            };
            serve(config, false)
        }
        Command::Demo { db, addr } => serve(
            ServerConfig {
                addr,
                ..ServerConfig::new(db)
            },
            true,
        ),
        Command::CreateUser {
            db,
            auth_key,
            username,
        } => {
            let store = Store::open(&db)?;
            let user = store.upsert_user(&auth_key, username.as_deref().unwrap_or(&auth_key))?;
            println!("{}", user.auth_key);
            Ok(())
        }
        Command::MintToken {
            db,
            auth_key,
            ttl,
            key,
        } => {
            let store = Store::open(&db)?;
            if store.user(&auth_key)?.is_none() {
                anyhow::bail!("no such user: {auth_key} (create it with create-user)");
            }
            let secret = Secret::load_or_create(&key.unwrap_or_else(|| Secret::default_path(&db)))?;
            println!("{}", secret.mint(&auth_key, ttl));
            Ok(())
        }
        Command::CreateChat { db, name, members } => {
            let chat = Store::open(&db)?.create_chat(&name, &members)?;
            println!("{}", chat.id);
            Ok(())
        }
    }
}

fn serve(config: ServerConfig, with_demo: bool) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let db = config.db_path.clone();
        let server = Server::start(config).await?;
        if with_demo {
            let seeded = demo::seed(server.store())?;
            print_demo(&server, &db, &seeded);
        } else {
            println!("chatpi-server listening on {}", server.ws_url());
        }
        server.run_until_signal().await;
        Ok(())
    })
}

fn print_demo(server: &Server, db: &std::path::Path, seeded: &demo::Demo) {
    let day = Duration::from_secs(24 * 3600);
    println!("Chatpi demo server");
    println!("  WebSocket: {}?vsn=2.0.0&token=TOKEN", server.ws_url());
    println!(
        "  REST:      {}/api/v1/chats  (Authorization: Bearer TOKEN)",
        server.http_url()
    );
    println!("  database:  {}", db.display());
    println!("\nTokens, valid for 24 h:");
    for user in &seeded.users {
        println!(
            "  {:<6} {}",
            user.auth_key,
            server.mint_token(&user.auth_key, day)
        );
    }
    println!("\nChannels (join topic chat:demo:ID; any API key works):");
    println!("  {:<8} lobby", "lobby");
    for chat in &seeded.chats {
        println!("  {:<8} {}", chat.name, chat.id);
    }
    println!("\nPress Ctrl+C to stop.");
}
