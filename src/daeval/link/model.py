"""The linkage model: what is compared between two person records, how pairs are found, and the
default parameters used when training on the data cannot work.

Records are compared on the linkage features made at ingest (normalised names and their Soundex
codes, year-month and day of birth, sex, postcode sector), on events (a child in a police
notification and a child the police referred to children's social care within a week of it are
likely one child) and on households: two records of one child list brothers and sisters of the
same names, and a record listed among the other's brothers and sisters is another child. The
comparison levels follow the recording errors seen in police, children's social care and service
records: a name written the other way round, a nickname or keying error in one name, a day and
month transposed, a day or a year out, an older address in the same postcode district.

Scores are Fellegi-Sunter match weights (log2 of the Bayes factor), as Splink computes them.
"""

from __future__ import annotations

import re
from typing import Any

import splink.comparison_level_library as cll
from splink import SettingsCreator, block_on
from splink.comparison_library import CustomComparison
from splink.internals.comparison_level_creator import ComparisonLevelCreator
from splink.internals.dialects import SplinkDialect

from daeval.link.records import REFERRAL_WITHIN_DAYS

DEFAULT_THRESHOLD = 0.0
"""Match weight at or above which a predicted pair is taken as the same person.

A weight of 0 is a posterior probability of 0.5: a pair is joined when it is more likely one
person than two. On the synthetic police and CSC records it gives the best F1 of the thresholds
tried, with under 0.5% of person keys merging two people, at twenty and at a hundred local
authorities' size (docs/linkage.md). Set in ``study.yaml`` (``linkage: threshold:``) or with
``daeval link --threshold``.
"""

PRIOR = 1e-6
"""Probability that two records drawn at random are the same person, before training estimates it."""

UNIQUE_ID = "record_id"

_JW = "jaro_winkler_similarity"


def _jw(column: str, threshold: float) -> str:
    return f"{_JW}({column}_l, {column}_r) >= {threshold}"


SEXES_AGREE = "(sex_l IS NULL OR sex_r IS NULL OR sex_l = sex_r)"
"""Two given names are alike only for people of one sex (or of unknown sex): Lewis and Louise,
or Luke and Lucy, sound alike but are a brother and a sister more often than one person."""


def _known_forms(same: str, other: str) -> ComparisonLevelCreator:
    """One name equal, and the other written in forms the trusted links show for one person."""
    levels = [
        cll.ExactMatchLevel(same),
        cll.ArrayIntersectLevel(f"{other}_forms", min_intersection=1),
    ]
    if other == "first_name":
        levels.append(cll.CustomLevel(SEXES_AGREE))
    return cll.And(*levels).configure(
        label_for_charts=f"same {same.split('_')[0]} name, {other.split('_')[0]} name "
        "in forms known for one person"
    )


def _name_comparison() -> CustomComparison:
    first, last = "first_name", "last_name"
    both_missing = (
        f"{first}_l IS NULL AND {last}_l IS NULL OR {first}_r IS NULL AND {last}_r IS NULL"
    )
    return CustomComparison(
        output_column_name="name",
        comparison_description="First and last name",
        comparison_levels=[
            cll.CustomLevel(both_missing, "no name on one side").configure(is_null_level=True),
            # Weighted by how common the full name is: two Jack Smiths say less than two Ezra Quayles.
            cll.ExactMatchLevel("full_name").configure(tf_adjustment_column="full_name"),
            cll.ColumnsReversedLevel(first, last, symmetrical=True),
            cll.CustomLevel(
                f"{first}_soundex_l = {last}_soundex_r AND {last}_soundex_l = {first}_soundex_r",
                "names written the other way round, sounding alike",
            ),
            cll.CustomLevel(
                f"{last}_l = {last}_r AND ({_jw(first, 0.88)} OR "
                f"{first}_soundex_l = {first}_soundex_r) AND {SEXES_AGREE}",
                "same last name, first name alike",
            ),
            _known_forms(last, first),
            cll.CustomLevel(
                f"{first}_l = {first}_r AND ({_jw(last, 0.88)} OR "
                f"{last}_soundex_l = {last}_soundex_r)",
                "same first name, last name alike",
            ),
            _known_forms(first, last),
            cll.CustomLevel(f"{_jw(first, 0.88)} AND {_jw(last, 0.88)}", "both names alike"),
            cll.ExactMatchLevel(last),
            cll.CustomLevel(
                f"{first}_soundex_l = {first}_soundex_r AND {last}_soundex_l = {last}_soundex_r",
                "both names sound alike",
            ),
            cll.ExactMatchLevel(first),
            cll.ElseLevel(),
        ],
    )


