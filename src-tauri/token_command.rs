//! Tokens from a command the user names, in the manner of credential
//! helpers: run through `sh -c` at each connect, its standard output
//! (trimmed) is the token. The output is never logged.

use std::{process::Stdio, time::Duration};

use tokio::process::Command;

/// How long a token command may run.
pub const TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenCommandError {
    #[error("cannot run the token command: {0}")]
    Spawn(String),
    #[error("the token command did not finish within {0:?}")]
    Timeout(Duration),
    #[error("the token command failed ({status}){detail}")]
    Failed { status: String, detail: String },
    #[error("the token command printed no token")]
    Empty,
}

pub async fn run(command: &str) -> Result<String, TokenCommandError> {
    let child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| TokenCommandError::Spawn(e.to_string()))?;
    let output = tokio::time::timeout(TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| TokenCommandError::Timeout(TIMEOUT))?
        .map_err(|e| TokenCommandError::Spawn(e.to_string()))?;
    if !output.status.success() {
        // The first line of stderr says why; stdout may hold a secret.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("").trim();
        let detail = if first.is_empty() {
            String::new()
        } else {
            format!(": {}", first.chars().take(200).collect::<String>())
        };
        return Err(TokenCommandError::Failed {
            status: output.status.to_string(),
            detail,
        });
    }
    let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if token.is_empty() {
        return Err(TokenCommandError::Empty);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_is_the_token_and_failures_say_why() {
        assert_eq!(run("printf '  tok-123\\n'").await.unwrap(), "tok-123");
        let err = run("echo nope >&2; exit 3").await.unwrap_err();
        assert!(
            err.to_string().contains("exit status: 3") && err.to_string().contains("nope"),
            "{err}"
        );
        assert_eq!(run("true").await.unwrap_err(), TokenCommandError::Empty);
    }
}
