"""One plugin kind: the types of one kind of plugin, loaded from that kind's entry-point group.

Every type of a kind, bundled or add-on, is found the same way: a Python distribution declares an
entry point in the kind's group whose object is an instance of the kind's type class, for example::

    [project.entry-points."tokensmith.token_processors"]
    jwt = "tokensmith.sts.processors.jwt:PROCESSOR"

Tokensmith declares its bundled types in its own ``pyproject.toml`` exactly so; an add-on package
adds entries to the same group. A broken add-on (it cannot be imported, is not of the kind's type,
or reuses a descriptor id) is logged and left out; it never stops the server. Types are loaded once
per process and listed in a stable order: Tokensmith's own by entry-point name (its names start
with their place, ``10-username``), then add-ons by distribution and entry-point name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

from tokensmith.plugins.descriptors import PluginDescriptor

T = TypeVar("T")
BUNDLED_DISTRIBUTION = "tokensmith"
log = logging.getLogger("tokensmith.plugins")


def _order(entry: EntryPoint) -> tuple[int, str, str]:
    dist = entry.dist.name if entry.dist is not None else ""
    return (0 if dist == BUNDLED_DISTRIBUTION else 1, dist, entry.name)


class PluginKind(Generic[T]):
    def __init__(self, label: str, group: str, type_class: type[Any],
                 descriptor_of: Callable[[T], PluginDescriptor]) -> None:
        # type_class: what every loaded object must be an instance of (a class, or a protocol marked
        # @runtime_checkable, which mypy does not accept as type[T])
        self.label = label  # "token processor"
        self.group = group  # "tokensmith.token_processors"
        self.type_class = type_class
        self.descriptor_of = descriptor_of
        self._types: dict[str, T] | None = None

    def types(self) -> dict[str, T]:
        """Every type of this kind by descriptor id."""
        if self._types is None:
            self._types = self._load()
        return self._types

    def get(self, descriptor_id: str) -> T | None:
        return self.types().get(descriptor_id)

    def descriptors(self) -> dict[str, PluginDescriptor]:
        return {key: self.descriptor_of(t) for key, t in self.types().items()}

    def _load(self) -> dict[str, T]:
        found: dict[str, T] = {}
        for entry in sorted(entry_points(group=self.group), key=_order):
            try:
                loaded = entry.load()
            except Exception:  # a broken add-on must not stop the server
                log.exception("%s add-on %r cannot be loaded", self.label, entry.name)
                continue
            if not isinstance(loaded, self.type_class):
                log.error("%s add-on %r is not a %s", self.label, entry.name, self.type_class.__name__)
                continue
            descriptor_id = self.descriptor_of(loaded).id
            if descriptor_id in found:
                log.error("%s add-on %r reuses descriptor id %s", self.label, entry.name, descriptor_id)
                continue
            found[descriptor_id] = loaded
        if not found:
            log.error("no %s types in the entry-point group %s: is tokensmith installed (pip install -e .)?",
                      self.label, self.group)
        return found
