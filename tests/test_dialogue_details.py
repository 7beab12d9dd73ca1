"""Long answers stay short on the phone: an answer with ``details`` offers them, a yes speaks them.

The pure policy with the sample content plus one topic that has details; and the shipped loader and the admin
form for the ``details:`` field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.admin_helpers import copy_content
from tests.dialogue_helpers import LISTENING, OPEN, heard
from tests.web_helpers import add_user, login, make_store, running_app
from voicebot.config.settings import Settings
from voicebot.content.load import load_content
from voicebot.dialogue.policy import step
from voicebot.dialogue.types import DialogueContext, Note, Phase, Say
from voicebot.records.store import RecordStore
from voicebot.understand.understanding import Signal

DETAILS = "Mitbringen: Personalausweis, Zulassungsbescheinigung Teil 1 und 2 und die eVB-Nummer."


def _context(offer: bool = True) -> DialogueContext:
    content = OPEN.content
    topics = tuple(replace(t, details=DETAILS) if t.id == "kfz-anmeldung" else t for t in content.topics)
    prompts = dict(content.prompts)
    if offer:
        prompts["offer_details"] = "Soll ich Ihnen noch mehr dazu sagen?"
    return replace(OPEN, content=replace(content, topics=topics, prompts=prompts))


def _says(commands: list[object]) -> list[tuple[str, str]]:
    return [(c.prompt, c.text) for c in commands if isinstance(c, Say)]


def test_an_answer_with_details_offers_them_and_a_yes_speaks_them() -> None:
    ctx = _context()
    state, commands = step(LISTENING, heard("auto anmelden", ("kfz-anmeldung", 0.95)), ctx)
    assert [p for p, _ in _says(commands)] == ["answer:kfz-anmeldung", "offer_details"]
    assert state.details_topic == "kfz-anmeldung"
    state, commands = step(state, heard("ja gerne", signals=(Signal.YES,)), ctx)
    assert isinstance(commands[0], Note) and commands[0].action == "details"
    assert _says(commands) == [
        ("details:kfz-anmeldung", DETAILS),
        ("anything_else", OPEN.content.prompts["anything_else"]),
    ]
    assert state.details_topic is None and state.phase is Phase.LISTENING


def test_no_to_the_details_asks_for_anything_else_and_a_new_question_is_answered() -> None:
    ctx = _context()
    offered, _ = step(LISTENING, heard("auto anmelden", ("kfz-anmeldung", 0.95)), ctx)
    state, commands = step(offered, heard("nein danke", signals=(Signal.NO,)), ctx)
    assert [p for p, _ in _says(commands)] == ["anything_else"]
    assert state.details_topic is None
    state, commands = step(offered, heard("auto abmelden", ("kfz-abmeldung", 0.95)), ctx)
    assert _says(commands)[0][0] == "answer:kfz-abmeldung"
    assert state.details_topic is None


def test_without_the_offer_prompt_or_details_nothing_changes() -> None:
    state, commands = step(LISTENING, heard("auto anmelden", ("kfz-anmeldung", 0.95)), _context(offer=False))
    assert [p for p, _ in _says(commands)] == ["answer:kfz-anmeldung", "anything_else"]
    assert state.details_topic is None


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return copy_content(tmp_path)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    records = make_store(tmp_path)
    add_user(records, "chef", "admin")
    yield records
    records.close()


async def test_the_admin_form_saves_details_and_checks_their_length(settings: Settings, store: RecordStore) -> None:
    topic = load_content(settings).topic("kfz-anmeldung")
    form = {
        "title": topic.title,
        "department": topic.department,
        "keywords": ", ".join(topic.keywords),
        "phrasings": "\n".join(topic.phrasings),
        "answer": topic.answer,
    }
    async with running_app(settings, store) as client:
        csrf = await login(client, "chef")
        url = "/admin/content/topic/kfz-anmeldung"
        too_long = await client.post(url, data={"csrf": csrf, **form, "details": "Noch ein langer Satz dazu. " * 20})
        assert too_long.status == 422
        assert re.search(r"„Mehr dazu“ ist zu lang zum Vorlesen: etwa \d+ Sekunden", await too_long.text())
        saved = await client.post(url, data={"csrf": csrf, **form, "details": DETAILS}, allow_redirects=False)
        assert saved.status == 303, await saved.text()
        page = await (await client.get(url)).text()
        assert DETAILS in page
    assert load_content(settings).topic("kfz-anmeldung").details == DETAILS
