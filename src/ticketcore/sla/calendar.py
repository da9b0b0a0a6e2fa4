"""Business-hours arithmetic: when do N open minutes end, how many open minutes lie between two
instants. Pure and database-free, so any code can use it.

Opening hours are local wall-clock windows; open time is real elapsed time. A window is the set
of instants whose local wall-clock time lies inside it, so on a daylight-saving day a 09:00–17:00
window may be 7 or 9 real hours long, a wall-clock time skipped by the clocks has no instants,
and a repeated one counts twice.

How it stays fast: the calendar is turned, lazily and a few years at a time, into one sorted list
of open intervals in UTC microseconds with a running total of open time before each. Then
`add` and `minutes_between` are two binary searches, whatever the span: 8 hours or 1,000.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import InvalidInput

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_CHUNK_DAYS = 366 * 2  # how much of the calendar is laid out at a time
_MAX_YEARS = 60  # a deadline further away than this means the calendar is (nearly) never open


def _to_us(moment: datetime, field: str) -> int:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput("needs an aware datetime (with a time zone)", field=field)
    return (moment - _EPOCH) // _US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _parse_time(text: Any, where: str) -> int:
    """'09:30' → seconds after midnight; '24:00' allowed (the end of a day)."""
    match = _TIME.match(text) if isinstance(text, str) else None
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise InvalidInput(f"{text!r} is not a time of day (HH:MM, 00:00 to 24:00)", field=where)
    return int(match.group(1)) * 3600 + int(match.group(2)) * 60


@dataclass(frozen=True)
class _Holidays:
    dates: frozenset[date]
    yearly: frozenset[tuple[int, int]]  # (month, day): every year, not moved off weekends

    def __contains__(self, day: date) -> bool:
        return day in self.dates or (day.month, day.day) in self.yearly


class BusinessCalendar:
    """Opening hours in one time zone, with holidays. Build with `from_dict`.

    All methods take aware datetimes and return aware UTC datetimes; a naive datetime, an
    unknown zone or malformed hours raise `InvalidInput` naming the problem.
    """

    def __init__(
        self,
        timezone: str,
        hours: Mapping[str, Iterable[tuple[int, int]]],
        holidays: _Holidays,
        definition: dict[str, Any],
    ) -> None:
        self.timezone = timezone
        self.zone = ZoneInfo(timezone)
        self._hours = [tuple(hours.get(day, ())) for day in DAYS]
        self._holidays = holidays
        self._definition = definition
        # The laid-out calendar: open intervals [starts[k], ends[k]) in UTC microseconds, and
        # the open time before each (`before`) and up to its end (`upto`), from `_first_day`.
        self._first_day: date | None = None
        self._last_day: date | None = None  # exclusive
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._before: list[int] = []
        self._upto: list[int] = []

    # ------------------------------------------------------------------ building

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Build from `{"timezone": …, "hours": {"mon": [["09:00", "17:00"]], …}, "holidays": […]}`.

        Missing days are closed. Holidays are dates ("2026-12-25") or yearly days ("01-01").
        """
        if not isinstance(data, Mapping):
            raise InvalidInput("a calendar is a mapping with timezone, hours and holidays")
        unknown = set(data) - {"timezone", "hours", "holidays", "name"}
        if unknown:
            raise InvalidInput(f"unknown keys: {', '.join(sorted(unknown))}")
        zone_name = data.get("timezone")
        try:
            if not isinstance(zone_name, str) or not zone_name:
                raise ZoneInfoNotFoundError(zone_name)
            ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"unknown time zone {zone_name!r}", field="timezone") from None
        hours = cls._parse_hours(data.get("hours"))
        holidays = cls._parse_holidays(data.get("holidays", []))
        definition = {
            "timezone": zone_name,
            "hours": {day: [[_hhmm(a), _hhmm(b)] for a, b in hours.get(day, [])] for day in DAYS},
            "holidays": sorted(str(h) for h in data.get("holidays", [])),
        }
        return cls(zone_name, hours, holidays, definition)

    @staticmethod
    def _parse_hours(raw: Any) -> dict[str, list[tuple[int, int]]]:
        if not isinstance(raw, Mapping):
            raise InvalidInput("hours must map mon…sun to lists of [start, end]", field="hours")
        unknown = set(raw) - set(DAYS)
        if unknown:
            raise InvalidInput(
                f"unknown day {sorted(unknown)[0]!r} (use mon, tue, … sun)", field="hours"
            )
        parsed: dict[str, list[tuple[int, int]]] = {}
        for day in DAYS:
            windows = []
            for window in raw.get(day) or []:
                where = f"hours.{day}"
                if not isinstance(window, list | tuple) or len(window) != 2:
                    raise InvalidInput(f"{window!r} is not a [start, end] pair", field=where)
                start, end = _parse_time(window[0], where), _parse_time(window[1], where)
                if start == 86_400:
                    raise InvalidInput("24:00 can only end a window", field=where)
                if end <= start:
                    raise InvalidInput(
                        f"{window[0]}–{window[1]} ends before it starts", field=where
                    )
                windows.append((start, end))
            windows.sort()
            for (_, end1), (start2, _) in zip(windows, windows[1:], strict=False):
                if start2 < end1:
                    raise InvalidInput(f"windows overlap on {day}", field=f"hours.{day}")
            parsed[day] = windows
        if not any(parsed.values()):
            raise InvalidInput("the calendar is never open", field="hours")
        return parsed

    @staticmethod
    def _parse_holidays(raw: Any) -> _Holidays:
        if not isinstance(raw, list | tuple):
            raise InvalidInput("holidays must be a list of dates", field="holidays")
        dates, yearly = set(), set()
        for item in raw:
            text = str(item)
            try:
                if re.fullmatch(r"\d{2}-\d{2}", text):
                    month, day = int(text[:2]), int(text[3:])
                    date(2024, month, day)  # a leap year: 02-29 is a valid yearly holiday
                    yearly.add((month, day))
                else:
                    dates.add(date.fromisoformat(text) if isinstance(item, str) else item)
                    if not isinstance(item, str | date):
                        raise ValueError
            except (ValueError, TypeError):
                raise InvalidInput(
                    f"{item!r} is not a holiday (YYYY-MM-DD, or MM-DD every year)",
                    field="holidays",
                ) from None
        return _Holidays(frozenset(dates), frozenset(yearly))

    def to_dict(self) -> dict[str, Any]:
        """The definition in the form `from_dict` reads (for storing in the database)."""
        return {
            k: (v.copy() if isinstance(v, dict | list) else v) for k, v in self._definition.items()
        }

    # ------------------------------------------------------------------ questions

    def add(self, start: datetime, minutes: float) -> datetime:
        """The earliest instant `t` with exactly `minutes` open minutes in [start, t).

        It may be a closing time (17:00), not the next opening. `add(start, 0)` is `start` when
        open, else the next opening.
        """
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes < 0:
            raise InvalidInput("minutes must be a number, zero or more", field="minutes")
        t = _to_us(start, "start")
        if minutes == 0:
            return start.astimezone(UTC) if self._open_at(t) else _from_us(self._next_open(t))
        self._cover(t)
        target = self._open_before(t) + round(minutes * 60_000_000)
        while target > (self._upto[-1] if self._upto else 0):
            self._extend_forward()
            target = self._open_before(t) + round(minutes * 60_000_000)
        k = bisect.bisect_left(self._upto, target)
        return _from_us(self._starts[k] + (target - self._before[k]))

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Open minutes in [start, end); negative when `end` is before `start`."""
        a, b = _to_us(start, "start"), _to_us(end, "end")
        self._cover(min(a, b))
        self._cover(max(a, b))
        return (self._open_before(b) - self._open_before(a)) / 60_000_000

    def is_open(self, at: datetime) -> bool:
        return self._open_at(_to_us(at, "at"))

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when open, else the next instant the calendar opens ("back Monday 09:00")."""
        t = _to_us(at, "at")
        return at.astimezone(UTC) if self._open_at(t) else _from_us(self._next_open(t))

    def next_close(self, at: datetime) -> datetime:
        """The end of the open stretch containing (or next after) `at`."""
        t = _to_us(at, "at")
        start = t if self._open_at(t) else self._next_open(t)
        k = bisect.bisect_right(self._starts, start) - 1
        return _from_us(self._ends[k])

    # ------------------------------------------------------------------ the laid-out calendar

    def _open_at(self, t: int) -> bool:
        self._cover(t)
        k = bisect.bisect_right(self._starts, t) - 1
        return k >= 0 and t < self._ends[k]

    def _next_open(self, t: int) -> int:
        self._cover(t)
        while True:
            k = bisect.bisect_right(self._starts, t)
            if k < len(self._starts):
                return self._starts[k]
            self._extend_forward()

    def _open_before(self, t: int) -> int:
        """Open microseconds between the start of the laid-out range and `t` (t is covered)."""
        k = bisect.bisect_right(self._starts, t) - 1
        if k < 0:
            return 0
        return self._before[k] + min(t, self._ends[k]) - self._starts[k]

    def _cover(self, t: int) -> None:
        """Lay out enough days that the day containing `t` (and the next) is included."""
        day = _from_us(t).astimezone(self.zone).date()
        if self._first_day is None:
            self._layout(day - timedelta(days=7), day + timedelta(days=_CHUNK_DAYS))
            return
        while day - timedelta(days=2) < self._first_day:
            self._layout(self._first_day - timedelta(days=_CHUNK_DAYS), self._last_day)
        while day + timedelta(days=2) >= self._last_day:  # type: ignore[operator]
            self._extend_forward()

    def _extend_forward(self) -> None:
        assert self._first_day is not None and self._last_day is not None
        if (self._last_day - self._first_day).days > 366 * _MAX_YEARS:
            raise InvalidInput(
                "no such deadline within sixty years: the calendar is almost never open"
            )
        self._layout(self._first_day, self._last_day + timedelta(days=_CHUNK_DAYS))

    def _layout(self, first: date, last: date | None) -> None:
        """(Re)build the interval lists for local days [first, last)."""
        assert last is not None
        starts: list[int] = []
        ends: list[int] = []
        day = first
        while day < last:
            for a, b in self._day_intervals(day):
                if starts and a <= ends[-1]:  # touching or overlapping the previous: merge
                    ends[-1] = max(ends[-1], b)
                else:
                    starts.append(a)
                    ends.append(b)
            day += timedelta(days=1)
        before, upto, total = [], [], 0
        for a, b in zip(starts, ends, strict=True):
            before.append(total)
            total += b - a
            upto.append(total)
        self._first_day, self._last_day = first, last
        self._starts, self._ends, self._before, self._upto = starts, ends, before, upto

    def _day_intervals(self, day: date) -> list[tuple[int, int]]:
        """The instants (UTC µs) whose local wall-clock time falls in `day`'s windows."""
        if day in self._holidays:
            return []
        windows = self._hours[day.weekday()]
        if not windows:
            return []
        # Local midnight of `day` as if it were UTC; local wall time = UTC + offset.
        naive_midnight = (datetime(day.year, day.month, day.day, tzinfo=UTC) - _EPOCH) // _US
        result: list[tuple[int, int]] = []
        for seg_start, seg_end, offset in self._offset_segments(naive_midnight):
            for a, b in windows:
                lo = max(seg_start, naive_midnight + a * 1_000_000 - offset)
                hi = min(seg_end, naive_midnight + b * 1_000_000 - offset)
                if lo < hi:
                    result.append((lo, hi))
        result.sort()
        return result

    def _offset_segments(self, naive_midnight: int) -> list[tuple[int, int, int]]:
        """UTC stretches of constant UTC offset covering every instant of that local day."""
        lo = naive_midnight - 26 * _HOUR_US  # offsets lie within -26 h … +26 h
        hi = naive_midnight + _DAY_US + 26 * _HOUR_US
        step = 6 * _HOUR_US
        points = list(range(lo, hi, step)) + [hi]
        segments: list[tuple[int, int, int]] = []
        seg_start, offset = lo, self._offset(lo)
        for p, q in zip(points, points[1:], strict=False):
            if self._offset(q) == offset:
                continue
            # One change between p and q (zones never change twice in six hours): find it.
            left, right = p, q  # offset(left) == offset, offset(right) != offset
            while right - left > 1:  # to the microsecond: ~40 look-ups, twice a year, cached
                mid = (left + right) // 2
                if self._offset(mid) == offset:
                    left = mid
                else:
                    right = mid
            change = right
            segments.append((seg_start, change, offset))
            seg_start, offset = change, self._offset(change)
        segments.append((seg_start, hi, offset))
        return segments

    def _offset(self, us: int) -> int:
        stamp = _from_us(us).astimezone(self.zone)
        return (stamp.utcoffset() or timedelta()) // _US

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.timezone}>"


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


TWENTY_FOUR_SEVEN: dict[str, Any] = {
    "timezone": "UTC",
    "hours": {day: [["00:00", "24:00"]] for day in DAYS},
    "holidays": [],
}
