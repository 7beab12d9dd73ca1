"""ContentEditor on copies of the shipped content: format kept, validation first, atomic writes, history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import tomlkit

from tests.admin_helpers import copy_content
from voicebot.config.load import load_settings
from voicebot.content.edit import ContentChange, ContentEditor, TopicForm
from voicebot.content.load import load_content
from voicebot.content.roundtrip import dump_yaml, fold_positions, load_yaml

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


class ListHistory:
    """HistoryLog keeping the changes in a list."""

    def __init__(self) -> None:
        self.changes: list[ContentChange] = []

    def add_content_change(self, change: ContentChange) -> None:
        self.changes.append(change)


@pytest.fixture
def editor(tmp_path: Path) -> ContentEditor:
    return ContentEditor(copy_content(tmp_path), ListHistory())


def _form(editor: ContentEditor, topic_id: str, **changes: object) -> TopicForm:
    topic = next(t for t in editor.topics() if t["id"] == topic_id)
    values: dict[str, object] = {
        "title": topic["title"],
        "answer": topic.get("answer") or "",
        "department": topic["department"],
        "phrasings": tuple(topic["phrasings"]),
        "keywords": tuple(topic.get("keywords") or ()),
    }
    values.update(changes)
    return TopicForm(**values)  # type: ignore[arg-type]


def test_round_trip_of_the_shipped_files_is_byte_exact(editor: ContentEditor) -> None:
    for name in ("faq", "departments", "prompts"):
        text = editor.read(name)
        assert dump_yaml(load_yaml(text), text) == text, name


def test_valid_answer_edit_changes_only_that_answer_and_keeps_comments(editor: ContentEditor) -> None:
    before = editor.read("faq")
    answer = "Das {name} hat montags bis freitags vormittags geöffnet. Am Donnerstag auch nachmittags."
    result = editor.edit_topic(
        "oeffnungszeiten", _form(editor, "oeffnungszeiten", answer=answer), user="admin", now=NOW
    )
    assert result.ok, result.problems
    after = editor.read("faq")
    assert after != before
    assert after.startswith("# FAQ base of the voicebot")
    assert after.count("\n#") == before.count("\n#")
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == [f"      {answer}"]
    content = load_content(editor.settings)
    assert content.topic("oeffnungszeiten").answer == answer
    history = editor.history
    assert isinstance(history, ListHistory)
    assert [(c.file, c.field, c.user) for c in history.changes] == [
        ("grammars/faq.yaml", "topics.oeffnungszeiten.answer", "admin")
    ]
    assert history.changes[0].new == answer


def test_phrasings_edit_keeps_other_entries_and_adds_history(editor: ContentEditor) -> None:
    form = _form(editor, "anfahrt")
    phrasings = (*form.phrasings[1:], "wo steht euer Amt")
    result = editor.edit_topic("anfahrt", _form(editor, "anfahrt", phrasings=phrasings), user="admin", now=NOW)
    assert result.ok, result.problems
    assert load_content(editor.settings).topic("anfahrt").phrasings == phrasings
    assert [c.field for c in result.changes] == ["topics.anfahrt.phrasings"]


def test_problems_are_reported_per_field_in_german_and_nothing_is_written(editor: ContentEditor) -> None:
    before = editor.read("faq")
    other = next(t for t in editor.topics() if t["id"] == "anfahrt")["phrasings"][0]
    form = _form(
        editor,
        "oeffnungszeiten",
        title="",
        answer="Rufen Sie {gibtsnicht} an. " + "Sehr lang. " * 40,
        department="mond",
        phrasings=("wann habt ihr offen", other),
    )
    result = editor.edit_topic("oeffnungszeiten", form, user="admin", now=NOW)
    assert not result.ok
    assert result.for_field("title")
    assert any("Abteilung" in m for m in result.for_field("department"))
    answer = " ".join(result.for_field("answer"))
    assert "{gibtsnicht}" in answer
    assert "zu lang" in answer
    assert any("anfahrt" in m for m in result.for_field("phrasings"))
    assert editor.read("faq") == before
    assert result.changes == ()


def test_phrasing_equal_after_normalisation_is_refused(editor: ContentEditor) -> None:
    # equals another topic's phrasing only after normalisation (filler word removed), as voicebot check compares
    other = next(t for t in editor.topics() if t["id"] == "anfahrt")["phrasings"][0]
    form = _form(editor, "oeffnungszeiten", phrasings=("äh " + other,))
    before = editor.read("faq")
    result = editor.edit_topic("oeffnungszeiten", form, user="admin", now=NOW)
    assert not result.ok
    assert any("anfahrt" in m for m in result.for_field("phrasings")), result.problems
    assert editor.read("faq") == before


def test_add_phrasing(editor: ContentEditor) -> None:
    result = editor.add_phrasing("oeffnungszeiten", "seit wann habt ihr heute auf", user="anna", now=NOW)
    assert result.ok, result.problems
    assert load_content(editor.settings).topic("oeffnungszeiten").phrasings[-1] == "seit wann habt ihr heute auf"


def test_prompt_edit_checks_placeholders(editor: ContentEditor) -> None:
    bad = editor.edit_prompts({"transfer": "Ich verbinde Sie jetzt."}, user="admin", now=NOW)
    assert not bad.ok
    assert any("{department}" in m for m in bad.for_field("prompts.transfer"))
    good = editor.edit_prompts({"transfer": "Einen Moment, ich verbinde Sie mit {department}."}, user="a", now=NOW)
    assert good.ok, good.problems
    assert load_content(editor.settings).prompts["transfer"] == "Einen Moment, ich verbinde Sie mit {department}."


def test_hours_edit_writes_toml_and_keeps_its_comments(editor: ContentEditor) -> None:
    before = editor.read("config")
    bad = editor.edit_hours("jugendamt", {"mon": "8-12"}, ["24.12.2026"], user="admin", now=NOW)
    assert not bad.ok
    assert bad.for_field("hours.mon") and bad.for_field("closed")
    assert editor.read("config") == before
    hours = {"mon": "08:00-12:00", "tue": "08:00-12:00, 13:00-15:00", "wed": "", "thu": "08:00-17:30", "fri": ""}
    result = editor.edit_hours("jugendamt", hours, ["2026-12-23"], user="admin", now=NOW)
    assert result.ok, result.problems
    after = editor.read("config")
    assert after.splitlines()[0] == before.splitlines()[0]
    assert after.count("#") == before.count("#")
    settings = load_settings(editor.settings.path)
    assert settings.departments["jugendamt"].hours.as_dict() == {
        "mon": "08:00-12:00",
        "tue": "08:00-12:00, 13:00-15:00",
        "thu": "08:00-17:30",
    }
    assert settings.departments["jugendamt"].closed == ("2026-12-23",)
    assert editor.hours("jugendamt")[1] == ["2026-12-23"]


def test_handling_minutes(editor: ContentEditor) -> None:
    assert not editor.set_handling_minutes(0, user="admin", now=NOW).ok
    assert editor.set_handling_minutes(4.5, user="admin", now=NOW).ok
    assert editor.handling_minutes() == 4.5
    assert tomlkit.parse(editor.read("config"))["web"]["handling_minutes"] == 4.5  # type: ignore[index]


def test_write_is_atomic_and_leaves_no_temporary_files(editor: ContentEditor) -> None:
    faq = editor.paths["faq"]
    inode = faq.stat().st_ino
    before = sorted(p.name for p in faq.parent.iterdir())
    assert editor.add_phrasing("anfahrt", "wo ist denn das Landratsamt genau", user="a", now=NOW).ok
    assert faq.stat().st_ino != inode  # replaced, not rewritten in place
    assert sorted(p.name for p in faq.parent.iterdir()) == before
    assert "faq.yaml" in before


def test_unknown_topic(editor: ContentEditor) -> None:
    result = editor.add_phrasing("gibt-es-nicht", "hallo", user="a", now=NOW)
    assert not result.ok
    assert result.for_field("")


def test_fold_positions_wrap_long_lines() -> None:
    text = " ".join(["Wort"] * 60)
    positions = fold_positions(text, 40)
    assert positions
    starts = [0, *(p + 1 for p in positions)]
    ends = [*positions, len(text)]
    assert all(end - start <= 41 for start, end in zip(starts, ends, strict=True))
