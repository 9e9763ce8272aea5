"""The compiled batch HMAC gives exactly what Python's hmac module gives, message by message."""

from __future__ import annotations

import hashlib
import hmac
import uuid

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daeval.privacy.hmac_batch import batch_hmac
from daeval.privacy.pseudonyms import (
    FUNCTION,
    ROW_IDS,
    hmac_sql,
    register_pseudonyms,
    row_pseudonyms_sql,
)

KEY = b"k" * 40


def expected(key: bytes, messages: list[str | None]) -> list[uuid.UUID | None]:
    """The pseudonyms: HMAC-SHA256's first 16 bytes."""
    return [
        None
        if m is None
        else uuid.UUID(bytes=hmac.new(key, m.encode(), hashlib.sha256).digest()[:16])
        for m in messages
    ]


def test_the_compiled_path_runs_on_this_machine():
    # Python's own hashlib uses the same OpenSSL library, so it is there wherever daeval runs.
    assert batch_hmac(KEY) is not None


@pytest.mark.parametrize("key", [b"k" * 32, b"x" * 64, b"a much longer key than one block " * 3])
def test_every_length_around_the_block_boundaries(key):
    # 55 bytes is the longest message whose padding fits in its last block; 56 to 63 need one more.
    messages = ["m" * n for n in range(0, 200)] + ["é" * 30, "people:police\x1fP0000000001"]
    hasher = batch_hmac(key)
    assert hasher is not None
    assert hasher(pa.array(messages)).to_pylist() == expected(key, messages)


def test_nulls_slices_and_chunks_keep_their_places():
    hasher = batch_hmac(KEY)
    assert hasher is not None
    messages = ["a", None, "bb", "", None, "ccc" * 30]
    whole = hasher(pa.array(messages)).to_pylist()
    assert whole == expected(KEY, messages)
    assert hasher(pa.array(messages).slice(1, 4)).to_pylist() == whole[1:5]
    chunked = pa.chunked_array([pa.array(messages[:2]), pa.array(messages[2:])])
    assert hasher(chunked).to_pylist() == whole
    assert hasher(pa.array(messages, pa.large_string())).to_pylist() == whole
    assert hasher(pa.array(messages, pa.string_view())).to_pylist() == whole


def test_runs_of_the_same_message_each_get_their_own_right_pseudonym():
    # A message equal to the one before reuses its digest; equal lengths with other bytes do not.
    hasher = batch_hmac(KEY)
    assert hasher is not None
    messages = ["a", "a", "a", None, None, "", "", "a", "ab", "ba", "ba", "bb", None, "bb"]
    assert hasher(pa.array(messages)).to_pylist() == expected(KEY, messages)
    sliced = pa.array(["x", *messages]).slice(1)
    assert hasher(sliced).to_pylist() == expected(KEY, messages)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=150), st.sampled_from(["a", "b"])), max_size=40)
)
def test_any_text_gives_pythons_hmac(messages):
    hasher = batch_hmac(KEY)
    assert hasher is not None
    assert hasher(pa.array(messages, pa.string())).to_pylist() == expected(KEY, messages)


def test_the_registered_function_and_the_sql_form_agree_in_duckdb():
    con = duckdb.connect()
    assert register_pseudonyms(con, b"other key, replaced below, 0123456789")
    assert register_pseudonyms(con, KEY)
    con.execute(
        "CREATE TABLE ids AS SELECT CASE WHEN i % 7 = 0 THEN NULL ELSE "
        "'ns' || (i % 3) || chr(31) || 'P' || i END AS m FROM range(5000) r(i)"
    )
    fast = con.execute(f"SELECT {FUNCTION}(m) FROM ids ORDER BY rowid").fetchall()
    slow = con.execute(f"SELECT {hmac_sql(KEY, 'm')} FROM ids ORDER BY rowid").fetchall()
    assert fast == slow
    messages = [r[0] for r in con.execute("SELECT m FROM ids ORDER BY rowid").fetchall()]
    assert [r[0] for r in fast] == expected(KEY, messages)


@pytest.mark.parametrize("n", range(2, ROW_IDS + 1))
def test_a_rows_ids_pseudonymised_together_give_each_its_own(n):
    con = duckdb.connect()
    assert register_pseudonyms(con, KEY)
    columns = [f"m{i}" for i in range(n)]
    con.execute(
        "CREATE TABLE ids AS SELECT "
        + ", ".join(
            f"CASE WHEN (i + {k}) % 5 = 0 THEN NULL ELSE 'ns{k}' || chr(31) || (i // {k + 1}) END "
            f"AS {c}"
            for k, c in enumerate(columns)
        )
        + " FROM range(6000) r(i)"
    )
    together = con.execute(
        f"SELECT p.* FROM (SELECT {row_pseudonyms_sql(columns)} AS p FROM ids ORDER BY rowid)"
    ).fetchall()
    apart = con.execute(
        f"SELECT {', '.join(f'{FUNCTION}({c})' for c in columns)} FROM ids ORDER BY rowid"
    ).fetchall()
    assert together == apart
    assert any(None in row for row in together) and len(set(together)) > 3000
    assert row_pseudonyms_sql(columns[:1]) is None and row_pseudonyms_sql(["m"] * 9) is None
