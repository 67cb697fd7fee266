//! The page's address as a QR code, so that phones can join without typing.
//!
//! Two drawings of the same code: text for the terminal that runs `serve`
//! (two modules per character cell, with the half-block characters `▀`, `▄`
//! and `█`), and SVG for the page itself. Both are pure functions of the URL.

use qrcode::render::{svg, unicode};
use qrcode::{EcLevel, QrCode};

/// The code for `url`, or `None` if it does not fit in a QR code (a URL is
/// far shorter than the limit of about 2,300 characters).
fn code(url: &str) -> Option<QrCode> {
    // Level M survives about 15% of the code being unreadable: a projector's
    // glare, a phone held at an angle.
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).ok()
}

/// The code as lines of text, light modules drawn as blocks: on a terminal
/// with light text on a dark background (the usual), it reads as dark
/// modules on light, the way a QR code should.
pub fn text(url: &str) -> Option<String> {
    let code = code(url)?;
    Some(
        code.render::<unicode::Dense1x2>()
            .dark_color(unicode::Dense1x2::Light)
            .light_color(unicode::Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

/// The code as an inline `<svg>` element for a web page (no XML prologue,
/// sized by the page's style, drawn in the page's colours).
pub fn svg(url: &str) -> Option<String> {
    let code = code(url)?;
    let drawing = code
        .render::<svg::Color<'_>>()
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .quiet_zone(true)
        .module_dimensions(1, 1)
        .build();
    let start = drawing.find("<svg")?;
    Some(drawing[start..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_classroom_url_makes_a_small_square_code() {
        let text = text("http://192.168.1.10:12000/").unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // Version 2 is 25 modules, plus a quiet zone of 4 on each side: 33
        // columns, and 33 rows drawn two to a line.
        assert!(lines.len() <= 20, "{} lines", lines.len());
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() == lines[0].chars().count())
        );
        assert!(lines[0].chars().count() < 40);
    }

    #[test]
    fn the_svg_is_an_element_without_a_prologue() {
        let svg = svg("http://[2001:db8::1]:12000/").unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<?xml"));
    }
}
