"""The floor: what fpdf2 itself costs for a handout like ours (issue 15).

One process imports the five dependencies and renders a comparable 5-page Unicode handout with
plain fpdf2: the same DejaVu faces, body text, 4 vector stick figures and the log table.
`benchmarks/run.py` times `rehab plan ... -o handout.pdf --json plan.json` beside this.
Run: `python benchmarks/floor.py out.pdf`.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import durable.engine  # noqa: F401 - imported like rehab does
import pydantic  # noqa: F401
import typer  # noqa: F401
import yaml  # noqa: F401
from fpdf import FPDF

FONTS = Path(__file__).resolve().parent.parent / "templates" / "fonts"
TEXT = (
    "Stand tall on your right leg with your hands on your hips — keep the pelvis level, "
    "knee over the second toe. Hold 30 s × 3, rest ½ minute; pain ≤ 3/10 is fine. "
)


def figure(pdf: FPDF, x: float, y: float) -> None:
    """A vector stick figure (lines and a circle), like the exercise pictures."""
    pdf.set_line_width(0.8)
    pdf.circle(x + 20, y + 6, 5)
    for a, b, c, d in ((20, 11, 20, 30), (20, 15, 10, 24), (20, 15, 30, 22), (20, 30, 12, 45), (20, 30, 30, 42)):
        pdf.line(x + a, y + b, x + c, y + d)
    pdf.line(x, y + 46, x + 45, y + 46)


def main(out: str) -> None:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    for style, name in (
        ("", "DejaVuSans"),
        ("B", "DejaVuSans-Bold"),
        ("I", "DejaVuSans-Oblique"),
        ("BI", "DejaVuSans-BoldOblique"),
    ):
        pdf.add_font("body", style, str(FONTS / f"{name}.ttf"))
    pdf.set_auto_page_break(True, 18)
    pdf.add_page()
    pdf.set_font("body", "B", 20)
    pdf.cell(0, 10, "Your exercise plan — Zoë Müller", new_x="LMARGIN", new_y="NEXT")
    for n in range(1, 5):
        pdf.set_font("body", "B", 13)
        pdf.cell(0, 8, f"{n}. Single-leg balance (right)", new_x="LMARGIN", new_y="NEXT")
        figure(pdf, pdf.l_margin, pdf.get_y())
        pdf.set_y(pdf.get_y() + 50)
        for style in ("", "I", ""):
            pdf.set_font("body", style, 11)
            pdf.multi_cell(0, 5.4, TEXT * 5)
            pdf.ln(1)
        pdf.set_font("body", "BI", 11)
        pdf.multi_cell(0, 5.4, "Dose: 3 × 30 s, twice a day.")
    pdf.add_page()
    pdf.set_font("body", "", 9)
    with pdf.table(col_widths=(2, 1, 1, 1, 1, 1, 1, 1)) as table:
        table.row(["Exercise", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
        for n in range(12):
            table.row([f"Exercise {n + 1} — pain 0–10", *[""] * 7])
    Path(out).write_bytes(bytes(pdf.output()))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "floor.pdf")
