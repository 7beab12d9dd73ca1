"""The dialogue policy, table-driven: (state, event) -> phase, spoken prompts, transfer/hang-up, record note.

The tables are split by area (``test_dialogue_answers.py``, ``test_dialogue_requests.py``,
``test_dialogue_transfer.py``; shared states and ``Case`` in ``tests/dialogue_helpers.py``); this module checks
what holds across all of them.
"""

from __future__ import annotations

from tests.test_dialogue_answers import CASES as ANSWER_CASES
from tests.test_dialogue_requests import CASES as REQUEST_CASES
from tests.test_dialogue_transfer import CASES as TRANSFER_CASES
from voicebot.dialogue.policy import step
from voicebot.dialogue.types import Say

CASES = [*ANSWER_CASES, *REQUEST_CASES, *TRANSFER_CASES]


def test_every_say_has_text_without_placeholders() -> None:
    for case in CASES:
        _, commands = step(case.state, case.event, case.ctx)
        for command in commands:
            if isinstance(command, Say):
                assert command.text and "{" not in command.text, (case.name, command)
