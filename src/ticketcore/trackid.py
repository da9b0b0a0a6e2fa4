"""Public track IDs: short, random, and read aloud without confusion.

The alphabet leaves out 0/O, 1/I/L and U, so "TK8-" is never misread; ten random symbols
(~49 bits) mean one ticket's ID says nothing about another's.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
_PATTERN = re.compile(rf"^[{ALPHABET}]{{3}}-[{ALPHABET}]{{3}}-[{ALPHABET}]{{4}}$")
TRACK_ID_IN_TEXT = re.compile(rf"\b[{ALPHABET}]{{3}}-[{ALPHABET}]{{3}}-[{ALPHABET}]{{4}}\b")


def new_track_id() -> str:
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(10))
    return f"{symbols[:3]}-{symbols[3:6]}-{symbols[6:]}"


def normalize_track_id(text: str) -> str | None:
    """Accept what a person types ("abc def 2345", "ABC-DEF-2345") or None if it cannot be one."""
    compact = re.sub(r"[\s-]", "", text).upper()
    if len(compact) != 10:
        return None
    candidate = f"{compact[:3]}-{compact[3:6]}-{compact[6:]}"
    return candidate if _PATTERN.match(candidate) else None
