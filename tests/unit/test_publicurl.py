"""Which base URL the node advertises (tokensmith.publicurl): configuration first, never a request."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tokensmith.errors import ConfigurationError
from tokensmith.publicurl import admin_base_url, problem, runtime_base_url
from tokensmith.settings import Settings


def settings(**kw: object) -> Settings:
    return Settings(data_dir=Path("/nonexistent"), **kw)  # type: ignore[arg-type]


def test_federation_base_url_then_option_then_listen_address() -> None:
    both = settings(base_url="https://option.example/")
    assert runtime_base_url(both, "https://federation.example/") == "https://federation.example"
    assert runtime_base_url(both, "") == "https://option.example"
    assert runtime_base_url(settings(port=9031), "") == "http://127.0.0.1:9031"


def test_listen_address_forms() -> None:
    assert runtime_base_url(settings(host="::1", port=9031)) == "http://[::1]:9031"
    assert runtime_base_url(settings(host="0.0.0.0", port=9031)) == f"http://{socket.gethostname()}:9031"
    assert admin_base_url(settings(admin_port=9999)) == "http://127.0.0.1:9999"
    assert admin_base_url(settings(admin_base_url="https://admin.example/")) == "https://admin.example"


@pytest.mark.parametrize("url", ["https://sts.example.com", "http://127.0.0.1:9031", "https://[::1]:9031/",
                                 "https://sts.example.com/federation"])
def test_usable_base_urls(url: str) -> None:
    assert problem(url) is None


@pytest.mark.parametrize("url", ["sts.example.com", "ftp://a.example", "https://", "https://a.example?x",
                                 "https://a.example/#f", "https://u:p@a.example", "https://a.example:99999",
                                 "https://a.example:0", "https://a b", 'https://"><script>', "https://[::1"])
def test_unusable_base_urls(url: str) -> None:
    assert problem(url) is not None


def test_options_are_checked_at_start() -> None:
    with pytest.raises(ConfigurationError, match="--base-url"):
        settings(base_url="https://a.example?x").check()
    with pytest.raises(ConfigurationError, match="--admin-base-url"):
        settings(admin_base_url="sts.example.com").check()
