//! The page in a real browser (Debian's `chromium`, headless), as a student
//! sees it: rows appear, the verdict says HOLDS, the browser's own
//! connection is marked "you", 20 rows fit a 1280x720 projector in light and
//! dark, in English and in Korean, and a hostile process name is shown as
//! text.
//!
//! Without chromium each test says so and passes; CI installs it
//! (`.ci/run`), so there they run for real.

use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sameport::kernel::{Attribution, Kernel, Query, SocketTable, TableError, TableRead};
use serde_json::Value;

use crate::cdp::{self, Browser};
use crate::common::Running;
use crate::server::{Server, Setup, echo_client};

/// A process name a student could give a program to attack the page.
pub const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)>";

/// The kernel's table, with every holder renamed [`HOSTILE_NAME`]: as if a
/// process on the host had that name.
pub struct Hostile;

impl SocketTable for Hostile {
    fn read(&self, query: &Query, attribution: &Attribution) -> Result<TableRead, TableError> {
        let mut read = Kernel.read(query, attribution)?;
        for holder in read.sockets.iter_mut().flat_map(|s| s.holders.iter_mut()) {
            holder.process = Some(HOSTILE_NAME.into());
        }
        Ok(read)
    }
}

fn chromium_or_skip() -> Option<PathBuf> {
    let found = cdp::find();
    if found.is_none() && std::env::var_os("SAMEPORT_REQUIRE_BROWSER").is_some() {
        panic!("SAMEPORT_REQUIRE_BROWSER is set and chromium is not installed");
    }
    if found.is_none() {
        eprintln!(
            "skipped: no chromium on this machine (apt-get install chromium); CI installs it"
        );
    }
    found
}

/// Whether this machine has a font with Hangul (fontconfig says). Without
/// one the browser draws every Korean letter as a box: the page still
/// works, but its layout and screenshot would not be what a class sees.
/// CI installs one (`.ci/run`, fonts-nanum) and must have it.
fn korean_font_or_warn() {
    let listed = std::process::Command::new("fc-list")
        .arg(":lang=ko")
        .output()
        .map(|out| !out.stdout.is_empty())
        .unwrap_or(false);
    if !listed && std::env::var_os("SAMEPORT_REQUIRE_BROWSER").is_some() {
        panic!(
            "SAMEPORT_REQUIRE_BROWSER is set and no font has Hangul (apt-get install fonts-nanum)"
        );
    }
    if !listed {
        eprintln!(
            "warning: no font with Hangul (apt-get install fonts-nanum): Korean shows as boxes"
        );
    }
}

/// The table as the page shows it: one object per row.
fn rows(browser: &mut Browser) -> Vec<Value> {
    let json = browser.eval(
        "JSON.stringify([...document.querySelectorAll('#rows tr')].map(tr => ({ \
           remote: tr.dataset.remote ?? null, port: tr.dataset.localPort ?? null, \
           marks: tr.dataset.marks ?? '', text: tr.innerText, more: tr.className === 'more' })))",
    );
    serde_json::from_str(json.as_str().unwrap()).unwrap()
}

/// Whether everything on the page is inside a `width` x `height` window,
/// with nothing cut off in the side panel and the table inside its column.
const FITS: &str = "(() => { \
    const h = innerHeight + 0.5, w = innerWidth + 0.5; \
    const all = [...document.querySelectorAll('#rows tr, #status, #outcome, h1, #qr, #url')]; \
    const outside = all.filter(e => { const b = e.getBoundingClientRect(); return b.bottom > h || b.right > w; }); \
    const table = document.querySelector('table').getBoundingClientRect(); \
    const main = document.querySelector('main').getBoundingClientRect(); \
    const aside = document.querySelector('aside'); \
    return JSON.stringify({ outside: outside.map(e => e.id || e.tagName + ':' + e.innerText.slice(0, 40)), \
      table_inside: table.right <= main.right + 0.5, \
      aside_whole: aside.scrollHeight <= aside.clientHeight + 1, \
      aside_over: aside.scrollHeight - aside.clientHeight }); })()";

