//! System notifications for new messages, as Slack does them: for someone
//! else's message whose channel is not the one on screen, or when the
//! window is not focused; never for one's own messages, muted channels or
//! muted accounts, nor while notifications are paused from the tray. The
//! policy is [`should_notify`]; delivery is the
//! notification plugin's, or on Linux notify-rust's, which reports a click
//! so the window can come forward on that account and channel.

/// A live message, as the policy sees it.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub account: &'a str,
    pub channel: &'a str,
    pub author: &'a str,
    pub me: &'a str,
    pub channel_muted: bool,
    pub account_muted: bool,
    /// Every notification is paused for a while (from the tray).
    pub paused: bool,
}

/// What the user is looking at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Screen<'a> {
    pub account: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub focused: bool,
}

pub fn should_notify(message: &Incoming<'_>, screen: &Screen<'_>) -> bool {
    if message.author == message.me
        || message.channel_muted
        || message.account_muted
        || message.paused
    {
        return false;
    }
    let on_screen =
        screen.account == Some(message.account) && screen.channel == Some(message.channel);
    !(on_screen && screen.focused)
}

/// The notification's text: the summary names channel and author.
pub fn summary(channel_name: &str, author_name: &str, account_label: Option<&str>) -> String {
    match account_label {
        Some(label) => format!("#{channel_name} · {author_name} ({label})"),
        None => format!("#{channel_name} · {author_name}"),
    }
}

/// The body: the text, shortened on a character boundary.
pub fn body(text: &str) -> String {
    const MAX: usize = 200;
    let text = text.trim();
    if text.chars().count() <= MAX {
        return text.to_owned();
    }
    let cut: String = text.chars().take(MAX - 1).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg<'a>(author: &'a str) -> Incoming<'a> {
        Incoming {
            account: "work",
            channel: "general",
            author,
            me: "alice",
            channel_muted: false,
            account_muted: false,
            paused: false,
        }
    }

    const LOOKING: Screen<'static> = Screen {
        account: Some("work"),
        channel: Some("general"),
        focused: true,
    };

    #[test]
    fn someone_elses_message_elsewhere_notifies() {
        let elsewhere = Screen {
            channel: Some("random"),
            ..LOOKING
        };
        assert!(should_notify(&msg("bob"), &elsewhere));
        let other_account = Screen {
            account: Some("home"),
            ..LOOKING
        };
        assert!(should_notify(&msg("bob"), &other_account));
    }

    #[test]
    fn the_channel_on_screen_notifies_only_when_unfocused() {
        assert!(!should_notify(&msg("bob"), &LOOKING));
        assert!(should_notify(
            &msg("bob"),
            &Screen {
                focused: false,
                ..LOOKING
            }
        ));
    }

    #[test]
    fn own_and_muted_never_notify() {
        let away = Screen::default();
        assert!(!should_notify(&msg("alice"), &away));
        assert!(!should_notify(
            &Incoming {
                channel_muted: true,
                ..msg("bob")
            },
            &away
        ));
        assert!(!should_notify(
            &Incoming {
                account_muted: true,
                ..msg("bob")
            },
            &away
        ));
        assert!(!should_notify(
            &Incoming {
                paused: true,
                ..msg("bob")
            },
            &away
        ));
    }

    #[test]
    fn text_is_shortened_on_a_character_boundary() {
        assert_eq!(body("  hi  "), "hi");
        let long = "é".repeat(300);
        let b = body(&long);
        assert_eq!(b.chars().count(), 200);
        assert!(b.ends_with('…'));
        assert_eq!(summary("general", "Bob", None), "#general · Bob");
    }
}
