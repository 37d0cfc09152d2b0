"""What the import-linter contracts (pyproject.toml, run by scripts/test.sh) cannot see:
importing every model-free module really loads neither torch nor Qt, also not
through a third-party package, and ``python -m duplicalt`` works."""
import subprocess
import sys

MODEL_FREE = ("photos", "pairing", "scan", "review", "fileactions", "progress")


def test_model_free_steps_load_neither_torch_nor_qt():
    code = (
        "import sys, pkgutil, importlib\n"
        f"for pkg in {MODEL_FREE!r}:\n"
        "    p = importlib.import_module('duplicalt.' + pkg)\n"
        "    for m in pkgutil.walk_packages(p.__path__, p.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in ('torch', 'PySide6', 'cv2') if m in sys.modules]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_ml_loads_no_qt():
    code = ("import sys, pkgutil, importlib, duplicalt.ml as p\n"
            "for m in pkgutil.walk_packages(p.__path__, 'duplicalt.ml.'): importlib.import_module(m.name)\n"
            "sys.exit(1 if 'PySide6' in sys.modules else 0)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_top_level_holds_only_subpackages():
    from pathlib import Path

    import duplicalt

    top = Path(duplicalt.__file__).parent
    loose = sorted(p.name for p in top.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py"], loose


def test_python_dash_m_duplicalt():
    out = subprocess.run([sys.executable, "-m", "duplicalt", "--version"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "duplicalt" in out.stdout.lower(), out.stdout + out.stderr
