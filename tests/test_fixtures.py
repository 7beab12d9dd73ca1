"""The caller fixtures: manifest valid against the shipped content, files present, known failures sane."""

from __future__ import annotations

from pathlib import Path

import pytest
from voicebot_bench.fixtures import FIXTURES_DIR, check_manifest, load_manifest

from voicebot.audio import read_wav
from voicebot.config.settings import Settings
from voicebot.content.load import load_content
from voicebot.content.model import Content
from voicebot.errors import ContentError
from voicebot.language.text import normalize

SPEC_TOPICS = Path(__file__).resolve().parent.parent.parent / "shared" / "spec" / "topics.tsv"


@pytest.fixture(scope="module")
def content(settings: Settings) -> Content:
    return load_content(settings)


def test_manifest_matches_the_content_and_every_file_exists(content: Content) -> None:
    manifest = load_manifest()
    topics = [topic.id for topic in content.topics]
    departments = [department.id for department in content.departments]
    assert check_manifest(manifest, topics, departments) == []


def test_covers_30_topics_all_departments_and_the_special_cases(content: Content) -> None:
    manifest = load_manifest()
    asked = {case.expect.topic for case in manifest.tagged("question")}
    assert len(asked) >= 30
    requested = {case.expect.department for case in manifest.tagged("department")}
    assert requested == {department.id for department in content.departments}
    for tag in ("human", "yes", "no", "out_of_scope", "silence", "noise", "long"):
        assert manifest.tagged(tag), tag
    voices = {case.voice for case in manifest.cases if case.kind == "speech"}
    assert len(voices) >= 3


def test_ids_are_unique_and_every_case_has_its_audio_or_is_generated(content: Content) -> None:
    manifest = load_manifest()
    ids = [case.id for case in manifest.cases]
    assert len(ids) == len(set(ids))
    for case in manifest.cases:  # committed: both versions on disk; the rest is made from the manifest
        assert case.path("16k").is_file() and case.path("8k").is_file(), case.id
        assert case.kind != "speech" or case.voice in manifest.voices, case.id
        assert case.kind == "speech" or case.seconds > 0, case.id


def test_held_out_cases_cover_new_questions_departments_out_of_scope_and_no_speech(content: Content) -> None:
    manifest = load_manifest()
    held = manifest.tagged("heldout")
    questions = [case for case in held if "question" in case.tags]
    assert len(questions) >= 20
    assert len({case.expect.topic for case in questions}) >= 20
    assert any(case.expect.action == "transfer" and "question" not in case.tags for case in held)
    for tag in ("out_of_scope", "noise", "silence", "human"):
        assert [case for case in held if tag in case.tags], tag
    tuned = {normalize(case.text) for case in manifest.cases if "heldout" not in case.tags and case.text}
    assert not [case.id for case in held if case.text and normalize(case.text) in tuned]


def test_both_versions_have_the_right_format() -> None:
    manifest = load_manifest()
    for case in manifest.cases:
        pcm16, rate16 = read_wav(case.path("16k"))
        pcm8, rate8 = read_wav(case.path("8k"))
        assert (rate16, rate8) == (16000, 8000), case.id
        assert case.path("8k").read_bytes()[20:22] == (6).to_bytes(2, "little"), f"{case.id}: not A-law"
        assert abs(len(pcm16) / 2 / 16000 - len(pcm8) / 2 / 8000) < 0.05, case.id


def test_fixture_texts_are_not_copies_of_faq_phrasings(content: Content) -> None:
    phrasings = {normalize(p) for topic in content.topics for p in topic.phrasings}
    copies = [case.id for case in load_manifest().cases if case.text and normalize(case.text) in phrasings]
    assert copies == []


@pytest.mark.skipif(not SPEC_TOPICS.is_file(), reason="../shared/spec/topics.tsv not present")
def test_expected_topics_are_client_topic_ids() -> None:
    ids = {line.split("\t")[0] for line in SPEC_TOPICS.read_text(encoding="utf-8").splitlines()[1:] if line}
    expected = {case.expect.topic for case in load_manifest().cases if case.expect.topic}
    assert expected <= ids


def test_known_failures_must_name_existing_cases_and_a_reason(tmp_path: Path) -> None:
    text = (FIXTURES_DIR / "manifest.yaml").read_text(encoding="utf-8")
    extra = "\n  - {id: no-such-case, stage: asr8k, reason: x}\n  - {id: yes-1, stage: ear}"
    broken = text.replace("\nknown_failures: []", "\nknown_failures:" + extra).replace(
        "\nknown_failures:\n", "\nknown_failures:" + extra + "\n"
    )
    (tmp_path / "manifest.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_manifest(tmp_path / "manifest.yaml")
    fields = {problem.field for problem in caught.value.problems}
    assert "known_failures.no-such-case" in fields
    assert "known_failures.yes-1.stage" in fields
    assert "known_failures.yes-1.reason" in fields
    assert all(problem.line for problem in caught.value.problems)


def test_a_bad_case_is_reported_with_its_line(tmp_path: Path) -> None:
    manifest = (
        "voices:\n  a: {voice: de, speed: 120, pitch: 50}\n"
        "cases:\n"
        "  - {id: one, voice: a, text: Hallo, expect: {action: answer, topic: nope}}\n"
        "  - {id: two, voice: b, text: Hallo, expect: {action: dance}}\n"
    )
    (tmp_path / "manifest.yaml").write_text(manifest, encoding="utf-8")
    with pytest.raises(ContentError) as caught:
        load_manifest(tmp_path / "manifest.yaml")
    problems = {(p.line, p.field) for p in caught.value.problems}
    assert (5, "cases.two.voice") in problems
    assert (5, "cases.two.expect.action") in problems
