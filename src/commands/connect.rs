//! The `connect` command: clients, and what their side of the table shows.
//!
//! After connecting (see [`crate::net::client`]), `connect` reads the socket
//! table from the client side (sockets whose *remote* port is P, held by this
//! process) and prints it, then sends the message on each connection and
//! prints the echo. What it sends depends on how it is asked:
//!
//! * `--message TEXT`: every client sends TEXT and prints the echo;
//! * one client, stdin a terminal: the textbook's interactive client (type a
//!   line, see it come back), which shows whatever the server says, when it
//!   says it: a banner before the first prompt, and "the server closed the
//!   connection" the moment it does;
//! * one client, stdin a pipe: `nc`: all of stdin is sent and the echo goes
//!   to stdout byte for byte;
//! * several clients, stdin a pipe: stdin is read once and sent on every
//!   client, like `--message`;
//! * several clients, stdin a terminal: no message; they connect, show the
//!   table and (with `--hold`) stay open.
//!
//! A client whose server closes the connection before the echo (a server
//! full at `--max-clients`, which says so in one line) makes `connect` exit
//! with status 1.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::claim::Look;
use crate::claim::observe_off_thread;
use crate::claim::snapshot::{Role, Snapshot};
use crate::exit;
use crate::kernel::{Attribution, Kernel, OwnSockets, PortSide, Proto, Query};
use crate::lang::Lang;
use crate::lang::connect as says;
use crate::lang::errors::Doing;
use crate::net::client::{
    self, Client, ClosedEarly, Conn, ConnectOptions, exchange, open_clients, split_greeting,
};
use crate::os::{self, shutdown};
use crate::output::{self, Output};
use crate::view::show;

/// The most piped input sent on every one of several clients (it is read
/// into memory once); one client streams any amount.
const MAX_PIPED_MESSAGE: u64 = 1024 * 1024;

