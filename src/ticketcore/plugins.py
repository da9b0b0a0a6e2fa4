"""One plugin manager per `Helpdesk` (never module-global), so two helpdesks never share plugins."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

import pluggy

from . import hookspecs

log = logging.getLogger("ticketcore.plugins")

DISABLE_ENV = "TICKETCORE_DISABLE_PLUGINS"


def make_plugin_manager(
    plugins: Iterable[Any] = (), *, load_entrypoints: bool = True
) -> pluggy.PluginManager:
    """Add the specs, load installed plugins (entry-point group `ticketcore`), then `plugins`.

    Setting `TICKETCORE_DISABLE_PLUGINS=1` skips installed plugins, for debugging a broken one.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    if load_entrypoints and os.environ.get(DISABLE_ENV, "") in ("", "0"):
        pm.load_setuptools_entrypoints(hookspecs.PROJECT)
    for plugin in plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm


def call_after_commit(pm: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> None:
    """Run an `after_*` hook so that one failing plugin neither breaks the request nor the others.

    Implementations run in pluggy's own order (`tryfirst`, then the last registered first, then
    `trylast`). Each is called on its own, so wrappers are not supported on `after_*` hooks.
    """
    caller = getattr(pm.hook, hook_name)
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            log.warning("plugin %r: wrappers are not supported on %s", impl.plugin_name, hook_name)
            continue
        try:
            impl.function(**{name: kwargs[name] for name in impl.argnames})
        except Exception:
            log.exception("plugin %r failed in %s", impl.plugin_name, hook_name)
