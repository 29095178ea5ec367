//! Comment commands: `@suture explain|apply|ignore|recreate` at the start of a pull request comment.
//!
//! Only a comment that *starts* with the mention is a command (leading whitespace aside, case-insensitive),
//! so a person quoting or discussing suture in the middle of a sentence does not trigger it. A mention
//! followed by a word suture does not know is still addressed to suture: the caller reacts with `confused`
//! instead of staying silent, so the person learns the command was not understood.

/// What a comment asks suture to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Comment with each fix's pattern, confidence and the commits the pattern was learned from.
    Explain,
    /// Commit the fixes to the pull request's head branch.
    Apply,
    /// Never propose these fixes again in this repository.
    Ignore,
    /// Run the review again.
    Recreate,
}

/// How a comment body reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Not addressed to suture.
    NotForUs,
    Command(Command),
    /// Addressed to suture with a word it does not know (empty when the mention stands alone).
    Unknown(String),
}

/// The mention that starts a command.
pub const MENTION: &str = "@suture";

/// Reads a comment body.
pub fn parse(body: &str) -> Parsed {
    let body = body.trim_start();
    let Some(head) = body.get(..MENTION.len()) else {
        return Parsed::NotForUs;
    };
    if !head.eq_ignore_ascii_case(MENTION) {
        return Parsed::NotForUs;
    }
    let rest = &body[MENTION.len()..];
    // `@suture-bot` or `@suturex` is someone else.
    if rest.chars().next().is_some_and(|c| !c.is_whitespace()) {
        return Parsed::NotForUs;
    }
    let word = rest.split_whitespace().next().unwrap_or("");
    match word.to_ascii_lowercase().as_str() {
        "explain" => Parsed::Command(Command::Explain),
        "apply" => Parsed::Command(Command::Apply),
        "ignore" => Parsed::Command(Command::Ignore),
        "recreate" => Parsed::Command(Command::Recreate),
        _ => Parsed::Unknown(word.to_owned()),
    }
}

impl Command {
    pub fn name(self) -> &'static str {
        match self {
            Command::Explain => "explain",
            Command::Apply => "apply",
            Command::Ignore => "ignore",
            Command::Recreate => "recreate",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        assert_eq!(parse("@suture explain"), Parsed::Command(Command::Explain));
        assert_eq!(
            parse("  @Suture APPLY please"),
            Parsed::Command(Command::Apply)
        );
        assert_eq!(parse("@suture\tignore\n"), Parsed::Command(Command::Ignore));
        assert_eq!(
            parse("@SUTURE recreate"),
            Parsed::Command(Command::Recreate)
        );
    }

    #[test]
    fn unknown_words_are_still_for_us() {
        assert_eq!(parse("@suture dance"), Parsed::Unknown("dance".to_owned()));
        assert_eq!(parse("@suture"), Parsed::Unknown(String::new()));
    }

    #[test]
    fn other_comments_are_not() {
        assert_eq!(parse("thanks @suture explain"), Parsed::NotForUs);
        assert_eq!(parse("@suture-bot explain"), Parsed::NotForUs);
        assert_eq!(parse("@sutur"), Parsed::NotForUs);
        assert_eq!(parse(""), Parsed::NotForUs);
        assert_eq!(parse("é"), Parsed::NotForUs);
    }
}
