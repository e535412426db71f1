//! The presence merge on any sequence of states, diffs and rejoins.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| chatpi_client::core::fuzzing::presence(data));
