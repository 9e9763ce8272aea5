import base64
import hashlib
import hmac
import os
import secrets
import uuid

import duckdb
import pytest
from tests.lib.keys import OTHER_KEY

from daeval.errors import KeyProblemError
from daeval.privacy.keys import MIN_KEY_BITS, load_key, new_key_file, read_key_file, strength_bits
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
    given = OTHER_KEY.decode()
    assert load_key({"DAEVAL_KEY_FILE": str(path), "DAEVAL_KEY": given}) == read_key_file(path)
    assert load_key({"DAEVAL_KEY": given}) == OTHER_KEY
    with pytest.raises(KeyProblemError, match="at least 32"):
        load_key({"DAEVAL_KEY": "short"})
    with pytest.raises(KeyProblemError, match="no project key"):
        load_key({})


WEAK = {
    "one letter": "a" * 32,
    "spaces": " " * 32,
    "a repeated word": "password1234" * 3,
    "two letters": "ab" * 20,
    "the alphabet": "abcdefghijklmnopqrstuvwxyzabcdef",
    "counting": "0123456789" * 4,
    "a pattern with a word": "test-key-0123456789abcdef0123456789abcdef",
}


@pytest.mark.parametrize("secret", WEAK.values(), ids=WEAK.keys())
def test_weak_keys_are_refused_from_the_environment_and_from_a_key_file(tmp_path, secret):
    with pytest.raises(KeyProblemError) as refused:
        load_key({"DAEVAL_KEY": secret})
    assert "DAEVAL_KEY" in str(refused.value) and secret not in str(refused.value)
    path = tmp_path / "k"
    path.write_text(secret + "\n")
    path.chmod(0o600)
    with pytest.raises(KeyProblemError, match=f"key file {path}"):
        load_key({}, path)


@pytest.mark.parametrize("secret", [" " + OTHER_KEY.decode(), OTHER_KEY.decode() + "\t",
                                    OTHER_KEY.decode()[:32] + " " + OTHER_KEY.decode()[32:]])  # fmt: skip
def test_a_key_with_whitespace_is_refused(secret):
    with pytest.raises(KeyProblemError, match="spaces, tabs or line breaks"):
        load_key({"DAEVAL_KEY": secret})


def test_random_keys_pass_the_strength_check():
    for _ in range(2000):
        assert strength_bits(secrets.token_hex(32).encode()) >= MIN_KEY_BITS  # daeval key new
        assert strength_bits(base64.b64encode(secrets.token_bytes(32))) >= MIN_KEY_BITS
    assert strength_bits(b"\xf0\x9f\x94\x91" * 8) < MIN_KEY_BITS


def test_a_key_file_that_is_a_folder_is_refused(tmp_path):
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o700)
    with pytest.raises(KeyProblemError, match="is a folder"):
        read_key_file(folder)
