"""``[web] trusted_proxies`` and ``metrics_allow``: defaults, and a wrong entry reported with its field."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from voicebot.config.load import settings_from_dict
from voicebot.config.settings import Settings
from voicebot.errors import ConfigError

from .conftest import ROOT

MINIMAL = {"district": {"name": "Landratsamt Test"}, "departments": {"zentrale": {"target": "sip:z@pbx"}}}


def with_web(web: dict[str, Any]) -> Settings:
    return settings_from_dict({**MINIMAL, "web": web}, ROOT / "x.toml")


def test_defaults_trust_no_proxy_and_show_metrics_to_loopback_only() -> None:
    settings = with_web({})
    assert settings.web.trusted_proxies == ()
    assert settings.web.metrics_allow == ("127.0.0.1", "::1")
    shipped = tomllib.loads((ROOT / "voicebot.toml").read_text(encoding="utf-8"))["web"]
    assert shipped["trusted_proxies"] == [] and shipped["metrics_allow"] == ["127.0.0.1", "::1"]


def test_addresses_and_networks_are_accepted_and_anything_else_refused_by_field() -> None:
    good = with_web({"trusted_proxies": ["10.0.0.5", "10.1.0.0/16", "fd00::/8"]})
    assert good.web.trusted_proxies == ("10.0.0.5", "10.1.0.0/16", "fd00::/8")
    with pytest.raises(ConfigError) as raised:
        with_web({"trusted_proxies": ["proxy.example"], "metrics_allow": ["10.0.0.0/33"]})
    problems = {problem.field: str(problem) for problem in raised.value.problems}
    assert set(problems) == {"web.trusted_proxies", "web.metrics_allow"}
    assert "IP address or network" in problems["web.trusted_proxies"]
