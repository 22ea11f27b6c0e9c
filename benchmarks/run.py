"""Benchmarks (issue 15): each figure is measured here, none is typed in.

Run with `make bench` (or `python benchmarks/run.py [--quick]`). Prints a Markdown report and
(without --quick) writes it to benchmarks/results.md, with the machine (CPU model, cores,
Python, date, load average) and the goals met or not. README quotes it.

* whole-process `rehab plan` seed → handout + JSON against benchmarks/floor.py (plain fpdf2,
  same fonts, text, 4 vector figures, log table, the five imports), run alternately, medians;
  wall and CPU time; with the content cache warm (a second run) and with it off;
* batch handouts/s of 200 assessments with `--out-dir`, `--jobs 1` and `--jobs 2`, and the
  CPU seconds per plan (user + system of the workers);
* 1,000 generated rules: durable_rules per evaluation against a plain Python loop over the same
  rules (the firings of both are checked to be the same);
* memory (RSS) over 1,000 plans with handout PDFs, in one process;
* load, compile and evaluation times in process; `--help` and `validate` whole-process.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.evaluate.compiler import compile_rules  # noqa: E402
from engine.evaluate.runtime import runtime  # noqa: E402
from engine.load.content import derive_fn, load_content, reload_content  # noqa: E402
from engine.models.rule import RuleFile  # noqa: E402
from engine.plan.pipeline import evaluate, load_assessment  # noqa: E402

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SEED = ROOT / "examples" / "seed-marathon-bilateral-drop.yaml"
REHAB = [str(Path(sys.executable).with_name("rehab"))]
GOALS: list[tuple[str, str, bool]] = []


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    """Median CPU time of ``fn`` in this process (ms): on a shared machine wall time measures the
    neighbours too; the whole-process rows give both."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def goal(name: str, figure: str, met: bool) -> None:
    GOALS.append((name, figure, met))


# --- rules -------------------------------------------------------------------------------


def generated_rules(n: int, seed: int = 7) -> tuple[RuleFile, list[list[dict[str, Any]]]]:
    """DURABLE.md §7 shape: 80 % single-fact thresholds, 20 % equality joins on side, 100 kinds."""
    rng = random.Random(seed)
    rules = []
    for i in range(n):
        k = rng.randrange(100)
        if rng.random() < 0.8:
            when: dict[str, Any] = {"fact": f"f{k}", "where": {"field": "value", "gt": rng.uniform(0, 10)}}
        else:
            j = (k + 1 + rng.randrange(99)) % 100
            when = {
                "all": [
                    {"fact": f"f{k}", "as": "a", "where": {"field": "value", "gt": rng.uniform(0, 10)}},
                    {"fact": f"f{j}", "as": "b", "where": {"field": "side", "eq": {"ref": "a.side"}}},
                ]
            }
        rules.append(
            {
                "id": f"g{i}",
                "description": "generated",
                "priority": rng.randrange(6),
                "evidence": ["x"],
                "when": when,
                "then": [{"cue": "c"}],
            }
        )
    facts = [
        [
            {
                "kind": f"f{rng.randrange(100)}",
                "fid": f"x{m}",
                "value": rng.uniform(0, 10),
                "side": rng.choice(["left", "right"]),
            }
            for m in range(10)
        ]
        for _ in range(50)
    ]
    return RuleFile.model_validate({"version": 1, "rules": rules}), facts


def plain_rules(doc: RuleFile) -> list[tuple[str, str, float, str | None]]:
    """The generated rules as (id, kind, threshold, join kind or None) for the plain loop."""
    out = []
    for r in doc.rules:
        w = r.when
        if w.fact is not None:
            assert w.where is not None
            out.append((r.id, w.fact, float(w.where.gt), None))  # type: ignore[arg-type]
        else:
            a, b = w.all or []
            assert a.where is not None and a.fact is not None and b.fact is not None
            out.append((r.id, a.fact, float(a.where.gt), b.fact))  # type: ignore[arg-type]
    return out