fn assert_fits(browser: &mut Browser, scheme: &str) {
    let fit: Value = serde_json::from_str(browser.eval(FITS).as_str().unwrap()).unwrap();
    assert_eq!(
        fit["outside"],
        serde_json::json!([]),
        "{scheme}: outside 1280x720: {fit}"
    );
    assert_eq!(
        fit["table_inside"], true,
        "{scheme}: the table is wider than its column"
    );
    assert_eq!(
        fit["aside_whole"], true,
        "{scheme}: the explanation is cut off: {fit}"
    );
}

/// Where the screenshots go (the target directory; docs/ has a copy).
/// `count` echo clients to `port`, from 127.0.0.2 on over `addresses`
/// source addresses (a class whose machines each hold several connections).
fn echo_clients(port: u16, count: usize, addresses: usize) -> Vec<TcpStream> {
    (0..count)
        .map(|i| echo_client(&format!("127.0.0.{}", 2 + i % addresses), port))
        .collect()
}

/// Waits until the page has more rows than it shows (its summary line) and
/// marks at least one row as the viewer's own.
fn wait_for_a_full_table(browser: &mut Browser) {
    assert!(
        browser.wait_for(
            "document.querySelector('#rows tr.more') !== null && \
             document.querySelectorAll('#rows tr[data-marks~=\"you\"]').length >= 1",
            Duration::from_secs(20)
        ),
        "{:?}",
        rows(browser)
    );
}

fn save(name: &str, png: &[u8]) -> PathBuf {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
    path
}

/// The scenario: the page is open, three echo clients connect from
/// three addresses; their rows appear (NEW) on the same local port, the
/// verdict says HOLDS, and the page's own connection is marked "you".
#[test]
fn the_page_shows_the_class_on_one_port() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let (server, port) = Running::serve_json(&[]);
    let mut browser = Browser::launch(&chromium);
    browser.open(&format!("http://127.0.0.1:{port}/"), 1280, 720);
    assert!(
        browser.wait_for(
            "document.querySelectorAll('#rows tr[data-marks~=\"you\"]').length >= 1",
            Duration::from_secs(20)
        ),
        "the page never marked its own connection: {:?}",
        rows(&mut browser)
    );
    let clients: Vec<TcpStream> = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
        .iter()
        .map(|source| echo_client(source, port))
        .collect();
    let remotes: Vec<String> = clients
        .iter()
        .map(|c| {
            let local = c.local_addr().unwrap();
            format!("{} {}", local.ip(), local.port())
        })
        .collect();
    let all_there = format!(
        "(() => {{ const r = [...document.querySelectorAll('#rows tr')].map(tr => tr.dataset.remote); \
           return {}.every(x => r.includes(x)); }})()",
        serde_json::to_string(&remotes).unwrap()
    );
    assert!(
        browser.wait_for(&all_there, Duration::from_secs(10)),
        "the clients' rows never appeared: {:?}",
        rows(&mut browser)
    );
    let table = rows(&mut browser);
    for remote in &remotes {
        let row = table
            .iter()
            .find(|r| r["remote"] == remote.as_str())
            .unwrap();
        assert_eq!(row["port"], port.to_string(), "{row}");
        assert!(row["marks"].as_str().unwrap().contains("new"), "{row}");
        assert!(!row["marks"].as_str().unwrap().contains("you"), "{row}");
        assert!(row["text"].as_str().unwrap().contains(&format!(":{port}")));
    }
    let yours: Vec<&Value> = table
        .iter()
        .filter(|r| r["marks"].as_str().unwrap().contains("you"))
        .collect();
    assert!(!yours.is_empty());
    for row in &yours {
        assert!(
            row["remote"].as_str().unwrap().starts_with("127.0.0.1 "),
            "{row}"
        );
        assert_eq!(row["port"], port.to_string());
    }
    assert_eq!(
        browser.eval("document.getElementById('outcome').textContent"),
        "HOLDS"
    );
    // Windows has no nc: the side panel gives telnet and sameport connect.
    let aside = browser.eval("document.querySelector('aside').innerText");
    let aside = aside.as_str().unwrap_or_default();
    assert!(aside.contains("(Windows: telnet "), "{aside}");
    assert!(aside.contains("sameport connect "), "{aside}");
    assert_fits(&mut browser, "light");
    save("live-page.png", &browser.screenshot());

    browser.color_scheme("dark");
    assert_eq!(
        browser.eval("getComputedStyle(document.body).backgroundColor"),
        "rgb(16, 18, 20)"
    );
    assert_fits(&mut browser, "dark");
    save("live-page-dark.png", &browser.screenshot());

    // A client that leaves is marked CLOSED.
    drop(clients);
    assert!(
        browser.wait_for(
            "document.querySelectorAll('#rows tr[data-marks~=\"closed\"]').length === 3",
            Duration::from_secs(10)
        ),
        "{:?}",
        rows(&mut browser)
    );
    drop(browser);
    let (status, _) = server.interrupt();
    assert!(status.success());
}

