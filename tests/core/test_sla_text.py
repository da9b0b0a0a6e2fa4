"""The SLA sentences customers read, exactly as they read them (English, German, other zones).

Babel's CLDR data puts a narrow no-break space before AM/PM (N) and thin spaces around range
dashes (D); the expected strings spell them out, because that is what the portal shows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ticketcore import InvalidInput
from ticketcore.sla import TWENTY_FOUR_SEVEN, BusinessCalendar, text
from ticketcore.sla.text import (
    availability,
    describe_duration,
    format_deadline,
    typical_response,
    working_hours,
    working_hours_line,
)

N = "\u202f"  # before AM/PM
EN_DASH = "\u2013"  # bare in 24-hour ranges (09:00-17:00)
D = f"\u2009{EN_DASH}\u2009"  # elsewhere between thin spaces
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def calendar(hours, holidays=(), timezone="America/New_York"):
    return BusinessCalendar.from_dict(
        {"timezone": timezone, "hours": hours, "holidays": list(holidays)}
    )


def weekdays(*windows):
    return {day: [list(w) for w in windows] for day in WEEKDAYS}


@pytest.fixture
def billing():
    """9 to 5, Monday to Friday, New York; Christmas 2026 and every New Year's Day off."""
    return calendar(weekdays(("09:00", "17:00")), holidays=["2026-12-25", "01-01"])


def ny(*args):
    return datetime(*args, tzinfo=NEW_YORK)


# ---------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (1, "1 minute"),
        (15, "15 minutes"),
        (60, "1 hour"),
        (240, "4 hours"),
        (90, "1 hour, 30 minutes"),  # exact: format_timedelta would say "2 hours"
        (1440, "1 day"),
        (2880, "2 days"),
        (1500, "25 hours"),  # days only for whole days
        (0.5, "1 minute"),  # never promise faster than the target
        (59.5, "1 hour"),
        (240.000000001, "4 hours"),  # float noise is not a minute more
    ],
)
def test_durations_in_english(minutes, expected):
    assert describe_duration(minutes) == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(1, "1 Minute"), (240, "4 Stunden"), (90, "1 Stunde, 30 Minuten"), (2880, "2 Tage")],
)
def test_durations_in_german(minutes, expected):
    assert describe_duration(minutes, "de") == expected


def test_locales_whose_long_units_alias_the_short_ones():
    # CLDR makes Japanese long units an alias of the short ones; Babel alone says "duration-hour"
    assert describe_duration(240, "ja") == "4 時間"


@pytest.mark.parametrize("minutes", [0, -5, float("nan"), float("inf"), True, "4"])
def test_a_duration_must_be_a_positive_number(minutes):
    with pytest.raises(InvalidInput) as caught:
        describe_duration(minutes)
    assert list(caught.value.errors) == ["minutes"]


@pytest.mark.parametrize("locale", ["xx", "", "not a locale"])
def test_unknown_locales_are_invalid_input(locale):
    with pytest.raises(InvalidInput) as caught:
        describe_duration(15, locale)
    assert list(caught.value.errors) == ["locale"]


def test_locales_may_use_a_hyphen():
    assert describe_duration(240, "de-DE") == "4 Stunden"


def test_typical_response():
    assert typical_response(240) == "We typically respond within 4 hours"
    assert typical_response(15, team="Billing") == "Billing typically responds within 15 minutes"
    assert typical_response(90, "Billing") == (
        "Billing typically responds within 1 hour, 30 minutes"
    )


# ---------------------------------------------------------------------------- working hours


def test_nine_to_five_on_weekdays_with_holidays(billing):
    assert working_hours(billing, team="Billing") == (
        f"Billing answers 9{N}AM{D}5{N}PM Eastern Time, Monday{D}Friday, except holidays"
    )
    assert working_hours(billing) == (
        f"We answer 9{N}AM{D}5{N}PM Eastern Time, Monday{D}Friday, except holidays"
    )


