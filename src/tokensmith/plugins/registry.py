"""The descriptors of one plugin kind, keyed by descriptor id, as the admin API and console list them
(built from each kind's :class:`tokensmith.plugins.kind.PluginKind` in :mod:`tokensmith.admin.kinds`)."""

from __future__ import annotations

from collections.abc import Iterable

from tokensmith.plugins.descriptors import PluginDescriptor


class PluginRegistry:
    def __init__(self, kind: str, descriptors: Iterable[PluginDescriptor] = ()) -> None:
        self.kind = kind
        self._by_id: dict[str, PluginDescriptor] = {}
        for d in descriptors:
            self.register(d)

    def register(self, descriptor: PluginDescriptor) -> None:
        if descriptor.id in self._by_id:
            raise ValueError(f"{self.kind} plugin {descriptor.id} registered twice")
        self._by_id[descriptor.id] = descriptor

    def get(self, descriptor_id: str) -> PluginDescriptor | None:
        return self._by_id.get(descriptor_id)

    def all(self) -> list[PluginDescriptor]:
        return list(self._by_id.values())
