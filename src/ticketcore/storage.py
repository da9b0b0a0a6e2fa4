"""Where attachment bytes live. The database keeps only metadata and a storage key."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Protocol


class Storage(Protocol):
    def save(self, content: bytes) -> str:
        """Store bytes and return a new key."""
        ...

    def read(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files in a local directory under random names; the original name is metadata only,
    so an uploaded `../../etc/passwd` can never choose where it lands."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not key or any(c not in "0123456789abcdef/" for c in key) or ".." in key:
            raise ValueError(f"bad storage key {key!r}")
        return self.root / key

    def save(self, content: bytes) -> str:
        name = secrets.token_hex(16)
        key = f"{name[:2]}/{name}"
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(content)
        tmp.replace(path)
        return key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
