import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.sample_photos import make_photo, save


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_keeps_cache(tmp_path, tiny_model):
    root = tmp_path / "photos"
    total = 300
    for k in range(total):
        save(make_photo(k, (800, 600)), root / f"p{k:03d}.jpg", quality=90)
    cache = tmp_path / "c.sqlite"
    cmd = [sys.executable, "-m", "duplicalt.cli.main", "scan", str(root), "--model", str(tiny_model),
           "--cache", str(cache), "--batch-size", "1", "--workers", "1", "--device", "cpu"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 60
    while time.time() < deadline:  # wait until some batches are cached
        time.sleep(0.05)
        try:
            with sqlite3.connect(cache) as db:
                if db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] >= 4:
                    break
        except sqlite3.Error:
            pass
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Stopping after the current batch" in err
    assert "Cancelled: partial result" in out
    with sqlite3.connect(cache) as db:
        kept = db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    assert 4 <= kept < total
    again = subprocess.run(cmd + ["--quiet"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0
    assert f"{total - kept} embedded now, {kept} from the cache" in again.stdout
