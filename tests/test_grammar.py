"""The recogniser phrase list (spoken spelling, vosk JSON) and the ``match``/``grammar`` commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from voicebot.config.settings import Settings
from voicebot.content.model import Content
from voicebot.language.text import normalize
from voicebot.listen.grammar import (
    SIGNAL_PHRASES,
    fit_word,
    missing_words,
    number_words,
    phrases,
    spoken,
    vocabulary,
    vosk_grammar,
)

VOICEBOT = Path(sys.executable).parent / "voicebot"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def content(settings: Settings) -> Content:
    from voicebot.content.load import load_content

    return load_content(settings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Führerschein", "führerschein"),
        ("Äh, Kfz-Zulassung?", "kfz zulassung"),
        ("Straße", "straße"),
        ("ähm Paragraph 43", "paragraph dreiundvierzig"),
        ("am 21. März", "am einundzwanzig märz"),
        ("also mal ehrlich", "also mal ehrlich"),
    ],
)
def test_spoken_keeps_the_model_spelling(text: str, expected: str) -> None:
    assert spoken(text) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0, "null"),
        (1, "eins"),
        (17, "siebzehn"),
        (21, "einundzwanzig"),
        (30, "dreißig"),
        (101, "einhunderteins"),
        (1000, "eintausend"),
        (2026, "zweitausendsechsundzwanzig"),
    ],
)
def test_number_words(value: int, words: str) -> None:
    assert number_words(value) == words


def test_number_words_round_trip_through_normalize() -> None:
    for value in (*range(0, 130), 999, 2026, 4711):
        assert normalize(number_words(value)) == str(value)


def test_phrases_are_unique_spoken_and_complete(content: Content) -> None:
    items = phrases(content)
    assert len(items) == len(set(items))
    assert all(item == spoken(item) and item for item in items)
    for topic in content.topics:
        for phrasing in topic.phrasings:
            assert spoken(phrasing) in items
    for department in content.departments:
        assert spoken(department.name) in items
    for phrase in SIGNAL_PHRASES:
        assert phrase in items
    assert "zwanzig" in items


def test_vocabulary_uses_umlauts_not_folded_forms(content: Content) -> None:
    words = vocabulary(content)
    assert {"führerschein", "jugendamt", "wohngeld", "tschüss"} <= words
    assert "fuehrerschein" not in words
    assert all(word == word.lower() and word.replace("ß", "").isalnum() for word in words)


def test_every_phrasing_survives_normalisation(content: Content) -> None:
    for topic in content.topics:
        for phrasing in topic.phrasings:
            assert normalize(phrasing), (topic.id, phrasing)


def test_vosk_grammar_without_model(content: Content) -> None:
    text = vosk_grammar(content)
    assert "führerschein" in text  # ensure_ascii=False
    assert json.loads(text) == phrases(content)
    assert "[unk]" not in json.loads(text)


def test_words_the_model_lacks_are_split_into_words_it_has() -> None:
    model = {"drei", "und", "vierzig", "führerschein", "stelle"}
    assert fit_word("dreiundvierzig", model) == ["drei", "und", "vierzig"]
    assert fit_word("führerscheinstelle", model) == ["führerschein", "stelle"]
    assert fit_word("stelle", model) == ["stelle"]
    assert fit_word("jugendamt", model) == []


def test_vosk_grammar_drops_unknown_words(content: Content) -> None:
    model = {"wohngeld", "beantragen", "ja", "nein", "[unk]"}
    items = json.loads(vosk_grammar(content, model))
    assert items[-1] == "[unk]"
    assert "wohngeld beantragen" in items
    assert all(word in model for item in items for word in item.split())
    assert len(items) == len(set(items))
    without_unk = json.loads(vosk_grammar(content, model - {"[unk]"}))
    assert "[unk]" not in without_unk
    assert "führerschein" in missing_words(content, model)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VOICEBOT), *args], capture_output=True, text=True, timeout=60, cwd=ROOT, check=False)


def test_cli_match_json_keys() -> None:
    result = run_cli("match", "--json", "Ich", "möchte", "Wohngeld", "beantragen")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["text", "topic", "department", "action", "score", "alternatives", "language"]
    assert data["text"] == "Ich möchte Wohngeld beantragen"
    assert data["language"] == "de"
    assert (data["action"], data["topic"], data["department"]) == ("answer", "wohngeld", None)
    assert data["score"] == round(data["score"], 3)
    assert all(list(item) == ["topic", "score"] for item in data["alternatives"])


def test_cli_match_department_and_readable_line() -> None:
    result = run_cli("match", "--json", "Verbinden Sie mich mit dem Jugendamt")
    data = json.loads(result.stdout)
    assert (data["action"], data["department"]) == ("transfer", "jugendamt")
    line = run_cli("match", "Wie wird das Wetter morgen")
    assert line.returncode == 0
    assert line.stdout.startswith("reprompt")


def test_cli_grammar_with_model_words(tmp_path: Path) -> None:
    graph = tmp_path / "model" / "graph"
    graph.mkdir(parents=True)
    (graph / "words.txt").write_text("<eps> 0\n[unk] 1\nwohngeld 2\nbeantragen 3\n", encoding="utf-8")
    result = run_cli("grammar", "--json", "--vosk-model", str(tmp_path / "model"))
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert "wohngeld beantragen" in items and items[-1] == "[unk]"
    assert "missing from the model" in result.stderr
    plain = run_cli("grammar")
    assert "führerschein" in plain.stdout.splitlines()
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = run_cli("grammar", "--vosk-model", str(empty))
    assert bad.returncode == 1
    assert "words.txt" in bad.stderr


def test_cli_match_guesses_english_or_takes_the_language() -> None:
    english = json.loads(run_cli("match", "--json", "How do I apply for housing benefit?").stdout)
    assert (english["language"], english["action"], english["topic"]) == ("en", "answer", "wohngeld")
    forced = json.loads(run_cli("match", "--json", "--language", "en", "Wohngeld").stdout)
    assert forced["language"] == "en"
    unknown = run_cli("match", "--json", "--language", "xx", "Wohngeld")
    assert unknown.returncode != 0 and "no content in that language" in unknown.stderr
