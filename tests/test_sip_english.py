"""A real SIP call in English: baresip asks an English question over an 8 kHz A-law line, the bot answers
in English, and the project's own ASR transcribes what baresip heard (issue 11).

One ``voicebot run`` process (Whisper base, espeak-ng German, piper ``joe-us`` English) on free ports; the
caller's question is espeak-ng English, narrowed to 8 kHz.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sip_helpers import BARESIP, BotProcess, free_rtp_base, free_udp_port, write_config
from tests.test_sip_bot import BARESIP_CONFIG, split_utterances

pytestmark = [
    pytest.mark.sip,
    pytest.mark.model,
    pytest.mark.skipif(BARESIP is None, reason="baresip is installed by .ci/setup"),
]

QUESTION = "How do I register my new car?"
CALLER_CONFIG = BARESIP_CONFIG.replace("ausrc_srate 16000", "ausrc_srate 8000")
"""baresip sends the 8 kHz question as it is (its own 16 -> 8 kHz resampler garbles speech for the ASR)."""


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    folder = tmp_path_factory.mktemp("bot-en")
    config = write_config(
        folder,
        sip={"port": free_udp_port(), "rtp_port": free_rtp_base(), "max_calls": 2, "codecs": ["PCMA", "PCMU"]},
        vad={"no_input_ms": 6000, "max_utterance_ms": 6000},
    )
    # the first start renders every English and German text into the speech cache (minutes on a busy machine)
    with BotProcess(config, "--grace", "3", instance="bot-en", ready_timeout_s=900) as process:
        yield process


def _call_row(bot: BotProcess, timeout: float = 15.0) -> tuple[str, tuple[object, ...], list[tuple[object, ...]]]:
    path = bot.config.parent / "records.sqlite3"
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(path) as conn:
            call = conn.execute("SELECT id, language, outcome, ended_at FROM calls ORDER BY started_at DESC").fetchone()
            turns = (
                []
                if call is None
                else conn.execute(
                    "SELECT action, topic, language, reply FROM turns WHERE call_id = ? ORDER BY idx", (call[0],)
                ).fetchall()
            )
        if (call is not None and call[3] is not None) or time.monotonic() > deadline:
            assert call is not None, "no call in the records"
            return str(call[0]), call, turns
        time.sleep(0.3)


def test_an_english_question_over_sip_gets_an_english_answer(bot: BotProcess, tmp_path: Path) -> None:
    config_dir, recordings = tmp_path / "baresip", tmp_path / "heard"
    config_dir.mkdir()
    recordings.mkdir()
    spoken, narrow, source = tmp_path / "spoken.wav", tmp_path / "narrow.wav", tmp_path / "caller.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "130", "-w", str(spoken), QUESTION], check=True)
    subprocess.run(["sox", str(spoken), "-r", "8000", "-e", "a-law", str(narrow)], check=True)
    # silence through the whole greeting (9.3 s with "English? Ask or press 9.": a question said over its
    # end loses its first words to the barge-in), the question, room for the answer
    subprocess.run(["sox", str(narrow), "-e", "signed-integer", str(source), "pad", "13", "18"], check=True)
    (config_dir / "config").write_text(
        CALLER_CONFIG.format(port=free_udp_port(), source=source, recordings=recordings), encoding="utf-8"
    )
    (config_dir / "accounts").write_text("<sip:0838155503@127.0.0.1>;regint=0;audio_codecs=PCMA\n")
    assert BARESIP is not None
    result = subprocess.run(
        [BARESIP, "-f", str(config_dir), "-e", f"/dial {bot.uri}", "-t", "36"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    _call_id, call, turns = _call_row(bot)
    answers = [turn for turn in turns if turn[0] == "answer"]
    assert answers, f"turns: {turns}\nbaresip: {result.stdout[-1500:]}\nbot: {bot.log[-4000:]}"
    assert (answers[0][1], answers[0][2]) == ("kfz-anmeldung", "en"), turns
    assert call[1] == "en", call
    heard = sorted(recordings.glob("*-dec.wav"))
    assert heard, result.stdout[-2000:]
    segments = split_utterances(heard[0], tmp_path / "segments")
    assert segments, "baresip heard nothing"
    lines = subprocess.run(
        [sys.executable, "-m", "voicebot", "-c", str(bot.config), "transcribe", "--language", "auto", "--json"]
        + [str(path) for path in segments],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    ).stdout.splitlines()
    transcripts = [json.loads(line) for line in lines if line.startswith("{")]
    english = " ".join(t["text"] for t in transcripts if t["language"] == "en").lower()
    found = [word for word in ("register", "vehicle", "appointment", "registration", "office") if word in english]
    assert len(found) >= 2, transcripts
