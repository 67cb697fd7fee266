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

/// SIGINT and SIGTERM, caught from the moment this is called: the returned
/// future completes when one arrives, and says which.
///
/// [`signal`] starts catching when it is first awaited; a signal that comes
/// before that still has its default action, and the process dies. A server
/// that says it is ready (prints its first table) before it waits for the
/// signals should call this first and await it later.
pub fn caught() -> impl Future<Output = &'static str> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        async fn next(stream: &mut Option<Signal>) -> Option<()> {
            match stream {
                Some(stream) => stream.recv().await,
                None => std::future::pending().await,
            }
        }
        let mut interrupt = signal(SignalKind::interrupt()).ok();
        let mut terminate = signal(SignalKind::terminate()).ok();
        async move {
            tokio::select! {
                Some(()) = next(&mut interrupt) => "SIGINT",
                Some(()) = next(&mut terminate) => "SIGTERM",
                // Neither could be caught: the default action stops the program.
                else => std::future::pending().await,
            }
        }
    }
    #[cfg(not(unix))]
    {
        signal()
    }
}

/// A future that completes on SIGINT/SIGTERM (a server's shutdown), and a
/// receiver that then says which signal it was, for the summary line. The
/// signals are caught from this call on (see [`caught`]).
pub fn stop_and_say() -> (
    impl Future<Output = ()> + Send + 'static,
    tokio::sync::oneshot::Receiver<&'static str>,
) {
    let (signal_tx, signal_rx) = tokio::sync::oneshot::channel();
    let caught = caught();
    let stop = async move {
        let _ = signal_tx.send(caught.await);
    };
    (stop, signal_rx)
}
