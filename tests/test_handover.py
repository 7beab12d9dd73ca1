"""Transfers with context and the bridge fallback, without a network: the SIP context headers (pure), the
``transfer`` settings, the policy's reading of a bridged or exhausted result, and ``hand_over``'s order of
attempts on a small honest channel (REFER answers and bridge answers scripted per target)."""

from __future__ import annotations

import asyncio
import dataclasses
import tomllib
import urllib.parse
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.dialogue_helpers import OPEN, Case, assert_step
from voicebot.call.handover import RINGBACK_HZ, hand_over, ringback, transfer_context
from voicebot.config.load import settings_from_dict
from voicebot.config.settings import Settings
from voicebot.dialogue.types import DialogueState, Phase, TransferDone
from voicebot.errors import ConfigError
from voicebot.events import LineEvent, TransferResult
from voicebot.ports import BridgingChannel
from voicebot.telephony.sipcontext import TransferContext, ascii_text, context_headers, refer_target
from voicebot.understand.understanding import Understanding

# --- the context headers ------------------------------------------------------------------------------


def test_umlauts_are_transliterated_and_the_line_is_printable_ascii() -> None:
    assert ascii_text("Führerschein: Straße,  Öffnungszeiten\r\nX-Evil: 1 – ok", 200) == (
        "Fuehrerschein: Strasse, Oeffnungszeiten X-Evil: 1 ok"
    )
    assert ascii_text("café naïve", 200) == "cafe naive"
    long = ascii_text("a" * 300, 20)
    assert len(long) == 20 and long.endswith("...")


def test_context_headers_name_topic_words_and_reason_and_mask_numbers() -> None:
    context = TransferContext(
        "kfz-anmeldung", "ein Fahrzeug anmelden", "ich will mein Auto anmelden, meine Nummer ist 0151 2345678", "sicher"
    )
    headers = context_headers(context)
    assert headers["Subject"].startswith('ein Fahrzeug anmelden: "ich will mein Auto anmelden')
    assert headers["Call-Info"] == "<urn:x-voicebot:topic:kfz-anmeldung>;purpose=info"
    assert headers["X-Voicebot-Reason"] == "sicher"
    assert "[Telefonnummer]" in headers["X-Voicebot-Words"]
    assert not any(ch.isdigit() for ch in headers["X-Voicebot-Words"]), headers
    assert all(value.isascii() and "\n" not in value for value in headers.values())
    assert len(headers["Subject"]) <= 100


def test_an_empty_context_adds_nothing_to_the_target() -> None:
    assert context_headers(TransferContext()) == {}
    assert refer_target("sip:zentrale@pbx.example", {}) == "sip:zentrale@pbx.example"


def test_the_refer_target_carries_percent_encoded_uri_headers_in_angle_brackets() -> None:
    headers = {"Subject": 'Kfz: "a&b=c; d"', "Call-Info": "<urn:x-voicebot:topic:kfz>;purpose=info"}
    target = refer_target("sip:zulassung@pbx.example", headers)
    assert target.startswith("<sip:zulassung@pbx.example?Subject=") and target.endswith(">")
    query = target[1:-1].split("?", 1)[1]
    assert "&" in query and query.count("=") == 2, "& and = inside values must be escaped"
    assert dict(urllib.parse.parse_qsl(query)) == headers
    assert not any(ch in query for ch in ' "<>;\r\n')


def test_the_transfer_context_reads_topic_title_department_and_last_words() -> None:
    content = OPEN.content
    topic = content.topics[0]
    heard = [
        ("erstes", Understanding("erstes", "erstes")),
        ("zweites mal", Understanding("zweites mal", "zweites mal")),
    ]
    context = transfer_context(content, topic.department, topic.id, heard, "sicher (0.91)")
    assert (context.topic_id, context.topic, context.words) == (topic.id, topic.title, "zweites mal")
    department = content.departments[0]
    by_name = transfer_context(content, department.id, None, [], "Anrufer verlangte")
    assert (by_name.topic_id, by_name.topic, by_name.words) == ("", department.name, "")


# --- settings -----------------------------------------------------------------------------------------


