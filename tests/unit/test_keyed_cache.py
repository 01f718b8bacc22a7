"""The keyed cache behind the verified-header and verified-JWT caches: distinct strings never share
an entry (an encoding that replaced unencodable characters would let one string hit another's)."""

from __future__ import annotations

from tokensmith.crypto.keyedcache import KeyedCache


def test_distinct_strings_never_share_an_entry() -> None:
    cache: KeyedCache[str] = KeyedCache()
    cache.put("token-\u00e9", "verified")
    assert cache.get("token-\u00e9") == "verified"
    for other in ("token-\u00e8", "token-?", "token-\u0100", "token-\ud800"):
        assert cache.get(other) is None, other


def test_a_full_cache_starts_over_and_clear_forgets() -> None:
    cache: KeyedCache[int] = KeyedCache(limit=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)  # full: emptied, then c
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, None, 3)
    cache.clear()
    assert cache.get("c") is None
