"""Strict YAML loading: positions, duplicates, YAML 1.1 surprises, hostile input."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import EngineError, YamlError
from engine.load import yamlio


def test_positions_are_one_based_for_keys_and_values() -> None:
    data, index = yamlio.parse("client:\n  name: Zoë\n  age: 34\n", "a.yaml")
    assert data == {"client": {"name": "Zoë", "age": 34}}
    assert index.value(("client", "age")) == yamlio.Position(3, 8)
    assert index.key(("client", "age")) == yamlio.Position(3, 3)
    # a missing path falls back to its nearest ancestor
    assert index.value(("client", "sex")) == yamlio.Position(2, 3)


def test_duplicate_key_names_both_lines() -> None:
    with pytest.raises(YamlError) as err:
        yamlio.parse("version: 1\nclient: {}\nversion: 2\n", "a.yaml")
    assert err.value.render() == "a.yaml:3:1: duplicate key 'version' (first defined on line 1)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("side: no", "no"),
        ("side: off", "off"),
        ("x: yes", "yes"),
        ("x: 010", 10),
        ("x: 12:30", "12:30"),
        ("x: 1e3", 1000.0),
        ("x: true", True),
        ("x: 2.5", 2.5),
        ("x: ~", None),
    ],
)
def test_yaml_1_2_scalars(text: str, expected: object) -> None:
    data, _ = yamlio.parse(text, "a.yaml")
    assert next(iter(data.values())) == expected


def test_dates_stay_dates() -> None:
    import datetime as dt

    data, _ = yamlio.parse("assessed_on: 2026-11-20", "a.yaml")
    assert data["assessed_on"] == dt.date(2026, 11, 20)


def test_billion_laughs_rejected_fast() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    start = time.perf_counter()
    with pytest.raises(YamlError, match="aliases"):
        yamlio.parse("\n".join(lines), "lol.yaml")
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        (b"name: Zo\xeb\n", "not UTF-8"),
        (b"a: [1, 2\n", "invalid YAML"),
        (b"a: 1\n---\nb: 2\n", "invalid YAML"),
        (b"<<: {a: 1}\n", "merge keys"),
        (b"x" * (yamlio.MAX_BYTES + 1), "too large"),
    ],
)
def test_bad_input_is_a_clear_error(raw: bytes, message: str) -> None:
    with pytest.raises(YamlError, match=message):
        yamlio.parse(raw, "bad.yaml")


def test_missing_file_and_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(YamlError, match="file not found"):
        yamlio.read(tmp_path / "nope.yaml")
    with pytest.raises(YamlError, match="folder"):
        yamlio.read(tmp_path)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_arbitrary_input_raises_only_engine_errors(source: str | bytes) -> None:
    try:
        yamlio.parse(source, "fuzz.yaml")
    except EngineError as exc:
        for d in exc.diagnostics:
            assert d.file == "fuzz.yaml"
            text = source if isinstance(source, str) else source.decode("utf-8", "replace")
            assert 0 <= d.line <= text.count("\n") + 2


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.one_of(
            st.integers(-1000, 1000),
            st.booleans(),
            st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20),
            st.none(),
        ),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), children, max_size=4),
        ),
        max_leaves=20,
    )
)
def test_round_trip_of_plain_data(data: object) -> None:
    text = yamlio.dump({"root": data})
    loaded, _ = yamlio.parse(text, "rt.yaml")
    assert loaded == {"root": data}