def test_the_shipped_transfer_is_refer_with_a_twenty_second_bridge(settings: Settings) -> None:
    assert (settings.sip.transfer, settings.sip.bridge_answer_seconds) == ("refer", 20)
    assert all(department.transfer == "" for department in settings.departments.values())


def _load(text: str) -> Settings:
    return settings_from_dict(tomllib.loads(text), Path("voicebot.toml"), text)


def test_a_department_may_choose_its_own_transfer_and_a_wrong_word_is_named() -> None:
    text = (ROOT / "voicebot.toml").read_text(encoding="utf-8")
    marker = 'target = "sip:jugendamt@127.0.0.1:5090"\n'
    assert _load(text.replace(marker, marker + 'transfer = "bridge"\n')).departments["jugendamt"].transfer == "bridge"
    with pytest.raises(ConfigError) as caught:
        _load(text.replace(marker, marker + 'transfer = "blind"\n').replace('transfer = "refer"', 'transfer = "x"'))
    assert sorted(p.field for p in caught.value.problems) == ["departments.jugendamt.transfer", "sip.transfer"]
    with pytest.raises(ConfigError):
        _load(text.replace("bridge_answer_seconds = 20", "bridge_answer_seconds = 2"))


# --- the policy ---------------------------------------------------------------------------------------

TRANSFERRING = DialogueState(phase=Phase.TRANSFERRING, pending_department="bauamt", pending_topic="bauantrag")


@pytest.mark.parametrize(
    "case",
    [
        Case(
            "bridged -> ended, noted as bridged",
            TRANSFERRING,
            TransferDone(TransferResult(True, 200, "verbunden", bridged=True)),
            "ended",
            (),
            "bridged",
            hangup=True,
            check=lambda s, c: s.transferred_to == "bauamt" and "über den Bot verbunden" in s.ended_reason,
        ),
        Case(
            "bridged to the switchboard instead",
            TRANSFERRING,
            TransferDone(TransferResult(True, 200, "verbunden", bridged=True, to="zentrale")),
            "ended",
            (),
            "bridged",
            hangup=True,
            check=lambda s, c: s.transferred_to == "zentrale",
        ),
        Case(
            "department and switchboard failed -> callback offer at once, for the department",
            TRANSFERRING,
            TransferDone(TransferResult(False, 486, "besetzt", bridged=True, to="zentrale", exhausted=True)),
            "callback_offer",
            ("transfer_failed", "callback_offer"),
            "transfer_failed",
            check=lambda s, c: s.pending_department == "bauamt",
        ),
    ],
    ids=lambda case: case.name,
)
def test_policy_reads_bridged_and_exhausted_results(case: Case) -> None:
    assert_step(case)


# --- hand_over on a scripted channel ------------------------------------------------------------------


class ScriptedLine:
    """A ``BridgingChannel`` whose REFER and bridge answers are given per target (``sip:<id>@…``)."""

    def __init__(self, refer: Mapping[str, int], bridge: Mapping[str, int], rate: int = 8000) -> None:
        self.call_id, self.remote, self.rate = "c-1", "sip:0838155501@127.0.0.1", rate
        self._refer, self._bridge = dict(refer), dict(bridge)
        self.attempts: list[str] = []
        self.headers: list[Mapping[str, str]] = []
        self.played_ms = 0.0
        self.ended = False

    async def receive(self) -> LineEvent:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    def play(self, pcm: bytes) -> None:
        self.played_ms += 1000 * len(pcm) / (2 * self.rate)

    def stop_playback(self) -> None:
        return None

    def playback_pending_ms(self) -> float:
        return 0.0

    async def transfer(self, target: str) -> TransferResult:
        self.attempts.append(f"REFER {target}")
        status = self._refer[_department(target)]
        return TransferResult(status < 300, status)

    async def bridge(self, target: str, headers: Mapping[str, str], answer_timeout_s: float) -> TransferResult:
        self.attempts.append(f"bridge {_department(target)}")
        self.headers.append(headers)
        status = self._bridge[_department(target)]
        return TransferResult(status < 300, status, bridged=True)

    async def hangup(self) -> None:
        self.ended = True


def _department(target: str) -> str:
    return target.strip("<").split("@", 1)[0].removeprefix("sip:")


