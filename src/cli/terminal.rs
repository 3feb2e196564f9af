//! Text on its way to a terminal. Much of what galley prints came from a server (an error
//! body, an album's 404 page, a title): a control character in it would be obeyed by the
//! terminal (`ESC[2J` clears the screen, `ESC]0;...BEL` sets the window title, a bidi
//! override reorders what is shown), so every such character is printed escaped.

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1) and bidirectional override written as
/// a Rust escape (`\u{1b}`), so a terminal shows it instead of obeying it.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_escape(c) {
            escaped.extend(c.escape_unicode());
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Prints an error that ends a command: `galley: ` and its chain, escaped.
pub fn print_error(error: &anyhow::Error) {
    eprintln!("galley: {}", for_terminal(&format!("{error:#}")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        let hostile = "500 \u{1b}[2J\u{1b}]0;pwned\u{7}\r\nnext \u{9b}31m \u{202e}gpj.exe";
        let shown = for_terminal(hostile);
        assert!(!shown.chars().any(needs_escape), "{shown}");
        assert_eq!(shown, "500 \\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{d}\\u{a}next \\u{9b}31m \\u{202e}gpj.exe");
        assert!(matches!(for_terminal("plain text, é and 漢字"), Cow::Borrowed(_)));
    }
}
