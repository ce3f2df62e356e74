//! A message row's meta (`data-pre-plain-text`): who wrote it and
//! WhatsApp's time of it, `[HH:MM, DD/MM/YYYY] Name: ` in the host's own
//! locale and time zone.
//!
//! Locales write the date in different orders (`22/11/2026`, `11/22/2026`,
//! `2026-11-22`, `22.11.26`) and the time in 12 or 24 hours. A date that
//! reads both ways is taken the way that lands nearest before tomorrow: the
//! rows the host captures are recent.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// The host's clock and time zone, as its browser reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalClock {
    /// Now, in milliseconds since the epoch.
    pub now_ms: i64,
    /// Minutes to add to local time to get UTC (JavaScript's
    /// `Date.getTimezoneOffset()`: -60 in Paris in winter).
    pub utc_minus_local_minutes: i32,
}

impl LocalClock {
    /// A clock in UTC, for tests and hosts without a zone.
    pub fn utc(now_ms: i64) -> LocalClock {
        LocalClock {
            now_ms,
            utc_minus_local_minutes: 0,
        }
    }

    /// Local time now.
    pub fn local_now(self) -> NaiveDateTime {
        let utc = DateTime::<Utc>::from_timestamp_millis(self.now_ms).unwrap_or_default();
        utc.naive_utc() - Duration::minutes(i64::from(self.utc_minus_local_minutes))
    }

    /// A local time as UTC.
    pub fn to_utc(self, local: NaiveDateTime) -> DateTime<Utc> {
        (local + Duration::minutes(i64::from(self.utc_minus_local_minutes))).and_utc()
    }
}

/// The sender's name in a row's meta.
pub fn sender_in_meta(meta: &str) -> Option<String> {
    let (_, rest) = meta.split_once("] ")?;
    let name = rest.trim_end().strip_suffix(':').unwrap_or(rest).trim();
    (!name.is_empty()).then(|| name.to_owned())
}

/// WhatsApp's local time of a row, from its meta; `None` when the meta is
/// in a shape not known here.
pub fn time_in_meta(meta: &str, local_now: NaiveDateTime) -> Option<NaiveDateTime> {
    let inside = meta.trim().strip_prefix('[')?.split_once(']')?.0;
    let (time, date) = inside.split_once(',')?;
    let time = clock_time(time)?;
    let tomorrow = local_now.date() + Duration::days(1);
    dates(date.trim())
        .into_iter()
        .map(|date| date.and_time(time))
        .filter(|at| at.date() <= tomorrow)
        .max()
}

/// `21:05`, `9:05 pm`, `9:05 p.m.`, `09:05 AM`.
fn clock_time(text: &str) -> Option<NaiveTime> {
    let text = text.trim().to_lowercase().replace('.', "");
    let (digits, half) = if let Some(rest) = text.strip_suffix("am") {
        (rest.trim(), Some(false))
    } else if let Some(rest) = text.strip_suffix("pm") {
        (rest.trim(), Some(true))
    } else {
        (text.as_str(), None)
    };
    let (hours, minutes) = digits.split_once(':')?;
    let mut hours: u32 = hours.trim().parse().ok()?;
    let minutes: u32 = minutes.trim().parse().ok()?;
    if let Some(pm) = half {
        if !(1..=12).contains(&hours) {
            return None;
        }
        hours = hours % 12 + if pm { 12 } else { 0 };
    }
    NaiveTime::from_hms_opt(hours, minutes, 0)
}

/// The dates a written date may be, in any locale's order.
fn dates(text: &str) -> Vec<NaiveDate> {
    let parts: Vec<&str> = text
        .split(['/', '.', '-'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect();
    let [a, b, c] = parts[..] else {
        return vec![];
    };
    let number = |part: &str| part.parse::<i32>().ok();
    let (Some(na), Some(nb), Some(nc)) = (number(a), number(b), number(c)) else {
        return vec![];
    };
    let year = |value: i32, written: &str| {
        if written.len() <= 2 {
            2000 + value
        } else {
            value
        }
    };
    let date = |y: i32, m: i32, d: i32| {
        NaiveDate::from_ymd_opt(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?)
    };
    if a.len() == 4 {
        return date(na, nb, nc).into_iter().collect();
    }
    let y = year(nc, c);
    let mut found: Vec<NaiveDate> = [date(y, nb, na), date(y, na, nb)]
        .into_iter()
        .flatten()
        .collect();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn the_sender_follows_the_time() {
        assert_eq!(
            sender_in_meta("[12:00, 22/11/2026] Eli Stone: ").as_deref(),
            Some("Eli Stone")
        );
        assert_eq!(
            sender_in_meta("[9:05 am, 1/2/2026] +44 7400 000009: ").as_deref(),
            Some("+44 7400 000009")
        );
        assert_eq!(sender_in_meta("[12:00, 22/11/2026] : "), None);
        assert_eq!(sender_in_meta("no meta"), None);
    }

    #[test]
    fn times_in_every_locale_order() {
        let now = at(2026, 11, 22, 18, 0);
        let expected = Some(at(2026, 11, 22, 9, 5));
        for meta in [
            "[09:05, 22/11/2026] Ana: ",
            "[9:05 am, 11/22/2026] Ana: ",
            "[9:05 a.m., 22/11/2026] Ana: ",
            "[09:05, 2026-11-22] Ana: ",
            "[09:05, 22.11.26] Ana: ",
        ] {
            assert_eq!(time_in_meta(meta, now), expected, "{meta}");
        }
        assert_eq!(
            time_in_meta("[9:05 PM, 11/22/2026] ", now),
            Some(at(2026, 11, 22, 21, 5))
        );
        assert_eq!(
            time_in_meta("[12:30 am, 22/11/2026] ", now),
            Some(at(2026, 11, 22, 0, 30))
        );
    }

    #[test]
    fn a_date_that_reads_both_ways_is_the_recent_one() {
        // 03/04: 3 April or 4 March. On 5 March it can only be 4 March.
        let now = at(2026, 3, 5, 12, 0);
        assert_eq!(
            time_in_meta("[10:00, 03/04/2026] ", now),
            Some(at(2026, 3, 4, 10, 0))
        );
        // In May both have passed: the nearer, 3 April.
        let now = at(2026, 5, 1, 12, 0);
        assert_eq!(
            time_in_meta("[10:00, 03/04/2026] ", now),
            Some(at(2026, 4, 3, 10, 0))
        );
    }

    #[test]
    fn other_shapes_give_no_time() {
        let now = at(2026, 11, 22, 18, 0);
        for meta in [
            "",
            "Ana: ",
            "[yesterday] Ana: ",
            "[25:00, 22/11/2026] ",
            "[13:00 pm, 22/11/2026] ",
            "[10:00, 31/31/2026] ",
            "[10:00, 22/11] ",
            "[10:00, 22/11/2027] ",
        ] {
            assert_eq!(time_in_meta(meta, now), None, "{meta:?}");
        }
    }

    #[test]
    fn the_clock_turns_local_time_into_utc() {
        // 18:00 UTC is 19:00 in Paris in winter (offset -60).
        let paris = LocalClock {
            now_ms: at(2026, 11, 22, 18, 0).and_utc().timestamp_millis(),
            utc_minus_local_minutes: -60,
        };
        assert_eq!(paris.local_now(), at(2026, 11, 22, 19, 0));
        assert_eq!(
            paris.to_utc(at(2026, 11, 22, 9, 5)),
            at(2026, 11, 22, 8, 5).and_utc()
        );
    }
}
