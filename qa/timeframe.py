"""Relative time in questions ("this week", "last Friday", "3 days ago"), read against ``as_of``."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUM = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
# "Recently": on the RealTime QA tune split, the newest article holding the answer to a question
# saying "recent(ly)" was 1-5 days older than the question for 8 of 9, 44 days for the last.
RECENT_DAYS = 60
_PATTERN = re.compile(
    r"\b(?:(?P<simple>today|tonight|yesterday|recently|lately|this (?:past )?(?:week|month|year)|last (?:week|month|year)"
    r"|(?:the )?past (?:week|month|year))"
    r"|(?P<rel>last|this|past|on) (?P<day>" + "|".join(_DAYS) + r")"
    r"|(?P<n>\d+|" + "|".join(_NUM) + r") (?P<unit>day|week|month|year)s? ago"
    r"|(?:the )?(?:past|last) (?P<n2>\d+|" + "|".join(_NUM) + r") (?P<unit2>day|week|month|year)s)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TimeFrame:
    """The period a question asks about: articles published from ``since`` to ``until``."""

    phrase: str
    since: dt.date
    until: dt.date
    # "on Monday": a question repeating an article's own weekday ("Did the port reopen on Monday?")
    # may mean that article's Monday, not the last one before as_of.
    weekday: bool = False

    @property
    def label(self) -> str:
        span = self.since.isoformat() if self.since == self.until else f"{self.since} to {self.until}"
        return f"{self.phrase!r} = {span}"


def resolve(question: str, as_of: dt.date | None = None) -> TimeFrame | None:
    """The first relative time phrase in ``question`` as a date range ending at ``as_of`` (default today).

    The range starts where the period starts; news about it is published then or later.
    """
    m = next((m for m in _PATTERN.finditer(question) if not _in_name(question, m.start())), None)
    if not m:
        return None
    today = as_of or dt.date.today()
    phrase = m.group(0)
    if m.group("simple"):
        since = _simple(m.group("simple").lower(), today)
    elif m.group("day"):
        since = _weekday(m.group("rel").lower(), _DAYS.index(m.group("day").lower()), today)
    else:
        n, unit = (m.group("n"), m.group("unit")) if m.group("n") else (m.group("n2"), m.group("unit2"))
        count = int(n) if n.isdigit() else _NUM[n.lower()]
        since = today - dt.timedelta(days=count * _UNIT_DAYS[unit.lower()])
    return TimeFrame(phrase, min(since, today), today, weekday=bool(m.group("day")))


def _in_name(text: str, at: int) -> bool:
    """Whether the phrase starting at ``at`` is capitalised in mid-sentence: part of a name ("USA
    TODAY celebrated ...", "the Today show"), not a time."""
    before = text[:at].rstrip()
    return text[at].isupper() and bool(before) and before[-1] not in ".!?:;\"'“("


def _simple(phrase: str, today: dt.date) -> dt.date:
    phrase = phrase.removeprefix("the ")
    if phrase in ("today", "tonight"):
        return today
    if phrase in ("recently", "lately"):
        return today - dt.timedelta(days=RECENT_DAYS)
    if phrase == "yesterday":
        return today - dt.timedelta(days=1)
    unit = phrase.split()[-1]
    if phrase.startswith("past") or "past" in phrase:
        return today - dt.timedelta(days=_UNIT_DAYS[unit])
    start = {"week": today - dt.timedelta(days=today.weekday()), "month": today.replace(day=1),
             "year": today.replace(month=1, day=1)}[unit]
    if phrase.startswith("last"):
        start = {"week": start - dt.timedelta(days=7), "month": (start - dt.timedelta(days=1)).replace(day=1),
                 "year": start.replace(year=start.year - 1)}[unit]
    return start


def _weekday(rel: str, day: int, today: dt.date) -> dt.date:
    back = (today.weekday() - day) % 7
    # "last Friday" said on a Friday means a week ago; "on Friday" / "this Friday" may be today.
    if rel == "last" and back == 0:
        back = 7
    return today - dt.timedelta(days=back)
