"""Where imported findings came from (issue 16): an optional, compatible Contract 1 extension.

``rehab import`` writes ``source`` (the gait file, its hash, the columns used, every stance window
with its raw per-step values) and ``to_complete`` (what the import could not know and the clinician
must still ask). Hand-entered assessments have neither.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import StringConstraints

from engine.models.base import Range, StrictModel, Text

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Tool = Literal["opencap", "opensim", "kinovea", "csv"]
ToComplete = Literal["client_name", "pain", "red_flags"]
"""What an import leaves for the clinician: the client's name, the pain history, the red-flag questions."""

TO_COMPLETE: tuple[str, ...] = get_args(ToComplete)


class SourceWindow(StrictModel):
    """One stance window and the raw values measured in it (before averaging)."""

    side: Literal["left", "right"]
    """Stance leg."""
    start_s: Annotated[float, Range(0)]
    """Foot contact, seconds from the start of the file."""
    end_s: Annotated[float, Range(0)]
    """Toe-off (or heel rise when found from heel markers), seconds."""
    pelvic_drop_deg: float | None = None
    """Peak contralateral pelvic drop in this window (negative: the swing side rose)."""
    trunk_lean_deg: float | None = None
    """Peak trunk lean toward the stance side in this window (negative: leaned away)."""
    hip_adduction_deg: float | None = None
    """Peak stance-leg hip adduction in this window."""
    step_width_cm: float | None = None
    """Step width at this foot contact, cm, from the heel markers (negative: across the other foot's line)."""


class SourceFile(StrictModel):
    """A second input file (stance events or heel markers)."""

    file: Text
    """File name as given."""
    sha256: Sha256
    """SHA-256 of the file's bytes."""
    kind: Literal["events", "trc"]
    """events: stance windows typed in YAML; trc: found from heel markers."""


class Source(StrictModel):
    """The gait-tool export these findings were computed from."""

    tool: Tool
    """opencap | opensim | kinovea | csv."""
    file: Text
    """The kinematics file name as given."""
    sha256: Sha256
    """SHA-256 of its bytes (the same file gives the same findings)."""
    columns: dict[str, str]
    """Signal → column used (a leading '-' means the column's sign was flipped)."""
    windows: list[SourceWindow]
    """Every stance window used, with its raw per-step values."""
    events: SourceFile | None = None
    """Where the stance windows came from."""
    in_degrees: bool = True
    """False when the file's angles were radians (converted on import)."""
    marker_units: Literal["m", "mm", "cm"] | None = None
    """The heel-marker file's length unit (its header's ``Units``; converted to cm for step width)."""
    cadence_spm: float | None = None
    """Cadence from the foot contacts, even when outside the assessment's 120..230 range."""
    importer: Text | None = None
    """Engine version that imported the file."""
