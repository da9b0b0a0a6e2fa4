"""Service levels in words people read: "We typically respond within 4 hours", "Billing answers
9 AM - 5 PM Eastern Time, Monday - Friday, except holidays; we are back Monday at 9:00 AM",
"Response by Tue, Nov 24, 2026, 2:30 PM EST".

The SLA maths (`calendar`) speaks open minutes and UTC instants; customers and agents need
sentences in their own language and time zone. Every locale-dependent piece — numbers with
units, times, day and zone names, list and range punctuation — comes from Babel's CLDR data, so
a new language needs only translations of the sentence templates below. They are marked with
`gettext_noop` (extract with `pybabel extract -k gettext_noop`) and looked up in one place,
`_translate`, which returns them unchanged until ticketcore ships message catalogs.

Pure functions: no database, no wall clock (callers pass `now`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import (
    format_interval,
    format_skeleton,
    format_time,
    get_datetime_format,
    get_day_names,
    get_time_format,
    get_timezone_gmt,
    get_timezone_name,
)
from babel.lists import format_list
from babel.units import format_unit

from ..errors import InvalidInput
from .calendar import DAYS, BusinessCalendar

__all__ = [
    "availability",
    "describe_duration",
    "format_deadline",
    "typical_response",
    "working_hours",
    "working_hours_line",
]


def gettext_noop(message: str) -> str:
    """Mark a sentence template for extraction; it is translated later, by `_translate`."""
    return message


# ---------------------------------------------------------------------------- sentence templates

WE_RESPOND = gettext_noop("We typically respond within {duration}")
TEAM_RESPONDS = gettext_noop("{team} typically responds within {duration}")
WE_ANSWER = gettext_noop("We answer {schedule}")
TEAM_ANSWERS = gettext_noop("{team} answers {schedule}")
AROUND_THE_CLOCK = gettext_noop("around the clock")
EXCEPT_HOLIDAYS = gettext_noop("{schedule}, except holidays")
# One set of days with the same hours ("9 AM - 5 PM Eastern Time, Monday - Friday").
HOURS_IN_ZONE_ON_DAYS = gettext_noop("{hours} {zone}, {days}")
EVERY_DAY = gettext_noop("every day")
# Several ("Monday - Friday 9 AM - 5 PM, Saturday 10 AM - 2 PM (Eastern Time)").
DAYS_AND_HOURS = gettext_noop("{days} {hours}")
SCHEDULES_IN_ZONE = gettext_noop("{schedules} ({zone})")
TIME_IN_ZONE = gettext_noop("{time} {zone}")
OPEN_ALWAYS = gettext_noop("open around the clock")
OPEN_NOW = gettext_noop("open now")
HOURS_THEN_AVAILABILITY = gettext_noop("{hours}; {availability}")


@dataclass(frozen=True)
class _Moment:
    """One sentence in four forms, by how far the moment is from today."""

    today: str
    tomorrow: str
    weekday: str  # two to six days ahead: the day name is unambiguous
    date: str


OPEN_UNTIL = _Moment(
    today=gettext_noop("open now until {time}"),
    tomorrow=gettext_noop("open now until tomorrow at {time}"),
    weekday=gettext_noop("open now until {weekday} at {time}"),
    date=gettext_noop("open now until {date} at {time}"),
)
BACK_AT = _Moment(
    today=gettext_noop("we are back today at {time}"),
    tomorrow=gettext_noop("we are back tomorrow at {time}"),
    weekday=gettext_noop("we are back {weekday} at {time}"),
    date=gettext_noop("we are back on {date} at {time}"),
)
DEADLINE_TODAY = gettext_noop("today, {time}")
DEADLINE_TOMORROW = gettext_noop("tomorrow, {time}")
DEADLINE_YESTERDAY = gettext_noop("yesterday, {time}")

_UTC_KEYS = frozenset({"UTC", "UCT", "GMT", "Greenwich", "Universal", "Zulu"})
_WEEK = 7
_DAY_MINUTES = 1440


# ---------------------------------------------------------------------------- public functions


def describe_duration(minutes: float, locale: str = "en") -> str:
    """A target duration as a person reads it: "15 minutes", "1 hour, 30 minutes", "2 days".

    Exact, unlike `babel.dates.format_timedelta`, which rounds 90 minutes to "2 hours": a
    promise must not sound faster than it is. Whole days are used only for multiples of 24
    hours ("25 hours", not "1 day, 1 hour"). A fraction of a minute rounds *up*, for the same
    reason; `minutes` must be more than zero.
    """
    loc = _locale(locale)
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        raise InvalidInput("minutes must be a number", field="minutes")
    if not math.isfinite(minutes) or minutes <= 0:
        raise InvalidInput("minutes must be more than zero", field="minutes")
    whole = max(1, -(-round(minutes * 60) // 60))  # to the second (float noise), then up
    if whole % _DAY_MINUTES == 0:
        parts = [(whole // _DAY_MINUTES, "duration-day")]
    else:
        hours, rest = divmod(whole, 60)
        parts = [
            (n, unit) for n, unit in ((hours, "duration-hour"), (rest, "duration-minute")) if n
        ]
    return format_list([_unit(n, unit, loc) for n, unit in parts], style="unit", locale=loc)


def typical_response(minutes: float, team: str | None = None, locale: str = "en") -> str:
    """ "We typically respond within 4 hours": sets a requester's expectation on the portal."""
    duration = describe_duration(minutes, locale)
    if team:
        return _render(TEAM_RESPONDS, locale, team=team, duration=duration)
    return _render(WE_RESPOND, locale, duration=duration)