/// With more than 20 rows, 20 are shown (the listener and the browser's own
/// first) and a line says how many more; everything fits 1280x720.
#[test]
fn twenty_rows_fit_a_projector() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let (server, port) = Running::serve_json(&[]);
    let clients: Vec<TcpStream> = echo_clients(port, 24, 4);
    let mut browser = Browser::launch(&chromium);
    browser.open(&format!("http://127.0.0.1:{port}/"), 1280, 720);
    wait_for_a_full_table(&mut browser);
    let table = rows(&mut browser);
    assert_eq!(table.len(), 20, "19 rows and the summary: {table:?}");
    assert!(
        table[0]["remote"] == "",
        "the listener first: {:?}",
        table[0]
    );
    assert!(table[19]["more"] == true);
    assert!(
        table[19]["text"]
            .as_str()
            .unwrap()
            .contains(&format!("every one on local port {port}"))
    );
    assert_fits(&mut browser, "light");
    browser.color_scheme("dark");
    assert_fits(&mut browser, "dark");
    save("live-page-24-clients.png", &browser.screenshot());
    drop(browser);
    drop(clients);
    let (status, _) = server.interrupt();
    assert!(status.success());
}

/// `serve --lang ko`: the page speaks Korean, as the terminal does. The
/// outcome word is the verdict's Korean word, the explanation (from the
/// server's JSON) and the status line are Korean, the page's own rows are
/// still marked (`data-marks` stays `you`, whatever the badge says), and
/// 20 rows still fit 1280x720 in light and dark, Hangul being wider than
/// Latin letters.
#[test]
fn the_page_speaks_korean() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    korean_font_or_warn();
    let (server, port) = Running::serve_json(&["--lang", "ko"]);
    let mut browser = Browser::launch(&chromium);
    browser.open(&format!("http://127.0.0.1:{port}/"), 1280, 720);
    assert!(
        browser.wait_for(
            "document.querySelectorAll('#rows tr[data-marks~=\"you\"]').length >= 1",
            Duration::from_secs(20)
        ),
        "the page never marked its own connection: {:?}",
        rows(&mut browser)
    );
    // Connected once the page is live, so that their rows are NEW.
    let clients: Vec<TcpStream> = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
        .iter()
        .map(|source| echo_client(source, port))
        .collect();
    assert!(
        browser.wait_for(
            "document.querySelectorAll('#rows tr[data-marks~=\"new\"]').length >= 3",
            Duration::from_secs(10)
        ),
        "the clients' rows never appeared: {:?}",
        rows(&mut browser)
    );
    let text = |browser: &mut Browser, js: &str| -> String {
        browser.eval(js).as_str().unwrap_or_default().to_string()
    };
    assert_eq!(text(&mut browser, "document.documentElement.lang"), "ko");
    assert_eq!(
        text(
            &mut browser,
            "document.getElementById('outcome').textContent"
        ),
        "성립"
    );
    let explanation = text(
        &mut browser,
        "document.getElementById('explanation').textContent",
    );
    assert!(
        explanation.contains("연결 소켓") && explanation.contains("명제가 성립한다"),
        "{explanation}"
    );
    let status = text(
        &mut browser,
        "document.getElementById('status').textContent",
    );
    assert!(
        status.starts_with(&format!("실시간: TCP {port}번 포트의 소켓 ")),
        "{status}"
    );
    let aside = text(&mut browser, "document.querySelector('aside').innerText");
    assert!(
        aside.contains("브라우저 하나에 행이 여러 개인 이유"),
        "{aside}"
    );
    assert!(aside.contains("지속 연결"), "{aside}");
    // Windows has no nc: telnet, or sameport connect.
    assert!(aside.contains("telnet "), "{aside}");
    assert!(aside.contains("sameport connect "), "{aside}");
    assert!(!aside.contains("Why several"), "{aside}");
    // The viewer's rows: the key stays `you`, the badge says 나.
    let table = rows(&mut browser);
    let yours: Vec<&Value> = table
        .iter()
        .filter(|r| r["marks"].as_str().unwrap_or("").contains("you"))
        .collect();
    assert!(!yours.is_empty(), "{table:?}");
    for row in &yours {
        assert_eq!(row["port"], port.to_string(), "{row}");
        assert!(row["text"].as_str().unwrap_or("").contains('나'), "{row}");
    }
    let new = table
        .iter()
        .find(|r| r["marks"].as_str().unwrap_or("").contains("new"))
        .unwrap();
    assert!(
        new["text"].as_str().unwrap_or("").contains("새 연결"),
        "{new}"
    );
    assert_fits(&mut browser, "Korean, light");
    save("live-page.ko.png", &browser.screenshot());
    browser.color_scheme("dark");
    assert_fits(&mut browser, "Korean, dark");
    save("live-page.ko-dark.png", &browser.screenshot());

    // Twenty-four clients more: 19 rows and the Korean summary line.
    let more: Vec<TcpStream> = (0..24)
        .map(|i| echo_client(&format!("127.0.0.{}", 5 + i % 4), port))
        .collect();
    assert!(
        browser.wait_for(
            "document.querySelector('#rows tr.more') !== null",
            Duration::from_secs(20)
        ),
        "{:?}",
        rows(&mut browser)
    );
    let table = rows(&mut browser);
    assert_eq!(table.len(), 20, "19 rows and the summary: {table:?}");
    let summary = table[19]["text"].as_str().unwrap_or("");
    assert!(
        summary.contains(&format!("모두 로컬 포트 {port}번")),
        "{summary}"
    );
    assert_fits(&mut browser, "Korean, 20 rows, dark");
    browser.color_scheme("light");
    assert_fits(&mut browser, "Korean, 20 rows, light");
    save("live-page.ko-24-clients.png", &browser.screenshot());

    drop(browser);
    drop((clients, more));
    let (status, _) = server.interrupt();
    assert!(status.success());
}

