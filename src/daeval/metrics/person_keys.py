"""The same person across sources: each record's person key, for measures that cross sources.

After ``daeval link`` the key is the record's ``person_key``. Before any linkage, trusted links
(``person_links``) stand in: a record linked directly to others takes the smallest of their record
ids (``source:person_id``) as its key, and any other record is a person of its own.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def _record_id(source: ir.StringValue, person_id: ir.Value) -> ir.StringValue:
    """``source:person_id``, the pseudonym (a UUID in the warehouse) in its text form."""
    return source.concat(":", person_id.cast("string"))


def has_person_keys(con: ibis.BaseBackend) -> bool:
    """Whether linkage has run (a warehouse made before linkage existed has no such table)."""
    try:
        keys = con.table("person_keys")
    except Exception:  # Ibis raises a backend-specific error for a missing table
        return False
    return bool(keys.count().execute() > 0)


def with_person_key(
    con: ibis.BaseBackend,
    table: ir.Table,
    id_column: str,
    source: str | ir.StringValue,
    name: str,
) -> ir.Table:
    """``table`` with column ``name``: the person key of ``(source, table[id_column])``;
    ``source`` is one source's name, or an expression over ``table`` when its rows come from
    several (addresses, or service episodes of many sites)."""
    table = table.mutate(_source=ibis.literal(source) if isinstance(source, str) else source)
    table = table.mutate(_record=_record_id(table._source, table[id_column]))
    if has_person_keys(con):
        keys = con.table("person_keys")
        keys = keys.select(_key_source=keys.source, _person=keys.person_id, _key=keys.person_key)
        if isinstance(source, str):
            keys = keys.filter(keys._key_source == source)
        joined = table.left_join(
            keys, [table._source == keys._key_source, table[id_column] == keys._person]
        )
        return joined.mutate(**{name: joined._key.fill_null(joined._record)}).drop(
            "_source", "_record", "_key_source", "_person", "_key"
        )
    links = con.table("person_links")
    a = _record_id(links.source_a, links.person_id_a)
    b = _record_id(links.source_b, links.person_id_b)
    pairs = links.select(_from=a, _to=b).union(links.select(_from=b, _to=a))
    nearest = pairs.group_by("_from").aggregate(_linked=pairs._to.min())
    joined = table.left_join(nearest, table._record == nearest._from)
    key = ibis.least(joined._record, joined._linked.fill_null(joined._record))
    return joined.mutate(**{name: key}).drop("_source", "_record", "_from", "_linked")
