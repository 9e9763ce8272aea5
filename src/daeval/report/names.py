"""Names for a site in file names, chart and table keys: site ids are free text (``St Mary's``,
even ``=HYPERLINK(...)``), which has no place in a file name or an HTML id."""

from __future__ import annotations

import re

SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")
MAX_NAME = 80


def site_file_names(sites: list[str]) -> dict[str, str]:
    """A file name (without its ending) for each site: the site id with every character other
    than a letter, digit, ``_`` or ``-`` as ``-`` (a space or an apostrophe has no place in a
    file name), and a suffix ``-2``, ``-3``, ... where two would clash (ignoring case, as some
    file systems do)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for site in sites:
        base = SAFE_NAME.sub("-", site).strip("-.")[:MAX_NAME] or "site"
        name, n = base, 1
        while name.casefold() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.casefold())
        names[site] = name
    return names
