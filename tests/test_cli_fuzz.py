"""Assessment and feedback fuzzing through the command line (issue 11).

Valid files (examples/*.yaml and the feedback `rehab new feedback --plan` writes) are mutated at the
YAML data level (wrong types, missing and extra keys, huge, negative and exponent numbers, .inf/.nan,
unicode, control characters, deep nesting) and at the text level (explicit tags, duplicate keys,
anchors, truncation, stray characters, line ends, BOM, empty and multi-document files, binary
garbage), then run through `rehab validate`, `rehab plan` (--json, -o, --clinician-report),
`rehab explain` and `rehab progress` with typer's CliRunner, a few through a real subprocess.

Every run: exit 0 or 2, never 3 or a traceback; on exit 2 a `file:line:col:` or `file:` message
about one of the files involved; on failure nothing in the output folder (no partial files, no
temporary files); on success every requested output exists.

Small by default (a few seconds, derandomised); `REHAB_FUZZ_LARGE=1` runs thousands of cases with
fresh random seeds (`-s` prints the counts of cases and exit codes).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from engine.cli import app
from engine.load import yamlio
from tests.conftest import EXAMPLES, rehab

LARGE = os.environ.get("REHAB_FUZZ_LARGE") == "1"
CASES = {"assessment": 2000, "feedback": 1000} if LARGE else {"assessment": 14, "feedback": 8}
SETTINGS = settings(
    max_examples=1,  # replaced per test below
    deadline=None,
    derandomize=not LARGE,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
COUNTS: Counter[str] = Counter()
runner = CliRunner()

# ------------------------------------------------------------------------------------------------
# mutations

NASTY: list[Any] = [
    None, True, False, 0, -1, -0.0, 1.5, 11, 2**63, 10**30, -(10**30), 1e308, -1e-300, 1e-09, 0.00001, 1e16,
    float("inf"), float("-inf"), float("nan"), "", " ", "x" * 5000, "Zoë 🏃‍♀️ ☃", "\u202erlo", "a\tb", "a\x07b",
    "a\x85b", "a\u2028b", "{name} %s <b>", "null", "yes", "2026-13-45", "1e5", "left", "both", "fair", "poor",
    dt.date(1900, 1, 1), dt.date(2999, 1, 1), [], {}, [1, 2], {"a": 1}, [None], [[[]]],
]  # fmt: skip
EXTRA_KEYS = [
    "extra",
    "kind",
    "id",
    "sid",
    "fid",
    "_j",
    "derived_by",
    "x" * 300,
    "ünï",
    "version",
    "x[1]",
    "str",
    "\u00a0a",
]
TAGS = ["!!timestamp ", "!!bool ", "!!python/object:os.system ", "!foo ", "!!binary ", "!!set ", "!!int ",
        "!!float ", "!!str ", "!!map ", "!!seq ", "!!null ", "!<tag:x> ", "!!omap "]  # fmt: skip
NUMBERS = ["1e400", "-1e400", ".inf", "-.inf", ".nan", ".NaN", "0x1F", "0o17", "1_000", "-0", "1e-400",
           "99999999999999999999999", "0.00001", "1e-09", "1E+3", "+12", "12:30", "010", "0b11", "1.", ".5"]  # fmt: skip
CHARS = [0, 1, 7, 8, 0x1B, 0x7F, 0x85, 0xA0, 0x2028, 0xFEFF, 0xFFFE, 0x1F3C3, 0x202E, 0x301]
WHOLE = ["", "\n", "# only a comment\n", "---\n---\n", "---\na: 1\n---\nb: 2\n", "~", "[]", "42", "'text'",
         "...\n", "%YAML 1.1\n---\na: 1\n", "a: 1\n...\nb: [", "\ufeff", "- - - -"]  # fmt: skip
APPENDED = ["extra_key: 1", "version: 2", "? complex\n: v", "[a]: b", "1: one", "null: z", "true: y",
            "zz: &a [1]\nyy: *a", "<<: {a: 1}", "version: 1", "findings: {}", "exercises: []"]  # fmt: skip


def locations(node: Any, loc: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield loc
    if isinstance(node, dict):
        for k, v in node.items():
            yield from locations(v, (*loc, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from locations(v, (*loc, i))


def _at(node: Any, loc: tuple[Any, ...]) -> Any:
    for k in loc:
        node = node[k]
    return node


values = st.one_of(
    st.sampled_from(NASTY),
    st.integers(),
    st.floats(),
    st.text(max_size=40),
    st.lists(st.sampled_from(NASTY[:20]), max_size=3),
)


@st.composite
def data_mutation(draw: st.DrawFn, data: Any) -> str:
    """1-3 edits of the parsed document, dumped back as YAML."""
    return yamlio.dump(draw(edited(data)))


@st.composite
def edited(draw: st.DrawFn, data: Any) -> Any:
    """1-3 edits of a parsed document (a copy)."""
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3))):
        locs = [loc for loc in locations(data) if loc]
        if not locs:
            break
        loc = locs[draw(st.integers(0, len(locs) - 1))]
        parent, key = _at(data, loc[:-1]), loc[-1]
        op = draw(st.sampled_from(["set", "set", "set", "delete", "extra", "wrap", "nest", "repeat"]))
        if op == "set":
            parent[key] = copy.deepcopy(draw(values))
        elif op == "delete":
            del parent[key]
        elif op == "extra" and isinstance(parent, dict):
            parent[draw(st.sampled_from(EXTRA_KEYS))] = copy.deepcopy(draw(values))
        elif op == "wrap":
            parent[key] = draw(st.sampled_from([[parent[key]], {"value": parent[key]}]))
        elif op == "nest":
            deep: Any = parent[key]
            for _ in range(draw(st.integers(2, 60))):
                deep = [deep]
            parent[key] = deep
        elif op == "repeat" and isinstance(parent, list):
            parent.extend(copy.deepcopy(parent[key]) for _ in range(draw(st.sampled_from([1, 2, 40]))))
    return data


@st.composite
def text_mutation(draw: st.DrawFn, text: str) -> str:
    """One edit of the YAML text."""
    lines = text.split("\n")
    i = draw(st.integers(0, len(lines) - 1))
    value_line = ": " in lines[i]
    op = draw(
        st.sampled_from(
            ["tag", "dupline", "char", "truncate", "whole", "deep", "number", "eol", "bom", "append", "indent"]
        )
    )
    if op == "tag" and value_line:
        key, value = lines[i].split(": ", 1)
        lines[i] = f"{key}: {draw(st.sampled_from(TAGS))}{value}"
    elif op == "dupline":
        lines.insert(i, lines[i])
    elif op == "char":
        at = draw(st.integers(0, len(text)))
        return text[:at] + chr(draw(st.sampled_from(CHARS))) + text[at:]
    elif op == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    elif op == "whole":
        return draw(st.sampled_from(WHOLE))
    elif op == "deep":
        n = draw(st.sampled_from([100, 1000, 20000]))
        return draw(st.sampled_from(["[" * n + "]" * n, "{a: " * n + "1" + "}" * n, "- " * n + "x"]))
    elif op == "number" and value_line:
        key, _ = lines[i].split(": ", 1)
        lines[i] = f"{key}: {draw(st.sampled_from(NUMBERS))}"
    elif op == "eol":
        return text.replace("\n", draw(st.sampled_from(["\r\n", "\r", "\u0085", "\u2028", "\x0c\n"])))
    elif op == "bom":
        return "\ufeff" + text
    elif op == "append":
        return text + "\n" + draw(st.sampled_from(APPENDED)) + "\n"
    elif op == "indent":
        lines[i] = (
            "  " * draw(st.integers(0, 3))
            + lines[i].lstrip()
            + draw(st.sampled_from(["", ":", " :", "{", "[", "'", '"', "|", ">", "- ", "? ", " #", "\t"]))
        )
    return "\n".join(lines)


def mutated(text: str) -> st.SearchStrategy[bytes]:
    data, _ = yamlio.parse(text, "x")
    as_text = st.one_of(data_mutation(data), text_mutation(text)).map(lambda s: s.encode("utf-8", "surrogatepass"))
    return st.one_of(as_text, as_text, as_text, st.binary(max_size=3000))


# ------------------------------------------------------------------------------------------------
# running one case


def run_case(args: list[str], inputs: list[Path], out: Path | None = None, *, input: bytes | None = None) -> int:
    """Run `rehab ARGS` in-process; assert the issue-11 contract; return the exit code."""
    result = runner.invoke(app, args, input=input)
    code = result.exit_code
    COUNTS[f"{args[0]} exit {code}"] += 1
    err = result.stderr
    assert code in (0, 2), (args, code, err)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    assert "Traceback" not in err and "internal error" not in err, (args, err)
    requested = [Path(a) for a in args if out is not None and a.startswith(str(out))]
    if code == 2:
        names = [re.escape(str(p)) for p in [*inputs, *requested]] + ["<stdin>"]
        prefixed = re.compile(rf"^(?:{'|'.join(names)})(?::\d+:\d+)?: [^\n]", re.M)
        assert prefixed.search(err), (args, err)
        if out is not None:
            assert list(out.iterdir()) == [], (args, err, sorted(p.name for p in out.iterdir()))
    elif out is not None:
        assert all(p.is_file() and p.stat().st_size > 0 for p in requested), (args, err)
        assert not [p for p in out.iterdir() if p.name.startswith(".rehab-")], (args, list(out.iterdir()))
    return code


def _outputs(out: Path, draw: Callable[[st.SearchStrategy[Any]], Any]) -> list[str]:
    args = ["--json", str(out / "x.json")]
    extra = draw(st.sampled_from(["", "", "", "", "pdf", "report"] if not LARGE else ["", "", "pdf", "report", "both"]))
    if extra in ("pdf", "both"):
        args += ["-o", str(out / "x.pdf")]
    if extra in ("report", "both"):
        args += ["--clinician-report", str(out / "r.pdf")]
    return args


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="rehab-cli-fuzz-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)
    if COUNTS:
        total = sum(v for k, v in COUNTS.items() if not k.startswith("case"))
        print(f"\ncli fuzz: {dict(sorted(COUNTS.items()))} ({total} command runs)")


@pytest.fixture(scope="module")
def plans(workdir: Path) -> list[tuple[Path, Path]]:
    """(plan JSON, valid feedback) for a few examples, written by the command line itself."""
    made = []
    for src in [e for e in EXAMPLES if e.stem in ("seed-marathon-bilateral-drop", "piriformis-buttock", "no-findings")]:
        pj, fb = workdir / f"{src.stem}.plan.json", workdir / f"{src.stem}.feedback.yaml"
        assert runner.invoke(app, ["plan", str(src), "--json", str(pj)]).exit_code == 0
        assert runner.invoke(app, ["new", "feedback", "--plan", str(pj), "-o", str(fb)]).exit_code == 0
        made.append((pj, fb))
    return made


def _case_dir(workdir: Path) -> tuple[Path, Path]:
    case = Path(tempfile.mkdtemp(dir=workdir))
    out = case / "out"
    out.mkdir()
    return case, out


# ------------------------------------------------------------------------------------------------
# the fuzz tests


@settings(SETTINGS, max_examples=CASES["assessment"])
@given(data=st.data())
def test_mutated_assessments_exit_0_or_2_and_leave_nothing_behind(workdir: Path, data: st.DataObject) -> None:
    src = data.draw(st.sampled_from(EXAMPLES), label="example")
    raw = data.draw(mutated(src.read_text(encoding="utf-8")), label="file")
    case, out = _case_dir(workdir)
    f = case / src.name
    f.write_bytes(raw)
    COUNTS["case assessment"] += 1
    valid = run_case(["validate", str(f)], [f]) == 0
    code = run_case(["plan", str(f), *_outputs(out, data.draw)], [f], out)
    if valid and code == 2:
        COUNTS["valid but not planned"] += 1  # e.g. an imported assessment left to complete
    if data.draw(st.integers(0, 4), label="explain") == 0:
        run_case(["explain", str(f)], [f])
    shutil.rmtree(case)


@settings(SETTINGS, max_examples=CASES["feedback"])
@given(data=st.data())
def test_mutated_feedback_exit_0_or_2_and_leave_nothing_behind(
    workdir: Path, plans: list[tuple[Path, Path]], data: st.DataObject
) -> None:
    pj, fb = data.draw(st.sampled_from(plans), label="plan")
    raw = data.draw(mutated(fb.read_text(encoding="utf-8")), label="file")
    case, out = _case_dir(workdir)
    f = case / "feedback.yaml"
    f.write_bytes(raw)
    COUNTS["case feedback"] += 1
    run_case(["validate", str(f), "--plan", str(pj)], [f, pj])
    args = ["progress", str(pj), str(f), "--json", str(out / "next.json")]
    if data.draw(st.integers(0, 5 if not LARGE else 2), label="pdf") == 0:
        args += ["-o", str(out / "next.pdf")]
    run_case(args, [f, pj], out)
    shutil.rmtree(case)


@settings(SETTINGS, max_examples=6 if not LARGE else 500)
@given(data=st.data())
def test_mutated_plan_json_at_review(workdir: Path, plans: list[tuple[Path, Path]], data: st.DataObject) -> None:
    """The plan a review starts from, edited or damaged: refused with its position, never exit 3."""
    pj, fb = data.draw(st.sampled_from(plans), label="plan")
    plan = json.loads(pj.read_text(encoding="utf-8"))
    text = data.draw(
        st.one_of(
            edited(plan).map(lambda d: json.dumps(d, default=str, ensure_ascii=False)),
            st.integers(0, len(pj.read_text(encoding="utf-8"))).map(lambda n: pj.read_text(encoding="utf-8")[:n]),
        ),
        label="plan file",
    )
    case, out = _case_dir(workdir)
    p = case / "plan-1.json"
    p.write_text(text, encoding="utf-8")
    COUNTS["case plan"] += 1
    run_case(["progress", str(p), str(fb), "--json", str(out / "plan-2.json")], [p, fb], out)
    run_case(["validate", str(fb), "--plan", str(p)], [p, fb])
    shutil.rmtree(case)


@settings(SETTINGS, max_examples=6 if not LARGE else 300)
@given(data=st.data())
def test_mutated_assessment_on_stdin(workdir: Path, data: st.DataObject) -> None:
    src = data.draw(st.sampled_from(EXAMPLES), label="example")
    raw = data.draw(mutated(src.read_text(encoding="utf-8")), label="file")
    case, out = _case_dir(workdir)
    COUNTS["case stdin"] += 1
    run_case(["plan", "-", "--json", str(out / "x.json")], [], out, input=raw)
    shutil.rmtree(case)


HOSTILE = {
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00garbage\xff\xfe",
    "tag": b"version: 1\nclient: !!python/object/apply:os.system [echo hi]\n",
    "timestamp-tag": b"version: 1\nclient: {name: !!timestamp hello}\nassessed_on: 2026-11-01\n",
    "duplicate-keys": b"version: 1\nversion: 1\n",
    "deep": b"[" * 50_000 + b"]" * 50_000,
    "control": b"version: 1\nclient: {name: A\x1bB}\n",
    "huge-number": b"version: 1\nclient: {name: A, weekly_km: 1e400}\nassessed_on: 2026-11-01\n",
    "empty": b"",
    "latin-1": "version: 1\nclient: {name: Zoë}\n".encode("latin-1"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_files(tmp_path: Path, plans: list[tuple[Path, Path]], name: str) -> None:
    f = tmp_path / f"{name}.yaml"
    f.write_bytes(HOSTILE[name])
    out = tmp_path / "out"
    out.mkdir()
    pj = plans[0][0]
    assert run_case(["validate", str(f)], [f]) == 2
    assert run_case(["plan", str(f), "--json", str(out / "p.json"), "-o", str(out / "h.pdf")], [f], out) == 2
    assert run_case(["progress", str(pj), str(f), "--json", str(out / "n.json")], [f, pj], out) == 2


REAL = [("tag", "validate"), ("binary", "plan"), ("deep", "plan"), ("duplicate-keys", "progress")]


@pytest.mark.parametrize(("name", "command"), REAL)
def test_hostile_files_through_a_real_process(
    tmp_path: Path, plans: list[tuple[Path, Path]], name: str, command: str
) -> None:
    """The installed command, not CliRunner: the same contract, and stdout stays clean."""
    f = tmp_path / f"{name}.yaml"
    f.write_bytes(HOSTILE[name])
    out = tmp_path / "out"
    out.mkdir()
    args = {
        "validate": ["validate", str(f)],
        "plan": ["plan", str(f), "--json", str(out / "p.json"), "-o", str(out / "h.pdf")],
        "progress": ["progress", str(plans[0][0]), str(f), "--json", str(out / "n.json")],
    }[command]
    run = rehab(*args)
    COUNTS[f"process {command} exit {run.returncode}"] += 1
    assert run.returncode == 2, (args, run.returncode, run.stderr)
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert re.match(rf"{re.escape(str(f))}(?::\d+:\d+)?: \S", run.stderr), run.stderr
    assert run.stdout == "" and list(out.iterdir()) == []


def test_a_valid_mutation_through_a_real_process_writes_every_output(tmp_path: Path) -> None:
    """Exponent and extreme-but-valid numbers, unicode and a long name: planned, every file written."""
    src = next(e for e in EXAMPLES if e.stem == "piriformis-buttock")
    data, _ = yamlio.parse(src.read_text(encoding="utf-8"), str(src))
    data["client"]["name"] = "Ŝŧŕåñğė Ñåмë 🏃 " + "Longname" * 20
    data["client"]["weekly_km"] = 1e-09
    data["findings"]["step_width"]["cm"] = 0.00001
    f = tmp_path / "a.yaml"
    f.write_text(yamlio.dump(data), encoding="utf-8")
    assert "e-09" in f.read_text(encoding="utf-8")  # written with an exponent
    out = tmp_path / "out"
    out.mkdir()
    run = rehab(
        "plan",
        str(f),
        "--json",
        str(out / "p.json"),
        "-o",
        str(out / "h.pdf"),
        "--clinician-report",
        str(out / "r.pdf"),
    )
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in out.iterdir()) == ["h.pdf", "p.json", "r.pdf"]


# ------------------------------------------------------------------------------------------------
# regressions the fuzz found


@pytest.mark.parametrize("key", ["x[1]", "str", "int", "bool", "function-after[x]", "list"])
@pytest.mark.parametrize("where", ["top", "client", "pain"])
def test_unknown_keys_that_look_like_pydantic_tags_are_positioned(tmp_path: Path, key: str, where: str) -> None:
    """A key such as 'x[1]' or 'str' was taken for a tag pydantic inserts into error locations and
    dropped: IndexError, exit 3. It is an unknown key like any other, at its own position."""
    lines = ["version: 1", "client: {name: A}", "assessed_on: 2026-11-01"]
    if where == "top":
        lines.append(f'"{key}": 2')
        path = ""
    elif where == "client":
        lines[1] = f'client: {{name: A, "{key}": 2}}'
        path = "client."
    else:
        lines.append(f'pain: [{{region: shin, side: left, nrs_rest: 1, nrs_activity: 2, weeks: 1, "{key}": 2}}]')
        path = "pain[0]."
    row = next(i for i, ln in enumerate(lines) if '"' in ln)
    pos = f"{row + 1}:{lines[row].index(chr(34)) + 1}"
    f = tmp_path / "a.yaml"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(f)])
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(f"{f}:{pos}: {path}{key}: unknown key '{key}'"), result.stderr


def test_invisible_characters_in_an_unknown_key_are_shown(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text("version: 1\nclient: {name: A}\nassessed_on: 2026-11-01\n\u00a0notes: x\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(f)])
    assert result.exit_code == 2 and "unknown key '\\xa0notes'" in result.stderr, result.stderr


def test_union_errors_are_one_line_with_the_files_own_names(tmp_path: Path) -> None:
    """A value that fits none of a union's types: one line naming them all, no model names
    ('From', 'Ref') in the path, keys spelt as in the file ('with', not 'with_')."""
    r = tmp_path / "rules"
    r.mkdir()
    for name in ("thresholds.yaml", "references.yaml"):
        shutil.copy(EXAMPLES[0].parent.parent / "rules" / name, r / name)
    (r / "t.yaml").write_text(
        "version: 1\nrules:\n  - id: a\n    description: x\n    evidence: [bramah-2018]\n"
        "    when: {fact: pain, where: {field: side, eq: [1]}}\n"
        "    then: [{prescribe: {exercise: clam, side: {from: 3}}}]\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["rules", "check", "--rules", str(r)])
    assert result.exit_code == 2
    lines = [ln for ln in result.stderr.splitlines() if "rules[0]" in ln]
    assert (
        f"{r / 't.yaml'}:6:49: rules[0].when.where.eq: must be text, true or false, a number or a mapping" in lines[0]
    )
    assert len([ln for ln in lines if ".where.eq" in ln]) == 1, lines
    assert any(
        ln.startswith(f"{r / 't.yaml'}:7:54: rules[0].then[0].prescribe.side.from: must be text") for ln in lines
    )
    assert not any(".From" in ln or ".Ref" in ln for ln in lines), lines
    o = tmp_path / "o.yaml"
    o.write_text("version: 1\noverrides:\n  - swap: {exercise: clam, wiht: x, reason: r}\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(o)])
    assert "unknown key 'wiht' (did you mean 'with'?)" in result.stderr, result.stderr