def working_hours(
    calendar: BusinessCalendar, *, team: str | None = None, locale: str = "en"
) -> str:
    """The opening hours, in the calendar's own zone, so a requester knows when to expect work.

    Days with equal hours are grouped ("Monday - Friday"); different hours are listed one after
    another; "except holidays" appears only when the calendar has holidays.
    """
    loc = _locale(locale)
    week = _week(calendar)
    if _always_open(week):
        schedule = _render(AROUND_THE_CLOCK, locale)
    else:
        schedule = _schedule(week, calendar.zone, loc, locale)
    if calendar.to_dict()["holidays"]:
        schedule = _render(EXCEPT_HOLIDAYS, locale, schedule=schedule)
    if team:
        return _render(TEAM_ANSWERS, locale, team=team, schedule=schedule)
    return _render(WE_ANSWER, locale, schedule=schedule)


def availability(
    calendar: BusinessCalendar,
    now: datetime,
    *,
    viewer_timezone: str | None = None,
    locale: str = "en",
) -> str:
    """ "open now until 5:00 PM" or "we are back Monday at 9:00 AM": whether to wait for an answer.

    Times are in the viewer's zone when given (named when it is not the calendar's), else in the
    calendar's; "today", "tomorrow" and day names count days in that same zone, so the day and
    the time always belong together.
    """
    loc = _locale(locale)
    _aware(now, "now")
    zone = _zone(viewer_timezone) if viewer_timezone else calendar.zone
    named = zone.key != calendar.timezone
    if _always_open(_week(calendar)) and not calendar.to_dict()["holidays"]:
        return _render(OPEN_ALWAYS, locale)
    if calendar.is_open(now):
        try:
            close = calendar.next_close(now)
        except InvalidInput:  # open now and never closing again (a past holiday was the last)
            return _render(OPEN_NOW, locale)
        if close - now > timedelta(days=_WEEK):
            return _render(OPEN_NOW, locale)
        return _moment(OPEN_UNTIL, close, now, zone, named, loc, locale)
    return _moment(BACK_AT, calendar.next_open(now), now, zone, named, loc, locale)


def working_hours_line(
    calendar: BusinessCalendar,
    now: datetime,
    *,
    team: str | None = None,
    viewer_timezone: str | None = None,
    locale: str = "en",
) -> str:
    """The portal's one line: the hours, then whether someone is there now (which goes without
    saying for a desk that never closes)."""
    hours = working_hours(calendar, team=team, locale=locale)
    if _always_open(_week(calendar)) and not calendar.to_dict()["holidays"]:
        return hours
    return _render(
        HOURS_THEN_AVAILABILITY,
        locale,
        hours=hours,
        availability=availability(calendar, now, viewer_timezone=viewer_timezone, locale=locale),
    )


def format_deadline(
    when: datetime, viewer_timezone: str, locale: str = "en", now: datetime | None = None
) -> str:
    """A deadline ("Response by …") in the viewer's zone: "Tue, Nov 24, 2026, 2:30 PM EST".

    The zone's abbreviation is always shown, since the viewer's zone may be a guess and it tells
    summer from winter time. With `now`, nearby days read "yesterday", "today", "tomorrow" and
    the year is left out when it is the current one; without it the year is always shown.
    """
    loc = _locale(locale)
    zone = _zone(viewer_timezone)
    local = _aware(when, "when").astimezone(zone)
    clock = _render(
        TIME_IN_ZONE, locale, time=_time(local, loc), zone=_zone_abbreviation(local, loc)
    )
    if now is None:
        return _date_and_time(format_skeleton("yMMMEd", local, locale=loc), clock, loc)
    today = _aware(now, "now").astimezone(zone).date()
    relative = {-1: DEADLINE_YESTERDAY, 0: DEADLINE_TODAY, 1: DEADLINE_TOMORROW}
    days = (local.date() - today).days
    if days in relative:
        return _render(relative[days], locale, time=clock)
    skeleton = "MMMEd" if local.year == today.year else "yMMMEd"
    return _date_and_time(format_skeleton(skeleton, local, locale=loc), clock, loc)