def _settings(settings: Settings, jugendamt_mode: str = "", default: str = "refer-then-bridge") -> Settings:
    departments = dict(settings.departments)
    departments["jugendamt"] = dataclasses.replace(departments["jugendamt"], transfer=jugendamt_mode)
    return dataclasses.replace(
        settings, sip=dataclasses.replace(settings.sip, transfer=default), departments=departments
    )


def _hand_over(line: ScriptedLine, settings: Settings) -> tuple[TransferResult, list[str]]:
    announced: list[str] = []

    async def announce() -> None:
        announced.append("Einen Moment")

    context = TransferContext("", "Jugendamt", "hallo", "Anrufer verlangte Jugendamt")
    result = asyncio.run(hand_over(line, settings, "jugendamt", context, announce))
    return result, announced


def test_the_scripted_line_is_a_bridging_channel() -> None:
    assert isinstance(ScriptedLine({}, {}), BridgingChannel)


def test_an_accepted_refer_needs_no_bridge(settings: Settings) -> None:
    line = ScriptedLine({"jugendamt": 200}, {})
    result, announced = _hand_over(line, _settings(settings))
    assert result.ok and not result.bridged and announced == []
    assert line.attempts[0].startswith("REFER <sip:jugendamt@127.0.0.1:5090?Subject=Jugendamt:%20%22hallo%22")


def test_without_refer_headers_the_refer_target_is_the_bare_department(settings: Settings) -> None:
    plain = _settings(settings)
    plain = dataclasses.replace(plain, sip=dataclasses.replace(plain.sip, refer_headers=False))
    line = ScriptedLine({"jugendamt": 200}, {})
    result, _announced = _hand_over(line, plain)
    assert result.ok and line.attempts == ["REFER sip:jugendamt@127.0.0.1:5090"]


@pytest.mark.parametrize("status", [501, 405, 403, 486])
def test_a_refused_refer_is_bridged_after_one_moment_and_a_ringback(settings: Settings, status: int) -> None:
    line = ScriptedLine({"jugendamt": status}, {"jugendamt": 200})
    result, announced = _hand_over(line, _settings(settings))
    assert result.ok and result.bridged and result.to == ""
    assert [a.split(" <")[0] for a in line.attempts] == ["REFER", "bridge jugendamt"]
    assert announced == ["Einen Moment"] and line.played_ms >= 20_000, "the caller hears a ringback meanwhile"
    assert line.headers[0]["X-Voicebot-Reason"] == "Anrufer verlangte Jugendamt"


def test_refer_only_departments_are_not_bridged(settings: Settings) -> None:
    line = ScriptedLine({"jugendamt": 501}, {"jugendamt": 200})
    result, _ = _hand_over(line, _settings(settings, jugendamt_mode="refer"))
    assert not result.ok and line.attempts == [line.attempts[0]] and result.status == 501


def test_bridge_only_departments_get_no_refer(settings: Settings) -> None:
    line = ScriptedLine({}, {"jugendamt": 200})
    result, _ = _hand_over(line, _settings(settings, jugendamt_mode="bridge", default="refer"))
    assert result.ok and line.attempts == ["bridge jugendamt"]


def test_a_failed_bridge_falls_back_to_the_switchboard_then_gives_up(settings: Settings) -> None:
    line = ScriptedLine({"jugendamt": 501}, {"jugendamt": 486, "zentrale": 200})
    result, _ = _hand_over(line, _settings(settings))
    assert result.ok and result.to == "zentrale" and line.attempts[1:] == ["bridge jugendamt", "bridge zentrale"]
    assert line.headers[1]["X-Voicebot-Reason"] == "Anrufer verlangte Jugendamt; jugendamt nicht erreicht (486)"
    line = ScriptedLine({"jugendamt": 501}, {"jugendamt": 408, "zentrale": 486})
    result, _ = _hand_over(line, _settings(settings))
    assert not result.ok and result.exhausted and result.to == "zentrale"


def test_the_ringback_is_425_hz_one_second_in_five() -> None:
    import numpy as np

    samples = np.frombuffer(ringback(8000, 5.0), dtype="<i2").astype(np.float64)
    on, off = samples[:8000], samples[8000:]
    assert np.sqrt(np.mean(on * on)) > 2000 and not off.any()
    assert abs(np.argmax(np.abs(np.fft.rfft(on))) - RINGBACK_HZ) <= 1
