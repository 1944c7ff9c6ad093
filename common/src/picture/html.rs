//! Escaping and the HTML page around a picture.

use std::fmt::Write as _;

/// Append `text` with the five XML special characters escaped (safe in text and in
/// attribute values).
pub(super) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// `text` escaped.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// At most `max_chars` characters of `text`, with `…` if it was cut.
pub(super) fn clip(text: &str, max_chars: usize) -> String {
    let first_line = text.lines().next().unwrap_or("");
    if first_line.chars().count() <= max_chars && first_line.len() == text.len() {
        return first_line.to_string();
    }
    let kept: String = first_line
        .chars()
        .take(max_chars.saturating_sub(1).max(1))
        .collect();
    format!("{kept}…")
}

/// A checkbox that hides the elements matching `selector` when unticked.
pub(super) fn toggle(out: &mut String, selector: &str, label: &str) {
    let _ = writeln!(
        out,
        "<label><input type=\"checkbox\" checked=\"checked\" data-h=\"{}\" onchange=\"apply()\"/>{}</label>",
        escape(selector),
        escape(label)
    );
}

/// The page's style, beside the picture's own (which lives inside the SVG).
const PAGE_STYLE: &str = "body{font:14px sans-serif;margin:0;color:#222}\
header{position:sticky;top:0;background:#f6f6f6;border-bottom:1px solid #ccc;padding:6px 10px;z-index:1}\
header h1{font-size:15px;margin:0 0 4px}\
fieldset{display:inline-block;border:1px solid #ccc;margin:2px 6px 2px 0;padding:2px 6px}\
legend{font-size:12px;color:#555}\
label{margin-right:8px;white-space:nowrap;font-size:13px}\
button{margin-right:4px}\
main{padding:8px}\
pre{font-size:12px;background:#f6f6f6;padding:6px;overflow-x:auto}";

/// The script: filters write one CSS rule hiding what is unticked; zoom scales the
/// picture. It has no `<` or `&`, so the page is also well-formed XML.
const SCRIPT: &str = "var z=1,pic=document.getElementById('pic');\
var w=+pic.getAttribute('width'),h=+pic.getAttribute('height');\
function zoom(f){z=f?z*f:1;pic.setAttribute('width',Math.round(w*z));pic.setAttribute('height',Math.round(h*z));\
document.getElementById('zoom').textContent=Math.round(z*100)+'%'}\
function apply(){var s=[];document.querySelectorAll('input[data-h]').forEach(function(b){if(!b.checked)s.push(b.getAttribute('data-h'))});\
document.getElementById('hide').textContent=s.length?s.join(',')+'{display:none}':''}";

/// A self-contained page: `controls` (HTML) in a sticky header, then `svg` (whose root
/// element must carry `id="pic"`), then `notes` as preformatted text.
pub(super) fn page(title: &str, controls: &str, svg: &str, notes: &str) -> String {
    let mut out = String::with_capacity(svg.len() + controls.len() + notes.len() + 4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>");
    escape_into(&mut out, title);
    out.push_str("</title>\n<style>");
    out.push_str(PAGE_STYLE);
    out.push_str("</style>\n<style id=\"hide\"></style>\n</head>\n<body>\n<header>\n<h1>");
    escape_into(&mut out, title);
    out.push_str("</h1>\n<fieldset><legend>zoom</legend>\
<button type=\"button\" onclick=\"zoom(1.25)\">+</button>\
<button type=\"button\" onclick=\"zoom(0.8)\">-</button>\
<button type=\"button\" onclick=\"zoom(0)\">1:1</button> <span id=\"zoom\">100%</span></fieldset>\n");
    out.push_str(controls);
    out.push_str("</header>\n<main>\n");
    out.push_str(svg);
    if !notes.is_empty() {
        out.push_str("<pre>");
        escape_into(&mut out, notes);
        out.push_str("</pre>\n");
    }
    out.push_str("</main>\n<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_every_markup_character() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn clipping_keeps_short_text_and_marks_a_cut() {
        assert_eq!(clip("leader", 10), "leader");
        assert_eq!(clip("becomes leader of term 3", 10), "becomes l…");
        assert_eq!(
            clip("two\nlines", 10),
            "two…",
            "only the first line is drawn"
        );
    }

    #[test]
    fn the_script_keeps_the_page_well_formed_xml() {
        assert!(
            !SCRIPT.contains('<') && !SCRIPT.contains('&'),
            "the inline script must not contain markup characters"
        );
    }
}
