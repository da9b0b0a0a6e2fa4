"""Business-hours arithmetic: when do N open minutes end, how many open minutes lie between two
instants. Pure and database-free, so any code can use it.

Opening hours are local wall-clock windows; open time is real elapsed time. A window is the set
of instants whose local wall-clock time lies inside it, so on a daylight-saving day a 09:00-17:00
window may be 7 or 9 real hours long, a wall-clock time skipped by the clocks has no instants,
and a repeated one counts twice. Holidays and weekdays are judged by the local date.

How it stays fast: time is cut into fixed blocks of UTC time (about 407 days each). A block is
laid out once, when first needed, as a sorted list of its open intervals in UTC microseconds
with the open time before each. `add` and `minutes_between` are then a binary search in the
first block, a step over whole blocks by their totals, and a binary search in the last: an
8-hour target and a 1,000-hour one cost nearly the same. Blocks depend only on the calendar and
their place in time, never on which questions came first, and a laid-out block is never changed,
so a calendar can be shared between threads.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import InvalidInput

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EPOCH_WEEKDAY = date(1970, 1, 1).weekday()
_US = timedelta(microseconds=1)
_MINUTE_US = 60_000_000
_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000
_TIME = re.compile(r"([01][0-9]|2[0-4]):([0-5][0-9])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEARLY = re.compile(r"([0-9]{2})-([0-9]{2})")

_BLOCK_SHIFT = 45  # a block is 2**45 µs of UTC time, about 407 days
_MAX_YEARS = 60  # no open time this far ahead means the calendar is (nearly) never open
_MAX_BLOCKS = (_MAX_YEARS * 366 * _DAY_US >> _BLOCK_SHIFT) + 1
# A zone's offset is sampled this often and the changes found by bisection: no zone changes
# its offset twice within six hours.
_OFFSET_STEP_US = 6 * _HOUR_US
# The first and last days a datetime can hold are left closed: their local times may not exist.
_FIRST_US = (datetime(1, 1, 3, tzinfo=UTC) - _EPOCH) // _US
_LAST_US = (datetime(9999, 12, 30, tzinfo=UTC) - _EPOCH) // _US


def _to_us(moment: Any, field: str) -> int:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput("needs an aware datetime (with a time zone)", field=field)
    return (moment - _EPOCH) // _US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _parse_time(text: Any, where: str) -> int:
    """'09:30' → microseconds after midnight; '24:00' allowed (the end of a day)."""
    match = _TIME.fullmatch(text) if isinstance(text, str) else None
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise InvalidInput(f"{text!r} is not a time of day (HH:MM, 00:00 to 24:00)", field=where)
    return (int(match.group(1)) * 60 + int(match.group(2))) * _MINUTE_US


def _hhmm(us: int) -> str:
    minutes = us // _MINUTE_US
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class _Holidays:
    dates: frozenset[date]
    yearly: frozenset[tuple[int, int]]  # (month, day): every year, not moved off weekends

    def __contains__(self, day: date) -> bool:
        return day in self.dates or (day.month, day.day) in self.yearly


class _Block(NamedTuple):
    """The open intervals [starts[k], ends[k]) of one block (UTC µs), disjoint and not
    touching, with the block's open time before each (`before`) and up to its end (`upto`)."""

    starts: list[int]
    ends: list[int]
    before: list[int]
    upto: list[int]
    total: int


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
        # By weekday (Monday 0): windows in µs after local midnight, sorted, not overlapping.
        self._hours = tuple(tuple(hours.get(day, ())) for day in DAYS)
        self._holidays = holidays
        self._definition = definition
        self._blocks: dict[int, _Block] = {}

    # ------------------------------------------------------------------ building

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Build from `{"timezone": …, "hours": {"mon": [["09:00", "17:00"]], …}, "holidays": […]}`.

        Missing days are closed. Holidays are dates ("2026-12-25") or yearly days ("01-01"),
        or `{"date": "2026-12-25", "name": "Christmas Day"}` where a person should read what
        the day is. An optional "name" is kept for `to_dict`. Nothing in `data` is changed.
        """
        if not isinstance(data, Mapping):
            raise InvalidInput("a calendar is a mapping with timezone, hours and holidays")
        unknown = set(data) - {"timezone", "hours", "holidays", "name"}
        if unknown:
            raise InvalidInput(f"unknown keys: {', '.join(sorted(map(str, unknown)))}")
        zone_name = data.get("timezone")
        try:
            if not isinstance(zone_name, str) or not zone_name:
                raise ZoneInfoNotFoundError(zone_name)
            ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory, say
            raise InvalidInput(f"unknown time zone {zone_name!r}", field="timezone") from None
        hours = cls._parse_hours(data.get("hours"))
        holidays, holiday_names = cls._parse_holidays(data.get("holidays", []))
        definition: dict[str, Any] = {}
        if "name" in data:
            if not isinstance(data["name"], str):
                raise InvalidInput("the name must be text", field="name")
            definition["name"] = data["name"]
        definition |= {
            "timezone": zone_name,
            "hours": {day: [[_hhmm(a), _hhmm(b)] for a, b in hours[day]] for day in DAYS},
            "holidays": [
                {"date": day, "name": holiday_names[day]} if day in holiday_names else day
                for day in sorted(f"{m:02d}-{d:02d}" for m, d in holidays.yearly)
                + sorted(day.isoformat() for day in holidays.dates)
            ],
        }
        return cls(zone_name, hours, holidays, definition)

    @staticmethod
    def _parse_hours(raw: Any) -> dict[str, list[tuple[int, int]]]:
        if not isinstance(raw, Mapping):
            raise InvalidInput("hours must map mon…sun to lists of [start, end]", field="hours")
        unknown = set(raw) - set(DAYS)
        if unknown:
            raise InvalidInput(
                f"unknown day {sorted(map(str, unknown))[0]!r} (use mon, tue, … sun)",
                field="hours",
            )
        parsed: dict[str, list[tuple[int, int]]] = {}
        for day in DAYS:
            where = f"hours.{day}"
            raw_windows = raw.get(day) or []
            if not isinstance(raw_windows, list | tuple):
                raise InvalidInput(
                    f"{raw_windows!r}: a day is a list of [start, end] pairs", field=where
                )
            windows = []
            for window in raw_windows:
                if not isinstance(window, list | tuple) or len(window) != 2:
                    raise InvalidInput(f"{window!r} is not a [start, end] pair", field=where)
                start, end = _parse_time(window[0], where), _parse_time(window[1], where)
                if start == _DAY_US:
                    raise InvalidInput("24:00 can only end a window", field=where)
                if end == start:
                    raise InvalidInput(f"{window[0]} to {window[1]} is empty", field=where)
                if end < start:
                    raise InvalidInput(
                        f"{window[0]} to {window[1]} ends before it starts", field=where
                    )
                windows.append((start, end))
            windows.sort()
            for (_, end1), (start2, _) in itertools.pairwise(windows):
                if start2 < end1:
                    raise InvalidInput(f"windows overlap on {day}", field=where)
            parsed[day] = windows
        if not any(parsed.values()):
            raise InvalidInput("the calendar is never open", field="hours")
        return parsed

    @staticmethod
    def _parse_holidays(raw: Any) -> tuple[_Holidays, dict[str, str]]:
        """The holidays, and the names of those that have one (by "YYYY-MM-DD" or "MM-DD")."""
        if not isinstance(raw, list | tuple):
            raise InvalidInput("holidays must be a list of dates", field="holidays")
        dates: set[date] = set()
        yearly: set[tuple[int, int]] = set()
        names: dict[str, str] = {}
        for entry in raw:
            item, name = entry, ""
            if isinstance(entry, Mapping):
                item, name = entry.get("date"), entry.get("name", "")
                if set(entry) - {"date", "name"} or not isinstance(name, str):
                    raise InvalidInput(
                        f"{entry!r}: a named holiday is {{'date': …, 'name': …}}",
                        field="holidays",
                    )
            try:
                if isinstance(item, datetime):  # a date with a time: which day, in which zone?
                    raise ValueError
                if isinstance(item, date):
                    dates.add(item)
                    key = item.isoformat()
                elif isinstance(item, str) and _DATE.fullmatch(item):
                    dates.add(date.fromisoformat(item))
                    key = item
                elif isinstance(item, str) and (match := _YEARLY.fullmatch(item)):
                    month, day = int(match.group(1)), int(match.group(2))
                    date(2024, month, day)  # a leap year: 02-29 is a valid yearly holiday
                    yearly.add((month, day))
                    key = item
                else:
                    raise ValueError
            except ValueError:
                raise InvalidInput(
                    f"{item!r} is not a holiday (YYYY-MM-DD, or MM-DD every year)",
                    field="holidays",
                ) from None
            if name.strip():
                names[key] = name.strip()
        return _Holidays(frozenset(dates), frozenset(yearly)), names

    def to_dict(self) -> dict[str, Any]:
        """The definition in the form `from_dict` reads (for storing in the database): times as
        HH:MM, all seven days, holidays sorted. A copy: changing it changes nothing here."""
        return copy.deepcopy(self._definition)

    # ------------------------------------------------------------------ questions

    def add(self, start: datetime, minutes: float) -> datetime:
        """The earliest instant `t` with exactly `minutes` open minutes in [start, t).

        It may be a closing time (17:00), not the next opening. `add(start, 0)` is `start` when
        open, else the next opening. Raises `InvalidInput` when the answer would be more than
        sixty years after `start`, or after the year 9999.
        """
        if (
            isinstance(minutes, bool)
            or not isinstance(minutes, int | float)
            or (isinstance(minutes, float) and not math.isfinite(minutes))
            or minutes < 0
        ):
            raise InvalidInput("minutes must be a number, zero or more", field="minutes")
        if minutes > _MAX_YEARS * 366 * 24 * 60:  # more than there is (and no float overflow)
            raise InvalidInput(_too_far(True, "the deadline would be"), field="minutes")
        t = _to_us(start, "start")
        need = round(minutes * _MINUTE_US)
        if need == 0:  # (also a sliver below a microsecond): never earlier than `start`
            return _from_us(self._next_open(t, "start"))
        index = t >> _BLOCK_SHIFT
        starts, ends, before, upto, total = self._block(index)
        k = bisect.bisect_right(starts, t) - 1
        if k >= 0:  # count from the start of the block
            need += before[k] + min(t, ends[k]) - starts[k]
        last = index + _MAX_BLOCKS
        while need > total:
            need -= total
            index += 1
            if index > last or index << _BLOCK_SHIFT > _LAST_US:
                raise InvalidInput(_too_far(index > last, "the deadline would be"), field="minutes")
            starts, _, before, upto, total = self._block(index)
        k = bisect.bisect_left(upto, need)
        return _from_us(starts[k] + need - before[k])

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Open minutes in [start, end); negative when `end` is before `start`.

        The first question about a stretch of time lays it out (about 3 ms per 400 days), so a
        span of centuries is slow once; spans of weeks or months cost a few microseconds.
        """
        a, b = _to_us(start, "start"), _to_us(end, "end")
        if b < a:
            return -self._open_us(b, a) / _MINUTE_US
        return self._open_us(a, b) / _MINUTE_US

    def is_open(self, at: datetime) -> bool:
        t = _to_us(at, "at")
        block = self._block(t >> _BLOCK_SHIFT)
        k = bisect.bisect_right(block.starts, t) - 1
        return k >= 0 and t < block.ends[k]

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when open, else the next instant the calendar opens ("back Monday 09:00")."""
        return _from_us(self._next_open(_to_us(at, "at"), "at"))

    def next_close(self, at: datetime) -> datetime:
        """The end of the open stretch containing (or next after) `at`.

        Raises `InvalidInput` when the calendar stays open for sixty years (24x7 never closes).
        """
        t = self._next_open(_to_us(at, "at"), "at")
        index = t >> _BLOCK_SHIFT
        starts, ends, *_ = self._block(index)
        end = ends[bisect.bisect_right(starts, t) - 1]
        last = index + _MAX_BLOCKS
        # A stretch may run on over the end of its block into the next.
        while end == (index + 1) << _BLOCK_SHIFT:
            index += 1
            if index > last:
                raise InvalidInput("the calendar never closes within sixty years", field="at")
            starts, ends, *_ = self._block(index)
            if not starts or starts[0] != end:
                break
            end = ends[0]
        return _from_us(end)

    # ------------------------------------------------------------------ the laid-out blocks

    def _open_us(self, a: int, b: int) -> int:
        """Open microseconds in [a, b), a <= b."""
        first, last = a >> _BLOCK_SHIFT, b >> _BLOCK_SHIFT
        block = self._block(first)
        if first == last:
            return _open_before(block, b) - _open_before(block, a)
        total = block.total - _open_before(block, a)
        for index in range(first + 1, last):
            total += self._block(index).total
        return total + _open_before(self._block(last), b)

    def _next_open(self, t: int, field: str) -> int:
        """`t` when open, else the next opening (µs)."""
        index = t >> _BLOCK_SHIFT
        starts, ends, *_ = self._block(index)
        k = bisect.bisect_right(starts, t)
        if k and t < ends[k - 1]:
            return t
        last = index + _MAX_BLOCKS
        while k == len(starts):
            index += 1
            if index > last or index << _BLOCK_SHIFT > _LAST_US:
                raise InvalidInput(
                    _too_far(index > last, "the calendar is never open: the next opening would be"),
                    field=field,
                )
            starts = self._block(index).starts
            k = 0
        return starts[k]

    def _block(self, index: int) -> _Block:
        block = self._blocks.get(index)
        if block is None:
            # Two threads may both lay out a block; they get equal ones, and either is kept.
            block = self._blocks[index] = self._layout(index)
        return block

    def _layout(self, index: int) -> _Block:
        """Every open instant of block `index`, found stretch of constant UTC offset by stretch:
        with the offset fixed, the local wall-clock time is just UTC time + offset."""
        lo = max(index << _BLOCK_SHIFT, _FIRST_US)
        hi = min((index + 1) << _BLOCK_SHIFT, _LAST_US)
        pieces: list[tuple[int, int]] = []
        for seg_lo, seg_hi, offset in self._offset_segments(lo, hi) if lo < hi else ():
            wall_lo, wall_hi = seg_lo + offset, seg_hi + offset  # wall time as if it were UTC
            for day_number in range(wall_lo // _DAY_US, (wall_hi - 1) // _DAY_US + 1):
                windows = self._hours[(day_number + _EPOCH_WEEKDAY) % 7]
                if not windows or date.fromordinal(_EPOCH_ORDINAL + day_number) in self._holidays:
                    continue
                midnight = day_number * _DAY_US
                for a, b in windows:
                    x, y = max(wall_lo, midnight + a), min(wall_hi, midnight + b)
                    if x < y:
                        pieces.append((x - offset, y - offset))
        # Sorted, because in a zone whose clocks go back over midnight the instants of one local
        # day can follow some of the next; then merged where they touch (12:00 | 12:00, 24:00).
        pieces.sort()
        starts: list[int] = []
        ends: list[int] = []
        for a, b in pieces:
            if ends and a <= ends[-1]:
                ends[-1] = max(ends[-1], b)
            else:
                starts.append(a)
                ends.append(b)
        before: list[int] = []
        upto: list[int] = []
        total = 0
        for a, b in zip(starts, ends, strict=True):
            before.append(total)
            total += b - a
            upto.append(total)
        return _Block(starts, ends, before, upto, total)

    def _offset_segments(self, lo: int, hi: int) -> list[tuple[int, int, int]]:
        """Stretches [from, to) of constant UTC offset (all µs) covering [lo, hi)."""
        segments: list[tuple[int, int, int]] = []
        seg_lo, offset = lo, self._offset(lo)
        left = lo
        while left < hi - 1:
            right = min(left + _OFFSET_STEP_US, hi - 1)
            if self._offset(right) == offset:
                left = right
                continue
            while right - left > 1:  # offset(left) == offset != offset(right)
                middle = (left + right) // 2
                if self._offset(middle) == offset:
                    left = middle
                else:
                    right = middle
            segments.append((seg_lo, right, offset))
            seg_lo, offset, left = right, self._offset(right), right
        segments.append((seg_lo, hi, offset))
        return segments

    def _offset(self, us: int) -> int:
        return (_from_us(us).astimezone(self.zone).utcoffset() or timedelta()) // _US

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.timezone}>"


def _open_before(block: _Block, t: int) -> int:
    """Open microseconds in `block` before `t`."""
    k = bisect.bisect_right(block.starts, t) - 1
    if k < 0:
        return 0
    return block.before[k] + min(t, block.ends[k]) - block.starts[k]


def _too_far(search_exhausted: bool, what: str) -> str:
    if search_exhausted:
        return f"{what} more than sixty years away"
    return f"{what} after the year 9999"


TWENTY_FOUR_SEVEN: dict[str, Any] = {
    "timezone": "UTC",
    "hours": {day: [["00:00", "24:00"]] for day in DAYS},
    "holidays": [],
}
