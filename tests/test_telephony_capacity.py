"""How many calls one process carries: the configured max_calls within the SIP stack's limit."""

from __future__ import annotations

from voicebot.telephony.endpoint import PJSUA_MAX_CALLS, line_capacity


def test_capacity_keeps_a_line_for_the_overflow_announcement_when_the_stack_is_full() -> None:
    assert line_capacity(16, "switchboard") == (PJSUA_MAX_CALLS - 1, 1)
    assert line_capacity(PJSUA_MAX_CALLS, "switchboard") == (PJSUA_MAX_CALLS - 1, 1)


def test_capacity_below_the_stack_limit_is_the_configured_one() -> None:
    assert line_capacity(2, "switchboard") == (2, PJSUA_MAX_CALLS - 2)
    assert line_capacity(1, "reject") == (1, PJSUA_MAX_CALLS - 1)


def test_reject_uses_every_line_for_calls() -> None:
    assert line_capacity(16, "reject") == (PJSUA_MAX_CALLS, 0)
