//! Working days in Kazakhstan: the regulations give every deadline in working days (README, "The application flow" step 3:
//! "registered, with a due date").
//!
//! Days off are Saturdays, Sundays and the public holidays of the Law «On holidays in the Republic of
//! Kazakhstan» with fixed dates. When a national or state holiday falls on a Saturday or Sunday, the next working
//! day is off instead; religious holidays (Orthodox Christmas, Kurban ait) are not carried over. Kurban ait
//! follows the lunar calendar and the Government moves working days each year by decree, so those dates come
//! from configuration ([`WorkingCalendar::with_days_off`], [`WorkingCalendar::with_working_days`]).

use std::collections::BTreeSet;

use time::{Date, Month, Weekday};

/// Fixed-date holidays that are carried over to the next working day when they fall on a weekend.
const CARRIED_OVER: &[(Month, u8)] = &[
    (Month::January, 1),
    (Month::January, 2),
    (Month::March, 8),
    (Month::March, 21),
    (Month::March, 22),
    (Month::March, 23),
    (Month::May, 1),
    (Month::May, 7),
    (Month::May, 9),
    (Month::July, 6),
    (Month::August, 30),
    (Month::October, 25),
    (Month::December, 16),
];

/// Religious holidays with a fixed date: off, but not carried over.
const NOT_CARRIED_OVER: &[(Month, u8)] = &[(Month::January, 7)];

/// The longest deadline a caller may ask for: more than any regulation gives, small enough to compute at once.
pub(crate) const MAX_WORKING_DAYS: u32 = 366;

/// The working days of Kazakhstan: weekends and public holidays off, with decrees that move days.
#[derive(Debug, Clone, Default)]
pub struct WorkingCalendar {
    extra_days_off: BTreeSet<Date>,
    extra_working_days: BTreeSet<Date>,
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

impl WorkingCalendar {
    /// The statutory calendar, with no decree transfers.
    pub fn kazakhstan() -> Self {
        Self::default()
    }

    /// Adds days off announced separately (Kurban ait, days moved by decree).
    pub fn with_days_off(mut self, days: impl IntoIterator<Item = Date>) -> Self {
        self.extra_days_off.extend(days);
        self
    }

    /// Adds working days announced by decree (a Saturday worked in exchange for a bridge day).
    pub fn with_working_days(mut self, days: impl IntoIterator<Item = Date>) -> Self {
        self.extra_working_days.extend(days);
        self
    }

    /// The statutory days off of `year` that are not weekends, carry-overs included.
    fn holidays(year: i32) -> BTreeSet<Date> {
        let mut off = BTreeSet::new();
        let fixed = |&(m, d): &(Month, u8)| Date::from_calendar_date(year, m, d).ok();
        for day in NOT_CARRIED_OVER.iter().filter_map(fixed) {
            if !is_weekend(day) {
                off.insert(day);
            }
        }
        let days: Vec<Date> = CARRIED_OVER.iter().filter_map(fixed).collect();
        for &day in &days {
            if !is_weekend(day) {
                off.insert(day);
            }
        }
        // In date order, so 21–23 March on a weekend moves to the first free weekdays after it.
        for &day in &days {
            if is_weekend(day) {
                let mut next = day;
                while let Some(d) = next.next_day() {
                    next = d;
                    if !is_weekend(d) && !off.contains(&d) && !days.contains(&d) {
                        off.insert(d);
                        break;
                    }
                }
            }
        }
        off
    }

    /// Whether `day` is a working day.
    pub fn is_working_day(&self, day: Date) -> bool {
        if self.extra_working_days.contains(&day) {
            return true;
        }
        if self.extra_days_off.contains(&day) || is_weekend(day) {
            return false;
        }
        !Self::holidays(day.year()).contains(&day)
    }

    /// The `n`-th working day after `start` (the day of registration does not count). `None` when `n` exceeds
    /// [`MAX_WORKING_DAYS`] or the date leaves the calendar's range.
    pub fn add_working_days(&self, start: Date, n: u32) -> Option<Date> {
        if n > MAX_WORKING_DAYS {
            return None;
        }
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = day.next_day()?;
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        Some(day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn weekends_and_holidays_are_skipped() {
        let cal = WorkingCalendar::kazakhstan();
        // Friday 2026-11-20 + 1 working day = Monday 23rd.
        assert_eq!(
            cal.add_working_days(date!(2026 - 11 - 20), 1),
            Some(date!(2026 - 11 - 23))
        );
        // 16 December 2026 is a Wednesday: Independence Day.
        assert!(!cal.is_working_day(date!(2026 - 12 - 16)));
        assert_eq!(
            cal.add_working_days(date!(2026 - 12 - 15), 1),
            Some(date!(2026 - 12 - 17))
        );
        // 15 working days after Monday 23 November 2026: 24–27 | 30, 1–4 | 7–11 | 14 → Monday 14 December.
        assert_eq!(
            cal.add_working_days(date!(2026 - 11 - 23), 15),
            Some(date!(2026 - 12 - 14))
        );
        assert_eq!(
            cal.add_working_days(date!(2026 - 11 - 23), 0),
            Some(date!(2026 - 11 - 23))
        );
        assert_eq!(cal.add_working_days(date!(2026 - 11 - 23), 10_000), None);
    }

    #[test]
    fn weekend_holidays_are_carried_over() {
        let cal = WorkingCalendar::kazakhstan();
        // 2026: 21 March is a Saturday, 22 a Sunday, 23 a Monday → 24 and 25 March are off.
        for d in [
            date!(2026 - 03 - 23),
            date!(2026 - 03 - 24),
            date!(2026 - 03 - 25),
        ] {
            assert!(!cal.is_working_day(d), "{d}");
        }
        assert!(cal.is_working_day(date!(2026 - 03 - 26)));
        // 6 July 2025 is a Sunday → Monday 7 July is off.
        assert!(!cal.is_working_day(date!(2025 - 07 - 07)));
        // Orthodox Christmas on a Sunday (2024-01-07) is not carried over: Monday 8 works.
        assert!(cal.is_working_day(date!(2024 - 01 - 08)));
    }

    #[test]
    fn decrees_add_days_off_and_working_days() {
        let cal = WorkingCalendar::kazakhstan()
            .with_days_off([date!(2026 - 05 - 27)])
            .with_working_days([date!(2026 - 01 - 03)]);
        assert!(!cal.is_working_day(date!(2026 - 05 - 27)));
        assert!(cal.is_working_day(date!(2026 - 01 - 03)));
    }
}
