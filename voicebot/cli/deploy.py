"""``voicebot deploy``: lay out an installed server — /etc/voicebot, /var/lib/voicebot, the systemd units.

What the wheel ships (``voicebot/deploy/``): the example configuration, the content (FAQ base, departments,
prompts) and the two unit files. ``deploy`` copies the configuration and content into ``--etc`` (default
``/etc/voicebot``) where the admins and the web app edit them, creates ``--data`` (``/var/lib/voicebot``:
records, speech cache, models) and writes the units into ``--units`` (``/etc/systemd/system``) with the
path of this environment's ``voicebot``. It never overwrites: on an upgrade a changed shipped file is put
beside the district's own as ``NAME.dist`` to compare, and the data is not touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from importlib import resources
from pathlib import Path

import tomlkit

SHIPPED_EXEC = "/opt/voicebot/venv/bin/voicebot"
"""The ExecStart path written in the shipped unit files, replaced by the installing environment's."""
UNITS = ("voicebot.service", "voicebot-web.service")
DATA_PATHS = (
    ("records", "database"),
    ("records", "audio_dir"),
    ("tts", "cache_dir"),
    ("asr", "vosk_model"),
    ("asr", "whisper_model"),
    ("tts", "piper_voice"),
)
"""Settings that name data: in the server's configuration relative to ``[paths] data_dir``, without ``var/``."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``voicebot deploy``."""
    parser.add_argument("--etc", type=Path, default=Path("/etc/voicebot"), help="configuration folder")
    parser.add_argument("--data", type=Path, default=Path("/var/lib/voicebot"), help="data folder")
    parser.add_argument("--units", type=Path, default=Path("/etc/systemd/system"), help="where unit files go")
    parser.add_argument("--user", default="voicebot", help="the service's user (owns --data, group of --etc)")


def shipped() -> Path:
    """The folder of shipped files inside the installed package."""
    return Path(str(resources.files("voicebot") / "deploy"))


def server_config(text: str, data_dir: Path) -> str:
    """The shipped ``voicebot.toml`` made into a server's: ``[paths] data_dir``, data paths without ``var/``."""
    document = tomlkit.parse(text)
    paths = document.setdefault("paths", tomlkit.table())
    paths["data_dir"] = str(data_dir)
    paths["models_dir"] = "models"
    for section, key in DATA_PATHS:
        table = document.get(section)
        value = table.get(key) if table is not None else None
        if isinstance(value, str) and value.startswith("var/"):
            table[key] = value.removeprefix("var/")  # type: ignore[index]
    return tomlkit.dumps(document)


def render_unit(text: str, voicebot: Path, etc: Path, data: Path, user: str) -> str:
    """A shipped unit file with this installation's command, folders and user."""
    text = text.replace(SHIPPED_EXEC, str(voicebot))
    text = text.replace("/etc/voicebot", str(etc)).replace("/var/lib/voicebot", str(data))
    text = text.replace("User=voicebot", f"User={user}").replace("Group=voicebot", f"Group={user}")
    if data.parent != Path("/var/lib"):  # StateDirectory= only names folders under /var/lib
        text = text.replace("StateDirectory=voicebot\n", "").replace("StateDirectoryMode=0750\n", "")
    return text


def place(target: Path, content: bytes, report: list[str]) -> None:
    """Write ``target`` unless it exists; a differing existing file gets the new one beside it as ``.dist``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(content)
        report.append(f"new      {target}")
    elif target.read_bytes() != content:
        dist = target.with_name(target.name + ".dist")
        dist.write_bytes(content)
        report.append(f"kept     {target} (the shipped version is {dist.name}: compare and merge by hand)")
    else:
        report.append(f"same     {target}")


def deploy(etc: Path, data: Path, units: Path, user: str, voicebot: Path) -> list[str]:
    """Lay out configuration, content, data folders and units; returns one line per file."""
    source = shipped()
    report: list[str] = []
    config_text = server_config((source / "voicebot.toml").read_text(encoding="utf-8"), data)
    place(etc / "voicebot.toml", config_text.encode("utf-8"), report)
    for folder in ("grammars", "prompts"):
        for file in sorted((source / folder).glob("*.yaml")):
            place(etc / folder / file.name, file.read_bytes(), report)
    for made in (data, data / "models", data / "cache"):
        made.mkdir(parents=True, exist_ok=True)
    for unit in UNITS:
        text = render_unit((source / unit).read_text(encoding="utf-8"), voicebot, etc, data, user)
        place(units / unit, text.encode("utf-8"), report)
    if os.geteuid() == 0:
        _own(etc, data, user, report)
    return report


def _own(etc: Path, data: Path, user: str, report: list[str]) -> None:
    try:
        for path in (data, *data.rglob("*")):
            shutil.chown(path, user, user)
        for path in (etc, *etc.rglob("*")):
            shutil.chown(path, "root", user)
            path.chmod(0o2775 if path.is_dir() else 0o664)
    except LookupError:
        report.append(
            f"note     no user {user!r} yet: useradd --system --home-dir {data} --shell /usr/sbin/nologin {user}"
        )


def run(args: argparse.Namespace) -> int:
    """Deploy and print what was done and what comes next."""
    voicebot = Path(sys.executable).parent / "voicebot"
    etc, data, units = (path.resolve() for path in (args.etc, args.data, args.units))
    for line in deploy(etc, data, units, args.user, voicebot):
        print(line)
    print(
        f"\nnext: check the configuration (voicebot -c {etc / 'voicebot.toml'} check), fetch or install the "
        "models (voicebot models list), fill the speech cache (voicebot prerender, as the service's user), "
        "then: systemctl daemon-reload && systemctl enable --now voicebot"
    )
    return 0
