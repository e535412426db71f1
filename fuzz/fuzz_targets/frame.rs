//! The frame decoder (and what a decoded frame reaches) on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| chatpi_client::core::fuzzing::frame(data));
