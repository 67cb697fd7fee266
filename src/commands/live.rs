//! `serve --live`: the port on one terminal screen, redrawn in place.
//!
//! The screen is the terminal's *alternate screen* (the one `less`, `top` and
//! `watch` use), so the shell's scrollback is left as it was when the view
//! ends. The terminal is put in *raw mode* so that a single `q` (or Ctrl-C,
//! which raw mode delivers as a byte instead of a signal) quits without
//! Enter. Whatever happens, the terminal is put back on the way out (a
//! guard does it when dropped).
//!
//! The layout is [`crate::view::live`]'s; this file only owns the terminal.

use std::io::{self, IsTerminal, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::{cursor, queue, style, terminal};
use tokio::sync::{mpsc, watch};

use crate::claim::Observation;
use crate::commands::feed::Latest;
use crate::lang;
use crate::output::{self, Output};
use crate::view::live::{self, Changes, PageLink};

/// How often the screen is redrawn with nothing new (marks expire, the
/// terminal may have been resized).
const REDRAW_EVERY: Duration = Duration::from_secs(1);

/// A running live screen.
pub struct Live {
    task: tokio::task::JoinHandle<()>,
    quit: watch::Receiver<bool>,
}

/// Starts the live screen, or says why not and returns `None` (stdout is
/// not a terminal: a pipe or a file gets the log instead). `page`: the live
/// page's address and QR code, shown on the screen.
pub fn start(latest: Latest, output: Arc<Output>, page: Option<PageLink>) -> Option<Live> {
    if !io::stdout().is_terminal() {
        output::say(lang::serve::live_needs_terminal(output.lang()));
        return None;
    }
    let (quit_tx, quit) = watch::channel(false);
    let keys = read_keys();
    let task = tokio::spawn(run(latest, output, page, quit_tx, keys));
    Some(Live { task, quit })
}

impl Live {
    /// Completes when the user pressed `q` or Ctrl-C (never, otherwise).
    pub fn quit_pressed(&self) -> impl Future<Output = ()> + use<> {
        let mut quit = self.quit.clone();
        async move {
            if quit.wait_for(|&q| q).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// Waits until the screen has been put back.
    pub async fn finish(self) {
        let _ = self.task.await;
    }
}

/// Reads the keyboard on a thread of its own (a read of the terminal
/// cannot be cancelled, so it must not hold up the async runtime) and sends
/// one message when a quit key arrives.
fn read_keys() -> mpsc::UnboundedReceiver<()> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut byte = [0u8; 1];
        // End of input (stdin is not a terminal, or was closed) is not a
        // request to quit: Ctrl-C as a signal still works.
        while let Ok(1) = stdin.read(&mut byte) {
            // `q`, `Q`, and Ctrl-C (ETX, byte 3, in raw mode).
            if matches!(byte[0], b'q' | b'Q' | 0x03) {
                let _ = tx.send(());
                return;
            }
        }
    });
    rx
}

async fn run(
    mut latest: Latest,
    output: Arc<Output>,
    page: Option<PageLink>,
    quit: watch::Sender<bool>,
    mut keys: mpsc::UnboundedReceiver<()>,
) {
    let screen = match Screen::enter() {
        Ok(screen) => screen,
        Err(e) => {
            output::say(&lang::serve::live_cannot_take_terminal(
                output.lang(),
                &e.to_string(),
            ));
            return;
        }
    };
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut changes = Changes::new();
    let mut current: Option<Arc<Observation>> = latest.borrow_and_update().clone();
    if let Some(observation) = &current {
        changes.update(&observation.snapshot, Instant::now());
    }
    loop {
        let now = Instant::now();
        changes.expire(now);
        if screen
            .draw(
                current.as_deref(),
                &changes,
                now,
                color,
                &output,
                page.as_ref(),
            )
            .is_err()
        {
            break;
        }
        let wait = changes
            .next_change(now)
            .map_or(REDRAW_EVERY, |d| d.min(REDRAW_EVERY));
        tokio::select! {
            changed = latest.changed() => {
                if changed.is_err() {
                    break; // the server stopped
                }
                current = latest.borrow_and_update().clone();
                if let Some(observation) = &current {
                    changes.update(&observation.snapshot, Instant::now());
                }
            }
            Some(()) = keys.recv() => {
                let _ = quit.send(true);
                break;
            }
            () = tokio::time::sleep(wait) => {}
        }
    }
    drop(screen);
}

/// The terminal, taken over; put back when dropped.
struct Screen {
    raw: bool,
}

impl Screen {
    fn enter() -> io::Result<Screen> {
        // Without raw mode (no terminal on stdin) the view still works; `q`
        // then needs Enter, and Ctrl-C is the usual signal.
        let raw = terminal::enable_raw_mode().is_ok();
        let mut out = io::stdout();
        let entered = crossterm::execute!(out, terminal::EnterAlternateScreen, cursor::Hide);
        if let Err(e) = entered {
            if raw {
                let _ = terminal::disable_raw_mode();
            }
            return Err(e);
        }
        Ok(Screen { raw })
    }

    /// Draws one screen over the last one, line by line, each line cleared
    /// to its end, and everything below the last line cleared.
    fn draw(
        &self,
        observation: Option<&Observation>,
        changes: &Changes,
        now: Instant,
        color: bool,
        output: &Output,
        page: Option<&PageLink>,
    ) -> io::Result<()> {
        let (width, height) = terminal::size().unwrap_or((80, 24));
        let lines = match observation {
            Some(o) => live::screen(
                &o.snapshot,
                &o.verdict,
                changes,
                now,
                live::Frame {
                    width: usize::from(width),
                    height: usize::from(height),
                    color,
                },
                &output.labels,
                page,
            ),
            None => vec![lang::serve::live_reading(output.lang()).to_string()],
        };
        let mut out = io::stdout().lock();
        queue!(out, cursor::MoveTo(0, 0))?;
        for line in &lines {
            queue!(
                out,
                style::Print(line),
                terminal::Clear(terminal::ClearType::UntilNewLine),
                cursor::MoveToNextLine(1)
            )?;
        }
        queue!(out, terminal::Clear(terminal::ClearType::FromCursorDown))?;
        out.flush()
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = crossterm::execute!(io::stdout(), cursor::Show, terminal::LeaveAlternateScreen);
        if self.raw {
            let _ = terminal::disable_raw_mode();
        }
    }
}