def plain_loop(rules: list[tuple[str, str, float, str | None]], facts: list[dict[str, Any]]) -> set[tuple[str, ...]]:
    """A straightforward Python evaluator: every rule against every fact (and pair, for joins)."""
    fired: set[tuple[str, ...]] = set()
    for rid, kind, gt, join in rules:
        for a in facts:
            if a["kind"] != kind or not a["value"] > gt:
                continue
            if join is None:
                fired.add((rid, a["fid"]))
                continue
            for b in facts:
                if b is not a and b["kind"] == join and b["side"] == a["side"]:
                    fired.add((rid, a["fid"], b["fid"]))
    return fired


def durable_firings(firings: list[Any]) -> set[tuple[str, ...]]:
    out = set()
    for f in firings:
        facts = [f.bindings[k] for k in sorted(f.bindings)]
        out.add((f.rule, *(str(x["fid"]) for x in facts)))
    return out


def bench_engine(quick: bool) -> list[tuple[str, str]]:
    rows = []
    os.environ["REHAB_NO_CACHE"] = "1"
    reload_content()
    start = time.process_time()
    content = load_content()
    cold = (time.process_time() - start) * 1000
    del os.environ["REHAB_NO_CACHE"]
    reload_content()
    load_content()  # writes the cache entry
    warm = []
    for _ in range(5):
        reload_content()
        start = time.process_time()
        load_content()
        warm.append((time.process_time() - start) * 1000)
    rows.append(
        (
            "load + validate + link + compile the shipped content, in process: from the files / from the cache",
            f"{cold:.0f} ms / {statistics.median(warm):.1f} ms",
        )
    )
    rules = content.book.rules["assessment"]
    rows.append(
        (
            f"compile the shipped assessment rules ({len(rules)} rules)",
            f"{median_ms(lambda: compile_rules(rules), 20):.2f} ms",
        )
    )
    assessments = [load_assessment(p) for p in EXAMPLES]
    evaluate(content, assessments[0])
    per = median_ms(lambda: [evaluate(content, a) for a in assessments], 10 if quick else 40) / len(assessments)
    rows.append(("evaluate + build plan, shipped rules, per assessment", f"{per:.2f} ms"))
    rt = runtime()
    for n in (10, 100, 1000):
        doc, fact_sets = generated_rules(n)
        t0 = time.process_time()
        compiled = compile_rules(doc.rules, f"bench{n}")
        compile_ms = (time.process_time() - t0) * 1000
        rt.register(compiled, derive_fn({r.id: r for r in doc.rules}))
        reps = 5 if quick else 20
        per = median_ms(lambda c=compiled, fs=fact_sets: [rt.evaluate(c, f) for f in fs], reps) / len(fact_sets)
        if n == 1000:
            plain = plain_rules(doc)
            for fs in fact_sets:
                assert durable_firings(rt.evaluate(compiled, fs)) == plain_loop(plain, fs), "firings differ"
            naive = median_ms(lambda p=plain, fs=fact_sets: [plain_loop(p, f) for f in fs], reps) / len(fact_sets)
            ratio = per / naive
            rows.append(
                (
                    "1000 generated rules: durable per evaluation (10 facts) / plain Python loop, same firings",
                    f"{per * 1000:.0f} µs / {naive * 1000:.0f} µs = {ratio:.2f}×",
                )
            )
            goal("1,000 rules: ≤ 1 ms per evaluation", f"{per:.2f} ms", per <= 1.0)
            goal("1,000 rules: ≤ 2.5× a plain Python loop", f"{ratio:.2f}×", ratio <= 2.5)
        rows.append(
            (f"{n} generated rules: compile / evaluate (10 facts)", f"{compile_ms:.1f} ms / {per * 1000:.0f} µs")
        )
        rt.unregister(compiled.name)
    return rows


# --- whole process -----------------------------------------------------------------------


