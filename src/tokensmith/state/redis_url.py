"""Redis connection URLs: plain (``redis://``, ``rediss://``, ``unix://``) and Sentinel
(``redis+sentinel://``, ``rediss+sentinel://``), plus the options Tokensmith reads from the query.

Sentinel form::

    redis+sentinel://[[user]:password@]host1:26379,host2:26379,host3:26379/<master name>[/<db>][?options]

The password (if any) is the Redis data nodes' password; ``sentinel_password`` in the query is the
Sentinels' own password, when they have one.

Query options understood by Tokensmith (removed before the rest reaches redis-py):

* ``replicas=N``: how many replicas the primary is meant to have. "All nodes" waits for N
  acknowledgements, "majority" for ``(N + 1) // 2``. Without it, the largest number of replicas
  this process has seen connected to the primary is used.
* ``prefix=STR``: key prefix (default ``ts:``), so several deployments can share one Redis.
* ``sentinel_password=STR``: password of the Sentinels themselves.

Other query options go to redis-py (``socket_timeout``, ``ssl_cert_reqs``...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from tokensmith.errors import ConfigurationError

DIRECT_SCHEMES = ("redis", "rediss", "unix")
SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")
DEFAULT_PREFIX = "ts:"
OWN_OPTIONS = ("replicas", "prefix", "sentinel_password")


@dataclass(frozen=True)
class RedisTarget:
    """A parsed ``--redis-url``."""

    url: str  # for direct targets: the URL redis-py gets (own options removed)
    sentinel: bool = False
    sentinels: tuple[tuple[str, int], ...] = ()
    service: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None
    tls: bool = False
    replicas: int | None = None
    prefix: str = DEFAULT_PREFIX
    options: dict[str, str] = field(default_factory=dict)


def _split_query(query: str, what: str) -> tuple[dict[str, str], dict[str, str]]:
    own: dict[str, str] = {}
    rest: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        (own if name in OWN_OPTIONS else rest)[name] = value
    if "replicas" in own and (not own["replicas"].isdigit() or int(own["replicas"]) > 64):
        raise ConfigurationError(f"{what}: replicas must be a whole number from 0 to 64")
    if "prefix" in own and not own["prefix"]:
        raise ConfigurationError(f"{what}: prefix must not be empty")
    return own, rest


def _host_port(item: str) -> tuple[str, str]:
    if item.startswith("["):  # [IPv6]:port
        host, _, rest = item[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else ""
    host, sep, port = item.rpartition(":")
    return (host, port) if sep else (item, "")


def parse_redis_url(url: str, what: str = "--redis-url") -> RedisTarget:
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ConfigurationError(f"{what}: not a URL ({exc})") from exc
    scheme = parts.scheme.lower()
    own, rest = _split_query(parts.query, what)
    replicas = int(own["replicas"]) if "replicas" in own else None
    prefix = own.get("prefix", DEFAULT_PREFIX)
    if scheme in DIRECT_SCHEMES:
        if scheme != "unix" and not parts.hostname:
            raise ConfigurationError(f"{what}: a host is required ({scheme}://HOST:PORT/DB)")
        try:
            _ = parts.port
        except ValueError as exc:
            raise ConfigurationError(f"{what}: bad port ({exc})") from exc
        clean = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), ""))
        return RedisTarget(clean, replicas=replicas, prefix=prefix, options=rest, tls=scheme == "rediss")
    if scheme not in SENTINEL_SCHEMES:
        raise ConfigurationError(f"{what}: the scheme must be one of "
                                 f"{', '.join(s + '://' for s in DIRECT_SCHEMES + SENTINEL_SCHEMES)}")
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    username = password = None
    if userinfo:
        user, _, secret = userinfo.partition(":")
        username, password = unquote(user) or None, unquote(secret) or None
    sentinels: list[tuple[str, int]] = []
    for item in hostlist.split(","):
        host, port = _host_port(item.strip())
        if not host:
            raise ConfigurationError(f"{what}: every Sentinel needs a host (host:port,host:port)")
        if port and not port.isdigit():
            raise ConfigurationError(f"{what}: bad Sentinel port '{port}'")
        sentinels.append((host, int(port) if port else 26379))
    path = [p for p in parts.path.split("/") if p]
    if not path:
        raise ConfigurationError(f"{what}: name the monitored primary: redis+sentinel://HOST:PORT/<master name>")
    if len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ConfigurationError(f"{what}: the path must be /<master name>[/<db number>]")
    return RedisTarget(url, sentinel=True, sentinels=tuple(sentinels), service=unquote(path[0]),
                       db=int(path[1]) if len(path) == 2 else 0, username=username, password=password,
                       sentinel_password=own.get("sentinel_password"), tls=scheme.startswith("rediss"),
                       replicas=replicas, prefix=prefix, options=rest)


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for logs and the start-up line)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hosts = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:***@{hosts}" if ":" in userinfo else f"***@{hosts}"
    query = urlencode([(k, "***" if "password" in k.lower() else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
