"""DECISIONS.json (what ``duplicalt scan --json`` writes, plus optional
``"action": "keep" | "remove"`` marks) -> a plan -> moves.

Files without a mark follow the rule (``keep-suggested``: keep the group's
suggested file, remove the others); without any mark and without a rule
nothing is decided and planning refuses. With some marks and no rule,
unmarked files are kept. A group is never emptied: if every file of it would
be removed, none is; and at apply time a group's removals are skipped unless
one of its kept files is still in place.

The file is not trusted to say what the scan listed (issue 13): paths are
normalised (``sub/../a.jpg`` is ``a.jpg``), and at apply time a removal must
still be what a scan lists: a photo by its content, with the size and
modification time the scan recorded, not the same file (a hardlink) as a kept
one, and in a group of identical files still byte-identical to a kept file.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from duplicalt.fileactions.move import (Cancel, Candidate, MoveReport, Outcome, Progress,
                                        move_to_backup)
from duplicalt.fileactions.safeio import O_NOFOLLOW, is_file, lstat_or_none, show
from duplicalt.pairing.types import IDENTICAL
from duplicalt.photos.decode import sniff
from duplicalt.review.keeper import suggest_keeper
from duplicalt.review.seal import seal_problem

RULES = ("keep-suggested",)
ACTIONS = ("keep", "remove")


class DecisionsError(ValueError):
    """DECISIONS.json cannot be used; the message says why."""


@dataclass(frozen=True)
class DecisionFile:
    path: Path
    rel: str
    size: int | None
    mtime_ns: int | None
    suggested: bool = False
    action: str | None = None  # "keep", "remove" or None (decided by a rule)
    raw: dict | None = None  # the JSON object, for suggest_keeper's facts


@dataclass(frozen=True)
class DecisionGroup:
    id: int
    tier: str
    files: tuple[DecisionFile, ...]


@dataclass(frozen=True)
class Decisions:
    root: Path
    groups: tuple[DecisionGroup, ...]


@dataclass(frozen=True)
class PlannedGroup:
    id: int
    keep: tuple[Path, ...]
    remove: tuple[Candidate, ...]
    tier: str = ""


@dataclass(frozen=True)
class Plan:
    root: Path
    groups: tuple[PlannedGroup, ...]
    skipped: tuple[Outcome, ...] = ()  # removals the plan itself refused

    @property
    def removals(self) -> tuple[Candidate, ...]:
        return tuple(c for g in self.groups for c in g.remove)


def _int_or_none(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise DecisionsError(f"{what} must be an integer")
    return value


def _path(value: Any, where: str, what: str = "\"path\"") -> str:
    if not isinstance(value, str):
        raise DecisionsError(f"{where}: {what} must be a string, not {type(value).__name__}")
    if "\x00" in value:
        raise DecisionsError(f"{where}: {what} holds a NUL character")
    return value


def _file(obj: Any, root: Path, where: str) -> DecisionFile:
    if not isinstance(obj, dict) or not (obj.get("path") or obj.get("rel")):
        raise DecisionsError(f"{where}: each file needs a \"path\"")
    if obj.get("path"):
        path = Path(_path(obj["path"], where))
    else:
        path = root / _path(obj["rel"], where, "\"rel\"")
    if not path.is_absolute():
        path = root / path
    path = Path(os.path.normpath(path))  # one spelling: sub/../a.jpg is a.jpg
    action = obj.get("action")
    if action not in (None, *ACTIONS):
        raise DecisionsError(f"{where}: \"action\" must be \"keep\" or \"remove\", not {action!r}")
    return DecisionFile(path, str(obj.get("rel") or ""), _int_or_none(obj.get("size"), where),
                        _int_or_none(obj.get("mtime_ns"), where), bool(obj.get("suggested")),
                        action, obj)


def parse_decisions(data: Any) -> Decisions:
    """Decisions from the parsed JSON; raises DecisionsError with the reason."""
    if not isinstance(data, dict):
        raise DecisionsError("not a DuplicAlt decisions file (expected a JSON object)")
    if data.get("version") != 1:
        raise DecisionsError(f"unsupported decisions version {data.get('version')!r} (expected 1)")
    root = data.get("root")
    if not isinstance(root, str) or not os.path.isabs(root) or "\x00" in root:
        raise DecisionsError("\"root\" must be the absolute path of the scanned folder")
    groups = data.get("groups")
    if not isinstance(groups, list):
        raise DecisionsError("\"groups\" must be a list")
    out = []
    for i, g in enumerate(groups):
        if not isinstance(g, dict) or not isinstance(g.get("files"), list):
            raise DecisionsError(f"group #{i + 1}: \"files\" must be a list")
        gid = g.get("id", i + 1)
        files = tuple(_file(f, Path(root), f"group {gid}") for f in g["files"])
        out.append(DecisionGroup(gid, str(g.get("tier", "")), files))
    return Decisions(Path(os.path.abspath(root)), tuple(out))


def load_decisions(path: Path, unsealed: bool = False) -> Decisions:
    """Read DECISIONS.json; raises DecisionsError with a clear message. The scan's seal
    must match (review/seal.py) unless ``unsealed`` (a file the user wrote by hand)."""
    if not isinstance(path, (str, os.PathLike)):
        raise DecisionsError(f"the decisions file must be a path, not {type(path).__name__}")
    try:
        raw = Path(path).read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise DecisionsError(f"cannot read {show(str(path).replace(chr(0), '?'))}: {why}") \
            from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecisionsError(f"{show(path)} is not valid JSON ({exc})") from None
    except RecursionError:
        raise DecisionsError(f"{show(path)} is nested too deeply to be a decisions file") \
            from None
    decisions = parse_decisions(data)  # a malformed file is told as such first
    problem = None if unsealed else seal_problem(data)
    if problem:
        raise DecisionsError(f"{show(path)} is not applied: {problem}. Scan again and apply the "
                             "new file, or pass --unsealed for a decisions file you wrote yourself")
    return decisions


def _decide(g: DecisionGroup, rule: str | None) -> list[str]:
    """"keep" or "remove" for each file of a group."""
    if rule is None:
        return [f.action or "keep" for f in g.files]
    suggested = {i for i, f in enumerate(g.files) if f.suggested}
    if not suggested and g.files:
        suggested = {suggest_keeper([f.raw or {"rel": f.rel} for f in g.files])[0]}
    return [f.action or ("keep" if i in suggested else "remove") for i, f in enumerate(g.files)]


def make_plan(decisions: Decisions, rule: str | None = None) -> Plan:
    """Which files to remove; raises DecisionsError when nothing says what to do."""
    if rule is not None and rule not in RULES:
        raise DecisionsError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")
    if rule is None and not any(f.action for g in decisions.groups for f in g.files):
        raise DecisionsError("the decisions file has no keep/remove marks (\"action\"); "
                             "mark files or give a rule such as --rule keep-suggested")
    decided = [(g, _decide(g, rule)) for g in decisions.groups]
    kept = {f.path for g, acts in decided for f, a in zip(g.files, acts) if a == "keep"}
    groups, skipped, seen = [], [], set()
    for g, acts in decided:
        keep = tuple(f.path for f, a in zip(g.files, acts) if a == "keep")
        remove = []
        for f, a in zip(g.files, acts):
            if a != "remove" or f.path in seen:
                continue
            if not keep:
                skipped.append(Outcome(f.path, f"every file of group {g.id} is marked for "
                                               "removal; nothing removed from it"))
            elif f.path in kept:
                skipped.append(Outcome(f.path, "also marked to keep in another group"))
            else:
                seen.add(f.path)
                remove.append(Candidate(f.path, f.size, f.mtime_ns))
        groups.append(PlannedGroup(g.id, keep, tuple(remove), g.tier))
    return Plan(decisions.root, tuple(groups), tuple(skipped))


def _head(path: Path) -> bytes | None:
    """The first bytes of a regular file, never read through a link; None if unreadable."""
    try:
        fd = os.open(path, os.O_RDONLY | O_NOFOLLOW | getattr(os, "O_BINARY", 0))
    except (OSError, ValueError):
        return None
    with os.fdopen(fd, "rb") as f:
        return f.read(32)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


def _refusal(g: PlannedGroup, c: Candidate, kept: list[Path]) -> str:
    """Why a planned removal is not what the scan listed ("" when it may go)."""
    if c.size is None or c.mtime_ns is None:
        return "not as a scan lists it (no size and modification time recorded)"
    if any(_same_file(c.path, k) for k in kept):
        return f"the same file as a kept photo of group {g.id} (a hardlink or alias)"
    st = lstat_or_none(c.path) if "\x00" not in str(c.path) else None
    if st is None or (st.st_size, st.st_mtime_ns) != (c.size, c.mtime_ns):
        return ""  # missing or changed since the scan: move_to_backup says so
    head = _head(c.path)
    if head is not None and sniff(head) is None:
        return "not a photo by its content (a scan lists only photos)"
    return ""  # a link or unreadable: move_to_backup says why


def vet_group(g: PlannedGroup) -> tuple[list[Candidate], list[Outcome]]:
    """The removals of one group that may go, and the refused ones with the reason.
    In a group of identical files each must still be byte-identical to a kept one
    (checked by move_to_backup, by sha256, just before it moves)."""
    kept = [p for p in g.keep if is_file(p)]
    if g.remove and not kept:
        return [], [Outcome(c.path, f"no kept file of group {g.id} is still in place; "
                                    "nothing removed from it") for c in g.remove]
    ok, refused = [], []
    for c in g.remove:
        why = _refusal(g, c, kept)
        if why:
            refused.append(Outcome(c.path, why))
        else:
            ok.append(replace(c, same_as=tuple(kept)) if g.tier == IDENTICAL else c)
    return ok, refused


def apply_plan(plan: Plan, backup_root: Path, *, trash: bool = False, dry_run: bool = False,
               force_copy: bool = False, progress: Progress | None = None,
               cancel: Cancel | None = None) -> MoveReport:
    """Carry out a plan with move_to_backup (or the trash), group safety first."""
    removals, skipped = [], list(plan.skipped)
    for g in plan.groups:
        ok, refused = vet_group(g)
        removals += ok
        skipped += refused
    report = move_to_backup(removals, plan.root, backup_root, dry_run=dry_run, trash=trash,
                            force_copy=force_copy, progress=progress, cancel=cancel)
    return replace(report, skipped=tuple(skipped) + report.skipped)
