"""Caller numbers in log lines: masked like the records; ``[log] full_numbers`` shows them only at DEBUG."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import pytest

from tests.sip_helpers import ROOT
from voicebot.config.load import settings_from_dict
from voicebot.config.settings import Settings
from voicebot.errors import ConfigError
from voicebot.privacy import caller_for_log, mask_number

URI = '"Max Muster" <sip:+4983815550123@pbx.example;user=phone>'


def test_callers_are_masked_like_the_records_unless_full_numbers_at_debug() -> None:
    logger = logging.getLogger("voicebot.test_log_masking")
    logger.setLevel(logging.INFO)
    assert caller_for_log(URI) == mask_number(URI) == "+49 8381 ••• 23"
    assert caller_for_log(URI, full_numbers=True, logger=logger) == "+49 8381 ••• 23"  # INFO: still masked
    logger.setLevel(logging.DEBUG)
    assert caller_for_log(URI, full_numbers=False, logger=logger) == "+49 8381 ••• 23"
    assert caller_for_log(URI, full_numbers=True, logger=logger) == repr(URI)
    # a forged line break in the URI cannot start a new log line
    assert "\n" not in caller_for_log("sip:123\n2026 INFO fake@x", full_numbers=True, logger=logger)
    assert caller_for_log("sip:anonymous@anonymous.invalid") == "unbekannt"


def _settings(extra: str) -> Settings:
    text = (ROOT / "voicebot.toml").read_text(encoding="utf-8").replace("[log]\nfull_numbers = false", extra)
    return settings_from_dict(tomllib.loads(text), ROOT / "voicebot.toml", text)


def test_full_numbers_is_off_in_the_shipped_file_and_checked(settings: Settings) -> None:
    assert settings.log.full_numbers is False
    assert _settings("[log]\nfull_numbers = true").log.full_numbers is True
    with pytest.raises(ConfigError) as error:
        _settings('[log]\nfull_numbers = "ja"')
    assert error.value.problems[0].field == "log.full_numbers"
    with pytest.raises(ConfigError):
        _settings("[log]\nnumbers = true")


def test_the_shipped_file_documents_the_switch() -> None:
    text = Path(ROOT / "voicebot.toml").read_text(encoding="utf-8")
    assert "[log]" in text and "full_numbers = false" in text and "DEBUG" in text
