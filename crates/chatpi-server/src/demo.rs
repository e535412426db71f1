//! The demo data set: a few users and chats with some history, so a fresh
//! install has something to show. Seeding is idempotent.

use time::Duration;

use crate::{store::NewMessage, timestamp, Chat, Reaction, Result, Store, User};

/// The seeded users, by auth key and display name.
pub const USERS: &[(&str, &str)] = &[
    ("alice", "Alice Moreau"),
    ("bob", "Bob Okafor"),
    ("carol", "Carol Jensen"),
    ("dave", "Dave Kim"),
];

const GENERAL: &[(&str, &str)] = &[
    ("bob", "Morning all! Coffee machine on 3 is fixed."),
    ("carol", "Finally. I was about to start a petition."),
    (
        "alice",
        "Release notes for 0.4 are in the shared folder, reviews welcome.",
    ),
    ("dave", "Reading them now."),
    (
        "dave",
        "The section on reconnects reads well. Maybe a diagram?",
    ),
    ("alice", "Good idea, I'll sketch one after lunch."),
    (
        "bob",
        "Standup moved to 10:15 today, the big room is taken.",
    ),
    ("carol", "Thanks for the heads-up."),
    (
        "alice",
        "Does anyone have the link to the design review recording?",
    ),
    ("bob", "It's pinned in #design."),
    ("dave", "Heading out early, back online tonight."),
    ("carol", "Who's up for lunch at the noodle place?"),
    ("bob", "Me!"),
    ("alice", "Count me in, 12:30?"),
];

const RANDOM: &[(&str, &str)] = &[
    ("carol", "Anyone else watching the meteor shower tonight?"),
    ("dave", "If the clouds let us. Forecast says 60% cover."),
    ("bob", "I'll bring a thermos to the roof."),
];

const DESIGN: &[(&str, &str)] = &[
    ("alice", "New avatar colours are up for review."),
    ("bob", "The dark-mode greys look much better."),
    (
        "carol",
        "Can we keep the old accent for links? Contrast is nicer.",
    ),
    ("alice", "Sure, reverting just the link colour."),
];

/// What [`seed`] made (or found).
#[derive(Debug, Clone)]
pub struct Demo {
    pub users: Vec<User>,
    pub chats: Vec<Chat>,
}

/// Seeds the demo set unless it is there already.
pub fn seed(store: &Store) -> Result<Demo> {
    if store.user(USERS[0].0)?.is_none() {
        let mut keys = Vec::new();
        for (key, name) in USERS {
            store.upsert_user(key, name)?;
            keys.push((*key).to_owned());
        }
        let now = timestamp::now_naive();
        let general = store.create_chat("general", &keys)?;
        fill(store, &general.id, GENERAL, now - Duration::hours(3))?;
        let random = store.create_chat("random", &keys)?;
        fill(store, &random.id, RANDOM, now - Duration::hours(5))?;
        let design = store.create_chat("design", &keys[..3])?;
        fill(store, &design.id, DESIGN, now - Duration::hours(26))?;
    }
    let users = USERS
        .iter()
        .filter_map(|(key, _)| store.user(key).transpose())
        .collect::<Result<Vec<_>>>()?;
    let (chats, _) = store.chats_of(USERS[0].0)?;
    Ok(Demo { users, chats })
}

fn fill(
    store: &Store,
    chat_id: &str,
    lines: &[(&str, &str)],
    start: time::PrimitiveDateTime,
) -> Result<()> {
    let mut previous: Option<String> = None;
    for (i, (author, text)) in lines.iter().enumerate() {
        let at = timestamp::format_naive(start + Duration::minutes(7 * i as i64));
        // Every fifth line answers the one before it, so replies show up.
        let reply_target_id = if i % 5 == 4 { previous.clone() } else { None };
        let new = NewMessage {
            text: (*text).to_owned(),
            reply_target_id,
            custom_details: None,
        };
        let message = store.insert_message_at(chat_id, author, new, &at)?;
        if i % 3 == 0 {
            for (who, classifier) in [("bob", "LOVE"), ("carol", "LAUGH")] {
                if who != *author {
                    let reaction = Reaction {
                        reaction_target_id: message.id.clone(),
                        classifier: classifier.to_owned(),
                        user_auth_key: who.to_owned(),
                    };
                    store.insert_reaction(chat_id, &reaction)?;
                }
            }
        }
        previous = Some(message.id);
    }
    Ok(())
}
