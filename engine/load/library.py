"""Load the exercise library and its ladders; check ids, ladders and levels."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import Diagnostic, EngineError, InputError, LinkError
from engine.load import yamlio
from engine.load.validation import validate
from engine.models.exercise import Exercise, Ladder, LadderFile

LADDERS_FILE = "ladders.yaml"


@dataclass
class ExerciseLibrary:
    """All exercises by id, ladders by id, and each ladder's exercises by level."""

    exercises: dict[str, Exercise] = field(default_factory=dict)
    ladders: dict[str, Ladder] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    sha256: str = ""
    warnings: list[Diagnostic] = field(default_factory=list)
    """Problems that do not stop loading (e.g. an empty ladder); `rules check` prints them."""

    def ladder(self, ladder_id: str) -> list[Exercise]:
        """Return a ladder's exercises, easiest first."""
        return sorted((e for e in self.exercises.values() if e.ladder == ladder_id), key=lambda e: e.level)

    def at(self, ladder_id: str, level: int) -> Exercise | None:
        """Return the exercise at a ladder level, if any."""
        return next((e for e in self.ladder(ladder_id) if e.level == level), None)

    def neighbour(self, ex: Exercise, step: int) -> Exercise | None:
        """Return the exercise ``step`` levels up (+) or down (−) the same ladder."""
        return self.at(ex.ladder, ex.level + step)

    def top(self, ladder_id: str) -> int:
        """Return the highest level of a ladder."""
        return max((e.level for e in self.ladder(ladder_id)), default=0)


def content_hash(paths: Iterable[Path], root: Path) -> str:
    """Hash file names (relative to root) and bytes, in sorted order."""
    h = hashlib.sha256()
    for p in sorted(paths, key=lambda q: q.relative_to(root).as_posix()):
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(p.read_bytes() + b"\0")
    return h.hexdigest()


def load_library(folder: Path) -> ExerciseLibrary:
    """Load every exercises/*.yaml and ladders.yaml; report all problems at once.

    Raises:
        InputError: schema or link problems, each with file:line:col.
    """
    if not folder.is_dir():
        raise InputError.at(str(folder), "exercise folder not found")
    lib = ExerciseLibrary()
    errors: list[Diagnostic] = []
    ladder_path = folder / LADDERS_FILE
    try:
        ladders = validate(LadderFile, *yamlio.read(ladder_path))
        lib.ladders = {lad.id: lad for lad in ladders.ladders}
    except EngineError as exc:
        errors += exc.diagnostics
    paths = sorted(p for p in folder.glob("*.yaml") if p.name != LADDERS_FILE)
    for path in paths:
        try:
            data, index = yamlio.read(path)
            ex = validate(Exercise, data, index)
        except EngineError as exc:
            errors += exc.diagnostics
            continue
        if ex.id != path.stem:
            pos = index.value(("id",))
            errors.append(
                Diagnostic(
                    str(path),
                    pos.line,
                    pos.column,
                    "id",
                    f"id '{ex.id}' must equal the file name '{path.stem}'",
                    code="link.id_stem",
                )
            )
        if ex.ladder not in lib.ladders and lib.ladders:
            pos = index.value(("ladder",))
            errors.append(_unknown(str(path), pos.line, pos.column, "ladder", ex.ladder, lib.ladders))
        lib.exercises[ex.id] = ex
        lib.files[ex.id] = path
    found = _check_levels(lib) + _check_kinds(lib)
    errors += [d for d in found if d.severity == "error"]
    lib.warnings = [d for d in found if d.severity != "error"]
    if errors:
        raise LinkError(errors)
    lib.sha256 = content_hash([*paths, ladder_path], folder)
    return lib


def _check_levels(lib: ExerciseLibrary) -> list[Diagnostic]:
    diags = []
    for lad in lib.ladders:
        levels = [e.level for e in lib.ladder(lad)]
        if not levels:
            diags.append(
                Diagnostic(
                    str(LADDERS_FILE),
                    message=f"ladder '{lad}' has no exercises",
                    severity="warning",
                    code="link.empty_ladder",
                )
            )
            continue
        for lvl in sorted(set(levels)):
            same = [e.id for e in lib.ladder(lad) if e.level == lvl]
            if len(same) > 1:
                diags.append(
                    Diagnostic(
                        str(lib.files[same[1]]),
                        1,
                        1,
                        "level",
                        f"ladder '{lad}' level {lvl} is taken by {', '.join(same)}",
                        code="link.level_taken",
                    )
                )
        if sorted(set(levels)) != list(range(1, max(levels) + 1)):
            diags.append(
                Diagnostic(
                    LADDERS_FILE,
                    path=lad,
                    code="link.level_gap",
                    message=f"ladder '{lad}' levels must run 1..N without gaps (has {sorted(set(levels))})",
                )
            )
    return diags


def _check_kinds(lib: ExerciseLibrary) -> list[Diagnostic]:
    """One kind of exercise per ladder: every exercise trains the ladder's target."""
    diags = []
    for lad in lib.ladders.values():
        if lad.target is None:
            continue
        for ex in lib.ladder(lad.id):
            if lad.target not in ex.targets:
                diags.append(
                    Diagnostic(
                        str(lib.files[ex.id]),
                        1,
                        1,
                        "targets",
                        f"ladder '{lad.id}' holds one kind of exercise ({lad.target}); {ex.id} trains "
                        f"{', '.join(ex.targets)}, so progressing along the ladder would change the kind of exercise",
                        code="link.ladder_mixed_kinds",
                        hint=f"move {ex.id} to a ladder of its own kind, or add {lad.target} to its targets if it really trains it",
                    )
                )
    return diags


def _unknown(file: str, line: int, col: int, path: str, value: str, known: Iterable[str]) -> Diagnostic:
    import difflib

    close = difflib.get_close_matches(value, list(known), n=1)
    return Diagnostic(
        file,
        line,
        col,
        path,
        f"unknown {path} '{value}'",
        code=f"link.unknown_{path}",
        hint=f"did you mean '{close[0]}'?" if close else "",
    )