/// A process named `<img src=x onerror=alert(1)>` is shown as those
/// characters: no element is made of it and no script runs.
#[test]
fn a_hostile_process_name_is_shown_as_text() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(Server::start(Setup {
        table: Arc::new(Hostile),
        ..Setup::default()
    }));
    let clients: Vec<TcpStream> = ["127.0.0.2", "127.0.0.3"]
        .iter()
        .map(|s| echo_client(s, server.addr.port()))
        .collect();
    let mut browser = Browser::launch(&chromium);
    browser.open(&format!("http://{}/", server.addr), 1280, 720);
    let shown = format!(
        "[...document.querySelectorAll('#rows td')].some(td => td.textContent.endsWith('/' + {}))",
        serde_json::to_string(HOSTILE_NAME).unwrap()
    );
    assert!(
        browser.wait_for(&shown, Duration::from_secs(20)),
        "{:?}",
        rows(&mut browser)
    );
    assert_eq!(browser.eval("document.querySelectorAll('img').length"), 0);
    assert_eq!(
        browser.eval("document.querySelectorAll('#rows *[onerror]').length"),
        0
    );
    // Give a would-be handler time to run, then look for a dialog.
    std::thread::sleep(Duration::from_millis(500));
    browser.eval("1");
    assert!(
        !browser
            .events
            .iter()
            .any(|e| e == "Page.javascriptDialogOpening"),
        "a script ran: {:?}",
        browser.events
    );
    drop(browser);
    drop(clients);
    runtime.block_on(server.stop());
}