def test_except_holidays_only_when_there_are_holidays():
    assert working_hours(calendar(weekdays(("09:00", "17:00")))) == (
        f"We answer 9{N}AM{D}5{N}PM Eastern Time, Monday{D}Friday"
    )


def test_a_twenty_four_hour_locale_keeps_its_clock(billing):
    assert working_hours(billing, locale="en_GB") == (
        f"We answer 09:00{EN_DASH}17:00 Eastern Time, Monday{D}Friday, except holidays"
    )


def test_minutes_are_shown_when_a_time_is_not_on_the_hour():
    hours = weekdays(("08:30", "16:00"))
    assert working_hours(calendar(hours)) == (
        f"We answer 8:30{N}AM{D}4:00{N}PM Eastern Time, Monday{D}Friday"
    )


def test_split_shifts():
    split = calendar(weekdays(("09:00", "12:00"), ("13:00", "17:00")))
    # CLDR writes "1 - 5 PM" when both ends share PM
    assert working_hours(split, team="Billing") == (
        f"Billing answers 9{N}AM{D}12{N}PM and 1{D}5{N}PM Eastern Time, Monday{D}Friday"
    )


def test_touching_windows_read_as_one():
    joined = calendar(weekdays(("09:00", "12:00"), ("12:00", "17:00")))
    assert working_hours(joined) == f"We answer 9{N}AM{D}5{N}PM Eastern Time, Monday{D}Friday"


def test_saturday_hours_are_listed_after_the_week(billing):
    hours = weekdays(("09:00", "17:00")) | {"sat": [["10:00", "14:00"]]}
    assert working_hours(calendar(hours, ["01-01"]), team="Billing") == (
        f"Billing answers Monday{D}Friday 9{N}AM{D}5{N}PM, Saturday 10{N}AM{D}2{N}PM"
        " (Eastern Time), except holidays"
    )


def test_scattered_days_and_whole_days():
    hours = {
        "mon": [["09:00", "17:00"]],
        "wed": [["09:00", "17:00"]],
        "fri": [["09:00", "17:00"]],
        "sat": [["00:00", "24:00"]],
        "sun": [["00:00", "24:00"]],
    }
    assert working_hours(calendar(hours, timezone="Europe/Berlin")) == (
        f"We answer Monday, Wednesday, and Friday 9{N}AM{D}5{N}PM,"
        " Saturday and Sunday around the clock (Central European Time)"
    )


def test_a_week_may_wrap_around_sunday():
    hours = {day: [["08:00", "16:00"]] for day in ("sun", "mon", "tue", "wed", "thu")}
    assert working_hours(calendar(hours, timezone="Asia/Dubai")) == (
        f"We answer 8{N}AM{D}4{N}PM United Arab Emirates Time, Sunday{D}Thursday"
    )


