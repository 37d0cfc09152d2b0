"""`duplicalt bench`: scan speed in one run.

Times, on a fixed-seed folder of camera-sized JPEGs: our cold scan (empty
cache), a warm re-scan (nothing changed), a re-scan after 1 % of the files
changed and, where installed, imagehash pHash over the same folder; then a warm
re-scan of many small files and the grouping of N random 512-d vectors with
planted near-duplicates. Every measurement runs in its own child process, so
each peak RSS is its own. Child processes: duplicalt/bench_child.py.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from duplicalt.ml.training.shared_data import data_root, missing

SHARED = data_root() / "bench" / "originals"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--originals", type=Path, default=SHARED, help="source photos")
    p.add_argument("--work", type=Path, default=Path("runs/speed"), help="generated data here")
    p.add_argument("--n", type=int, default=150, help="camera-sized photos")
    p.add_argument("--size", default="4032x3024", help="camera photo size WxH")
    p.add_argument("--small", type=int, default=10_000, help="files for the warm re-scan (0: skip)")
    p.add_argument("--scale", type=int, nargs="*", default=[100_000, 1_000_000],
                   help="vector counts for the grouping scale run")
    p.add_argument("--scale-floor", type=float, default=0.9,
                   help="threshold of the scale run (planted pairs at cosine floor..floor+0.09)")
    p.add_argument("--model", default=None)
    p.add_argument("--device", default="auto")
    p.add_argument("--workers", type=int, default=None, help="decode threads (default: cores)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: cores/4)")
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    p.add_argument("--engine", default="auto", choices=["auto", "onnx", "torch"],
                   help="what runs the network (auto: ONNX Runtime on a CPU)")
    p.add_argument("--threshold", type=float, default=None, help="default: the model's")
    p.add_argument("--compare-bf16", action="store_true", help="also a cold scan in bf16")
    p.add_argument("--compare-torch", action="store_true",
                   help="also the default scan with the network on torch (--engine torch)")
    p.add_argument("--reference", action="store_true",
                   help="also a cold scan with the old settings (torch default threads)")
    p.add_argument("--no-verify", action="store_true", help="skip the scans with verification")
    p.add_argument("--repeat", type=int, default=3, help="rounds of the side-by-side cold runs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--side-only", action="store_true",
                   help="only the side-by-side cold runs (no cold/warm/changed series)")
    p.add_argument("--json", type=Path, dest="json_out")


def child(kind: str, **spec) -> dict:
    """Run one measurement in a fresh interpreter; its JSON answer."""
    cmd = [sys.executable, "-m", "duplicalt.evaluation.speed.child", kind, json.dumps(spec, default=str)]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
    process_s = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"bench child {kind} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]), process_s=process_s)


def _row(label: str, r: dict, files: int | None = None) -> str:
    n = files or r["files"]
    rate = n / r["seconds"] if r["seconds"] else float("inf")
    extra = f"  groups {r['groups']}" if "groups" in r else ""
    if "embedded" in r:
        extra += f"  (embedded {r['embedded']}, startup {r['startup']:.1f} s" + \
            (f", report {r['report_s']:.2f} s)" if r.get("report_s") is not None else ")")
    return (f"{label:<44}{r['seconds']:>9.2f} s{rate:>10.1f} /s  peak RSS "
            f"{r['peak_rss_mb']:>6.0f} MB{extra}")


def camera_runs(args, folder: Path, emb: dict) -> tuple[list[str], dict]:
    lines, res = [], {}
    cache = args.work / "bench-cache.sqlite"
    for verify in ([False] if args.no_verify else [False, True]):
        tag = "scan+verify" if verify else "scan"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{cache}{suffix}").unlink(missing_ok=True)
        spec = dict(emb, folder=folder, cache=cache, verify=verify)
        res[f"{tag} cold"] = child("scan", **spec)
        res[f"{tag} warm"] = child("scan", **spec)
        res[f"{tag} 1% changed"] = child("scan", **spec, change=0.01, seed=args.seed)
        for k in ("cold", "warm", "1% changed"):
            lines.append(_row(f"ours {tag} {k}", res[f"{tag} {k}"]))
        same = res[f"{tag} cold"]["signature"] == res[f"{tag} warm"]["signature"]
        lines.append(f"  warm groups identical to cold: {same}")
    return lines, res


def variants(args, folder: Path, emb: dict, workers: int) -> dict[str, tuple[str, dict]]:
    """The cold runs compared side by side: name -> (child kind, spec)."""
    scan = dict(emb, folder=folder, cache=None, verify=False)
    out = {"ours": ("scan", scan)}
    if not args.no_verify:  # the default scan: candidate pairs checked by the ORB matcher
        out["ours+verify"] = ("scan", dict(scan, verify=True))
    if args.reference:
        out["ours, old thread settings"] = ("scan", dict(scan, threads=0))
    if args.compare_bf16:
        out["ours, bf16"] = ("scan", dict(scan, precision="bf16"))
    if args.compare_torch and not args.no_verify:
        out["ours+verify, torch"] = ("scan", dict(scan, verify=True, engine="torch"))
    try:
        import czkawka  # noqa: F401

        out["czkawka"] = ("czkawka", {"folder": folder})
    except ImportError:
        print("czkawka not installed (pip install czkawka): no Czkawka peer")
    try:
        import imagehash  # noqa: F401
    except ImportError:
        print("imagehash not installed (pip install .[bench]): no pHash baseline")
        return out
    for threads in sorted({1, workers}):
        out[f"imagehash pHash, {threads} thread(s)"] = ("phash", {"folder": folder,
                                                                 "threads": threads})
    return out


def side_by_side(args, folder: Path, emb: dict, workers: int) -> tuple[list[str], dict]:
    """Each cold variant ``args.repeat`` times, round robin (a shared machine's
    load drifts); the median of each, and whether its groups match ours."""
    runs = variants(args, folder, emb, workers)
    got: dict[str, list[dict]] = {name: [] for name in runs}
    for _ in range(args.repeat):
        for name, (kind, spec) in runs.items():
            got[name].append(child(kind, **spec))
    lines, res = [], {}
    for name, rs in got.items():
        rs = sorted(rs, key=lambda r: r["seconds"])
        res[f"cold {name}"] = mid = dict(rs[len(rs) // 2], all_seconds=[r["seconds"] for r in rs])
        rates = ", ".join(f"{mid['files'] / r['seconds']:.1f}" for r in rs)
        base = res.get("cold ours+verify" if runs[name][1].get("verify") else "cold ours")
        same = (f"  same groups: {mid['signature'] == base['signature']}"
                if "signature" in mid and base else "")
        lines.append(_row(f"cold {name} (median of {len(rs)})", mid) + same)
        lines.append(f"{'':<8}runs: {rates} /s")
    return lines, res


def ratios(res: dict) -> list[str]:
    rate = {k[5:]: r["files"] / r["seconds"] for k, r in res.items() if k.startswith("cold ")}
    out = []
    phash = max((v for k, v in rate.items() if k.startswith("imagehash")), default=None)
    if phash and "ours" in rate:
        out.append(f"cold scan / best imagehash pHash (same rounds): {rate['ours'] / phash:.2f}x")
    if phash and "ours+verify" in rate:
        out.append(f"cold scan+verify (the default) / best imagehash pHash (same rounds): "
                   f"{rate['ours+verify'] / phash:.2f}x")
    whole = {k[5:]: r["process_s"] for k, r in res.items()
             if k.startswith("cold ") and "process_s" in r}
    for key, label in (("ours+verify", "ours+verify (the default)"),
                       ("ours+verify, torch", "ours+verify with the network on torch")):
        if "czkawka" in whole and key in whole:
            report = res[f"cold {key}"].get("report_s")
            with_report = f" (with its report's keepers, {report:.1f} s)" if report else ""
            out.append(f"whole process, cold: czkawka {whole['czkawka']:.1f} s / {label} "
                       f"{whole[key]:.1f} s{with_report} = {whole['czkawka'] / whole[key]:.2f}x")
    for name in ("ours, old thread settings", "ours, bf16"):
        if name in rate and "ours" in rate:
            out.append(f"ours / {name}: {rate['ours'] / rate[name]:.2f}x")
    for key in ("scan warm", "scan 1% changed"):
        if key in res and "scan cold" in res:
            speed = res["scan cold"]["seconds"] / res[key]["seconds"]
            out.append(f"{key} vs cold: {speed:.1f}x faster")
    return out


def main(args) -> int:
    from duplicalt.evaluation.speed.data import camera_folder

    problem = missing(args.originals, "benchmark photos", "--originals")
    if problem:
        print(f"duplicalt bench: error: {problem}", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    size = tuple(int(v) for v in args.size.lower().split("x"))
    started = time.monotonic()
    folder = args.work / f"camera-{args.n}-{size[0]}x{size[1]}-s{args.seed}"
    print(f"Making/reusing {args.n} camera-sized JPEGs in {folder} ...", flush=True)
    camera_folder(args.originals, folder, args.n, args.seed, size)
    mb = sum(p.stat().st_size for p in folder.glob("*.jpg")) / args.n / 1e6
    emb = {"model": args.model, "device": args.device, "workers": args.workers,
           "threads": args.threads, "precision": args.precision, "threshold": args.threshold,
           "engine": args.engine}
    info = child("info", **emb)
    print(f"{args.n} photos {size[0]}x{size[1]}, {mb:.1f} MB each; {info['cpus']} CPUs; model "
          f"input {info['input_size']} px on {info['device']} ({info['engine']}), {info['workers']} "
          f"decode workers, {info['threads']} inference threads, {args.precision}", flush=True)
    lines, res = ([], {}) if args.side_only else camera_runs(args, folder, emb)
    print("\n".join(lines), flush=True)
    more, cold = side_by_side(args, folder, emb, info["workers"])
    res.update(cold)
    print("\n".join(more + ratios(res)), flush=True)
    if args.small:
        res.update(small_runs(args, emb))
    for n in args.scale:
        r = res[f"group {n}"] = child("group", n=n, seed=args.seed, floor=args.scale_floor)
        print(f"group {n:>9,} x 512 float16 vectors at {args.scale_floor}: {r['seconds']:.1f} s, "
              f"peak RSS "
              f"{r['peak_rss_mb']:.0f} MB, {r['pairs']} pairs, planted recall {r['recall']:.4f}, "
              f"{r['groups']} groups ({r['path']})", flush=True)
    print(f"bench total {time.monotonic() - started:.0f} s")
    if args.json_out:
        args.json_out.write_text(json.dumps(res, indent=1, default=str))
    return 0


def small_runs(args, emb: dict) -> dict:
    from duplicalt.evaluation.speed.data import small_folder

    folder = args.work / f"small-{args.small}-s{args.seed}"
    print(f"Making/reusing {args.small} small JPEGs in {folder} ...", flush=True)
    small_folder(args.originals, folder, args.small, args.seed)
    cache = args.work / "bench-small-cache.sqlite"
    spec = dict(emb, folder=folder, cache=cache, verify=False)
    res = {"small cold": child("scan", **spec, fresh=True), "small warm": child("scan", **spec)}
    print(_row(f"ours scan cold, {args.small} small files", res["small cold"]))
    print(_row(f"ours scan warm, {args.small} unchanged files", res["small warm"]), flush=True)
    return res


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="duplicalt bench", description=__doc__)
    add_arguments(parser)
    raise SystemExit(main(parser.parse_args()))
