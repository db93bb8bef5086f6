"""The local plugins' one endpoint rule: http(s) on loopback, nothing else."""

from __future__ import annotations

import pytest

from tools.localcloud.loopback import is_loopback_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8787/client/v4",
        "https://localhost:1",
        "http://[::1]:9",
        "http://127.0.0.2",
    ],
)
def test_loopback_urls_are_accepted(url):
    assert is_loopback_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.cloudflare.com/client/v4",
        "https://route53.amazonaws.com",
        "ftp://127.0.0.1/",
        "http://127.0.0.1.example.com/",
        "http://10.0.0.1:80",
        "not a url",
    ],
)
def test_anything_else_is_refused(url):
    assert not is_loopback_url(url)
