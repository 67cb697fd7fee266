//! The `connect` command: clients, and what their side of the table shows.
//!
//! After connecting (see [`crate::net::client`]), `connect` reads the socket
//! table from the client side (sockets whose *remote* port is P, held by this
//! process) and prints it, then sends the message on each connection and
//! prints the echo. With one client and no message it is the textbook's
//! interactive client; with piped stdin it is `nc`: the echo goes to stdout
//! byte for byte.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::claim::Look;
use crate::claim::observe_off_thread;
use crate::claim::snapshot::{Role, Snapshot};
use crate::kernel::{Attribution, Kernel, OwnSockets, PortSide, Proto, Query};
use crate::net::client::{Client, Conn, ConnectOptions, exchange, open_clients};
use crate::os::{self, shutdown};
use crate::output::{self, Output};
use crate::view::show;
use crate::words;

/// Runs the `connect` command.
pub async fn connect(options: ConnectOptions, output: Output) -> anyhow::Result<ExitCode> {
    check_count(options.count)?;
    let own = OwnSockets::new();
    let mut clients = open_clients(&options, &own).await?;
    for client in &clients {
        eprintln!(
            "sameport: {} {} {} -> {} connected",
            client.label,
            options.proto,
            output.labels.addr(client.local),
            output.labels.addr(options.target)
        );
    }
    let interactive = options.count == 1 && options.message.is_none();
    // Piped stdin: stdout carries the echo alone, byte for byte, so the
    // client's table goes to stderr.
    let piped = interactive && !std::io::stdin().is_terminal();
    if !print_client_view(&options, &own, &output, piped).await? {
        return Ok(ExitCode::SUCCESS);
    }
    match (&options.message, interactive) {
        (Some(message), _) => exchange_all(&clients, message, &output).await?,
        (None, true) if std::io::stdin().is_terminal() => interact(&clients[0]).await?,
        (None, true) => {
            return pipe_stdin(clients.remove(0))
                .await
                .map(|()| ExitCode::SUCCESS);
        }
        (None, false) => {}
    }
    if let Some(hold) = options.hold {
        eprintln!(
            "sameport: holding {} for {}s (Ctrl-C to close {} now)",
            words::count(clients.len(), "connection"),
            hold.as_secs_f64(),
            words::verb(clients.len(), "it", "them")
        );
        tokio::select! {
            () = tokio::time::sleep(hold) => {}
            _ = shutdown::signal() => {}
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Every socket is an open file; refuse counts the process cannot hold.
fn check_count(count: usize) -> anyhow::Result<()> {
    if count == 0 {
        bail!("--count must be at least 1");
    }
    if let Some(limit) = os::raise_fd_limit() {
        let room = limit.saturating_sub(32);
        if count as u64 > room {
            bail!(
                "--count {count} needs {count} open files, but this process may open {limit}; \
                 use fewer clients (sameport scale spreads more over several processes)"
            );
        }
    }
    Ok(())
}

/// Prints this process's client sockets as the table shows them. Returns
/// `false` if stdout is closed.
async fn print_client_view(
    options: &ConnectOptions,
    own: &OwnSockets,
    output: &Output,
    to_stderr: bool,
) -> anyhow::Result<bool> {
    let snapshot = client_snapshot(options.proto, options.target.port(), own).await?;
    let text = output.client_side(&snapshot, options.target.port());
    if to_stderr {
        eprint!("{text}");
        return Ok(true);
    }
    Ok(output::print(&text)?)
}

/// The sockets of this process whose remote port is `port`: the client side
/// of the table, read through the one pipeline.
pub async fn client_snapshot(
    proto: Proto,
    port: u16,
    own: &OwnSockets,
) -> anyhow::Result<Snapshot> {
    let query = Query {
        proto,
        port,
        side: PortSide::Remote,
    };
    let look = Look::new(query, Attribution::Own(own.clone())).only_ours();
    let snapshot = observe_off_thread(Arc::new(Kernel), look).await?.snapshot;
    debug_assert!(
        snapshot
            .rows
            .iter()
            .all(|r| r.role == Role::Client || r.role == Role::Other)
    );
    Ok(snapshot)
}

/// Sends `message` on every connection and prints each echo.
async fn exchange_all(clients: &[Client], message: &[u8], output: &Output) -> anyhow::Result<()> {
    let mut lines = String::new();
    for client in clients {
        let echo = exchange(&client.conn, message)
            .await
            .with_context(|| format!("{} ({})", client.label, client.local))?;
        lines.push_str(&format!(
            "{} {}: sent {} ({}), echo {}\n",
            client.label,
            output.labels.addr(client.local),
            show(message),
            words::count(message.len(), "byte"),
            show(&echo)
        ));
    }
    output::print(&lines)?;
    Ok(())
}

/// The textbook's interactive client: type a line, see it come back.
async fn interact(client: &Client) -> anyhow::Result<()> {
    eprintln!("sameport: type a line and press Enter; `exit` or Ctrl-D to quit");
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await.context("reading the terminal")? {
        if line.trim() == "exit" {
            break;
        }
        let echo = exchange(&client.conn, format!("{line}\n").as_bytes()).await?;
        if !output::print(&format!("From server: {}", String::from_utf8_lossy(&echo)))? {
            break;
        }
    }
    Ok(())
}

/// Piped stdin: send all of it, half-close, and copy everything echoed to
/// stdout byte for byte (like `nc`).
async fn pipe_stdin(client: Client) -> anyhow::Result<()> {
    let mut stream = match client.conn {
        Conn::Tcp(stream) => stream,
        udp @ Conn::Udp(_) => {
            let mut message = Vec::new();
            tokio::io::stdin()
                .read_to_end(&mut message)
                .await
                .context("reading stdin")?;
            let echo = exchange(&udp, &message).await?;
            let mut stdout = tokio::io::stdout();
            stdout.write_all(&echo).await.context("writing stdout")?;
            stdout.flush().await.context("writing stdout")?;
            return Ok(());
        }
    };
    let (mut reader, mut writer) = stream.split();
    let send = async {
        tokio::io::copy(&mut tokio::io::stdin(), &mut writer)
            .await
            .context("sending stdin")?;
        // Half-close: "no more data from me"; the server echoes the rest and closes.
        writer
            .shutdown()
            .await
            .context("closing the sending side")?;
        anyhow::Ok(())
    };
    let receive = async {
        let mut stdout = tokio::io::stdout();
        tokio::io::copy(&mut reader, &mut stdout)
            .await
            .context("copying the echo")?;
        stdout.flush().await.context("writing stdout")?;
        anyhow::Ok(())
    };
    tokio::try_join!(send, receive)?;
    Ok(())
}
