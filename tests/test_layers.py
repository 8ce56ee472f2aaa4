"""The import contract (pyproject.toml, [tool.importlinter]): rooms in data-flow order,
nothing importing upward, no circles. Run through import-linter's public entry point."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
#: In a process of its own: zope.interface, once Twisted has used it in this process,
#: leaves class attributes that import-linter's option check cannot read.
LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))"
)


def _lint(config: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-c", LINT, str(config)], capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout + done.stderr


def test_the_import_contract_is_kept() -> None:
    status, output = _lint(PYPROJECT)
    assert status == 0, output
    assert "Contracts: 2 kept, 0 broken." in output


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_the_contract_catches_an_upward_import(tmp_path: Path) -> None:
    """The same contract with the layers turned upside down must fail: the check reads the
    real import graph, it is not vacuously green."""
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["id"] == "layers")
    lines = [f"{k} = {_toml(v)}" for k, v in config.items() if k != "contracts"]
    lines.append("[[tool.importlinter.contracts]]")
    for key, value in layers.items():
        if key == "layers":
            value = list(reversed(value))
        if key != "ignore_imports":
            lines.append(f"{key} = {_toml(value)}")
    upside_down = tmp_path / "pyproject.toml"
    upside_down.write_text("[tool.importlinter]\n" + "\n".join(lines) + "\n", encoding="utf-8")
    status, output = _lint(upside_down)
    assert status == 1 and "Contracts: 0 kept, 1 broken." in output, output


@pytest.mark.parametrize("contract", ["layers", "acyclic"])
def test_every_top_level_module_is_in_a_layer(contract: str) -> None:
    """A new top-level module must be placed in the layering, or nothing checks it."""
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]
    if contract == "acyclic":
        ancestors = next(c for c in config["contracts"] if c["id"] == "acyclic")["ancestors"]
        assert set(ancestors) == set(config["root_packages"])
        return
    layers = next(c for c in config["contracts"] if c["id"] == "layers")["layers"]
    named = {m.strip().strip("()") for layer in layers for m in layer.split(":")}
    package = PYPROJECT.parent / "finews_spider"
    modules = {
        f"finews_spider.{p.stem if p.is_file() else p.name}"
        for p in package.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    assert modules - named == set(), "add these modules to the layers contract"
