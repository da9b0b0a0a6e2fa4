#!/usr/bin/env python
"""The example Django site's `manage.py` (see example_site/__init__.py for how to start it). It
runs from any directory: Python puts this file's folder, which holds the `example_site` package,
first on `sys.path`."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_site.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
