"""The import direction: core knows neither torch nor Qt; ml knows no Qt; only gui imports Qt."""
import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "duplicalt"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
            if node.module.startswith("duplicalt."):
                names.add(node.module)
    return names


def test_static_import_rules():
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).as_posix()
        mods = imported_modules(path)
        if not rel.startswith("gui/"):
            assert "PySide6" not in mods, f"{rel} imports Qt"
        if rel.startswith("core/"):
            assert "torch" not in mods, f"{rel} imports torch"
            assert not any(m.startswith(("duplicalt.ml", "duplicalt.gui", "duplicalt.cli"))
                           for m in mods), f"{rel} imports an upper layer"
        if rel.startswith("ml/"):
            assert not any(m.startswith(("duplicalt.gui", "duplicalt.cli")) for m in mods), rel


def test_core_runs_without_torch_or_qt_loaded():
    code = (
        "import sys, pkgutil, importlib, duplicalt.core as c\n"
        "for m in pkgutil.iter_modules(c.__path__): importlib.import_module('duplicalt.core.' + m.name)\n"
        "bad = [m for m in ('torch', 'PySide6') if m in sys.modules]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
