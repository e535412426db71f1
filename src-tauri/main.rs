//! Chatpi Desktop. Until the window lands, this starts the embedded
//! default: the local Chatpi server with its demo data.

fn main() -> std::process::ExitCode {
    eprintln!("chatpi-desktop: the desktop window is not built yet; run scripts/run to start the local demo server");
    std::process::ExitCode::FAILURE
}
