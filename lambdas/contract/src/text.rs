//! Which characters of request text can pose as something else.
//!
//! A record's text is written by whoever submits or decides a request, and
//! it ends up on an operator's terminal and in approvers' email. Control
//! characters (C0, DEL, C1) make a terminal clear the screen, move the
//! cursor or set the window title; bidirectional controls make text read in
//! another order than it is stored. The CLI shows both escaped, `submit` and
//! the workflow refuse them in one-line fields, and the notification strips
//! the bidirectional ones. This module says which characters those are.

/// A control character: C0 (U+0000–U+001F, with ESC, CR, LF, TAB), DEL
/// (U+007F) or C1 (U+0080–U+009F, with the one-character CSI U+009B).
pub fn is_control(c: char) -> bool {
    c.is_control()
}

/// A bidirectional formatting character: the embeddings and overrides
/// (U+202A–U+202E), the isolates (U+2066–U+2069) and the marks (U+200E,
/// U+200F, U+061C). `U+202E` makes `txt.exe` of `exe.txt`.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
    )
}

/// A character that changes how the text around it is shown rather than
/// showing itself: a control or a bidirectional control.
pub fn is_unsafe(c: char) -> bool {
    is_control(c) || is_bidi_control(c)
}

/// The first unsafe character of `text` and its position (counted in
/// characters from 1), if any; `allowed` are controls the field may hold.
pub fn first_unsafe(text: &str, allowed: &[char]) -> Option<(usize, char)> {
    text.chars()
        .enumerate()
        .find(|(_, c)| is_unsafe(*c) && !allowed.contains(c))
        .map(|(index, c)| (index + 1, c))
}

/// `text` without its bidirectional controls.
pub fn strip_bidi(text: &str) -> String {
    text.chars().filter(|c| !is_bidi_control(*c)).collect()
}

/// How a character is named in messages: `U+001B (ESC)`.
pub fn describe(c: char) -> String {
    let name = match c {
        '\0' => " (NUL)",
        '\t' => " (tab)",
        '\n' => " (line feed)",
        '\r' => " (carriage return)",
        '\u{1b}' => " (ESC)",
        '\u{7f}' => " (DEL)",
        '\u{9b}' => " (CSI)",
        c if is_bidi_control(c) => " (bidirectional control)",
        _ => "",
    };
    format!("U+{:04X}{name}", u32::from(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_is_recognised() {
        for c in ['\0', '\u{7}', '\t', '\n', '\r', '\u{1b}', '\u{1f}'] {
            assert!(is_control(c), "C0 {c:?}");
        }
        assert!(is_control('\u{7f}'), "DEL");
        for c in ['\u{80}', '\u{85}', '\u{9b}', '\u{9d}', '\u{9f}'] {
            assert!(is_control(c), "C1 {c:?}");
        }
        for c in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{061c}',
        ] {
            assert!(is_bidi_control(c), "bidi {c:?}");
            assert!(is_unsafe(c));
        }
        for c in ['a', ' ', '€', 'ü', '\u{a0}', '\u{200b}', '→', '✓'] {
            assert!(!is_unsafe(c), "{c:?} is shown as itself");
        }
    }

    #[test]
    fn the_first_unsafe_character_is_found_unless_allowed() {
        assert_eq!(first_unsafe("ok", &[]), None);
        assert_eq!(first_unsafe("a\u{1b}[2J", &[]), Some((2, '\u{1b}')));
        assert_eq!(first_unsafe("a\nb\tc", &['\n', '\t']), None);
        assert_eq!(first_unsafe("a\nb\r", &['\n', '\t']), Some((4, '\r')));
        assert_eq!(first_unsafe("ü\u{202e}", &['\n']), Some((2, '\u{202e}')));
    }

    #[test]
    fn bidi_controls_are_stripped_and_nothing_else() {
        assert_eq!(
            strip_bidi("inv\u{202e}txt.exe\u{2066}\u{200f} é\n"),
            "invtxt.exe é\n"
        );
    }

    #[test]
    fn characters_are_named_by_code_point() {
        assert_eq!(describe('\u{1b}'), "U+001B (ESC)");
        assert_eq!(describe('\u{202e}'), "U+202E (bidirectional control)");
        assert_eq!(describe('\u{9b}'), "U+009B (CSI)");
        assert_eq!(describe('\u{1}'), "U+0001");
    }
}
