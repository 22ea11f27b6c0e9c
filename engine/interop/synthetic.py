"""Synthetic gait captures with known peaks (for tests, demos and the web desk's tests).

A runner at a given cadence: left and right stance windows alternate, and in each the pelvis and
trunk follow a smooth bump (``sin²``) whose top is the chosen peak, in the sign convention that
:mod:`engine.interop.gait` documents. Nothing random: the same arguments give the same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Capture:
    """What to synthesise: per-side peaks in degrees, cadence, steps per side, sample rate."""

    pelvic_drop: dict[str, float] = field(default_factory=lambda: {"left": 8.5, "right": 9.0})
    trunk_lean: dict[str, float] = field(default_factory=lambda: {"left": 2.0, "right": 7.0})
    hip_adduction: dict[str, float] = field(default_factory=lambda: {"left": 12.0, "right": 13.0})
    cadence_spm: float = 162.0
    steps_per_side: int = 8
    rate_hz: float = 100.0
    stance_s: float = 0.25
    first_contact_s: float = 0.2037
    """Not on a sample, so the peaks fall between samples."""

    @property
    def step_s(self) -> float:
        return 60.0 / self.cadence_spm

    def windows(self) -> list[tuple[str, float, float]]:
        """Every stance window: (side, contact, toe-off), left first."""
        out = []
        for k in range(2 * self.steps_per_side):
            side = "left" if k % 2 == 0 else "right"
            start = self.first_contact_s + k * self.step_s
            out.append((side, start, start + self.stance_s))
        return out

    def times(self) -> list[float]:
        last_off = self.windows()[-1][2]
        end = last_off + 0.5 * (self.step_s - self.stance_s)  # ends in flight, before the next contact
        n = int(end * self.rate_hz) + 1
        return [i / self.rate_hz for i in range(n)]

    def _bump(self, t: float, side: str) -> float:
        for s, a, b in self.windows():
            if s == side and a <= t <= b:
                return math.sin(math.pi * (t - a) / (b - a)) ** 2
        return 0.0

    def angles(self, t: float) -> dict[str, float]:
        """pelvis_list (+ right side down), trunk (+ toward the right), lumbar_bending, hip adduction."""
        left, right = self._bump(t, "left"), self._bump(t, "right")
        pelvis = self.pelvic_drop["left"] * left - self.pelvic_drop["right"] * right
        trunk = -self.trunk_lean["left"] * left + self.trunk_lean["right"] * right
        return {
            "pelvis_tilt": 8.0 + 2.0 * math.sin(2 * math.pi * t / self.step_s),
            "pelvis_list": pelvis,
            "pelvis_rotation": 3.0 * math.sin(math.pi * t / self.step_s),
            "hip_flexion_r": 20.0 * math.cos(math.pi * t / self.step_s),
            "hip_adduction_r": self.hip_adduction["right"] * right,
            "hip_flexion_l": -20.0 * math.cos(math.pi * t / self.step_s),
            "hip_adduction_l": self.hip_adduction["left"] * left,
            "lumbar_extension": -5.0,
            "lumbar_bending": trunk - pelvis,
            "trunk": trunk,
        }


MOT_COLUMNS = (
    "pelvis_tilt",
    "pelvis_list",
    "pelvis_rotation",
    "hip_flexion_r",
    "hip_adduction_r",
    "hip_flexion_l",
    "hip_adduction_l",
    "lumbar_extension",
    "lumbar_bending",
)


def mot_text(c: Capture, *, degrees: bool = True) -> str:
    """An OpenCap-style ``.mot`` (inDegrees=yes, or radians with ``degrees=False``)."""
    times = c.times()
    scale = 1.0 if degrees else math.pi / 180.0
    head = [
        "Coordinates",
        "version=1",
        f"nRows={len(times)}",
        f"nColumns={len(MOT_COLUMNS) + 1}",
        f"inDegrees={'yes' if degrees else 'no'}",
        "",
        "Units are S.I. units (second, meters, Newtons, ...)",
        "If the header above contains a line with 'inDegrees', this indicates whether rotational values are "
        "in degrees (yes) or radians (no).",
        "",
        "endheader",
        "\t".join(("time", *MOT_COLUMNS)),
    ]
    rows = []
    for t in times:
        a = c.angles(t)
        rows.append("\t".join([f"{t:.8f}", *(f"{a[k] * scale:.8f}" for k in MOT_COLUMNS)]))
    return "\n".join(head + rows) + "\n"


def events_yaml(c: Capture) -> str:
    """The stance windows as an events YAML file."""
    lines = ["version: 1", "stance:"]
    lines += [f"  - {{side: {s}, contact: {a:.4f}, toe_off: {b:.4f}}}" for s, a, b in c.windows()]
    return "\n".join(lines) + "\n"


def trc_text(
    c: Capture, *, step_width_cm: float = 18.0, heading_deg: float = 0.0, units: str = "m", step_m: float = 1.0
) -> str:
    """A ``.trc`` with RHeel/LHeel markers (Y up): flat on the ground in stance, lifted in swing.

    The feet land ``step_width_cm`` apart across the line of progression (negative: each foot
    lands across the other's line, a crossover), ``step_m`` apart along it; the walk runs along +X
    turned by ``heading_deg`` about the vertical (toward -Z for a positive angle), and lengths are
    written in ``units`` (m or mm).
    """
    times = c.times()
    step2 = 2 * c.step_s
    scale = {"m": 1.0, "mm": 1000.0, "cm": 100.0}[units]
    cos_h, sin_h = math.cos(math.radians(heading_deg)), math.sin(math.radians(heading_deg))

    def where(t: float, side: str) -> tuple[float, float, float]:
        first = c.first_contact_s + (0 if side == "left" else c.step_s)
        k = math.floor((t - first) / step2)
        a = first + k * step2
        b = a + c.stance_s
        forward0 = (k * 2 + (0 if side == "left" else 1)) * step_m  # where this foot landed
        lateral = (step_width_cm / 200.0) * (1 if side == "right" else -1)
        if a <= t <= b:
            height, forward = 0.03, forward0
        else:  # swing to the next contact, two steps on
            u = (t - b) / (step2 - c.stance_s)
            height = 0.03 + 0.12 * math.sin(math.pi * u)
            forward = forward0 + 2 * step_m * (1 - math.cos(math.pi * u)) / 2
        x, z = forward * cos_h + lateral * sin_h, -forward * sin_h + lateral * cos_h
        return x * scale, height * scale, z * scale

    names = ["RHeel", "LHeel"]
    head = [
        "PathFileType\t4\t(X/Y/Z)\tsynthetic.trc",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        f"{c.rate_hz:g}\t{c.rate_hz:g}\t{len(times)}\t{len(names)}\t{units}\t{c.rate_hz:g}\t1\t{len(times)}",
        "Frame#\tTime\t" + "\t\t\t".join(names) + "\t\t",
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, len(names) + 1)),
    ]
    rows = []
    for i, t in enumerate(times, 1):
        r, left = where(t, "right"), where(t, "left")
        rows.append("\t".join([str(i), f"{t:.5f}", *(f"{v:.6f}" for v in (*r, *left))]))
    return "\n".join([*head, "", *rows]) + "\n"


def kinovea_csv(c: Capture) -> str:
    """A Kinovea-style kinematics export: 'Time (ms)', then named angle columns (degrees)."""
    lines = ["Time (ms),Pelvis,Trunk"]
    for t in c.times():
        a = c.angles(t)
        lines.append(f"{t * 1000:.1f},{a['pelvis_list']:.5f},{a['trunk']:.5f}")
    return "\n".join(lines) + "\n"
