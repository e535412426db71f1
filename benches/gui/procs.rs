//! Processes of an app under test, found through `/proc`, and their
//! proportional set size (PSS: shared pages split between their users,
//! so a sum over processes counts each page once).

use std::path::Path;

/// Processes running `binary` whose `XDG_DATA_HOME` is `data`.
pub fn find(binary: &Path, data: &Path) -> Vec<u32> {
    let wanted = format!("XDG_DATA_HOME={}", data.display());
    pids()
        .filter(|pid| {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            exe.as_deref() == Some(binary)
                && environ.split(|b| *b == 0).any(|kv| kv == wanted.as_bytes())
        })
        .collect()
}

/// `root` and every process below it.
pub fn tree(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = pids().filter_map(|pid| Some((pid, parent(pid)?))).collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let at = found[i];
        found.extend(parents.iter().filter(|(_, p)| *p == at).map(|(c, _)| *c));
        i += 1;
    }
    found
}

/// A process's PSS in KiB, from `smaps_rollup`.
pub fn pss_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A process's command name.
pub fn name(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

fn pids() -> impl Iterator<Item = u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
}

fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: fields after the
    // last `)` are fixed.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Total PSS of the process trees under `roots`, in KiB, with a line per
/// process for the notes.
pub fn total_pss(roots: &[u32]) -> (u64, Vec<String>) {
    let mut total = 0;
    let mut parts = Vec::new();
    for &root in roots {
        for pid in tree(root) {
            if let Some(kib) = pss_kib(pid) {
                total += kib;
                parts.push(format!("{} {:.0} MB", name(pid), kib as f64 / 1024.0));
            }
        }
    }
    (total, parts)
}
