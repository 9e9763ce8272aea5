"""Local authority codes: DfE three-digit codes, ONS nine-character codes, and how the two match.

A file names its local authority (``la_code``) in one of two ways:

- the DfE three-digit code of an English children's services authority (``201`` is the City of
  London), as children's social care returns and the CIN census write it;
- the ONS nine-character code (GSS code) of a local authority in England (``E06`` unitary
  authorities, ``E07`` non-metropolitan districts, ``E08`` metropolitan districts, ``E09`` London
  boroughs, ``E10`` counties), Scotland (``S12`` council areas) or Wales (``W06`` unitary
  authorities), as ONS statistics and Scottish and Welsh data write it.

Both lists ship with daeval (``daeval/model/areas``, sources and release in its README). The
same authority must never look like two, so at the door an ONS code of an English authority
that has a DfE code is stored as that DfE code, and an ONS code of any other authority (a
Scottish or Welsh council, an English district) as itself, in capitals (decision 0016).

Any three-digit code is taken as a DfE code and kept as given: extracts that cover the years
before April 2023 carry the codes of authorities since replaced (Cumbria, Northamptonshire),
and daeval's synthetic data uses fictional authorities (990, 991). A nine-character code must
be one of the shipped ONS codes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

DFE_SHAPE = "[0-9]{3}"
ONS_PREFIXES: Mapping[str, str] = MappingProxyType(
    {
        "E06": "English unitary authority",
        "E07": "English non-metropolitan district",
        "E08": "English metropolitan district",
        "E09": "London borough",
        "E10": "English county",
        "S12": "Scottish council area",
        "W06": "Welsh unitary authority",
    }
)
ONS_SHAPE = "(E0[6-9]|E10|S12|W06)[0-9]{6}"
LA_CODE_PATTERN = f"^({DFE_SHAPE}|{ONS_SHAPE})$"
"""The shape of an ``la_code``; a column declared with this pattern is checked against the
shipped ONS codes too (see ``daeval.ingest.rules``)."""

REASON = (
    "not a local authority code: give the DfE three-digit code (e.g. 201) or the ONS "
    "nine-character code of a current English, Scottish or Welsh authority "
    "(E06-E10, S12, W06; e.g. E09000001)"
)

_ONS_FILE = "ons_local_authorities.csv"
_DFE_FILE = "dfe_local_authorities.csv"
_RECODED_FILE = "ons_recoded.csv"


@dataclass(frozen=True)
class Authority:
    """A current local authority of the shipped lists."""

    ons_code: str
    name: str
    dfe_code: str | None
    """The DfE code of an English children's services authority, else None."""

    @property
    def code(self) -> str:
        """The code its rows are stored under: the DfE code when it has one."""
        return self.dfe_code or self.ons_code


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("daeval.model").joinpath("areas", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def authorities() -> Mapping[str, Authority]:
    """Every authority of the shipped ONS lists, by ONS code."""
    dfe = {row["ons_code"]: row["dfe_code"] for row in _rows(_DFE_FILE)}
    listed = {
        row["code"]: Authority(row["code"], row["name"], dfe.get(row["code"]))
        for row in _rows(_ONS_FILE)
    }
    # A code ONS issued later for a listed authority (a boundary change) is read as that one.
    recoded = {
        row["code"]: Authority(row["code"], row["name"], listed[row["replaces"]].dfe_code)
        for row in _rows(_RECODED_FILE)
    }
    return MappingProxyType({**listed, **recoded})


def stored_forms() -> Mapping[str, str]:
    """Each shipped ONS code and the code its rows are stored under."""
    return MappingProxyType({ons: a.code for ons, a in authorities().items()})


def canonical(code: str) -> str | None:
    """The code rows given ``code`` are stored under, or None when it is no local authority
    code: a three-digit code as given, an ONS code (in any letter case) as its authority's
    DfE code when it has one, else as itself in capitals."""
    text = code.strip()
    if re.fullmatch(DFE_SHAPE, text):
        return text
    authority = authorities().get(text.upper())
    return None if authority is None else authority.code
