"""Reader for the DfE Children in Need (CIN) census XML return.

One LA's census file becomes staged rows for ``people``, ``csc_referrals``, ``assessments`` and
``plans``. The structure read is the DfE CIN census XML schema 2024, as kept in liiatools
(``liiatools/spec/cin_census/CIN_schema_2024.xsd`` @0dd821c2), and its 2025 successor (liia-tools-
pipeline spec @4aff9189), which replaced ``GenderCurrent`` with ``Sex``::

    Message
      Header/Source/LEA                                   -> la_code of every referral,
                                                             assessment and plan
      Children/Child                                      -> people (source "csc")
        ChildIdentifiers: LAchildID, PersonBirthDate, Sex | GenderCurrent
        ChildCharacteristics: Ethnicity, Disabilities/Disability (1..n)
        CINdetails (1..n, one per referral)               -> csc_referrals
          CINreferralDate, ReferralSource, CINclosureDate, ReasonForClosure
          Assessments (0..n)                              -> assessments
            AssessmentActualStartDate, AssessmentAuthorisationDate,
            FactorsIdentifiedAtAssessment/AssessmentFactors (1..n)
          CINPlanDates (0..n): CINPlanStartDate, CINPlanEndDate        -> plans (CIN)
          Section47 (0..n)
          ReferralNFA (true/false/1/0)
          ChildProtectionPlans (0..n): CPPstartDate, CPPendDate,
            InitialCategoryOfAbuse, LatestCategoryOfAbuse              -> plans (CP)

Values are passed on as the stripped text found (an empty element is null); codes and dates are
checked later, by validation. Elements the census does not define here are ignored, and so are
identifiers that are not canonical columns (UPN, FormerUPN). Element names are matched without
their namespace. Derived values:

- ``sex``: ``Sex`` as found; otherwise ``GenderCurrent`` 1 -> M, 2 -> F, 0 (not recorded or
  unborn) -> U, 9 (indeterminate) -> U, any other value as found (so validation reports it).
- ``disability``: N when every Disability given is NONE, Y when any other code is given, null when
  none is given.
- ``referral_id``: ``<LAchildID>/<CINreferralDate>/<n>``, n counting the child's referrals with that
  same date in file order (normally 1). It depends on nothing else in the file, so a referral keeps
  its id from one year's return to the next even when earlier referrals drop out of the return.
  ``assessment_id`` is ``<referral_id>/A<n>`` and ``plan_id`` ``<referral_id>/CIN<n>`` or
  ``<referral_id>/CP<n>``, n counting the referral's elements of that kind in file order.
  These ids hold the LAchildID in clear, like child_id; the loader pseudonymises all of them.
- ``decision``: the furthest step the referral reached at the front door: ``nfa`` when
  ReferralNFA is true or 1 (any case); else ``s47`` when it has a Section47; else ``assessment`` when it has
  an Assessments element; else null (the census records no other front-door outcome).
- ``domestic_abuse``: Y when any assessment of the referral has factor 3A, 3B or 3C, else null: the
  census records domestic abuse only at the end of assessment, not at the front door, so its
  absence is not a No.
- ``category_of_abuse`` of a CP plan is InitialCategoryOfAbuse: the category under which the child
  was made subject to the plan. LatestCategoryOfAbuse is the state at census date and can differ
  in each year's return for the same plan; the initial category does not.

``_line`` is the line of the element each row comes from: Child for people, CINdetails for
referrals, Assessments for assessments, CINPlanDates or ChildProtectionPlans for plans.

Hardening: the file is parsed by defusedxml's expat parser; entity declarations, external
entities and DTDs are refused, so a billion-laughs or external-entity file cannot expand or reach
out. Memory stays bounded: the file is fed to the parser in chunks, each Child is turned into rows
and dropped as soon as it closes, and rows are packed into Arrow every few thousand children.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from xml.parsers.expat import ErrorString

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from daeval.errors import UnusableFileError
from daeval.ingest.cin_census_rows import Node, TableBuilder, child_rows, new_builders
from daeval.ingest.staged import StagedTable

CHILDREN_PER_BATCH = 5_000
"""Children whose rows are held as Python objects before being packed into Arrow."""

READ_BYTES = 1 << 20
"""Bytes fed to the parser at a time."""

_NODE_DEPTH = 5
"""Levels kept under a Child, the Child included: the deepest element read is
Child/CINdetails/Assessments/FactorsIdentifiedAtAssessment/AssessmentFactors."""


class _Refused(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _CinTarget:
    """Parser target: keeps only the Header and one Child at a time as small trees of Nodes."""

    def __init__(self, builders: dict[str, TableBuilder]) -> None:
        self.builders = builders
        self.la_code: str | None = None
        self.line: Callable[[], int] = lambda: 0  # the parser's current line, set once it exists
        self._path: list[str] = []
        self._nodes: list[Node | None] = []  # open elements of the kept subtree; None: too deep
        self._children = 0
        self.seen_element = False

    def start(self, tag: str, attrib: object) -> None:
        self.seen_element = True
        name = tag.rpartition("}")[2]
        path = self._path
        nodes = self._nodes
        if nodes:
            parent = nodes[-1]
            if parent is not None and len(nodes) < _NODE_DEPTH:
                node = Node(name, self.line())
                parent.children.append(node)
                nodes.append(node)
            else:
                nodes.append(None)
        elif len(path) == 2 and name == "Child" and path[1] == "Children":
            nodes.append(Node(name, self.line()))
        elif len(path) == 1 and name == "Header":
            nodes.append(Node(name, self.line()))
        elif not path and name != "Message":
            raise _Refused(f"the root element is <{name}>, not <Message>", self.line())
        path.append(name)

    def data(self, text: str) -> None:
        nodes = self._nodes
        if nodes and (node := nodes[-1]) is not None:
            node.text += text

    def end(self, tag: str) -> None:
        self._path.pop()
        nodes = self._nodes
        if not nodes:
            return
        node = nodes.pop()
        if nodes or node is None:
            return
        if node.tag == "Child":
            child_rows(node, self.builders)
            self._children += 1
            if self._children % CHILDREN_PER_BATCH == 0:
                for builder in self.builders.values():
                    builder.flush()
        elif self.la_code is None:  # the first Header
            source = node.find("Source")
            self.la_code = source.value("LEA") if source is not None else None

    def close(self) -> None:
        return None


def read_cin_census(path: Path) -> list[StagedTable]:
    """Staged ``people``, ``csc_referrals``, ``assessments`` and ``plans`` from a CIN census file.

    Raises UnusableFileError, naming the file and the line, when the file cannot be read, is not
    well-formed XML, is not a CIN census message, or holds a DTD or entity declarations.
    """
    name = path.name
    builders = new_builders()
    target = _CinTarget(builders)
    parser = DefusedXMLParser(
        target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    expat = parser.parser
    target.line = lambda: expat.CurrentLineNumber
    doctype_lines: list[int] = []

    def start_doctype(*_: object) -> None:
        doctype_lines.append(expat.CurrentLineNumber)

    def end_doctype() -> None:
        # Refused at its end, so that entity declarations inside it are reported as such.
        raise DTDForbidden(None, None, None)

    expat.StartDoctypeDeclHandler = start_doctype
    expat.EndDoctypeDeclHandler = end_doctype
    try:
        with path.open("rb") as file:
            while chunk := file.read(READ_BYTES):
                parser.feed(chunk)
            parser.close()
    except OSError as exc:
        raise UnusableFileError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
        dtd = isinstance(exc, DTDForbidden) and doctype_lines
        line = doctype_lines[0] if dtd else expat.CurrentLineNumber
        raise UnusableFileError(
            f"{name}: line {line}: not allowed in a CIN census file: {_refusal(exc)}"
        ) from None
    except ParseError as exc:
        line = exc.position[0]
        raise UnusableFileError(
            f"{name}: line {line}: not well-formed XML ({ErrorString(exc.code)})"
        ) from None
    except (LookupError, ValueError):
        # Raised by pyexpat for an XML declaration naming an encoding it cannot use; that comes
        # before any element, so after one it is a fault in this reader, not in the file.
        if target.seen_element:
            raise
        raise UnusableFileError(
            f"{name}: line {expat.CurrentLineNumber}: the character encoding its XML "
            "declaration names is not supported; save the file as UTF-8"
        ) from None
    except _Refused as exc:
        raise UnusableFileError(
            f"{name}: line {exc.line}: not a CIN census file ({exc.message})"
        ) from None
    for table in ("csc_referrals", "assessments", "plans"):
        builders[table].constant("la_code", target.la_code)
    return [builder.staged(name) for builder in builders.values()]


def _refusal(exc: Exception) -> str:
    if isinstance(exc, ExternalReferenceForbidden):
        return "external entities"
    if isinstance(exc, EntitiesForbidden):
        if exc.sysid is not None or exc.pubid is not None or exc.notation_name is not None:
            return "external entities"
        return "entity declarations"
    return "a DTD (document type declaration)"
