//! Pacing of hosted sends, so a shared number behaves like a person and not
//! like a bulk sender (WhatsApp bans numbers that look automated).
//!
//! Defaults follow published guidance for WhatsApp Web automation: a random
//! 30 to 60 s between messages to different people, and a longer pause
//! after every 40 sends. A reply into a conversation the customer wrote in
//! recently goes out promptly: that is what a person at the keyboard does.

use std::time::Duration;

use chorus_shared::api::PacingSettings;
use chorus_shared::limits;

/// How a host spaces its sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacing {
    /// Shortest wait before a message to someone else than the last one.
    pub min_gap: Duration,
    /// Longest such wait.
    pub max_gap: Duration,
    /// Wait before another message to the same person.
    pub same_chat_gap: Duration,
    /// After this many sends in a row...
    pub burst: u32,
    /// ...pause this long.
    pub burst_pause: Duration,
    /// A chat whose customer wrote within this long gets its reply at once.
    pub reply_window: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            min_gap: Duration::from_secs(limits::PACING_DEFAULT_MIN_SECONDS as u64),
            max_gap: Duration::from_secs(limits::PACING_DEFAULT_MAX_SECONDS as u64),
            same_chat_gap: Duration::from_secs(3),
            burst: 40,
            burst_pause: Duration::from_secs(210),
            reply_window: Duration::from_secs(15 * 60),
        }
    }
}

impl From<PacingSettings> for Pacing {
    /// The number's gaps and runs (set by its admins on the relay); the
    /// rest as by default.
    fn from(settings: PacingSettings) -> Self {
        let seconds = |s: i64| Duration::from_secs(s.max(0) as u64);
        Pacing {
            min_gap: seconds(settings.min_gap_seconds),
            max_gap: seconds(settings.max_gap_seconds.max(settings.min_gap_seconds)),
            burst: settings.burst_size.clamp(1, i64::from(u32::MAX)) as u32,
            burst_pause: seconds(settings.burst_pause_seconds),
            ..Pacing::default()
        }
    }
}

/// The host's last send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastSend {
    /// The chat it went to.
    pub chat: String,
    /// When it went (Unix ms).
    pub at_ms: i64,
    /// Sends since the last long pause, this one included.
    pub in_burst: u32,
}

/// The next send to plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextSend<'a> {
    /// Its chat.
    pub chat: &'a str,
    /// When the customer last wrote in that chat (Unix ms), if ever.
    pub last_incoming_ms: Option<i64>,
}

impl Pacing {
    /// How long to wait, from `now_ms`, before sending `next`. `random` is
    /// a number in [0, 1) that spreads the gap between its bounds.
    pub fn wait_before(
        &self,
        last: Option<&LastSend>,
        next: &NextSend<'_>,
        now_ms: i64,
        random: f64,
    ) -> Duration {
        let Some(last) = last else {
            return Duration::ZERO;
        };
        let replying = next
            .last_incoming_ms
            .is_some_and(|at| now_ms.saturating_sub(at) <= self.reply_window.as_millis() as i64);
        let gap = if replying {
            Duration::ZERO
        } else if last.chat == next.chat {
            self.same_chat_gap
        } else {
            let spread = self.max_gap.saturating_sub(self.min_gap);
            self.min_gap + spread.mul_f64(random.clamp(0.0, 1.0))
        };
        let gap = if last.in_burst >= self.burst && !replying {
            gap.max(self.burst_pause)
        } else {
            gap
        };
        let elapsed = Duration::from_millis(now_ms.saturating_sub(last.at_ms).max(0) as u64);
        gap.saturating_sub(elapsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000_000;

    fn last(chat: &str, ago_s: i64, in_burst: u32) -> LastSend {
        LastSend {
            chat: chat.into(),
            at_ms: NOW - ago_s * 1000,
            in_burst,
        }
    }

    fn to(chat: &str) -> NextSend<'_> {
        NextSend {
            chat,
            last_incoming_ms: None,
        }
    }

    #[test]
    fn the_first_send_goes_at_once() {
        assert_eq!(
            Pacing::default().wait_before(None, &to("a"), NOW, 0.5),
            Duration::ZERO
        );
    }

    #[test]
    fn different_people_are_spaced_randomly_within_bounds() {
        let pacing = Pacing::default();
        let previous = last("a", 0, 1);
        assert_eq!(
            pacing.wait_before(Some(&previous), &to("b"), NOW, 0.0),
            Duration::from_secs(30)
        );
        assert_eq!(
            pacing.wait_before(Some(&previous), &to("b"), NOW, 0.5),
            Duration::from_secs(45)
        );
        assert_eq!(
            pacing.wait_before(Some(&previous), &to("b"), NOW, 7.0),
            Duration::from_secs(60)
        );
        let earlier = last("a", 20, 1);
        assert_eq!(
            pacing.wait_before(Some(&earlier), &to("b"), NOW, 0.0),
            Duration::from_secs(10),
            "time already passed counts"
        );
    }

    #[test]
    fn replies_to_a_customer_who_just_wrote_go_promptly() {
        let pacing = Pacing::default();
        let next = NextSend {
            chat: "b",
            last_incoming_ms: Some(NOW - 60_000),
        };
        assert_eq!(
            pacing.wait_before(Some(&last("a", 0, 50)), &next, NOW, 0.9),
            Duration::ZERO
        );
        let stale = NextSend {
            chat: "b",
            last_incoming_ms: Some(NOW - 3_600_000),
        };
        assert!(
            pacing.wait_before(Some(&last("a", 0, 1)), &stale, NOW, 0.0) >= Duration::from_secs(30)
        );
    }

    #[test]
    fn an_organization_sets_its_own_gaps() {
        let pacing = Pacing::from(PacingSettings {
            min_gap_seconds: 5,
            max_gap_seconds: 10,
            ..PacingSettings::default()
        });
        let previous = last("a", 0, 1);
        assert_eq!(
            pacing.wait_before(Some(&previous), &to("b"), NOW, 1.0),
            Duration::from_secs(10)
        );
        assert_eq!(Pacing::from(PacingSettings::default()), Pacing::default());
    }

    #[test]
    fn a_long_run_of_sends_takes_a_pause() {
        let pacing = Pacing::default();
        assert_eq!(
            pacing.wait_before(Some(&last("a", 0, 40)), &to("b"), NOW, 0.0),
            Duration::from_secs(210)
        );
        assert_eq!(
            pacing.wait_before(Some(&last("a", 0, 3)), &to("a"), NOW, 0.0),
            Duration::from_secs(3),
            "the same person again: a short gap"
        );
    }
}
