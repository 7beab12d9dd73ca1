"""``[sip] rtp_timeout_seconds``: shipped, loaded, and validated (0 = off, else 5..3600 seconds)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from voicebot.config.load import settings_from_dict
from voicebot.config.settings import Settings
from voicebot.errors import ConfigError

from .conftest import ROOT


def test_the_shipped_rtp_timeout_is_thirty_seconds(settings: Settings) -> None:
    assert settings.sip.rtp_timeout_seconds == 30
    assert settings.sip.max_calls == 3  # 3 conversations + the overflow line: the 4 calls of one process


@pytest.mark.parametrize(("value", "ok"), [(0, True), (5, True), (3600, True), (4, False), (-1, False), (7200, False)])
def test_rtp_timeout_range(value: int, ok: bool) -> None:
    text = (ROOT / "voicebot.toml").read_text(encoding="utf-8")
    text = text.replace("rtp_timeout_seconds = 30", f"rtp_timeout_seconds = {value}")
    if ok:
        assert settings_from_dict(tomllib.loads(text), Path("voicebot.toml"), text).sip.rtp_timeout_seconds == value
        return
    with pytest.raises(ConfigError) as caught:
        settings_from_dict(tomllib.loads(text), Path("voicebot.toml"), text)
    assert [p.field for p in caught.value.problems] == ["sip.rtp_timeout_seconds"]
