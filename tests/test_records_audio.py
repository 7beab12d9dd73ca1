"""Caller audio per turn ([records] store_audio) and retention in ``voicebot run``: the WAV writer, the schema
migration, purge deleting files, the staff page's player and its protected route, and the run-side purge."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.web_helpers import T0, FakeClock, add_user, login, make_store, running_app
from voicebot.audio import read_wav
from voicebot.cli.run import start_purging
from voicebot.config.settings import Settings
from voicebot.engines.fakes import noise_burst
from voicebot.records import queries, schema
from voicebot.records.audio import AudioKeeper, call_folder
from voicebot.records.calls import CallOutcome, MemoryRecorder, TurnRecord
from voicebot.records.store import RecordStore, connect

Client = TestClient[web.Request, web.Application]
RATE = 16000


def with_audio(settings: Settings, audio_dir: Path, *, on: bool = True) -> Settings:
    records = dataclasses.replace(settings.records, store_audio=on, audio_dir=str(audio_dir))
    return dataclasses.replace(settings, records=records)


def record_call(store: RecordStore, call_id: str, at: dt.datetime, audio_file: str = "") -> None:
    store.call_started(call_id, "+49838192045", at)
    store.turn(call_id, TurnRecord(index=0, at=at, transcript="auto anmelden", action="answer", audio_file=audio_file))
    store.call_ended(call_id, CallOutcome("answered", ended_at=at + dt.timedelta(seconds=20)))
    store.flush()


# --- writer ------------------------------------------------------------------------------------------


def test_keeper_writes_a_wav_per_turn_at_the_given_rate(tmp_path: Path) -> None:
    keeper = AudioKeeper(tmp_path / "audio")
    pcm = noise_burst(RATE, 300)
    path = Path(keeper.write("call-1", 2, pcm, RATE))
    assert path == (tmp_path / "audio" / call_folder("call-1") / "2.wav").resolve()
    assert read_wav(path) == (pcm, RATE)
    assert [p.name for p in path.parent.iterdir()] == ["2.wav"]  # no temporary file left behind


async def test_keep_writes_in_a_thread_and_reports_failure_as_no_file(tmp_path: Path) -> None:
    pcm = noise_burst(RATE, 100)
    path = await AudioKeeper(tmp_path / "audio").keep("c1", 0, pcm, RATE)
    assert read_wav(path) == (pcm, RATE)
    blocked = tmp_path / "not-a-folder"
    blocked.write_bytes(b"")
    assert await AudioKeeper(blocked).keep("c1", 0, pcm, RATE) == ""


@pytest.mark.parametrize("call_id", ["../../etc/passwd", "/abs/path", "..", "a/../../b", "x\x00y", "", "ä@host;x"])
def test_call_ids_never_name_a_path_outside_the_audio_dir(tmp_path: Path, call_id: str) -> None:
    keeper = AudioKeeper(tmp_path / "audio")
    path = Path(keeper.write(call_id, 0, b"\x00\x00" * 160, 8000))
    assert path.parent.parent == keeper.root
    assert keeper.contains(path)
    assert set(path.parent.name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def test_different_call_ids_get_different_folders() -> None:
    assert call_folder("a/b") != call_folder("a_b")
    assert call_folder("x" * 100) != call_folder("x" * 101)


def test_keeper_is_off_by_default(settings: Settings) -> None:
    assert settings.records.store_audio is False
    assert AudioKeeper.from_settings(settings) is None


# --- schema and store ----------------------------------------------------------------------------------


def test_migration_adds_the_audio_column_to_an_existing_database(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    conn = connect(path)
    assert schema.migrate(conn, target=3) == 3
    conn.execute("INSERT INTO calls (id, started_at) VALUES ('old', ?)", (queries.to_db(T0),))
    conn.execute("INSERT INTO turns (call_id, idx, at, transcript) VALUES ('old', 0, ?, 'hallo')", (queries.to_db(T0),))
    conn.close()
    with RecordStore(path) as store:
        with store.connection() as fresh:
            assert schema.version(fresh) == schema.LATEST
            columns = {row[1] for row in fresh.execute("PRAGMA table_info(turns)")}
        assert "audio_file" in columns
        (turn,) = store.query(queries.get_turns, "old")
        assert turn.transcript == "hallo" and turn.audio_file == ""


def test_store_keeps_the_audio_path_of_a_turn(tmp_path: Path) -> None:
    with make_store(tmp_path) as store:
        record_call(store, "c1", T0, "/somewhere/0.wav")
        record_call(store, "c2", T0)
        assert [t.audio_file for t in store.query(queries.get_turns, "c1")] == ["/somewhere/0.wav"]
        assert store.query(queries.turn_audio, "c1", 0) == "/somewhere/0.wav"
        assert store.query(queries.turn_audio, "c2", 0) == ""
        assert store.query(queries.turn_audio, "c1", 7) == ""


def test_purge_deletes_the_audio_files_of_purged_calls(tmp_path: Path) -> None:
    keeper = AudioKeeper(tmp_path / "audio")
    old_file = keeper.write("old", 0, noise_burst(RATE, 100), RATE)
    new_file = keeper.write("new", 0, noise_burst(RATE, 100), RATE)
    with make_store(tmp_path) as store:
        record_call(store, "old", T0 - dt.timedelta(days=91), old_file)
        record_call(store, "new", T0, new_file)
        assert store.purge(T0, 90) == 1
    assert not Path(old_file).exists() and not Path(old_file).parent.exists()
    assert Path(new_file).is_file()


# --- retention in ``voicebot run`` ---------------------------------------------------------------------


async def test_run_purges_old_records_while_it_runs(settings: Settings, tmp_path: Path) -> None:
    stop = asyncio.Event()
    seen: list[dt.datetime] = []

    def clock() -> dt.datetime:
        seen.append(T0)
        stop.set()  # one purge, then the task ends as it does when the bot stops
        return T0

    with make_store(tmp_path) as store:
        record_call(store, "old", T0 - dt.timedelta(days=settings.records.retention_days + 1))
        record_call(store, "new", T0 - dt.timedelta(days=1))
        task = start_purging(store, settings, stop, web=False, clock=clock)
        assert task is not None
        assert await task == 1
        assert seen == [T0]
        assert [row.id for row in store.query(queries.list_calls)] == ["new"]


async def test_run_leaves_purging_to_the_web_app_and_to_nobody_for_memory_records(
    settings: Settings, tmp_path: Path
) -> None:
    stop = asyncio.Event()
    with make_store(tmp_path) as store:
        assert start_purging(store, settings, stop, web=True) is None
    assert start_purging(MemoryRecorder(), settings, stop, web=False) is None


# --- staff page and audio route ------------------------------------------------------------------------


@pytest.fixture
def audio_dir(tmp_path: Path) -> Path:
    return tmp_path / "audio"


@pytest.fixture
def store(tmp_path: Path, audio_dir: Path) -> Iterator[RecordStore]:
    records = make_store(tmp_path)
    keeper = AudioKeeper(audio_dir)
    record_call(records, "with-audio", T0, keeper.write("with-audio", 0, noise_burst(RATE, 200), RATE))
    outside = tmp_path / "secret.wav"
    outside.write_bytes(b"RIFF secret")
    record_call(records, "outside", T0, str(outside))  # a path outside audio_dir (tampered database)
    record_call(records, "silent", T0)
    add_user(records, "sabine", "staff")
    yield records
    records.close()


@pytest.fixture
async def client(settings: Settings, store: RecordStore, audio_dir: Path) -> AsyncIterator[Client]:
    async with running_app(with_audio(settings, audio_dir), store, clock=FakeClock(T0)) as test_client:
        yield test_client


async def test_staff_can_play_a_turn_with_audio(client: Client) -> None:
    await login(client, "sabine")
    page = await (await client.get("/calls/with-audio")).text()
    assert '<audio controls preload="none" src="/calls/with-audio/audio/0"' in page
    response = await client.get("/calls/with-audio/audio/0")
    assert response.status == 200
    assert response.headers["Content-Type"] == "audio/wav"
    assert read_wav(await response.read()) == (noise_burst(RATE, 200), RATE)


async def test_turns_without_audio_have_no_player(client: Client) -> None:
    await login(client, "sabine")
    page = await (await client.get("/calls/silent")).text()
    assert "<audio" not in page
    assert (await client.get("/calls/silent/audio/0")).status == 404


async def test_anonymous_cannot_fetch_audio(client: Client) -> None:
    response = await client.get("/calls/with-audio/audio/0", allow_redirects=False)
    assert response.status in (302, 303, 401)
    assert not (await response.read()).startswith(b"RIFF")


@pytest.mark.parametrize(
    "path",
    [
        "/calls/outside/audio/0",
        "/calls/with-audio/audio/..%2F..%2Fsecret.wav",
        "/calls/with-audio/audio/-1",
        "/calls/..%2Foutside/audio/0",
        "/calls/with-audio/audio/0%2F..%2F..%2F..%2Fsecret.wav",
    ],
)
async def test_audio_route_serves_nothing_outside_the_audio_dir(client: Client, path: str) -> None:
    await login(client, "sabine")
    response = await client.get(path)
    assert response.status == 404
    assert b"secret" not in await response.read()


# --- the call session ------------------------------------------------------------------------------------


@pytest.mark.parametrize("on", [True, False])
async def test_session_keeps_a_wav_per_spoken_turn_only_when_switched_on(
    settings: Settings, tmp_path: Path, on: bool
) -> None:
    from tests.session_helpers import make_bot, speech
    from voicebot.call.simulate import simulate_call

    audio_dir = tmp_path / "audio"
    bot = make_bot(with_audio(settings, audio_dir, on=on), tmp_path, ["auto", "ja"])
    result = await simulate_call(bot, [speech(), speech(400)], start=T0, call_id="sip:abc@../../x")
    assert [turn.action for turn in result.turns] == ["greeting", "confirm", "answer"]
    heard: list[bytes] = bot.transcriber.heard  # type: ignore[attr-defined]
    assert len(heard) == 2
    if not on:
        assert [turn.audio_file for turn in result.turns] == ["", "", ""]
        assert not audio_dir.exists()
        return
    greeting, first, second = result.turns
    assert greeting.audio_file == ""  # no caller audio in the greeting turn
    folder = audio_dir.resolve() / call_folder("sip:abc@../../x")
    assert first.audio_file == str(folder / "1.wav") and second.audio_file == str(folder / "2.wav")
    assert sorted(p.name for p in folder.iterdir()) == ["1.wav", "2.wav"]
    # each file is the utterance exactly as the recogniser got it, at its rate
    assert read_wav(first.audio_file) == (heard[0], bot.transcriber.sample_rate)
    assert read_wav(second.audio_file) == (heard[1], bot.transcriber.sample_rate)
    assert len(heard[0]) >= 2 * RATE * 800 // 1000