def _birth_comparison() -> CustomComparison:
    ym, day = "birth_year_month", "birth_day"
    year = "substr({0}, 1, 4)"
    month = "CAST(substr({0}, 6, 2) AS INTEGER)"
    left, right = f"{ym}_l", f"{ym}_r"
    return CustomComparison(
        output_column_name="date_of_birth",
        comparison_description="Year-month and day of birth",
        comparison_levels=[
            cll.NullLevel(ym),
            cll.CustomLevel(f"{left} = {right} AND {day}_l = {day}_r", "same date of birth"),
            cll.CustomLevel(
                f"{year.format(left)} = {year.format(right)} AND {month.format(left)} = {day}_r "
                f"AND {month.format(right)} = {day}_l",
                "day and month transposed",
            ),
            cll.CustomLevel(f"{left} = {right}", "same year and month"),
            cll.CustomLevel(
                f"substr({left}, 6, 2) = substr({right}, 6, 2) AND {day}_l = {day}_r AND "
                f"abs(CAST({year.format(left)} AS INTEGER) - CAST({year.format(right)} AS INTEGER)) = 1",
                "same day and month, a year out",
            ),
            cll.ElseLevel(),
        ],
    )


def _postcode_comparison() -> CustomComparison:
    sector, sectors = "postcode_sector", "postcode_sectors"
    district = "split_part({0}, ' ', 1)"
    nothing = (
        f"{sector}_{{0}} IS NULL AND (array_length({sectors}_{{0}}) = 0 OR {sectors}_{{0}} IS NULL)"
    )
    return CustomComparison(
        output_column_name="postcode",
        comparison_description="Postcode sector, now and in the address history",
        comparison_levels=[
            cll.CustomLevel(
                f"{nothing.format('l')} OR {nothing.format('r')}", "no postcode on one side"
            ).configure(is_null_level=True),
            cll.ExactMatchLevel("postcode"),
            cll.ArrayIntersectLevel("postcodes", min_intersection=1),
            cll.ExactMatchLevel(sector),
            cll.ArrayIntersectLevel(sectors, min_intersection=1),
            cll.CustomLevel(
                f"{district.format(sector + '_l')} = {district.format(sector + '_r')}",
                "same postcode district",
            ),
            cll.ElseLevel(),
        ],
    )


def _sex_comparison() -> CustomComparison:
    return CustomComparison(
        output_column_name="sex",
        comparison_description="Sex",
        comparison_levels=[cll.NullLevel("sex"), cll.ExactMatchLevel("sex"), cll.ElseLevel()],
    )


def _arrays_meet(sql_dialect: SplinkDialect, a: str, b: str) -> str:
    """SQL, in the engine's dialect, true when the array columns ``a`` and ``b`` share an element
    (Splink's own array intersection, put on two columns)."""
    template = cll.ArrayIntersectLevel("daeval_x").get_comparison_level(sql_dialect.sql_dialect_str)
    sql = template.sql_condition
    for side, column in (("l", a), ("r", b)):
        sql = re.sub(rf"[`\"]?daeval_x_{side}[`\"]?", column, sql)
    return sql


class _PoliceReferralLevel(ComparisonLevelCreator):
    """A notified child on one side referred by the police within the window on the other,
    at different addresses (``elsewhere``) or at any."""

    def __init__(self, label: str, elsewhere: bool):
        self.label, self.elsewhere = label, elsewhere

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        notified, referred = "notified_days", "referred_windows"
        meet = (
            f"({_arrays_meet(sql_dialect, notified + '_l', referred + '_r')}) OR "
            f"({_arrays_meet(sql_dialect, referred + '_l', notified + '_r')})"
        )
        if not self.elsewhere:
            return meet
        address = (
            "coalesce(postcode_l = postcode_r, false) OR "
            f"({_arrays_meet(sql_dialect, 'postcodes_l', 'postcodes_r')})"
        )
        return f"({meet}) AND NOT ({address})"

    def create_label_for_charts(self) -> str:
        return self.label