# ---------------------------------------------------------------------------- translation seam


def _translate(template: str, locale: str) -> str:
    """The template in `locale`; unchanged until ticketcore ships message catalogs."""
    return template


def _render(template: str, locale: str, **values: str) -> str:
    return _translate(template, locale).format(**values)


# ---------------------------------------------------------------------------- checking input


@lru_cache(maxsize=64)
def _locale(identifier: str) -> Locale:
    try:
        return Locale.parse(identifier, sep="-" if "-" in str(identifier) else "_")
    except (UnknownLocaleError, ValueError, TypeError, AttributeError):
        raise InvalidInput(f"unknown locale {identifier!r}", field="locale") from None


def _zone(name: str) -> ZoneInfo:
    try:
        if not isinstance(name, str) or not name:
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}", field="timezone") from None


def _aware(moment: datetime, field: str) -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise InvalidInput("needs an aware datetime (with a time zone)", field=field)
    return moment


# ---------------------------------------------------------------------------- opening hours

_Windows = tuple[tuple[int, int], ...]  # (start, end) in minutes after local midnight


def _week(calendar: BusinessCalendar) -> list[_Windows]:
    """Monday … Sunday, touching windows merged ("09:00-12:00" + "12:00-17:00" is 9 to 5)."""
    hours = calendar.to_dict()["hours"]
    week: list[_Windows] = []
    for day in DAYS:
        merged: list[tuple[int, int]] = []
        for start, end in sorted((_minutes(a), _minutes(b)) for a, b in hours[day]):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        week.append(tuple(merged))
    return week


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _always_open(week: Sequence[_Windows]) -> bool:
    return all(day == ((0, _DAY_MINUTES),) for day in week)


def _schedule(week: Sequence[_Windows], zone: ZoneInfo, loc: Locale, locale: str) -> str:
    """ "9 AM - 5 PM Eastern Time, Monday - Friday", or several groups with the zone at the end."""
    groups = _day_groups(week, loc)
    skeleton = _interval_skeleton(week, loc)
    zone_name = _zone_name(zone, loc)
    if len(groups) == 1 and groups[0][1] != ((0, _DAY_MINUTES),):
        days, windows = groups[0]
        days_text = _render(EVERY_DAY, locale) if len(days) == _WEEK else _days(days, loc)
        hours = _hours(windows, skeleton, loc, locale)
        return _render(HOURS_IN_ZONE_ON_DAYS, locale, hours=hours, zone=zone_name, days=days_text)
    parts = [
        _render(
            DAYS_AND_HOURS, locale, days=_days(days, loc), hours=_hours(w, skeleton, loc, locale)
        )
        for days, w in groups
    ]
    schedules = format_list(parts, style="unit", locale=loc)
    return _render(SCHEDULES_IN_ZONE, locale, schedules=schedules, zone=zone_name)


def _day_groups(week: Sequence[_Windows], loc: Locale) -> list[tuple[list[int], _Windows]]:
    """Open days grouped by equal hours, each group's days in runs around the week.

    Runs may wrap (Sunday - Thursday); groups and runs are ordered from the locale's first
    day of the week.
    """
    first = loc.first_week_day
    by_hours: dict[_Windows, set[int]] = {}
    for day, windows in enumerate(week):
        if windows:
            by_hours.setdefault(windows, set()).add(day)
    groups = []
    for windows, days in by_hours.items():
        if len(days) == _WEEK:
            starts = [first]
        else:
            starts = sorted(
                (d for d in days if (d - 1) % _WEEK not in days), key=lambda d: (d - first) % _WEEK
            )
        ordered = [(s + i) % _WEEK for s in starts for i in range(_run_length(s, days))]
        groups.append((ordered, windows))
    return sorted(groups, key=lambda group: (group[0][0] - first) % _WEEK)


def _run_length(start: int, days: set[int]) -> int:
    length = 1
    while length < _WEEK and (start + length) % _WEEK in days:
        length += 1
    return length


