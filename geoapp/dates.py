"""Days of the year written month-day ("03-15"), as festivals and opening seasons are: which are
real, and what date each is in a given year; and calendar days ("2015-03-15"), which are real
when the calendar has them.

A month-day is real when it is a day of a leap year: 02-29 is one (a festival may begin on it),
02-30 and 04-31 are not. In a year without 29 February, 02-29 is taken as 28 February. The
layer check refuses any other text (`geoapp.data.validate`), so no page meets a day it cannot
place in a calendar.
"""
from __future__ import annotations

import datetime as dt
import re

PATTERN = r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
DAY_PATTERN = r"\d{4}-\d{2}-\d{2}"   # a calendar day, "2015-03-15"
_DAY = re.compile(DAY_PATTERN)
_PATTERN = re.compile(PATTERN)
LEAP_YEAR = 2000


def month_day(text) -> tuple[int, int] | None:
    """(month, day) of a real month-day, or None for anything else."""
    if not isinstance(text, str) or not _PATTERN.fullmatch(text):
        return None
    month, day = int(text[:2]), int(text[3:])
    try:
        dt.date(LEAP_YEAR, month, day)
    except ValueError:
        return None
    return month, day


def day(text) -> dt.date | None:
    """The date of a real calendar day written "2015-03-15", or None for anything else (2015-02-29
    is not one)."""
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def in_year(text: str, year: int) -> dt.date:
    """The date month-day `text` falls on in `year` (02-29 on 28 February when `year` has none);
    ValueError for a month-day that is not real."""
    parsed = month_day(text)
    if parsed is None:
        raise ValueError(f"not a day of the year: {text!r}")
    month, day = parsed
    if (month, day) == (2, 29) and not _leap(year):
        day = 28
    return dt.date(year, month, day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