def _police_referral_comparison() -> CustomComparison:
    notified, referred = "notified_days", "referred_windows"
    neither = (
        f"NOT (({notified}_l IS NOT NULL AND {referred}_r IS NOT NULL) OR "
        f"({referred}_l IS NOT NULL AND {notified}_r IS NOT NULL))"
    )
    within = f"referred by the police within {REFERRAL_WITHIN_DAYS} days of a notification"
    return CustomComparison(
        output_column_name="police_referral",
        comparison_description=(
            f"A police notification, then a police referral to CSC within {REFERRAL_WITHIN_DAYS} "
            "days"
        ),
        comparison_levels=[
            cll.CustomLevel(neither, "not a notified child and a police-referred child").configure(
                is_null_level=True
            ),
            _PoliceReferralLevel(f"other addresses, {within}", elsewhere=True),
            # A household's children are notified and referred together, so at one address the
            # events cannot tell a child from a brother or sister: there they weigh nothing.
            _PoliceReferralLevel(f"one address, {within}", elsewhere=False).configure(
                m_probability=0.03,
                u_probability=0.03,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            cll.ElseLevel(),
        ],
    )


def _listed_as_sibling(sql_dialect: SplinkDialect) -> str:
    """SQL true when one record's first name is among the other's brothers and sisters."""
    contains = "list_contains" if sql_dialect.sql_dialect_str == "duckdb" else "array_contains"
    return (
        f"coalesce({contains}(sibling_names_l, first_name_r), false) OR "
        f"coalesce({contains}(sibling_names_r, first_name_l), false)"
    )


class _SiblingLevel(ComparisonLevelCreator):
    """Whether one record is listed among the other's brothers and sisters (``listed``), or
    neither is and one has none listed (the null level)."""

    def __init__(self, listed: bool):
        self.listed = listed

    def create_sql(self, sql_dialect: SplinkDialect) -> str:
        listed = _listed_as_sibling(sql_dialect)
        if self.listed:
            return listed
        return f"(sibling_names_l IS NULL OR sibling_names_r IS NULL) AND NOT ({listed})"

    def create_label_for_charts(self) -> str:
        if self.listed:
            return "one is a brother or sister of the other"
        return "no brother or sister on one side"


def _siblings_comparison() -> CustomComparison:
    return CustomComparison(
        output_column_name="siblings",
        comparison_description="First names of brothers and sisters",
        comparison_levels=[
            _SiblingLevel(listed=False).configure(is_null_level=True),
            # Two children of one household: before the shared names below, which they show too.
            _SiblingLevel(listed=True),
            cll.ArrayIntersectLevel("sibling_names", min_intersection=1),
            cll.ElseLevel(),
        ],
    )


BLOCKING_RULES = (
    block_on("first_name", "last_name", "substr(birth_year_month, 1, 4)"),
    block_on("first_name", "last_name", "substr(birth_year_month, 6, 2)", "birth_day"),
    block_on("last_name_soundex", "birth_year_month", "birth_day"),
    block_on("first_name_soundex", "birth_year_month", "birth_day"),
    block_on("first_name", "last_name", "postcode_sector"),
    block_on("last_name", "postcode", "substr(first_name, 1, 1)"),
    block_on("first_name", "postcode"),
    block_on("postcode", "birth_year_month", "birth_day"),
    "l.first_name = r.last_name AND l.last_name = r.first_name "
    "AND l.birth_year_month = r.birth_year_month",
    "l.first_name = r.first_name AND l.last_name = r.last_name "
    "AND split_part(l.postcode_sector, ' ', 1) = split_part(r.postcode_sector, ' ', 1) "
    "AND (l.birth_year_month IS NULL OR r.birth_year_month IS NULL)",
    block_on(
        "first_name_soundex",
        "last_name_soundex",
        "sibling_names",
        arrays_to_explode=["sibling_names"],
    ),
)
"""Pairs compared: two records are compared when any one of these holds. Each rule is narrow
enough for a national extract; together they find pairs with one error in any one feature, names
written the other way round, and a missing date of birth, and at one postcode a name written
differently. Brothers and sisters share a last name and a postcode, so the rule on the two asks for
the same initial too. The last rule finds one child's records that share nothing but names that
sound alike and a brother's or sister's name (no date of birth on one side, another address)."""

TRAINING_RULES = (
    block_on("birth_year_month", "birth_day"),
    block_on("first_name", "last_name"),
)
"""Expectation maximisation passes, used when there are too few trusted links to learn from. A
feature is not learned in a pass that blocks on it, so the first pass learns the names, postcode and
sex, the second the date of birth, postcode and sex."""


def settings(prior: float = PRIOR) -> SettingsCreator:
    """Splink settings for one table of person records from every source (link and deduplicate)."""
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name=UNIQUE_ID,
        comparisons=[
            _name_comparison(),
            _birth_comparison(),
            _postcode_comparison(),
            _sex_comparison(),
            _police_referral_comparison(),
            _siblings_comparison(),
        ],
        blocking_rules_to_generate_predictions=list(BLOCKING_RULES),  # type: ignore[arg-type]
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=["source"],
    )


