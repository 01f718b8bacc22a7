"""Which peers may set the client address and scheme through ``X-Forwarded-For`` / ``-Proto``."""

from __future__ import annotations

import ipaddress


class ProxyTrust:
    """Which peers may set the client address and scheme through X-Forwarded-* headers."""

    def __init__(self, spec: str | None) -> None:
        self.any = False
        self.hosts: set[str] = set()
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for item in (spec or "").split(","):
            item = item.strip()
            if not item:
                continue
            if item == "*":
                self.any = True
            elif "/" in item:
                self.networks.append(ipaddress.ip_network(item, strict=False))
            else:
                self.hosts.add(item)

    @property
    def enabled(self) -> bool:
        return self.any or bool(self.hosts) or bool(self.networks)

    def trusts(self, host: str) -> bool:
        if self.any or host in self.hosts:
            return True
        if not self.networks:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in net for net in self.networks)

    def client_of(self, peer: str, headers: dict[str, str]) -> str:
        """The client address of a request from ``peer``: its own unless it is a trusted proxy.

        (``X-Forwarded-Proto`` changes no URL: the advertised base URLs are configured.)"""
        forwarded = headers.get("x-forwarded-for")
        if not forwarded or not self.trusts(peer):
            return peer
        return self.client(peer, forwarded)

    def client(self, peer: str, forwarded_for: str) -> str:
        """The right-most address in X-Forwarded-For that is not a trusted proxy (else the left-most)."""
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer
