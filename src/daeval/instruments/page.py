"""The instrument library's page (docs/instruments.md), generated from the definitions.

Run ``python -m daeval.instruments.page > docs/instruments.md`` (``make docs``); a test keeps the
committed page equal to this output.
"""

from __future__ import annotations

from daeval.instruments.change import ChangeRule, change_rule, clinical_cutoffs
from daeval.instruments.definition import Cited, Instrument, Rule
from daeval.instruments.library import builtin_library
from daeval.instruments.settings import ChangeSettings

INTRO = """# The instrument library

Every outcome questionnaire daeval scores is defined as data, one YAML file per instrument in
`src/daeval/instruments/definitions/`, checked when it is loaded. Every figure in a file names its
source, or records the choice made where the published facts are missing or conflict, and why. A
study can change any of these (`instruments:` in `study.yaml`, or `daeval score --settings FILE`):
see [Scoring and change](#scoring-and-change). This page is generated from the files
(`make docs`).

## Scoring and change

- **Score.** `sum`: the total of the answers (reverse-keyed items reflected), prorated to all items
  when some are missing and the missing-item rule allows it; `mean`; `mean_times k`; `conversion`:
  the complete raw total looked up in a published table; `count`: the number of items answered
  yes (an unanswered question is not a yes); `none`: no total, only subscales. Scores are rounded
  to two decimals; bands and cut-offs apply to the rounded score.
- **Missing items.** Up to *max missing* unanswered items, the score is prorated (`prorated` is
  true); one more and the score is invalid (`valid` is false, no score).
- **Answers that cannot be scored** (an unknown instrument or item, a value the item cannot take,
  an item answered twice) are listed with file, line, column and reason, and the questionnaire
  they belong to is not scored.
- **Reliable change** (Jacobson & Truax 1991): the threshold in points is published, or computed
  as z × SD(clinical) × √2 × √(1 − reliability) at the stated confidence. A change at least the
  threshold in the better direction is *reliably improved*, in the worse *reliably deteriorated*.
- **Clinically significant change**: among people starting in the clinical range, *recovered* (a
  reliable improvement that ends outside it), *improved*, *unchanged*, *deteriorated*. The
  cut-off is c when both norms exist, b (the general population's mean + 2 SD, with that
  population's SD) when only general norms do, a when only clinical norms do, else the published
  cut-off (`clinical_criterion: auto`); `a`, `b`, `c` or `cutoff` pick one.
- **Alternative rules**: `change_rule: talking_therapies` judges PHQ-9 and GAD-7 by NHS Talking
  Therapies' reliable-improvement and caseness thresholds instead.
- **Licensed instruments** (SDQ, ASQ-3, ASQ:SE-2) are score-only: daeval stores the total or
  subscale scores the licensed tool produced (`item` = `total` or the subscale's name), never
  item wording or cut-off tables; a licensed user may add cut-offs in the study's settings.

## Summary

The cut-off column gives the published cut-off. Clinically significant change uses the
criterion above: for an instrument with both norms (CORE-10) the clinical range starts at c,
given in its section, not at the published cut-off, unless the study picks `cutoff`.

| Code | Instrument | Licence | Items | Score | Missing items | Cut-off | Reliable change |
|---|---|---|---|---|---|---|---|
"""


def _score(i: Instrument) -> str:
    if i.score_only is not None:
        return "scores from the licensed tool: " + ", ".join(i.score_only.ranges)
    assert i.scoring
    rule = i.scoring.rule
    text = {
        Rule.SUM: "sum",
        Rule.MEAN: "mean",
        Rule.MEAN_TIMES: f"mean × {i.scoring.multiplier or 0:g}",
        Rule.CONVERSION: "raw sum → conversion table",
        Rule.COUNT: "count of yes",
        Rule.NONE: "subscales only",
    }[rule]
    if i.scoring.range:
        text += f" ({i.scoring.range[0]:g}–{i.scoring.range[1]:g})"
    return text


def _missing(i: Instrument) -> str:
    if i.missing is None:
        return "—"
    m = i.missing
    if m.method.value == "count_as_no":
        return "unanswered = no"
    if m.method.value == "not_allowed":
        return "none allowed"
    return f"prorate up to {m.max_missing}"


def _threshold(rule: ChangeRule) -> str:
    if rule.threshold is None:
        return "none"
    level = f" at {rule.confidence:.0%}" if rule.confidence else ""
    return f"{rule.threshold:.2f} points{level}"


def _cite(c: Cited | None) -> str:
    if c is None:
        return ""
    if c.source:
        return f" [{c.source}]"
    return " (choice)"


