"""The product as a district would install it: the wheel without the benchmark, in a fresh environment.

``pip install .`` must give a working ``voicebot run`` (the benchmark and its test harness live in ``bench/``, a
distribution of their own); ``voicebot bench`` then says how to get it. The fresh environment borrows the
engines' packages from the test environment (without the checkout's own packages), so nothing is downloaded.
"""

from __future__ import annotations

import asyncio
import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from voicebot_bench.sipcaller import CallPlan, Step, place_call

from tests.sip_helpers import ROOT, BotProcess, free_rtp_base, free_udp_port, write_config

pytestmark = [pytest.mark.sip, pytest.mark.slow]

CLEAN = {"PYTHONPATH": ""}
"""No checkout on the path of the installed product (developers may have it set)."""
OWN = ("voicebot", "voicebot_bench", "__editable__", "_voicebot", "voicebot-", "voicebot_bench-")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (found,) = out.glob("voicebot-*.whl")
    return found


@pytest.fixture(scope="module")
def python(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh virtual environment with the product wheel (no benchmark); the engines come from the test venv."""
    folder = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder / "env")], check=True, timeout=120)
    env_python = folder / "env" / "bin" / "python"
    purelib = subprocess.run(
        [str(env_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    deps = folder / "deps"  # the test venv's packages, without the checkout's own (editable) ones
    deps.mkdir()
    for source in (Path(p) for p in site.getsitepackages()):
        for entry in source.iterdir():
            if not entry.name.startswith(OWN) and not (deps / entry.name).exists():
                (deps / entry.name).symlink_to(entry)
    (Path(purelib) / "engines.pth").write_text(f"{deps}\n", encoding="utf-8")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", purelib, str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return str(env_python)


def test_the_product_wheel_holds_the_product_and_not_the_benchmark(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    packages = {name.split("/")[0] for name in names}
    assert packages == {"voicebot", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    assert "voicebot/web/templates/base.html" in names and "voicebot/py.typed" in names
    assert not [name for name in names if "bench" in name.split("/")[1]], "the benchmark is not part of the product"


def test_the_installed_product_checks_its_configuration_and_names_the_missing_benchmark(
    python: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, sip={"port": free_udp_port(), "rtp_port": free_rtp_base()})
    where = subprocess.run(
        [python, "-c", "import voicebot, importlib.util as u; print(voicebot.__file__, u.find_spec('voicebot_bench'))"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **CLEAN},
    ).stdout
    assert str(ROOT) not in where and where.strip().endswith("None"), where
    check = subprocess.run(
        [python, "-m", "voicebot", "-c", str(config), "check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **CLEAN},
    )
    assert check.returncode == 0, check.stdout + check.stderr
    bench = subprocess.run(
        [python, "-m", "voicebot", "bench"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **CLEAN},
    )
    assert bench.returncode == 2 and "pip install ./bench" in bench.stderr, bench.stderr


def test_the_installed_product_answers_a_sip_call(python: str, tmp_path: Path) -> None:
    config = write_config(
        tmp_path, sip={"port": free_udp_port(), "rtp_port": free_rtp_base(), "max_calls": 3, "overflow": "reject"}
    )
    with BotProcess(config, "--line-test", "--grace", "2", python=python, cwd=tmp_path, env=CLEAN) as bot:
        report = asyncio.run(
            place_call(CallPlan(bot.uri, steps=(Step("transfer", digits="4"),), quiet_ms=500, reply_timeout_s=10))
        )
        assert report.answered and report.error == "", report
        assert report.refer_to.startswith("sip:jugendamt@")