def test_the_same_hours_every_day():
    hours = {day: [["08:00", "20:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    assert working_hours(calendar(hours, timezone="Europe/Berlin")) == (
        f"We answer 8{N}AM{D}8{N}PM Central European Time, every day"
    )


def test_twenty_four_seven_in_any_zone():
    always = {
        day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    assert working_hours(BusinessCalendar.from_dict(TWENTY_FOUR_SEVEN)) == (
        "We answer around the clock"
    )
    assert working_hours(calendar(always), team="Billing") == "Billing answers around the clock"
    assert working_hours(calendar(always, ["12-25"])) == (
        "We answer around the clock, except holidays"
    )


def test_utc_is_named_properly():
    hours = weekdays(("09:00", "17:00"))
    assert working_hours(calendar(hours, timezone="UTC")) == (
        f"We answer 9{N}AM{D}5{N}PM Coordinated Universal Time, Monday{D}Friday"
    )


def test_working_hours_in_german_take_babels_words(billing):
    # No catalog yet: the sentence frame stays English, every Babel piece is German.
    assert working_hours(billing, team="Billing", locale="de") == (
        f"Billing answers 09:00{EN_DASH}17:00 Uhr Nordamerikanische Ostküstenzeit,"
        f" Montag{D}Freitag, except holidays"
    )


# ---------------------------------------------------------------------------- availability


def test_on_a_saturday_we_are_back_monday(billing):
    assert availability(billing, ny(2026, 11, 28, 11, 0)) == f"we are back Monday at 9:00{N}AM"


def test_in_the_evening_we_are_back_tomorrow(billing):
    assert availability(billing, ny(2026, 11, 24, 18, 0)) == f"we are back tomorrow at 9:00{N}AM"


def test_early_in_the_morning_we_are_back_today(billing):
    assert availability(billing, ny(2026, 11, 24, 7, 0)) == f"we are back today at 9:00{N}AM"


def test_open_now_until_five(billing):
    assert availability(billing, ny(2026, 11, 24, 11, 0)) == f"open now until 5:00{N}PM"


def test_back_after_lunch():
    split = calendar(weekdays(("09:00", "12:00"), ("13:00", "17:00")))
    assert availability(split, ny(2026, 11, 24, 12, 30)) == f"we are back today at 1:00{N}PM"


@pytest.mark.parametrize("now", [ny(2026, 12, 24, 18, 0), ny(2026, 12, 25, 10, 0)])
def test_christmas_day_is_a_holiday_so_we_are_back_monday(billing, now):
    # Friday, December 25, 2026 is closed: the next opening is Monday, December 28.
    assert availability(billing, now) == f"we are back Monday at 9:00{N}AM"


def test_a_long_closure_names_the_date():
    mondays = calendar({"mon": [["09:00", "17:00"]]}, ["2026-12-28", "2027-01-04"])
    assert availability(mondays, ny(2026, 12, 30, 12, 0)) == (
        f"we are back on Mon, Jan 11, 2027 at 9:00{N}AM"
    )
    assert availability(mondays, ny(2027, 1, 2, 12, 0)) == (
        f"we are back on Mon, Jan 11 at 9:00{N}AM"
    )


def test_open_past_midnight_until_tomorrow():
    night = calendar({"mon": [["22:00", "24:00"]], "tue": [["00:00", "06:00"]]})
    assert availability(night, ny(2026, 11, 23, 23, 0)) == (f"open now until tomorrow at 6:00{N}AM")


def test_always_open():
    always = BusinessCalendar.from_dict(TWENTY_FOUR_SEVEN)
    assert availability(always, ny(2026, 11, 28, 3, 0)) == "open around the clock"


def test_open_for_more_than_a_week_says_no_closing_time():
    always = {
        day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    assert availability(calendar(always, ["2026-12-25"]), ny(2026, 11, 24, 11, 0)) == "open now"


def test_a_stretch_open_past_what_the_calendar_has_laid_out_is_not_closing():
    always = {
        day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    open_always = calendar(always, ["2020-12-25"], timezone="UTC")
    open_always.is_open(utc(2025, 1, 1))  # the calendar lays out the two years from here
    assert availability(open_always, utc(2026, 12, 30, 12)) == "open now"


def test_a_viewer_in_berlin_sees_berlin_time_and_its_name(billing):
    # Monday 09:00 in New York is Monday 15:00 in Berlin.
    assert availability(billing, ny(2026, 11, 28, 11, 0), viewer_timezone="Europe/Berlin") == (
        f"we are back Monday at 3:00{N}PM Central European Time"
    )
    # 11:00-17:00 New York is open until 23:00 in Berlin.
    assert availability(billing, ny(2026, 11, 24, 11, 0), viewer_timezone="Europe/Berlin") == (
        f"open now until 11:00{N}PM Central European Time"
    )


def test_day_words_count_days_where_the_time_is_shown(billing):
    # 18:00 Tuesday in New York is already Wednesday in Berlin: Wednesday 15:00 is "today".
    now = ny(2026, 11, 24, 18, 0)
    assert availability(billing, now) == f"we are back tomorrow at 9:00{N}AM"
    assert availability(billing, now, viewer_timezone="Europe/Berlin") == (
        f"we are back today at 3:00{N}PM Central European Time"
    )


def test_between_the_two_clock_changes_new_york_is_five_hours_behind_berlin(billing):
    # Europe leaves summer time on October 25, 2026, the United States on November 1: on
    # Wednesday, October 28, 18:00 in New York is 23:00 in Berlin, and 09:00 is 14:00.
    now = ny(2026, 10, 28, 18, 0)
    assert availability(billing, now, viewer_timezone="Europe/Berlin") == (
        f"we are back tomorrow at 2:00{N}PM Central European Time"
    )


def test_the_zone_is_not_named_when_it_is_the_calendars(billing):
    now = ny(2026, 11, 28, 11, 0)
    assert availability(billing, now, viewer_timezone="America/New_York") == (
        f"we are back Monday at 9:00{N}AM"
    )


def test_availability_needs_an_aware_now_and_a_real_zone(billing):
    with pytest.raises(InvalidInput) as caught:
        availability(billing, datetime(2026, 11, 28, 11, 0))
    assert list(caught.value.errors) == ["now"]
    with pytest.raises(InvalidInput) as caught:
        availability(billing, ny(2026, 11, 28, 11, 0), viewer_timezone="Mars/Olympus_Mons")
    assert list(caught.value.errors) == ["timezone"]


def test_working_hours_line(billing):
    assert working_hours_line(billing, ny(2026, 11, 28, 11, 0), team="Billing") == (
        f"Billing answers 9{N}AM{D}5{N}PM Eastern Time, Monday{D}Friday, except holidays;"
        f" we are back Monday at 9:00{N}AM"
    )
    line = working_hours_line(billing, ny(2026, 11, 24, 11), viewer_timezone="Europe/Berlin")
    assert line == (
        f"We answer 9{N}AM{D}5{N}PM Eastern Time, Monday{D}Friday, except holidays;"
        f" open now until 11:00{N}PM Central European Time"
    )


GERMAN = {
    "{team} answers {schedule}": "{team} ist erreichbar: {schedule}",
    "{schedule}, except holidays": "{schedule}, außer an Feiertagen",
    "{hours} {zone}, {days}": "{days}, {hours} {zone}",
    "{time} {zone}": "{time} {zone}",
    "{hours}; {availability}": "{hours}; {availability}",
    "we are back {weekday} at {time}": "wir sind {weekday} um {time} wieder da",
}


def test_with_a_catalog_the_whole_sentence_is_german(billing, monkeypatch):
    monkeypatch.setattr(text, "_translate", lambda template, locale: GERMAN[template])
    now = ny(2026, 11, 28, 11, 0)
    line = working_hours_line(
        billing, now, team="Billing", viewer_timezone="Europe/Berlin", locale="de"
    )
    assert line == (
        f"Billing ist erreichbar: Montag{D}Freitag, 09:00{EN_DASH}17:00 Uhr Nordamerikanische"
        " Ostküstenzeit, außer an Feiertagen; wir sind Montag um 15:00 Mitteleuropäische Zeit"
        " wieder da"
    )


# ---------------------------------------------------------------------------- deadlines


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_deadlines_across_the_end_of_summer_time_in_new_york():
    # The United States leave daylight-saving time on Sunday, November 1, 2026.
    assert format_deadline(utc(2026, 10, 31, 18, 30), "America/New_York") == (
        f"Sat, Oct 31, 2026, 2:30{N}PM EDT"
    )
    assert format_deadline(utc(2026, 11, 2, 19, 30), "America/New_York") == (
        f"Mon, Nov 2, 2026, 2:30{N}PM EST"
    )


def test_deadlines_across_the_start_of_summer_time_in_new_york():
    # 02:00-03:00 on Sunday, March 8, 2026 does not exist: half an hour apart in UTC, an hour
    # and a half apart on the clock.
    assert format_deadline(utc(2026, 3, 8, 6, 30), "America/New_York") == (
        f"Sun, Mar 8, 2026, 1:30{N}AM EST"
    )
    assert format_deadline(utc(2026, 3, 8, 7, 0), "America/New_York") == (
        f"Sun, Mar 8, 2026, 3:00{N}AM EDT"
    )


def test_deadlines_in_german_across_the_end_of_summer_time_in_berlin():
    # Europe leaves summer time on Sunday, October 25, 2026.
    assert format_deadline(utc(2026, 10, 24, 12, 30), "Europe/Berlin", "de") == (
        "Sa., 24. Okt. 2026, 14:30 MESZ"
    )
    assert format_deadline(utc(2026, 10, 26, 13, 30), "Europe/Berlin", "de") == (
        "Mo., 26. Okt. 2026, 14:30 MEZ"
    )


def test_without_an_abbreviation_the_offset_is_shown():
    # English has no abbreviation for Central European Time; Babel alone would say "+0100".
    assert format_deadline(utc(2026, 11, 2, 19, 30), "Europe/Berlin") == (
        f"Mon, Nov 2, 2026, 8:30{N}PM GMT+01:00"
    )


def test_one_instant_for_two_viewers():
    when = ny(2026, 11, 24, 14, 30)
    assert format_deadline(when, "America/New_York") == f"Tue, Nov 24, 2026, 2:30{N}PM EST"
    assert format_deadline(when, "Europe/Berlin", "de") == "Di., 24. Nov. 2026, 20:30 MEZ"


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (ny(2026, 11, 23, 16, 0), f"yesterday, 4:00{N}PM EST"),
        (ny(2026, 11, 24, 14, 30), f"today, 2:30{N}PM EST"),
        (ny(2026, 11, 25, 9, 0), f"tomorrow, 9:00{N}AM EST"),
        (ny(2026, 11, 27, 9, 0), f"Fri, Nov 27, 9:00{N}AM EST"),
        (ny(2027, 1, 4, 9, 0), f"Mon, Jan 4, 2027, 9:00{N}AM EST"),
    ],
)
def test_deadlines_near_now_use_day_words(when, expected):
    now = ny(2026, 11, 24, 10, 0)
    assert format_deadline(when, "America/New_York", now=now) == expected


def test_today_is_the_viewers_today():
    # 20:00 Tuesday in New York is 02:00 Wednesday in Berlin: the deadline is "today" there.
    now = ny(2026, 11, 24, 20, 0)
    assert format_deadline(ny(2026, 11, 25, 9, 0), "Europe/Berlin", "de", now=now) == (
        "today, 15:00 MEZ"
    )


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../etc/passwd"])
def test_an_unknown_viewer_zone_is_invalid_input(zone):
    with pytest.raises(InvalidInput) as caught:
        format_deadline(utc(2026, 11, 2, 19, 30), zone)
    assert list(caught.value.errors) == ["timezone"]


def test_deadlines_need_aware_datetimes():
    with pytest.raises(InvalidInput) as caught:
        format_deadline(datetime(2026, 11, 2, 19, 30), "America/New_York")
    assert list(caught.value.errors) == ["when"]
    with pytest.raises(InvalidInput) as caught:
        format_deadline(utc(2026, 11, 2), "America/New_York", now=datetime(2026, 11, 2))
    assert list(caught.value.errors) == ["now"]


def test_working_hours_line_of_a_desk_that_never_closes_says_it_once():
    always = BusinessCalendar.from_dict(TWENTY_FOUR_SEVEN)
    now = datetime(2026, 11, 28, 11, 0, tzinfo=ZoneInfo("UTC"))
    assert working_hours_line(always, now) == "We answer around the clock"