def alternate(cmds: dict[str, tuple[list[str], dict[str, str]]], rounds: int) -> dict[str, tuple[float, float]]:
    """Run the commands in turn, ``rounds`` times (A/B alternated: load changes hit all alike);
    return (median wall ms, median CPU ms) of each."""
    walls: dict[str, list[float]] = {k: [] for k in cmds}
    cpus: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(rounds):
        for name, (cmd, env) in cmds.items():
            c0, t0 = children_cpu(), time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=False, env={**os.environ, **env})
            walls[name].append((time.perf_counter() - t0) * 1000)
            cpus[name].append((children_cpu() - c0) * 1000)
    return {k: (statistics.median(walls[k]), statistics.median(cpus[k])) for k in cmds}


def bench_process(quick: bool, out: Path) -> list[tuple[str, str]]:
    rows = []
    rounds = 5 if quick else 15
    plan = [*REHAB, "plan", str(SEED), "-o", str(out / "h.pdf"), "--json", str(out / "p.json"), "--force"]
    floor = [sys.executable, str(ROOT / "benchmarks" / "floor.py"), str(out / "f.pdf")]
    subprocess.run(plan, capture_output=True, check=True)  # the content cache is warm from here on
    got = alternate(
        {
            "floor": (floor, {}),
            "plan": (plan, {}),
            "plan, cache off": (plan, {"REHAB_NO_CACHE": "1"}),
            "help": ([*REHAB, "--help"], {}),
            "plan help": ([*REHAB, "plan", "--help"], {}),
            "validate": ([*REHAB, "validate", str(SEED)], {}),
            "json": ([*REHAB, "plan", str(SEED), "--json", str(out / "q.json"), "--force"], {}),
        },
        rounds,
    )
    fw, fc = got["floor"]
    rows.append(
        (
            "floor: benchmarks/floor.py, plain fpdf2 5-page handout + the five imports (whole process)",
            f"{fw:.0f} ms wall, {fc:.0f} ms CPU",
        )
    )
    for name, label in (
        ("plan", "`rehab plan seed -o handout.pdf --json plan.json` (whole process, content cache warm)"),
        ("plan, cache off", "the same with REHAB_NO_CACHE=1 (content read and validated from the files)"),
    ):
        w, c = got[name]
        rows.append((label, f"{w:.0f} ms wall = {w / fw:.2f}× floor; {c:.0f} ms CPU = {c / fc:.2f}× floor"))
    w, c = got["plan"]
    goal("whole-process plan ≤ 1.3× the floor (wall, cache warm)", f"{w / fw:.2f}×", w / fw <= 1.3)
    for name, label in (
        ("json", "`rehab plan seed --json plan.json` (no PDF)"),
        ("validate", "`rehab validate seed`"),
        ("help", "`rehab --help`"),
        ("plan help", "`rehab plan --help`"),
    ):
        w, c = got[name]
        rows.append((f"{label} (whole process)", f"{w:.0f} ms wall, {c:.0f} ms CPU"))
    return rows


def bench_render(quick: bool) -> list[tuple[str, str]]:
    from engine.app import planning
    from engine.app.clinic import Clinic

    clinic = Clinic()
    a = planning.read_assessment(SEED)
    planning.plan_assessment(clinic, a, handout=True)
    ms = median_ms(lambda: planning.plan_assessment(clinic, a, handout=True), 5 if quick else 20)
    return [("plan + handout PDF of the seed, in process (fonts parsed, subsets cached)", f"{ms:.0f} ms")]


def bench_batch(quick: bool, out: Path) -> list[tuple[str, str]]:
    rows = []
    batch = out / "batch"
    batch.mkdir()
    count = 40 if quick else 200
    for i in range(count):
        shutil.copy(EXAMPLES[i % len(EXAMPLES)], batch / f"a{i:03d}.yaml")
    files = [str(p) for p in sorted(batch.glob("*.yaml"))]
    for jobs in (1, 2):
        dest = out / f"out{jobs}"
        dest.mkdir()
        c0, t0 = children_cpu(), time.perf_counter()
        subprocess.run(
            [*REHAB, "plan", *files, "--out-dir", str(dest), "--jobs", str(jobs)], capture_output=True, check=True
        )
        secs, cpu = time.perf_counter() - t0, children_cpu() - c0
        assert len(list(dest.glob("*.pdf"))) == count
        rows.append(
            (
                f"batch of {count} assessments, --out-dir --jobs {jobs} (handout + plan JSON each)",
                f"{secs:.1f} s = {count / secs:.1f} handouts/s; {cpu / count:.3f} CPU-s per plan",
            )
        )
        if jobs == 2:
            goal("batch ≥ 20 handouts/s on 2 cores (--jobs 2)", f"{count / secs:.1f}/s", count / secs >= 20)
    return rows


