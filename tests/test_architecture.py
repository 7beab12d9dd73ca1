"""The house plan, checked: stages import only stages that run before them, no import circles, and the product
imports nothing from the benchmark. The map in README.md ("Map of the code") names the same ranks."""

from __future__ import annotations

import ast
import collections.abc
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "voicebot"

RANKS: dict[str, int] = {
    # foundations: typed values and interfaces every stage may use
    "": 0,  # audio, errors, events, ports
    "config": 1,
    "content": 1,
    "language": 1,
    "engines": 2,
    # the pipeline, in call order
    "telephony": 3,
    "listen": 4,
    "understand": 5,
    "dialogue": 6,
    "speak": 7,
    "records": 8,
    "call": 9,
    # the people's side
    "web": 10,
    "cli": 11,
}
"""A module may import modules of its own rank or below; the pipeline's later stages reach back only
through ``voicebot.ports`` Protocols."""

LATE_MODULES = {
    "voicebot.__main__": 11,  # ``python -m voicebot`` is the command line
    "voicebot.content.load": 8,
    "voicebot.content.check": 8,
    "voicebot.content.languages": 8,
    "voicebot.content.rules": 10,
    "voicebot.content.edit": 10,
    "voicebot.content.edit_departments": 10,
    "voicebot.content.edit_language": 10,
    "voicebot.content.roundtrip": 10,
}
"""Loading the content checks it across the stages (every grammar word in the recogniser's vocabulary, the
matcher's normalisation): loading ranks just before the call that loads it; the admin's edit rules rank with
the web app. The content's data shapes (``voicebot.content.model``) stay a foundation."""


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def rank(module: str) -> int:
    if module in LATE_MODULES:
        return LATE_MODULES[module]
    parts = module.split(".")
    stage = parts[1] if len(parts) > 1 and (PACKAGE / parts[1]).is_dir() else ""
    return RANKS[stage]


def imports(path: Path, known: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(every imported module of the package or the benchmark, those imported at module level)."""
    every: set[str] = set()
    top: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            if name in known or name.split(".")[0] == "voicebot_bench":
                every.add(name)
                if node.col_offset == 0:
                    top.add(name)
    return every, top


def test_every_package_has_a_rank() -> None:
    stages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert stages <= set(RANKS), f"give these packages a rank in RANKS and README's map: {stages - set(RANKS)}"


def test_no_stage_imports_a_later_one_and_the_product_never_imports_the_benchmark() -> None:
    known = modules()
    wrong = []
    for name, path in sorted(known.items()):
        every, _ = imports(path, known)
        for target in sorted(every):
            if target.startswith("voicebot_bench"):
                wrong.append(f"{name} imports the benchmark ({target})")
            elif target in known and rank(target) > rank(name):
                wrong.append(f"{name} (rank {rank(name)}) imports {target} (rank {rank(target)})")
    assert not wrong, "\n".join(wrong)


def test_the_listener_only_listens() -> None:
    """Stricter than the ranks: ``voicebot.listen`` uses foundations, configuration, content shapes and language
    helpers only, and the Listener takes no callback through which the matcher, the dialogue or the speech cache
    could run inside it. It reports events (``EarlyTranscript``); the call session decides what to do with them."""
    known = modules()
    allowed = {"", "config", "content", "language", "listen"}
    wrong = [
        f"{name} imports {target}"
        for name, path in sorted(known.items())
        if name.startswith("voicebot.listen")
        for target in sorted(imports(path, known)[0])
        if target in known
        and (target.split(".")[1] if (PACKAGE / target.split(".")[1]).is_dir() else "") not in allowed
    ]
    assert not wrong, "\n".join(wrong)
    from voicebot.listen.listener import Listener

    hints = typing.get_type_hints(Listener.__init__)
    callbacks = [
        name
        for name, hint in hints.items()
        if any(typing.get_origin(arg) is collections.abc.Callable for arg in (hint, *typing.get_args(hint)))
    ]
    assert not callbacks, f"the Listener reports events instead of calling back: {callbacks}"


def test_no_import_circle_at_module_level() -> None:
    known = modules()
    graph = {name: imports(path, known)[1] - {name} for name, path in known.items()}
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> list[str] | None:
        if node in trail:
            return [*trail[trail.index(node) :], node]
        if node in done or node not in graph:
            return None
        for target in sorted(graph[node]):
            circle = visit(target, [*trail, node])
            if circle:
                return circle
        done.add(node)
        return None

    for name in sorted(graph):
        circle = visit(name, [])
        assert circle is None, " -> ".join(circle or [])


def test_no_module_is_longer_than_about_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): count
        for path in [*PACKAGE.rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > 420
    }
    assert not long, f"split these along their seams: {long}"
