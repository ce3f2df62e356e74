//! When a number's next campaign message may go.
//!
//! Campaign messages enter the queue one at a time per number, whatever the
//! number of campaigns: the next is fed only once the last has left the
//! queue (sent or failed) and a gap has passed, drawn between the number's
//! bounds, longer after every run of `burst_size` messages, and never past
//! the hourly or daily cap. Single messages and replies are not paced here,
//! so they are never stuck behind a campaign: at most one campaign message
//! is ever ahead of them in the queue.

use chorus_shared::api::PacingSettings;
use chrono::{DateTime, Duration, Utc};

use crate::store::FeedHistory;

/// What the feeder should do for a number now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// A campaign message is in flight; feed when it has gone.
    AfterInFlight,
    /// Feed now.
    Now,
    /// Not before then.
    At(DateTime<Utc>),
}

/// The gap after the last campaign message: between the bounds by
/// `random` in [0, 1), at least the pause after every run of `burst_size`.
pub fn gap(settings: &PacingSettings, fed_total: i64, random: f64) -> Duration {
    let min = settings.min_gap_seconds.max(0) as f64;
    let max = settings
        .max_gap_seconds
        .max(settings.min_gap_seconds)
        .max(0) as f64;
    let seconds = min + (max - min) * random.clamp(0.0, 1.0);
    let gap = Duration::milliseconds((seconds * 1000.0) as i64);
    if settings.burst_size > 0 && fed_total > 0 && fed_total % settings.burst_size == 0 {
        gap.max(Duration::seconds(settings.burst_pause_seconds))
    } else {
        gap
    }
}

/// A number in [0, 1) drawn from a message id's random bits, so the gap
/// after a message is the same at every look (the feeder looks often).
/// The id is mixed whole (splitmix64's finaliser), as ids made in the same
/// millisecond differ only in a counter.
pub fn random_of(id: uuid::Uuid) -> f64 {
    let (high, low) = id.as_u64_pair();
    let mut bits = high ^ low.rotate_left(32);
    bits = (bits ^ (bits >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    bits = (bits ^ (bits >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    bits ^= bits >> 31;
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// When the next campaign message may be fed.
pub fn next_feed(settings: &PacingSettings, history: &FeedHistory, now: DateTime<Utc>) -> Feed {
    let at = |millis: i64| DateTime::<Utc>::from_timestamp_millis(millis).unwrap_or(now);
    let mut earliest = now;
    if let Some((id, in_flight, changed_at)) = history.last {
        if in_flight {
            return Feed::AfterInFlight;
        }
        earliest = earliest.max(at(changed_at) + gap(settings, history.fed_total, random_of(id)));
    }
    for release in [history.hour_release, history.day_release]
        .into_iter()
        .flatten()
    {
        earliest = earliest.max(at(release));
    }
    if earliest <= now {
        Feed::Now
    } else {
        Feed::At(earliest)
    }
}

/// When `remaining` more messages should have gone, the first at `next`:
/// the mean gap and the pauses, or the caps where they are slower.
pub fn estimate_finish(
    settings: &PacingSettings,
    remaining: u32,
    next: DateTime<Utc>,
) -> DateTime<Utc> {
    if remaining == 0 {
        return next;
    }
    let after_first = i64::from(remaining - 1);
    let mean_gap = (settings.min_gap_seconds
        + settings.max_gap_seconds.max(settings.min_gap_seconds)) as f64
        / 2.0;
    let pauses = after_first / settings.burst_size.max(1);
    let by_gaps = mean_gap * after_first as f64
        + (pauses * (settings.burst_pause_seconds - mean_gap as i64).max(0)) as f64;
    let by_hour = (after_first / settings.hourly_cap.max(1)) as f64 * 3600.0;
    let by_day = (after_first / settings.daily_cap.max(1)) as f64 * 86_400.0;
    next + Duration::seconds(by_gaps.max(by_hour).max(by_day) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> PacingSettings {
        PacingSettings {
            min_gap_seconds: 30,
            max_gap_seconds: 60,
            burst_size: 40,
            burst_pause_seconds: 210,
            hourly_cap: 60,
            daily_cap: 600,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn history(in_flight: bool, ago_s: i64, fed_total: i64) -> FeedHistory {
        FeedHistory {
            last: Some((
                uuid::Uuid::nil(),
                in_flight,
                (now() - Duration::seconds(ago_s)).timestamp_millis(),
            )),
            fed_total,
            hour_release: None,
            day_release: None,
        }
    }

    #[test]
    fn the_first_message_goes_at_once() {
        assert_eq!(
            next_feed(&settings(), &FeedHistory::default(), now()),
            Feed::Now
        );
    }

    #[test]
    fn one_message_in_flight_at_a_time() {
        assert_eq!(
            next_feed(&settings(), &history(true, 500, 3), now()),
            Feed::AfterInFlight
        );
    }

    #[test]
    fn a_gap_between_bounds_follows_each_message() {
        // The nil id draws 0: the shortest gap.
        assert_eq!(
            next_feed(&settings(), &history(false, 10, 3), now()),
            Feed::At(now() + Duration::seconds(20))
        );
        assert_eq!(
            next_feed(&settings(), &history(false, 31, 3), now()),
            Feed::Now
        );
        assert_eq!(gap(&settings(), 3, 0.5), Duration::seconds(45));
        assert_eq!(gap(&settings(), 3, 1.0), Duration::seconds(60));
    }

    #[test]
    fn a_run_of_messages_ends_in_a_pause() {
        assert_eq!(gap(&settings(), 40, 0.0), Duration::seconds(210));
        assert_eq!(gap(&settings(), 80, 0.9), Duration::seconds(210));
        assert_eq!(gap(&settings(), 41, 0.0), Duration::seconds(30));
    }

    #[test]
    fn caps_hold_the_next_message_until_a_place_frees() {
        let mut capped = history(false, 600, 3);
        let release = now() + Duration::minutes(7);
        capped.hour_release = Some(release.timestamp_millis());
        assert_eq!(next_feed(&settings(), &capped, now()), Feed::At(release));
        let later = now() + Duration::hours(5);
        capped.day_release = Some(later.timestamp_millis());
        assert_eq!(next_feed(&settings(), &capped, now()), Feed::At(later));
    }

    #[test]
    fn zero_gaps_send_back_to_back() {
        let fast = PacingSettings {
            min_gap_seconds: 0,
            max_gap_seconds: 0,
            burst_pause_seconds: 0,
            ..settings()
        };
        assert_eq!(next_feed(&fast, &history(false, 0, 40), now()), Feed::Now);
    }

    #[test]
    fn random_draws_spread_over_the_unit_interval() {
        let draws: Vec<f64> = (0..1000).map(|_| random_of(uuid::Uuid::now_v7())).collect();
        assert!(draws.iter().all(|r| (0.0..1.0).contains(r)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((0.4..0.6).contains(&mean), "{mean}");
    }

    #[test]
    fn the_finish_is_estimated_from_the_slowest_limit() {
        let next = now();
        assert_eq!(estimate_finish(&settings(), 1, next), next);
        // 10 messages: 9 gaps of 45 s.
        assert_eq!(
            estimate_finish(&settings(), 10, next),
            next + Duration::seconds(405)
        );
        // 601 messages: the hourly cap (60) is slower than the gaps.
        let by_cap = estimate_finish(&settings(), 601, next);
        assert!(by_cap >= next + Duration::hours(10), "{by_cap}");
    }
}
