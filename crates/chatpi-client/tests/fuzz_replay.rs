//! The fuzz targets of `fuzz/` as ordinary tests on the stable toolchain:
//! every file of the saved corpus, then a bounded number of generated
//! inputs (mutations of the corpus from a fixed seed, and proptest cases).
//! A long session runs under `cargo fuzz` (README, "Fuzzing").

use std::path::{Path, PathBuf};

use chatpi_client::core::fuzzing;
use proptest::prelude::*;

/// Mutated inputs per target; `CHATPI_FUZZ_CASES` overrides.
const MUTATIONS: usize = 10_000;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "the {target} corpus in {} has only {} files",
        dir.display(),
        files.len()
    );
    files
}

fn replay(target: &str, run: fn(&[u8])) {
    for (path, bytes) in corpus(target) {
        let outcome = std::panic::catch_unwind(|| run(&bytes));
        assert!(outcome.is_ok(), "{} fails", path.display());
    }
}

#[test]
fn the_frame_corpus_replays() {
    replay("frame", fuzzing::frame);
}

#[test]
fn the_presence_corpus_replays() {
    replay("presence", fuzzing::presence);
}

/// xorshift64*: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// libFuzzer-like edits: flip, insert, delete, overwrite with a
/// "interesting" byte, duplicate a span, splice in another input.
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    const INTERESTING: &[u8] = b"[]{}\",:0123456789-.eEnulltruefalse\\ \x00\xff";
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 => out.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            2 if !out.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(out.len());
                out.drain(at.min(end)..end);
            }
            3 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            4 if !out.is_empty() => {
                let start = rng.below(out.len());
                let end = (start + 1 + rng.below(16)).min(out.len());
                let span = out[start..end].to_vec();
                out.splice(at..at, span);
            }
            _ => {
                let start = rng.below(other.len() + 1);
                let end = (start + rng.below(32)).min(other.len());
                out.splice(at..at, other[start..end].iter().copied());
            }
        }
    }
    out
}

fn mutations(target: &str, run: fn(&[u8])) {
    let cases = std::env::var("CHATPI_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(MUTATIONS);
    let seeds: Vec<Vec<u8>> = corpus(target).into_iter().map(|(_, b)| b).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut input = seeds[0].clone();
    for case in 0..cases {
        // Walk away from a seed for a few steps, then start from another.
        if case % 8 == 0 {
            input = seeds[rng.below(seeds.len())].clone();
        }
        let other = &seeds[rng.below(seeds.len())];
        input = mutate(&mut rng, &input, other);
        input.truncate(4096);
        let outcome = std::panic::catch_unwind(|| run(&input));
        assert!(
            outcome.is_ok(),
            "case {case} fails; input (hex): {}",
            input.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
    }
}

#[test]
fn mutated_frames_break_no_invariant() {
    mutations("frame", fuzzing::frame);
}

#[test]
fn mutated_presence_scripts_break_no_invariant() {
    mutations("presence", fuzzing::presence);
}

/// Text shaped like frames: arrays of refs, strings, numbers, payloads.
const FRAME_LIKE: &str = r#"\[(null|"[a-z:_0-9]{0,12}"|-?[0-9]{1,20}(\.[0-9]+)?(e[0-9]+)?|\{("[a-z_]{1,8}":(null|true|"x"|1|\[\]|\{\}),?){0,4}\}|\[\]|,){0,9}\]"#;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn generated_frames_break_no_invariant(text in FRAME_LIKE) {
        fuzzing::frame(text.as_bytes());
    }

    #[test]
    fn generated_bytes_break_no_invariant(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        fuzzing::frame(&bytes);
        fuzzing::presence(&bytes);
    }
}