MEMORY = """
import gc, os, sys, time
gc.set_threshold(50_000, 20, 20)  # as engine/cli.py main() sets it
sys.path.insert(0, {root!r})
from pathlib import Path
from engine.app import planning
from engine.app.clinic import Clinic
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
clinic = Clinic()
paths = sorted(Path({root!r}, "examples").glob("*.yaml"))
assessments = [planning.read_assessment(p) for p in paths]
planning.plan_assessment(clinic, assessments[0], handout=True)
start = rss()
for i in range({n}):
    planning.plan_assessment(clinic, assessments[i % len(assessments)], handout=True)
print(start, rss())
"""


def bench_memory(quick: bool) -> list[tuple[str, str]]:
    n = 100 if quick else 1000
    r = subprocess.run(
        [sys.executable, "-c", MEMORY.format(root=str(ROOT), n=n)], capture_output=True, text=True, check=True
    )
    start, end = (float(x) for x in r.stdout.split())
    return [
        (
            f"memory over {n} plans with handout PDFs, one process (RSS after the first / after the last)",
            f"{start:.0f} MiB → {end:.0f} MiB",
        )
    ]


# --- report ------------------------------------------------------------------------------


def cpu_times() -> tuple[int, int]:
    """(steal, total) CPU ticks so far (Linux /proc/stat; zeros elsewhere)."""
    try:
        with Path("/proc/stat").open(encoding="ascii") as f:
            ticks = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (ticks[7] if len(ticks) > 7 else 0), sum(ticks[:8])


def machine() -> list[str]:
    model = platform.processor() or "cpu"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if ln.startswith("Model name")), model)
    except OSError:
        pass
    import durable
    import fpdf
    import pydantic

    load = os.getloadavg()
    return [
        f"- machine: {model}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}",
        f"- Python {platform.python_version()}, fpdf2 {fpdf.FPDF_VERSION}, pydantic {pydantic.VERSION}, "
        f"durable_rules {getattr(durable, '__version__', '2.0.28')}",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; load average at the start "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min; other work was running when it is above 0)",
    ]


def main() -> None:
    quick = "--quick" in sys.argv
    head = machine()
    steal0, total0 = cpu_times()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("REHAB_CACHE_DIR", str(Path(tmp) / "cache"))  # a cold cache of its own
        out = Path(tmp)
        rows = bench_engine(quick) + bench_process(quick, out) + bench_render(quick) + bench_batch(quick, out)
        rows += bench_memory(quick)
    end = os.getloadavg()
    steal1, total1 = cpu_times()
    steal_pct = 100 * (steal1 - steal0) / max(1, total1 - total0)
    lines = [
        "# Benchmarks (`make bench`)",
        "",
        *head,
        f"- load average at the end {end[0]:.2f} / {end[1]:.2f} / {end[2]:.2f}",
        f"- CPU time stolen by the VM's host during the run: {steal_pct:.0f} % (above 0, every figure runs slower)",
    ]
    lines += ["", "In-process rows are CPU time; whole-process rows give wall and CPU time (user + system)."]
    lines += ["", "| what | median |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]
    lines += ["", "## Goals (issue 15)", "", "| goal | measured | met |", "|---|---|---|"]
    lines += [f"| {g} | {f} | {'yes' if m else 'no'} |" for g, f, m in GOALS]
    text = "\n".join(lines) + "\n"
    print(text)
    if not quick:
        (ROOT / "benchmarks" / "results.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
