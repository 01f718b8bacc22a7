"""Redirect URI registration and matching: exact URIs match only themselves; PingFederate's wildcards
match by URI component, so no pattern can be stretched into another site, a user-info trick, a
fragment or a header break."""

from __future__ import annotations

import pytest

from tokensmith.oauth.redirects import matches, registered_match, registration_problem

WILD = "https://*.company.com/*"


@pytest.mark.parametrize("sent", [
    "https://app.company.com/cb", "https://a.b.company.com/x/y", "https://APP.company.com/cb",
    "https://app.company.com/cb?x=1&y=2", "https://app.company.com/",
])
def test_a_wildcard_host_and_path_match_their_own_sites(sent: str) -> None:
    assert matches(WILD, sent)


@pytest.mark.parametrize("sent", [
    "https://company.com/cb",  # the wildcard stands for at least one label
    "https://evil.example/.company.com/cb",  # the host cannot stretch into the path
    "https://evil.example?.company.com/", "https://evil.example#.company.com/",
    "https://app.company.com.evil.example/cb",  # nor past the fixed labels
    "https://user@app.company.com/cb", "https://app.company.com@evil.example/cb",  # user information
    "http://app.company.com/cb",  # another scheme
    "https://app.company.com:8443/cb",  # another port
    "https://app.company.com/cb#frag",  # a fragment
    "https://app.company.com/cb\r\nSet-Cookie: a=b", "https://app.company.com/c b",  # a header break, a space
    "https://app_x.company.com/cb", "https://app.company.com",  # not a host label; no path at all
])
def test_a_wildcard_never_matches_another_site_or_a_trick(sent: str) -> None:
    assert not matches(WILD, sent)


def test_path_and_query_wildcards_and_loopback_ports() -> None:
    assert matches("https://app.example/th*/cb", "https://app.example/this/cb")
    assert not matches("https://app.example/th*/cb", "https://app.example/oidc/cb")
    assert not matches("https://app.example/cb?tenant=*", "https://app.example/cb")
    assert matches("https://app.example/cb?tenant=*", "https://app.example/cb?tenant=a")
    assert not matches("https://app.example/cb", "https://app.example/cb?x=1")  # exact stays exact
    assert matches("http://127.0.0.1:*/cb", "http://127.0.0.1:53682/cb")  # RFC 8252 §7.3: any port
    assert not matches("http://127.0.0.1:*/cb", "http://127.0.0.1:x/cb")
    assert registered_match(("https://a.example/cb", WILD), "https://x.company.com/y")
    assert not registered_match(("https://a.example/cb",), "https://a.example/cb/")


@pytest.mark.parametrize("uri, problem", [
    ("https://*/cb", "two fixed labels"), ("https://*.com/cb", "two fixed labels"),
    ("https://a*.company.com/cb", "whole label"), ("https://app.*/cb", "two fixed labels"),
    ("https://[x/cb", "cannot be read"), ("https://app.example/cb#x", "fragment"),
    ("https://u:p@app.example/cb", "user information"), ("http://app.example/cb", "https"),
    ("https://app.example/c b", "printable"), ("", "non-empty"), (7, "non-empty"),
    ("com.example.app:", "needs a path"), ("com.example.*:/cb", "absolute"), ("myapp:/cb", "absolute"),
    ("javascript:alert(1)", "absolute"), ("data:text/html,x", "absolute"),
])
def test_registration_refuses_patterns_that_would_send_codes_anywhere(uri: object, problem: str) -> None:
    found = registration_problem(uri)
    assert found is not None and problem in found, found


@pytest.mark.parametrize("uri", [WILD, "https://app.example/cb", "http://127.0.0.1:*/cb", "http://[::1]/cb",
                                 "http://localhost:8080/cb", "https://*.*.company.com/", "com.example.app:/callback"])
def test_registration_accepts_exact_uris_and_narrow_patterns(uri: str) -> None:
    assert registration_problem(uri) is None
