"""URL patterns of the portal: matching a path to a view, and building a path from a name."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from ..errors import NotFound

_PARAM = re.compile(r"<(?:(int|path):)?([a-z_]+)>")
_CONVERTERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "": (r"[^/]+", str),
    "int": (r"[0-9]{1,18}", int),
    "path": (r".+", str),
}


class MethodNotAllowed(Exception):
    def __init__(self, allowed: tuple[str, ...]) -> None:
        super().__init__(", ".join(allowed))
        self.allowed = allowed


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    view: Callable[..., Any]
    methods: tuple[str, ...]
    regex: re.Pattern[str]
    converters: Mapping[str, Callable[[str], Any]]


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self._by_name: dict[str, Route] = {}

    def add(
        self, pattern: str, name: str, view: Callable[..., Any], methods: tuple[str, ...] = ("GET",)
    ) -> None:
        if name in self._by_name:
            raise ValueError(f"route {name!r} is defined twice")
        converters: dict[str, Callable[[str], Any]] = {}
        regex = ""
        last = 0
        for match in _PARAM.finditer(pattern):
            kind, param = match.group(1) or "", match.group(2)
            expression, convert = _CONVERTERS[kind]
            regex += re.escape(pattern[last : match.start()]) + f"(?P<{param}>{expression})"
            converters[param] = convert
            last = match.end()
        regex += re.escape(pattern[last:])
        route = Route(name, pattern, view, methods, re.compile(f"^{regex}$"), converters)
        self.routes.append(route)
        self._by_name[name] = route

    def match(self, method: str, path: str) -> tuple[Route, dict[str, Any]]:
        allowed: list[str] = []
        for route in self.routes:
            found = route.regex.match(path)
            if found is None:
                continue
            if method not in route.methods and not (method == "HEAD" and "GET" in route.methods):
                allowed.extend(route.methods)
                continue
            params = {k: route.converters[k](v) for k, v in found.groupdict().items()}
            return route, params
        if allowed:
            raise MethodNotAllowed(tuple(dict.fromkeys(allowed)))
        raise NotFound(f"no page {path}")

    def path_for(self, name: str, **params: Any) -> str:
        """The path of route `name`; parameters the pattern does not name become the query."""
        route = self._by_name[name]
        query = {k: v for k, v in params.items() if k not in route.converters and v is not None}

        def fill(match: re.Match[str]) -> str:
            value = str(params[match.group(2)])
            return quote(value, safe="/" if match.group(1) == "path" else "")

        path = _PARAM.sub(fill, route.pattern)
        return f"{path}?{urlencode(query, doseq=True)}" if query else path
