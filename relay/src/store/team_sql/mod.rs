//! What the teamwork stores' SQL shares: cutting the change feed at one
//! cursor, search patterns, and how group members and bulk statements are
//! bounded.

use chorus_shared::team::{ChangePage, FeedCursor};

/// Cuts four feeds at one cursor that misses nothing: a kind that returned
/// more than `limit` rows limits the cursor to its `limit`-th row; rows past
/// the cursor are left for the next page.
pub(crate) fn cut_feed(mut page: ChangePage, after: FeedCursor, limit: i64) -> ChangePage {
    let limit = limit.max(1) as usize;
    let chats: Vec<FeedCursor> = page.chats.iter().map(|c| key(c.seq, c.id)).collect();
    let comments: Vec<FeedCursor> = page.comments.iter().map(|c| key(c.seq, c.id)).collect();
    let contacts: Vec<FeedCursor> = page.contacts.iter().map(|c| key(c.seq, c.id)).collect();
    let files: Vec<FeedCursor> = page.files.iter().map(|f| key(f.seq, f.file.id)).collect();
    let kinds = [&chats, &comments, &contacts, &files];
    let more = kinds.iter().any(|keys| keys.len() > limit);
    let cursor = if more {
        kinds
            .iter()
            .filter(|keys| keys.len() > limit)
            .map(|keys| keys[limit - 1])
            .min()
            .unwrap_or(after)
    } else {
        kinds
            .iter()
            .filter_map(|keys| keys.last().copied())
            .max()
            .unwrap_or(after)
    };
    page.chats.retain(|c| key(c.seq, c.id) <= cursor);
    page.comments.retain(|c| key(c.seq, c.id) <= cursor);
    page.contacts.retain(|c| key(c.seq, c.id) <= cursor);
    page.files.retain(|f| key(f.seq, f.file.id) <= cursor);
    page.cursor = cursor.to_string();
    page.more = more;
    page
}

fn key(seq: i64, id: uuid::Uuid) -> FeedCursor {
    FeedCursor { seq, id }
}

/// `%text%` for `LIKE … ESCAPE '\'`, lower-cased.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The digits of a search, for matching numbers written any way.
pub(crate) fn digits_pattern(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    (!digits.is_empty()).then(|| format!("%{digits}%"))
}

/// A group's member names as stored (one a line); `None` when the host saw
/// none, so what was stored before stays.
pub(crate) fn participant_lines(names: &[String]) -> Option<String> {
    (!names.is_empty()).then(|| names.join("\n"))
}

/// Bulk statements bind at most this many ids each (SQLite allows 32,766
/// parameters per statement).
pub(crate) const IDS_PER_STATEMENT: usize = 10_000;
