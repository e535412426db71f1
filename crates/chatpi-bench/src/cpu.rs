//! CPU time of the calling thread. The ingest consumers run on a thread of
//! their own, so its clock counts their work and nothing of the feeder's.

use std::time::Duration;

use anyhow::{bail, Result};

/// The CPU time (user and system) the calling thread has used so far.
pub fn thread_cpu_time() -> Result<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the
    // call, and CLOCK_THREAD_CPUTIME_ID needs nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        bail!(
            "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed: {}",
            std::io::Error::last_os_error()
        );
    }
    let secs = u64::try_from(ts.tv_sec)?;
    let nanos = u32::try_from(ts.tv_nsec)?;
    Ok(Duration::new(secs, nanos))
}