def _days(days: list[int], loc: Locale) -> str:
    """ "Monday - Friday", "Saturday and Sunday", "Monday, Wednesday, and Friday"."""
    names = get_day_names("wide", context="stand-alone", locale=loc)
    items: list[str] = []
    run: list[int] = []
    for day in [*days, -1]:  # -1 ends the last run
        if run and day == (run[-1] + 1) % _WEEK:
            run.append(day)
            continue
        if len(run) >= 3:
            items.append(_range(names[run[0]], names[run[-1]], loc))
        else:
            items.extend(names[d] for d in run)
        run = [day]
    return format_list(items, locale=loc)


def _range(first: str, last: str, loc: Locale) -> str:
    pattern: str = loc.interval_formats[None]  # the locale's "{0} - {1}"
    return pattern.replace("{0}", first).replace("{1}", last)


def _hours(windows: _Windows, skeleton: str, loc: Locale, locale: str) -> str:
    """ "9 AM - 5 PM", "9 AM - 12 PM and 1 PM - 5 PM", or "around the clock"."""
    if windows == ((0, _DAY_MINUTES),):
        return _render(AROUND_THE_CLOCK, locale)
    spans = [format_interval(_clock(a), _clock(b), skeleton, locale=loc) for a, b in windows]
    return format_list(spans, locale=loc)


def _clock(minutes: int) -> time:
    return time((minutes // 60) % 24, minutes % 60)  # 24:00 reads as midnight


def _interval_skeleton(week: Sequence[_Windows], loc: Locale) -> str:
    """The locale's own clock (12- or 24-hour); 12-hour drops ":00" when every time is whole."""
    pattern = get_time_format("short", locale=loc).pattern
    if "h" not in pattern and "K" not in pattern:
        return "Hm"
    whole = all(m % 60 == 0 for day in week for window in day for m in window)
    return "h" if whole else "hm"


# ---------------------------------------------------------------------------- instants


def _moment(
    forms: _Moment,
    instant: datetime,
    now: datetime,
    zone: ZoneInfo,
    named: bool,
    loc: Locale,
    locale: str,
) -> str:
    """`instant` in one of `forms`, counting days from `now`'s date in `zone`."""
    local = instant.astimezone(zone)
    clock = _time(local, loc)
    if named:
        clock = _render(TIME_IN_ZONE, locale, time=clock, zone=_zone_name(zone, loc))
    days = (local.date() - now.astimezone(zone).date()).days
    if days <= 0:
        return _render(forms.today, locale, time=clock)
    if days == 1:
        return _render(forms.tomorrow, locale, time=clock)
    if days < _WEEK:
        weekday = get_day_names("wide", context="format", locale=loc)[local.weekday()]
        return _render(forms.weekday, locale, weekday=weekday, time=clock)
    skeleton = "MMMEd" if local.year == now.astimezone(zone).year else "yMMMEd"
    date_text = format_skeleton(skeleton, local, locale=loc)
    return _render(forms.date, locale, date=date_text, time=clock)


def _time(local: datetime, loc: Locale) -> str:
    return format_time(local, "short", tzinfo=local.tzinfo, locale=loc)


def _date_and_time(date_text: str, time_text: str, loc: Locale) -> str:
    """Joined the locale's way ("{1}, {0}"), as `babel.dates.format_datetime` does."""
    pattern = str(get_datetime_format("medium", locale=loc)).replace("'", "")
    return pattern.replace("{1}", date_text).replace("{0}", time_text)


def _zone_name(zone: ZoneInfo, loc: Locale) -> str:
    """ "Eastern Time": the generic name, right in summer and winter alike.

    UTC-like zones have no generic name (Babel says "Unknown Region (UTC) Time"); their
    specific name ("Coordinated Universal Time") never changes, so that one is used.
    """
    if zone.key.startswith("Etc/") or zone.key in _UTC_KEYS:
        return get_timezone_name(datetime(2000, 1, 1, tzinfo=zone), width="long", locale=loc)
    return get_timezone_name(zone, width="long", zone_variant="generic", locale=loc)


def _zone_abbreviation(local: datetime, loc: Locale) -> str:
    """ "EST" / "EDT", or "GMT+01:00" where the locale has no abbreviation (Babel gives "+0100")."""
    name = get_timezone_name(local, width="short", locale=loc)
    if name[:1] in "+-":
        return get_timezone_gmt(local, width="long", locale=loc)
    return name


def _unit(value: int, unit: str, loc: Locale) -> str:
    """ "4 hours". Some locales' long units are CLDR aliases of the short ones, which Babel does
    not follow (it answers "4 duration-hour"); the short form is the right one there.
    """
    text = format_unit(value, unit, length="long", locale=loc)
    if unit in text:
        text = format_unit(value, unit, length="short", locale=loc)
    return text
