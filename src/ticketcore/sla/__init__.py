"""Service-level agreements: business calendars (`calendar`), and their use on tickets."""

from .calendar import TWENTY_FOUR_SEVEN, BusinessCalendar

__all__ = ["TWENTY_FOUR_SEVEN", "BusinessCalendar"]
