import hashlib
import hmac
import os
import uuid

import duckdb
import pytest

from daeval.errors import KeyProblemError
from daeval.privacy.keys import load_key, new_key_file, read_key_file
from daeval.privacy.pseudonyms import pseudonym, pseudonym_sql

KEY = b"k" * 32


def test_pseudonym_is_rfc2104_hmac_sha256_of_namespace_and_id_cut_to_128_bits():
    digest = hmac.new(KEY, b"police\x1fP123", hashlib.sha256).hexdigest()
    expected = uuid.UUID(digest[:32])
    assert pseudonym(KEY, "police", "P123") == expected
    assert str(expected).replace("-", "") == digest[:32]
    assert pseudonym(KEY, "csc", "P123") != expected
    assert pseudonym(b"j" * 32, "police", "P123") != expected


@pytest.mark.parametrize("key", [b"k" * 32, b"a much longer key " * 8])
def test_the_sql_form_gives_the_same_pseudonyms(key):
    con = duckdb.connect()
    con.execute("CREATE TABLE ids (ns VARCHAR, id VARCHAR)")
    rows = [("police", "P1"), ("service:fbs", "Ünïcode-9"), ("csc", None)]
    con.executemany("INSERT INTO ids VALUES (?, ?)", rows)
    got = con.execute(f"SELECT {pseudonym_sql(key, 'ns', 'id')} FROM ids ORDER BY rowid").fetchall()
    assert [g[0] for g in got] == [pseudonym(key, ns, i) if i else None for ns, i in rows]


def test_a_new_key_file_is_owner_only_and_loads(tmp_path):
    path = new_key_file(tmp_path / "project.key")
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert len(read_key_file(path)) == 64
    with pytest.raises(KeyProblemError, match="never overwritten"):
        new_key_file(path)


def test_a_key_file_others_can_read_is_refused(tmp_path):
    path = tmp_path / "k"
    path.write_text("x" * 40)
    path.chmod(0o644)
    with pytest.raises(KeyProblemError, match="can be read by others"):
        read_key_file(path)


def test_key_sources_in_order_and_short_or_missing_keys_refused(tmp_path):
    path = new_key_file(tmp_path / "k")
    assert load_key({"DAEVAL_KEY_FILE": str(path), "DAEVAL_KEY": "y" * 40}) == read_key_file(path)
    assert load_key({"DAEVAL_KEY": "y" * 40}) == b"y" * 40
    with pytest.raises(KeyProblemError, match="at least 32"):
        load_key({"DAEVAL_KEY": "short"})
    with pytest.raises(KeyProblemError, match="no project key"):
        load_key({})
