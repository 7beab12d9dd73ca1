"""How many calls one process carries: the configured max_calls within the SIP stack's limit; the request guard
refuses with 503 + Retry-After when every pjsua slot is taken (so no slot is kept back)."""

from __future__ import annotations

from voicebot.config.settings import SipSettings
from voicebot.telephony.admission import PJSUA_MAX_CALLS, REFUSAL_RESERVE, SERVICE_SLOTS, line_capacity


def test_every_pjsua_slot_serves_calls_behind_the_guard() -> None:
    assert REFUSAL_RESERVE == 0 and SERVICE_SLOTS == PJSUA_MAX_CALLS


def test_capacity_keeps_a_line_for_the_overflow_announcement() -> None:
    assert line_capacity(16, "switchboard") == (SERVICE_SLOTS - 1, 1)
    assert line_capacity(SERVICE_SLOTS - 1, "switchboard") == (SERVICE_SLOTS - 1, 1)


def test_capacity_below_the_stack_limit_leaves_the_rest_for_overflow() -> None:
    assert line_capacity(1, "switchboard") == (1, SERVICE_SLOTS - 1)
    assert line_capacity(1, "reject") == (1, 0)


def test_reject_uses_every_service_line_for_calls() -> None:
    assert line_capacity(16, "reject") == (SERVICE_SLOTS, 0)


def test_the_default_max_calls_is_what_one_process_really_carries() -> None:
    default = SipSettings()
    assert line_capacity(default.max_calls, default.overflow) == (default.max_calls, 1) == (3, 1)
