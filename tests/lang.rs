//! The language of the output, as a user meets it: chosen by `--lang` or
//! the locale, the same JSON structure in either language, headings whose
//! underlines are as wide on screen as the headings, and Korean errors on
//! one line with a failing exit status.
//!
//! Every demo here runs on a free port instead of 12000 (see
//! `common::demo_port`), without `--reproducible`, so these tests do not
//! take the fixed client ports that tests/golden.rs uses.

mod common;

use std::process::Output;

use common::sameport;
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

/// A TCP demo on a free port with `args` added, and its output.
fn demo(args: &[&str], env: &[(&str, &str)]) -> Output {
    let port = common::demo_port().to_string();
    let mut command = sameport();
    command
        .args(["demo", "--port", &port])
        .args(args)
        .env("NO_COLOR", "1");
    for (var, value) in env {
        command.env(var, value);
    }
    let out = command.output().expect("run sameport");
    assert!(
        out.status.success(),
        "sameport demo {args:?} {env:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether a write-up is the Korean one (its first line says so).
fn is_korean(text: &str) -> bool {
    text.starts_with("sameport 데모:") && text.contains("판정: 성립.")
}

/// Whether a write-up is the English one.
fn is_english(text: &str) -> bool {
    text.starts_with("sameport demo:") && text.contains("Verdict: HOLDS.")
}

/// The locale chooses the language without `--lang`; `--lang` overrides
/// it; LC_ALL beats LC_MESSAGES, which beats LANG; C and POSIX are English.
#[test]
fn the_locale_chooses_the_language_and_lang_overrides_it() {
    let korean = stdout(&demo(&[], &[("LANG", "ko_KR.UTF-8")]));
    assert!(is_korean(&korean), "LANG=ko_KR.UTF-8:\n{korean}");

    let english = stdout(&demo(&["--lang", "en"], &[("LANG", "ko_KR.UTF-8")]));
    assert!(is_english(&english), "--lang en over LANG:\n{english}");

    let lc_all = stdout(&demo(&[], &[("LC_ALL", "C"), ("LANG", "ko_KR.UTF-8")]));
    assert!(is_english(&lc_all), "LC_ALL=C over LANG:\n{lc_all}");

    let lc_all_ko = stdout(&demo(&[], &[("LC_ALL", "ko_KR.UTF-8"), ("LANG", "C")]));
    assert!(is_korean(&lc_all_ko), "LC_ALL=ko over LANG=C:\n{lc_all_ko}");

    let messages = stdout(&demo(
        &[],
        &[("LC_MESSAGES", "ko_KR.UTF-8"), ("LANG", "en_US.UTF-8")],
    ));
    assert!(is_korean(&messages), "LC_MESSAGES over LANG:\n{messages}");

    let posix = stdout(&demo(&[], &[("LANG", "POSIX")]));
    assert!(is_english(&posix), "LANG=POSIX:\n{posix}");

    let flag = stdout(&demo(&["--lang=ko"], &[]));
    assert!(is_korean(&flag), "--lang=ko without a locale:\n{flag}");
}

/// The structure of the JSON, with every text field left out: what a
/// program reading the output depends on. Keys, numbers, booleans, nulls
/// and the enum values (`role`, `state`, `outcome` ...) are kept; the
/// strings that are sentences (`title`, `text`, `explanation`, `notes`,
/// `sentence`) become `"<text>"`.
fn structure(value: &Value) -> Value {
    const TEXT: [&str; 5] = ["title", "text", "explanation", "sentence", "notes"];
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, v)| {
                    let v = if TEXT.contains(&key.as_str()) {
                        match v {
                            Value::Array(items) => {
                                Value::Array(items.iter().map(|_| "<text>".into()).collect())
                            }
                            _ => "<text>".into(),
                        }
                    } else {
                        structure(v)
                    };
                    (key.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(structure).collect()),
        other => other.clone(),
    }
}

/// `--format json` has the same keys and the same enum values in both
/// languages; only the sentences differ (and they do).
#[test]
fn json_is_the_same_structure_in_every_language() {
    for proto in ["tcp", "udp"] {
        let args = |lang| {
            [
                "--reproducible",
                "--format",
                "json",
                "--proto",
                proto,
                "--lang",
                lang,
            ]
        };
        let lines = |lang| {
            let port = common::demo_port();
            let out = sameport()
                .args(["demo", "--port", &port.to_string()])
                .args(args(lang))
                .output()
                .expect("run sameport");
            assert!(out.status.success(), "{lang}: {out:?}");
            common::as_if_on_12000(&out.stdout, port)
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line"))
                .collect::<Vec<_>>()
        };
        let (en, ko) = (lines("en"), lines("ko"));
        assert_eq!(en.len(), ko.len(), "{proto}: as many lines");
        for (e, k) in en.iter().zip(&ko) {
            assert_eq!(structure(e), structure(k), "{proto}");
            assert_eq!(e["sockets"], k["sockets"], "{proto}: sockets are values");
        }
        let verdict = |lines: &[Value]| lines.last().map(|l| l["verdict"].clone());
        let (ve, vk) = (verdict(&en).unwrap(), verdict(&ko).unwrap());
        assert_eq!(ve["outcome"], "holds");
        assert_eq!(vk["outcome"], "holds", "enum values stay English");
        assert_ne!(ve["explanation"], vk["explanation"], "the sentences differ");
        assert!(
            vk["explanation"]
                .as_str()
                .unwrap()
                .contains("명제가 성립한다"),
            "{vk}"
        );
    }
}

/// Checks every heading in `text` whose next line is a rule of `=` or `-`:
/// the rule is exactly as wide on screen as the heading. Returns how many.
fn underlines_fit(text: &str, what: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut checked = 0;
    for pair in lines.windows(2) {
        let (heading, rule) = (pair[0], pair[1]);
        let is_rule = !rule.is_empty() && rule.chars().all(|c| c == '=' || c == '-');
        if is_rule && !heading.is_empty() {
            assert_eq!(
                UnicodeWidthStr::width(rule),
                UnicodeWidthStr::width(heading),
                "{what}: the rule under {heading:?} is {} columns, the heading {}",
                rule.len(),
                UnicodeWidthStr::width(heading)
            );
            checked += 1;
        }
    }
    checked
}

/// Every underline is as wide on screen as its heading, in Korean (where a
/// syllable takes two columns) and in English: the demo's write-up and a
/// snapshot's heading (`inspect`), in every format that underlines.
#[test]
fn every_underline_is_as_wide_as_its_heading() {
    for lang in ["en", "ko"] {
        for proto in ["tcp", "udp", "both"] {
            let text = stdout(&demo(&["--lang", lang, "--proto", proto], &[]));
            let n = underlines_fit(&text, &format!("demo --lang {lang} --proto {proto}"));
            assert!(n >= 8, "{lang} {proto}: {n} headings checked\n{text}");
        }
        // inspect: a snapshot under a heading (an 80-column terminal wraps it).
        for columns in ["80", "200"] {
            let port = common::free_port().to_string();
            let out = sameport()
                .args(["inspect", "--port", &port, "--lang", lang])
                .env("COLUMNS", columns)
                .output()
                .expect("run sameport");
            let text = stdout(&out);
            assert_eq!(
                underlines_fit(&text, &format!("inspect --lang {lang}")),
                1,
                "{text}"
            );
            for line in text.lines() {
                assert!(
                    UnicodeWidthStr::width(line) <= columns.parse().unwrap(),
                    "wider than {columns} columns: {line}"
                );
            }
        }
    }
}

/// A mistake in Korean: one line on stderr, in Korean, and the exit status
/// says what kind of failure it was.
#[test]
fn a_korean_error_is_one_line_with_a_failing_exit() {
    let cases: [(&[&str], i32, &str); 4] = [
        // The command line: our own checks, and clap's.
        (
            &["serve", "--port", "0", "--lang", "ko"],
            2,
            "포트 번호는 1부터 65535까지",
        ),
        (
            &["--lang", "ko", "demo", "--frobnicate"],
            2,
            "알 수 없는 인자",
        ),
        (
            &["demo", "--proto", "sctp", "--lang", "ko"],
            2,
            "tcp, udp 또는 both 중 하나",
        ),
        // The network: nothing listens there.
        (
            &["connect", "127.0.0.1:1", "--message", "hi", "--lang", "ko"],
            1,
            "연결이 거부되었습니다",
        ),
    ];
    for (args, code, words) in cases {
        let out = sameport().args(args).output().expect("run sameport");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("sameport: "), "{args:?}: {stderr}");
        assert!(stderr.contains(words), "{args:?}: {stderr}");
    }
    // The locale alone is enough, and a bad --lang is told in it.
    let out = sameport()
        .args(["demo", "--lang", "fr"])
        .env("LANG", "ko_KR.UTF-8")
        .output()
        .expect("run sameport");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("en 또는 ko 중 하나"), "{stderr}");
}

/// A port in use, in Korean: the error names the port and what to do, on
/// one line, and the demo exits 1.
#[test]
fn a_busy_port_is_told_in_korean() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = busy.local_addr().unwrap().port().to_string();
    let out = sameport()
        .args(["demo", "--port", &port, "--lang", "ko"])
        .output()
        .expect("run sameport");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("TCP {port}번 포트는 이미 사용 중입니다")),
        "{stderr}"
    );
    assert!(stderr.contains("--port로 다른 포트에서"), "{stderr}");
}
