"""Dev tool: render every exercise picture into one PDF (and optionally PNGs) to look at them.

    python tools/preview_figures.py [--out /tmp/figures.pdf] [--png]

--png also runs `pdftoppm -png -r 60` (poppler-utils) next to the PDF.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="/tmp/figures.pdf")  # noqa: S108 - dev preview only
    ap.add_argument("--png", action="store_true", help="also write PNGs with pdftoppm -r 60")
    ap.add_argument("--cols", type=int, default=3)
    ap.add_argument("--rows", type=int, default=4)
    ap.add_argument("only", nargs="*", help="exercise ids to show (default: all)")
    args = ap.parse_args()

    from fpdf import FPDF

    from engine.render.figure import draw_picture, validate_picture

    files = sorted((ROOT / "exercises").glob("*.yaml"))
    records = []
    problems = 0
    for f in files:
        if f.stem == "ladders":
            continue
        data = yaml.safe_load(f.read_text(encoding="utf-8"))
        if args.only and data.get("id") not in args.only:
            continue
        errs = validate_picture(data.get("picture", {}))
        for e in errs:
            print(f"{f.name}: {e}", file=sys.stderr)
        problems += bool(errs)
        records.append(data)
    records.sort(key=lambda d: (str(d.get("ladder")), int(d.get("level", 0)), str(d.get("id"))))

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    fonts = ROOT / "templates" / "fonts"
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    margin, cols, rows = 10.0, args.cols, args.rows
    cw = (210 - 2 * margin) / cols
    ch = (297 - 2 * margin) / rows
    per_page = cols * rows
    for i, rec in enumerate(records):
        if i % per_page == 0:
            pdf.add_page()
        k = i % per_page
        cx = margin + (k % cols) * cw
        cy = margin + (k // cols) * ch
        pdf.set_font("DejaVu", "B", 8)
        pdf.set_text_color(0, 0, 0)
        pdf.set_xy(cx + 1, cy + 1)
        pdf.cell(cw - 2, 4, f"{rec.get('ladder')} L{rec.get('level')}: {rec.get('id')}")
        pdf.set_font("DejaVu", "", 6)
        pdf.set_xy(cx + 1, cy + 5)
        pdf.multi_cell(cw - 2, 2.6, str(rec.get("picture", {}).get("alt", "")))
        draw_picture(pdf, rec.get("picture", {}), cx + 1, cy + 12, cw - 2, ch - 14)
    out = Path(args.out)
    pdf.output(str(out))
    print(f"wrote {out} ({len(records)} exercises, {problems} with picture problems)")
    if args.png:
        if shutil.which("pdftoppm") is None:
            print("pdftoppm not found (apt-get install poppler-utils)", file=sys.stderr)
            return 1
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(out), str(out.with_suffix(""))], check=True
        )
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