DEFAULT_M_U: dict[str, list[tuple[float, float]]] = {
    # (m, u) per non-null level, in the order of the levels above. Written from the recording error
    # rates the services report (see docs/linkage.md), for use only when training fails.
    "name": [
        (0.77, 1e-6),
        (0.01, 1e-7),
        (0.005, 1e-7),
        (0.055, 1e-5),
        (0.02, 1e-6),
        (0.04, 1e-5),
        (0.01, 1e-6),
        (0.03, 1e-5),
        (0.02, 0.005),
        (0.01, 1e-5),
        (0.01, 0.01),
        (0.02, 0.985),
    ],
    "date_of_birth": [
        (0.94, 0.0001),
        (0.01, 1e-6),
        (0.02, 0.003),
        (0.01, 0.0003),
        (0.02, 0.9966),
    ],
    "postcode": [
        (0.55, 0.0002),
        (0.05, 0.0003),
        (0.15, 0.005),
        (0.10, 0.01),
        (0.05, 0.02),
        (0.10, 0.9645),
    ],
    "sex": [(0.98, 0.5), (0.02, 0.5)],
    # Among notified children whom the police referred to CSC at some time, the referral follows
    # one of the child's notifications within the week far more often for one child than for two.
    "police_referral": [(0.6, 0.01), (0.03, 0.03), (0.37, 0.96)],
    "siblings": [(0.001, 0.01), (0.8, 0.02), (0.199, 0.97)],
}
"""A model to fall back on when training fails: for each comparison, the probability of each level
among true matches (m) and among non-matches (u)."""


def default_model(prior: float = PRIOR, dialect: str = "duckdb") -> dict[str, Any]:
    """The Splink settings dictionary with the fallback m and u probabilities filled in."""
    created = settings(prior).create_settings_dict(sql_dialect_str=dialect)
    for comparison in created["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        values = DEFAULT_M_U[comparison["output_column_name"]]
        assert len(levels) == len(values), comparison["output_column_name"]
        for level, (m, u) in zip(levels, values, strict=True):
            level["m_probability"] = m
            level["u_probability"] = u
    return created


PARAMETERS = ("m_probability", "u_probability", "tf_adjustment_weight")
ADDED_COMPARISONS = ("police_referral", "siblings")
"""Comparisons added after models were first saved: a saved model without them is still used."""


def _default_levels(name: str, dialect: str) -> list[dict[str, Any]]:
    created = default_model(dialect=dialect)
    return next(c for c in created["comparisons"] if c["output_column_name"] == name)[
        "comparison_levels"
    ]


def for_dialect(saved: dict[str, Any], dialect: str) -> dict[str, Any]:
    """A saved model's parameters on these settings, written in the SQL of ``dialect``.

    A model saved by one engine holds that engine's SQL; the parameters carry over by comparison
    and level, which must match these settings.
    """
    prior = saved.get("probability_two_random_records_match", PRIOR)
    target = settings(prior).create_settings_dict(sql_dialect_str=dialect)
    theirs = {c.get("output_column_name"): c["comparison_levels"] for c in saved["comparisons"]}
    for comparison in target["comparisons"]:
        name = comparison["output_column_name"]
        levels = theirs.get(name)
        if levels is None and name in ADDED_COMPARISONS:
            # A model saved before the comparison was added: it takes the default's parameters.
            levels = _default_levels(name, dialect)
        if levels is None or len(levels) != len(comparison["comparison_levels"]):
            raise ValueError(
                f"the saved linkage model does not match this version's {name!r} comparison"
            )
        for mine, their in zip(comparison["comparison_levels"], levels, strict=True):
            for key in PARAMETERS:
                if key in their:
                    mine[key] = their[key]
    return target
