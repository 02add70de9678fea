//! The one named rayon pool of driftline.
//!
//! Sized by `threads=` when a call gives it, else by `DRIFTLINE_MAX_THREADS`, else by the
//! number of CPUs. Pools are kept per size and per process: a child after `fork` (Python's
//! multiprocessing, gunicorn workers) inherits no live worker threads, so it builds its own
//! instead of waiting forever on its parent's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::{DriftlineError, Result};

type Pools = Mutex<(u32, HashMap<usize, Arc<ThreadPool>>)>;

fn pools() -> &'static Pools {
    static POOLS: OnceLock<Pools> = OnceLock::new();
    POOLS.get_or_init(|| Mutex::new((std::process::id(), HashMap::new())))
}

/// Number of threads used when the caller does not say.
pub fn default_threads() -> usize {
    std::env::var("DRIFTLINE_MAX_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs `work` on driftline's pool with `threads` workers (default: [`default_threads`]).
pub fn install<T: Send>(threads: Option<usize>, work: impl FnOnce() -> T + Send) -> Result<T> {
    let n = threads.unwrap_or_else(default_threads).max(1);
    let pool = {
        let mut guard = pools().lock().unwrap_or_else(|p| p.into_inner());
        let pid = std::process::id();
        if guard.0 != pid {
            // Forked: the parent's pools have no threads here. Forget them (without joining).
            let old = std::mem::take(&mut guard.1);
            std::mem::forget(old);
            guard.0 = pid;
        }
        if let Some(p) = guard.1.get(&n) {
            p.clone()
        } else {
            let p = ThreadPoolBuilder::new()
                .num_threads(n)
                .thread_name(|i| format!("driftline-{i}"))
                .build()
                .map_err(|e| DriftlineError::param("threads", e.to_string()))?;
            let p = Arc::new(p);
            guard.1.insert(n, p.clone());
            p
        }
    };
    Ok(pool.install(work))
}
