"""The rate/ETA meter that every long job reports through."""
from duplicalt.progress.meter import Meter, Progress


def test_meter_reports_count_rate_and_eta(monkeypatch):
    clock = iter([100.0, 102.0, 104.0])
    monkeypatch.setattr("duplicalt.progress.meter.time.monotonic", lambda: next(clock))
    seen: list[Progress] = []
    meter = Meter("embed", 10, seen.append)
    meter.add(2)
    meter.add(3, "batch")
    assert [(p.done, p.total) for p in seen] == [(2, 10), (5, 10)]
    assert seen[0].rate == 1.0 and seen[0].eta_s == 8.0
    assert seen[1].rate == 5 / 4 and seen[1].eta_s == 5 / 1.25
    assert seen[1].stage == "embed" and seen[1].message == "batch"


def test_meter_without_a_callback_still_counts():
    meter = Meter("hash", 3, None)
    meter.add(3)
    assert meter.done == 3


def test_a_stage_done_at_once_reports_no_rate_rather_than_a_huge_one(monkeypatch):
    clock = iter([100.0, 100.000004, 100.000008])  # 38,219 cached hashes in 8 microseconds
    monkeypatch.setattr("duplicalt.progress.meter.time.monotonic", lambda: next(clock))
    seen: list[Progress] = []
    meter = Meter("hash", 38219, seen.append)
    meter.add(20000)
    meter.add(18219)
    assert [(p.done, p.rate) for p in seen] == [(20000, 0.0), (38219, 0.0)]
    assert seen[0].eta_s is None and seen[1].eta_s == 0.0  # unknown; then nothing left
