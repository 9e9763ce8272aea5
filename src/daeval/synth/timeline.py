"""Days of the synthetic period, as integers, and their calendar parts.

Generation works in whole days counted from ``PERIOD_START`` (day 0 is 2019-04-01, see
``daeval.synth.calibration``), so dates are
plain integer arrays until they are written; negative days fall before the period (dates of
birth, addresses moved into earlier).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from daeval.synth.calibration import PERIOD_END, PERIOD_START, TWO_YEAR_WINDOW_END, financial_year

_EPOCH = date(1970, 1, 1)
START_EPOCH_DAY = (PERIOD_START - _EPOCH).days
"""PERIOD_START as days since 1970-01-01 (the Arrow date32 representation)."""


def day_of(d: date) -> int:
    """Day number of a calendar date (0 = PERIOD_START)."""
    return (d - PERIOD_START).days


END_DAY = day_of(PERIOD_END)
"""Last day of the period (2022-03-31)."""
YEAR_TWO_START = day_of(financial_year(1))
"""First day of the second financial year; re-referrals are measured from here."""
STEP_UP_WINDOW_END = day_of(TWO_YEAR_WINDOW_END)
"""Last day of the two-year window of vulnerable-person referrals (as Step Up counted them)."""
YEAR_DAYS = 365.25
ADULT_AGE_DAYS = int(18 * YEAR_DAYS)


def split_calendar(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1-12) and day of month (1-31) of each day number."""
    d = (days.astype(np.int64) + START_EPOCH_DAY).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    mday = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, mday


def compose_calendar(year: np.ndarray, month: np.ndarray, mday: np.ndarray) -> np.ndarray:
    """Day numbers of (year, month, day-of-month); days past a month's end roll into the next."""
    months = ((year - 1970) * 12 + (month - 1)).astype("timedelta64[M]")
    first = (np.datetime64("1970-01", "M") + months).astype("datetime64[D]")
    epoch_days = first.astype(np.int64) + (mday - 1)
    return (epoch_days - START_EPOCH_DAY).astype(np.int32)


def quarter_starts(first: date, last: date) -> list[date]:
    """First days of the calendar quarters from ``first``'s quarter up to ``last``."""
    out = []
    y, m = first.year, ((first.month - 1) // 3) * 3 + 1
    while date(y, m, 1) <= last:
        out.append(date(y, m, 1))
        m += 3
        if m > 12:
            y, m = y + 1, 1
    return out
