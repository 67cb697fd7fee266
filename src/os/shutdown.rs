//! Waiting for the user to stop the program.
//!
//! The servers take "when to stop" as a future, so tests can pass their own;
//! the commands pass [`signal`], which completes on Ctrl-C (SIGINT) or, on
//! Unix, SIGTERM (what `kill PID` and service managers send).

/// Completes when SIGINT or SIGTERM arrives, and says which.
pub async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // If the handler cannot be installed, the default action (exit) still
        // stops the program, so waiting forever on that branch is correct.
        let mut term = signal(SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            Some(_) = async { match term.as_mut() { Some(t) => t.recv().await, None => std::future::pending().await } } => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