/// On a phone (390x844, how students join through the QR code) the page is
/// readable: normal type, nothing wider than the screen but the table
/// (which scrolls sideways inside its box), the side panel under the
/// table, and the viewer's own row on the first screen without scrolling,
/// even when the class has more rows than a phone shows and the viewer's
/// connections sort last (the browser comes in on 127.0.0.9, a local
/// address after everyone else's 127.0.0.1).
#[test]
fn a_phone_can_read_the_page() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let (server, port) = Running::serve_json(&[]);
    let clients: Vec<TcpStream> = echo_clients(port, 24, 4);
    let mut browser = Browser::launch(&chromium);
    browser.open_as(&format!("http://127.0.0.9:{port}/"), 390, 844, true);
    wait_for_a_full_table(&mut browser);
    let measured = browser.eval(
        "(() => { \
           const px = (e) => parseFloat(getComputedStyle(e).fontSize); \
           const q = (s) => document.querySelector(s); \
           const you = q('#rows tr[data-marks~=\"you\"]'); \
           const mark = you.querySelector('td.mark').getBoundingClientRect(); \
           const row = you.getBoundingClientRect(); \
           return JSON.stringify({ \
             body: px(document.body), cell: px(q('#rows td.local')), \
             explanation: px(q('#explanation')), aside: px(q('aside p')), \
             status: px(q('#status')), \
             page_width: document.documentElement.scrollWidth, width: innerWidth, \
             you_top: row.top, you_bottom: row.bottom, you_mark_right: mark.right, \
             height: innerHeight, \
             aside_top: q('aside').getBoundingClientRect().top, \
             table_bottom: q('table').getBoundingClientRect().bottom }); })()",
    );
    let m: Value = serde_json::from_str(measured.as_str().unwrap()).unwrap();
    let num = |name: &str| m[name].as_f64().unwrap_or(0.0);
    save("live-page-phone.png", &browser.screenshot());
    for text in ["body", "cell", "explanation", "aside"] {
        assert!(num(text) >= 14.0, "{text} text too small: {m}");
    }
    assert!(num("status") >= 13.0, "{m}");
    assert!(
        num("page_width") <= num("width"),
        "the page scrolls sideways: {m}"
    );
    assert!(
        num("you_top") >= 0.0 && num("you_bottom") <= num("height"),
        "the viewer's row is not on the first screen: {m}"
    );
    assert!(
        num("you_mark_right") <= num("width"),
        "the viewer's badge is off the screen: {m}"
    );
    assert!(
        num("aside_top") >= num("table_bottom"),
        "the side panel is not under the table: {m}"
    );
    drop(browser);
    drop(clients);
    let (status, _) = server.interrupt();
    assert!(status.success());
}

/// A full classroom: 60 connections, the viewer's sorting after every
/// other (the browser comes in on 127.0.0.9, everyone else on 127.0.0.1).
/// The page shows 19 rows and the summary, and every connection of the
/// viewer's that the table has is among the rows shown.
#[test]
fn your_rows_stay_in_a_full_classroom() {
    let Some(chromium) = chromium_or_skip() else {
        return;
    };
    let (server, port) = Running::serve_json(&[]);
    let clients: Vec<TcpStream> = echo_clients(port, 60, 6);
    let mut browser = Browser::launch(&chromium);
    browser.open(&format!("http://127.0.0.9:{port}/"), 1280, 720);
    wait_for_a_full_table(&mut browser);
    // The viewer's connections in the table's full order, and which of
    // them the page shows.
    let found = browser.eval(
        "(() => { \
           const all = snapshot.sockets.map((s) => s.remote_addr + ' ' + s.remote_port); \
           const mine = all.map((r, i) => [r, i]).filter(([r]) => yours.has(r)); \
           const shown = [...document.querySelectorAll('#rows tr')].map((tr) => tr.dataset.remote); \
           return JSON.stringify({ total: all.length, \
             positions: mine.map(([, i]) => i), \
             missing: mine.map(([r]) => r).filter((r) => !shown.includes(r)) }); })()",
    );
    let found: Value = serde_json::from_str(found.as_str().unwrap()).unwrap();
    let positions: Vec<u64> = found["positions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert!(!positions.is_empty(), "{found}");
    assert!(
        positions.iter().all(|&i| i >= 20),
        "the viewer's rows must sort after the first 20 for this test: {found}"
    );
    assert_eq!(found["missing"], serde_json::json!([]), "{found}");
    let table = rows(&mut browser);
    assert_eq!(table.len(), 20, "19 rows and the summary: {table:?}");
    assert_fits(&mut browser, "60 connections");
    save("live-page-60-clients.png", &browser.screenshot());
    drop(browser);
    drop(clients);
    let (status, _) = server.interrupt();
    assert!(status.success());
}