def _section(i: Instrument) -> list[str]:
    rule = change_rule(i, ChangeSettings())
    lines = [f"## {i.code}: {i.name}", "", f"- Version: {i.version}. Respondents: {i.respondents}."]
    lines.append(
        f"- Licence: {i.licence.status.value.replace('_', ' ')}. {i.licence.statement.strip()}"
        + (f" {i.licence.copyright}" if i.licence.copyright else "")
        + _cite(i.licence)
    )
    lines.append(
        "- Item wording: shipped."
        if i.items and i.items.wording
        else "- Item wording: not shipped."
    )
    direction = "higher is worse" if i.higher_is_worse else "higher is better"
    lines.append(f"- Direction: {direction}.{_cite(i.direction_cited)}")
    if i.items and i.responses:
        values = ", ".join(f"{v:g}" for v in i.responses.values)
        lines.append(f"- Items: {i.items.count}; answers {values}.{_cite(i.responses)}")
    if i.reverse:
        lines.append(
            f"- Reverse-keyed items: {', '.join(map(str, i.reverse))}.{_cite(i.reverse_cited)}"
        )
    for name, members in i.subscales.items():
        lines.append(
            f"- Subscale {name}: items {', '.join(map(str, members))}.{_cite(i.subscales_cited)}"
        )
    for name, answers in i.recorded.items():
        listed = ", ".join(f"{v:g}" for v in answers)
        lines.append(f"- Recorded beside the score, not scored: {name} ({listed}).")
    if i.score_only:
        for name, (low, high) in i.score_only.ranges.items():
            top = "" if high is None else f"{high:g}"
            lines.append(f"- Score {name}: {low:g} to {top or 'no fixed maximum'}.")
    else:
        lines.append(f"- Score: {_score(i)}.{_cite(i.scoring)}")
        lines.append(f"- Missing items: {_missing(i)}.{_cite(i.missing)}")
    if i.bands:
        bands = ", ".join(f"{b.label} from {b.lower:g}" for b in i.bands.levels)
        lines.append(f"- Bands: {bands}.{_cite(i.bands)}")
    if i.cutoff:
        lines.append(f"- Cut-off: {i.cutoff.value:g}, {i.cutoff.meaning}.{_cite(i.cutoff)}")
    if i.reliability:
        lines.append(
            f"- Reliability: {i.reliability.kind.replace('_', '-')} {i.reliability.value:g}."
            f"{_cite(i.reliability)}"
        )
    for label, norm in (("Clinical", i.norms.clinical), ("General-population", i.norms.general)):
        if norm:
            n = f", n {norm.n}" if norm.n else ""
            lines.append(
                f"- {label} norms: mean {norm.mean:g}, SD {norm.sd:g}{n} ({norm.sample}).{_cite(norm)}"
            )
    cutoffs = clinical_cutoffs(i)
    if any(k in cutoffs for k in "abc"):
        lines.append(
            "- Jacobson–Truax cut-offs: "
            + ", ".join(f"{k} = {cutoffs[k]:.2f}" for k in "abc" if k in cutoffs)
            + "."
        )
    if i.reliable_change:
        lines.append(
            f"- Reliable change: {_threshold(rule)}; {i.reliable_change.basis.strip()}"
            f"{_cite(i.reliable_change)}"
        )
    else:
        lines.append("- Reliable change: none published; a study may set one.")
    for alt in i.alternative_rules:
        lines.append(
            f"- Alternative rule {alt.name}: reliable change {alt.reliable_change:g} points, "
            f"caseness from {alt.caseness:g}.{_cite(alt)}"
        )
    choices = [c for c in _choices(i)]
    if choices:
        lines += ["", "Choices recorded in the definition:", ""]
        lines += [f"- {topic}: {text}" for topic, text in choices]
    lines += ["", "Sources:", ""]
    lines += [f"- [{key}] {text.strip()}" for key, text in i.sources.items()]
    lines.append("")
    return lines


def _choices(i: Instrument) -> list[tuple[str, str]]:
    found = [(label, " ".join(c.choice.split())) for _, label, c in i.cited_parts() if c.choice]
    found += [(c.topic, f"{c.decision}. {' '.join(c.reason.split())}") for c in i.choices]
    return found


def render() -> str:
    library = builtin_library()
    lines = [INTRO.rstrip("\n")]
    for code, i in library.items():
        rule = change_rule(i, ChangeSettings())
        cutoff = f"{i.cutoff.value:g}" if i.cutoff else "—"
        items = str(i.items.count) if i.items else "scores only"
        lines.append(
            f"| [{code}](#{code.lower()}-{_anchor(i.name)}) | {i.name} | "
            f"{i.licence.status.value.replace('_', ' ')} | {items} | {_score(i)} | {_missing(i)} | "
            f"{cutoff} | {_threshold(rule)} |"
        )
    lines.append("")
    for i in library.values():
        lines += _section(i)
    return "\n".join(lines)


def _anchor(name: str) -> str:
    kept = "".join(ch for ch in name.lower() if ch.isalnum() or ch in " -")
    return kept.replace(" ", "-")


if __name__ == "__main__":
    print(render(), end="")  # noqa: T201
