"""The SIGKILL fault test in its CI form (the full run is scripts/fault_test_moves.py)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fault_test_moves.py"


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_random_sigkills_lose_nothing(tmp_path):
    out = subprocess.run([sys.executable, str(SCRIPT), "--photos", "20", "--kills", "12",
                          "--rounds", "4", "--per-phase", "2", "--seed", "1",
                          "--workdir", str(tmp_path)],
                         capture_output=True, text=True, timeout=400)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "RESULT: PASS" in out.stdout
    assert int(re.search(r"SIGKILLs in total: (\d+)", out.stdout).group(1)) >= 12
    # every mode ran, the two concurrent applies of one scan into two backups included
    assert "move runs completed (two concurrent applies): " in out.stdout
    assert int(re.search(r"rounds in total: (\d+)", out.stdout).group(1)) >= 4
    for line in out.stdout.splitlines():
        if line.startswith("violations"):
            assert line.endswith(": 0"), line