/// Runs the `connect` command.
pub async fn connect(options: ConnectOptions, output: Output) -> anyhow::Result<ExitCode> {
    let lang = output.lang();
    check_count(options.count, lang)?;
    let stdin_is_terminal = std::io::stdin().is_terminal();
    // Several clients and piped input: the input is every client's message.
    // Read before connecting, so no connection idles while stdin is read.
    let message = match (&options.message, options.count, stdin_is_terminal) {
        (Some(message), _, _) => Some(message.clone()),
        (None, 2.., false) => read_piped_message(lang).await?,
        _ => None,
    };
    let own = OwnSockets::new();
    let mut clients = open_clients(&options, &own).await?;
    for client in &clients {
        crate::os::stderr::line(&says::connected(
            lang,
            &client.label,
            options.proto.into(),
            &output.labels.addr(client.local),
            &output.labels.addr(options.target),
        ));
    }
    let interactive = options.count == 1 && message.is_none();
    // Piped stdin: stdout carries the echo alone, byte for byte, so the
    // client's table goes to stderr.
    let piped = interactive && !stdin_is_terminal;
    if !print_client_view(&options, &own, &output, piped).await? {
        return Ok(ExitCode::SUCCESS);
    }
    let code = match (&message, interactive) {
        (Some(message), _) => exchange_all(&clients, message, &output).await?,
        (None, true) if stdin_is_terminal => interact(&clients[0], lang).await?,
        (None, true) => {
            return pipe_stdin(clients.remove(0))
                .await
                .map(|()| ExitCode::SUCCESS);
        }
        (None, false) => {
            crate::os::stderr::line(&output::message(says::nothing_sent(lang)));
            ExitCode::SUCCESS
        }
    };
    if code != ExitCode::SUCCESS {
        return Ok(code);
    }
    if let Some(hold) = options.hold {
        crate::os::stderr::line(&says::holding(
            lang,
            options.proto.into(),
            clients.len(),
            hold.as_secs_f64(),
        ));
        tokio::select! {
            () = hold_open(clients, hold, &output) => {}
            _ = shutdown::signal() => {}
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads piped stdin whole, to send on every client; `None` when it is
/// empty (`< /dev/null`): then the clients connect and send nothing.
async fn read_piped_message(lang: Lang) -> anyhow::Result<Option<Vec<u8>>> {
    let mut message = Vec::new();
    tokio::io::stdin()
        .take(MAX_PIPED_MESSAGE + 1)
        .read_to_end(&mut message)
        .await
        .context(Doing::ReadingStdin)?;
    if message.len() as u64 > MAX_PIPED_MESSAGE {
        bail!(says::piped_too_big(lang, MAX_PIPED_MESSAGE / (1024 * 1024)));
    }
    Ok((!message.is_empty()).then_some(message))
}

/// Every socket is an open file; refuse counts the process cannot hold.
fn check_count(count: usize, lang: Lang) -> anyhow::Result<()> {
    if count == 0 {
        bail!(says::count_at_least_one(lang));
    }
    if let Some(limit) = os::raise_fd_limit() {
        let room = limit.saturating_sub(32);
        if count as u64 > room {
            bail!(says::too_many_clients(lang, count, limit));
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
        crate::os::stderr::write(&text);
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

/// Sends `message` on every connection and prints each echo (and what the
/// server sent before it, a banner). A client whose server closed the
/// connection instead is reported on stderr, and the exit status is 1.
async fn exchange_all(
    clients: &[Client],
    message: &[u8],
    output: &Output,
) -> anyhow::Result<ExitCode> {
    let lang = output.lang();
    let mut lines = String::new();
    let mut turned_away = 0;
    for client in clients {
        let name = client_name(client, output);
        let received = match exchange(&client.conn, message).await {
            Ok(received) => received,
            Err(e) if e.is::<ClosedEarly>() => {
                crate::os::stderr::line(&format!("sameport: {name}: {e}"));
                turned_away += 1;
                continue;
            }
            Err(e) => return Err(e.context(name)),
        };
        let (greeting, echo) = match client.conn {
            Conn::Tcp(_) => split_greeting(&received, message),
            Conn::Udp(_) => (&[][..], &received[..]),
        };
        if !greeting.is_empty() {
            lines.push_str(&says::server_said(lang, &name, &show(greeting)));
            lines.push('\n');
        }
        let sent = says::sent_and_echo(lang, &name, &show(message), message.len(), &show(echo));
        lines.push_str(&sent);
        lines.push('\n');
    }
    output.print_prose(&lines)?;
    if turned_away > 0 {
        crate::os::stderr::line(&says::turned_away(lang, turned_away, clients.len()));
        return Ok(ExitCode::from(exit::ERROR));
    }
    Ok(ExitCode::SUCCESS)
}

/// Holds the connections for `hold`, saying at once when the server closes
/// one (its `--idle-timeout`, or it stopped): a client that only holds its
/// connection would otherwise learn of it at its next send. Each TCP
/// connection is watched by a task that sleeps until the socket is readable
/// (no polling: a bench holds 9,500 connections this way). Ends early when
/// the server has closed every TCP connection; dropping the returned future
/// (Ctrl-C) closes them all.
async fn hold_open(clients: Vec<Client>, hold: Duration, output: &Output) {
    let start = tokio::time::Instant::now();
    let mut watched = tokio::task::JoinSet::new();
    // UDP sockets have nothing to watch (no connection to close): they are
    // only kept open until the hold ends.
    let mut udp_sockets = Vec::new();
    for client in clients {
        let name = client_name(&client, output);
        match client.conn {
            Conn::Tcp(_) => {
                watched.spawn(async move {
                    until_closed(&client).await;
                    name
                });
            }
            Conn::Udp(_) => udp_sockets.push(client),
        }
    }
    // (Without a TCP connection, `join_next` would end the hold at once.)
    let tcp = !watched.is_empty();
    let deadline = tokio::time::sleep(hold);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => return,
            ended = watched.join_next(), if tcp => match ended {
                Some(Ok(name)) => {
                    let secs = start.elapsed().as_secs_f64();
                    crate::os::stderr::line(&says::closed_while_held(output.lang(), &name, secs));
                }
                Some(Err(_)) => {}
                // Every connection was closed by the server.
                None => return,
            },
        }
    }
}

/// `client-2 127.0.0.3:50426`: how the output names a client.
fn client_name(client: &Client, output: &Output) -> String {
    format!("{} {}", client.label, output.labels.addr(client.local))
}

/// Waits until the server closes `client`'s TCP connection: end of stream
/// (0 bytes) or an error such as a reset. Anything the server sends while
/// the connection is held is read and dropped.
async fn until_closed(client: &Client) {
    let Conn::Tcp(stream) = &client.conn else {
        return;
    };
    // Small: a held connection rarely gets anything, and thousands of
    // watching tasks each keep their buffer.
    let mut buf = [0u8; 64];
    loop {
        match client::read_some(stream, &mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// How long the interactive client waits, after connecting, for what a
/// server says first (a banner), before it prompts.
const GREETING_WAIT: Duration = Duration::from_millis(300);
/// Bytes from the server that do not end a line are shown after this pause.
const PARTIAL_LINE_WAIT: Duration = Duration::from_millis(100);
/// After Ctrl-D or `exit`, how long to wait for the last echoes.
const LAST_ECHO_WAIT: Duration = Duration::from_secs(2);

/// The textbook's interactive client: type a line, see it come back.
///
/// Unlike the textbook's (send, then read one reply), it reads the server
/// and the keyboard at once, so it shows what the server sends when it
/// sends it: a banner before the first prompt, and that the server closed
/// the connection (Ctrl-C, `--idle-timeout`) the moment it happens, not at
/// the next send. A connection the server closes before the prompt (a full
/// server turning the client away) gives exit status 1.
async fn interact(client: &Client, lang: Lang) -> anyhow::Result<ExitCode> {
    let stream = match &client.conn {
        Conn::Tcp(stream) => stream,
        Conn::Udp(_) => return interact_udp(client, lang).await,
    };
    let mut from_server = ServerText {
        lang,
        partial: Vec::new(),
    };
    if greet(stream, &mut from_server).await? == Heard::Closed {
        crate::os::stderr::line(says::closed_at_once(lang));
        return Ok(ExitCode::from(exit::ERROR));
    }
    crate::os::stderr::line(says::type_a_line(lang));
    let mut keyboard = terminal_lines();
    let mut buf = vec![0u8; 64 * 1024];
    // Bounded by the user: every turn waits for a line, the server or a pause.
    loop {
        let pause = from_server.pending().then_some(PARTIAL_LINE_WAIT);
        tokio::select! {
            line = keyboard.recv() => match line {
                Some(Ok(line)) if line.trim_ascii() != b"exit" => {
                    if let Err(e) = client::write_all(stream, &line).await {
                        if client::is_closed(&e) {
                            return closed_by_server(stream, &mut from_server).await;
                        }
                        return Err(e).context(Doing::Sending);
                    }
                }
                Some(Err(e)) => return Err(e).context(Doing::ReadingTerminal),
                // Ctrl-D or `exit`: no more lines; show the last echoes.
                _ => return finish(stream, &mut from_server).await,
            },
            read = client::read_some(stream, &mut buf) => match read {
                Ok(0) => return closed_by_server(stream, &mut from_server).await,
                Ok(n) => from_server.push(&buf[..n])?,
                Err(e) if client::is_closed(&e) => {
                    return closed_by_server(stream, &mut from_server).await;
                }
                Err(e) => return Err(e).context(Doing::ReadingFromServer),
            },
            () = sleep_or_never(pause) => from_server.flush()?,
        }
    }
}

/// What the server did while the client waited for it.
#[derive(Debug, PartialEq, Eq)]
enum Heard {
    /// It sent something, or nothing yet; the connection is open.
    Open,
    /// It closed the connection.
    Closed,
}

/// Shows what the server sends right after the connection opens, waiting
/// [`GREETING_WAIT`] for the first bytes and then until they pause.
async fn greet(stream: &TcpStream, from_server: &mut ServerText) -> anyhow::Result<Heard> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut deadline = Instant::now() + GREETING_WAIT;
    loop {
        tokio::select! {
            read = client::read_some(stream, &mut buf) => match read {
                Ok(0) => break,
                Ok(n) => {
                    from_server.push(&buf[..n])?;
                    deadline = Instant::now() + PARTIAL_LINE_WAIT;
                }
                Err(e) if client::is_closed(&e) => break,
                Err(e) => return Err(e).context(Doing::ReadingFromServer),
            },
            () = tokio::time::sleep_until(deadline) => {
                from_server.flush()?;
                return Ok(Heard::Open);
            }
        }
    }
    from_server.flush()?;
    Ok(Heard::Closed)
}

/// The server closed the connection: show what it sent last, say so, and
/// end cleanly.
async fn closed_by_server(
    stream: &TcpStream,
    from_server: &mut ServerText,
) -> anyhow::Result<ExitCode> {
    drain(stream, from_server, Duration::ZERO).await?;
    crate::os::stderr::line(says::server_closed(from_server.lang));
    Ok(ExitCode::SUCCESS)
}

/// The user is done: half-close (our FIN says "no more lines"), show the
/// echoes still on their way, and end.
async fn finish(stream: &TcpStream, from_server: &mut ServerText) -> anyhow::Result<ExitCode> {
    // tokio's TcpStream shuts down only through `&mut`; socket2 does it
    // through a shared reference to the same socket.
    let _ = socket2::SockRef::from(stream).shutdown(std::net::Shutdown::Write);
    drain(stream, from_server, LAST_ECHO_WAIT).await?;
    Ok(ExitCode::SUCCESS)
}

/// Shows what is left to read, for at most `wait` (what has already
/// arrived is shown even with no wait), until the server closes.
async fn drain(
    stream: &TcpStream,
    from_server: &mut ServerText,
    wait: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + wait;
    let mut buf = vec![0u8; 64 * 1024];
    // Bounded: at most 1,024 reads, and no longer than `wait`.
    for _ in 0..1024 {
        let read = match stream.try_read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && !wait.is_zero() => {
                match tokio::time::timeout_at(deadline, client::read_some(stream, &mut buf)).await {
                    Ok(read) => read,
                    Err(_) => break,
                }
            }
            read => read,
        };
        match read {
            Ok(n) if n > 0 => from_server.push(&buf[..n])?,
            _ => break,
        }
    }
    from_server.flush()
}

/// A future that completes after `pause`, or never.
async fn sleep_or_never(pause: Option<Duration>) {
    match pause {
        Some(pause) => tokio::time::sleep(pause).await,
        None => std::future::pending().await,
    }
}

/// What the server sent, shown a line at a time as `From server: ...` (the
/// textbook's words). A piece without a newline (a banner without one, a
/// prompt) is shown by [`ServerText::flush`] once the server pauses.
#[derive(Debug, Default)]
struct ServerText {
    /// The language of `From server:`.
    lang: Lang,
    partial: Vec<u8>,
}

impl ServerText {
    /// Adds what arrived and shows every line it completes.
    fn push(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.partial.extend_from_slice(bytes);
        let mut text = String::new();
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            text.push_str(&from_server_line(&line, self.lang));
        }
        show_text(&text)
    }

    /// Whether part of a line is waiting to be shown.
    fn pending(&self) -> bool {
        !self.partial.is_empty()
    }

    /// Shows the part of a line that has arrived.
    fn flush(&mut self) -> anyhow::Result<()> {
        if self.partial.is_empty() {
            return Ok(());
        }
        let line = std::mem::take(&mut self.partial);
        show_text(&from_server_line(&line, self.lang))
    }
}

/// `From server: ...`, ending in one newline. Bytes that are not UTF-8 show
/// as U+FFFD: this is for a person at a terminal (piped stdin gets the
/// bytes exactly).
fn from_server_line(line: &[u8], lang: Lang) -> String {
    let text = String::from_utf8_lossy(line);
    says::from_server(lang, text.trim_end_matches(['\n', '\r']))
}

fn show_text(text: &str) -> anyhow::Result<()> {
    if !text.is_empty() {
        output::print(text)?;
    }
    Ok(())
}

/// The interactive client over UDP: each line is one datagram, and its echo
/// one datagram back. (No connection: nothing can close it.)
async fn interact_udp(client: &Client, lang: Lang) -> anyhow::Result<ExitCode> {
    crate::os::stderr::line(says::type_a_line(lang));
    let mut keyboard = terminal_lines();
    while let Some(line) = keyboard.recv().await {
        let line = line.context(Doing::ReadingTerminal)?;
        if line.trim_ascii() == b"exit" {
            break;
        }
        let echo = exchange(&client.conn, &line).await?;
        if !output::print(&from_server_line(&echo, lang))? {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The lines typed at the terminal, each with its newline, as they are
/// typed; the channel closes at Ctrl-D.
///
/// A thread of its own reads them with a plain blocking read, because a
/// read of the terminal cannot be cancelled: on the async runtime's blocking
/// pool it would keep the process from exiting when the server closes the
/// connection, until the user pressed Enter. This thread simply ends with
/// the process.
fn terminal_lines() -> mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::channel(16);
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut stdin = std::io::stdin().lock();
        loop {
            let mut line = Vec::new();
            let read = stdin.read_until(b'\n', &mut line);
            let done = matches!(read, Ok(0) | Err(_));
            let sent = match read {
                Ok(0) => Ok(()),
                Ok(_) => tx.blocking_send(Ok(line)),
                Err(e) => tx.blocking_send(Err(e)),
            };
            if done || sent.is_err() {
                break; // Ctrl-D, an error, or nobody listens any more
            }
        }
    });
    rx
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
                .context(Doing::ReadingStdin)?;
            let echo = exchange(&udp, &message).await?;
            let mut stdout = tokio::io::stdout();
            stdout
                .write_all(&echo)
                .await
                .context(Doing::WritingStdout)?;
            stdout.flush().await.context(Doing::WritingStdout)?;
            return Ok(());
        }
    };
    let (mut reader, mut writer) = stream.split();
    let send = async {
        tokio::io::copy(&mut tokio::io::stdin(), &mut writer)
            .await
            .context(Doing::SendingStdin)?;
        // Half-close: "no more data from me"; the server echoes the rest and closes.
        writer.shutdown().await.context(Doing::ClosingSendingSide)?;
        anyhow::Ok(())
    };
    let receive = async {
        let mut stdout = tokio::io::stdout();
        tokio::io::copy(&mut reader, &mut stdout)
            .await
            .context(Doing::CopyingEcho)?;
        stdout.flush().await.context(Doing::WritingStdout)?;
        anyhow::Ok(())
    };
    tokio::try_join!(send, receive)?;
    Ok(())
}
