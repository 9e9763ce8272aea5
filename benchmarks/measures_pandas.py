"""The measures benchmark's pandas side: the whole measures table as an analyst would write it.

Every measure daeval writes for the benchmark's workspace (no ``study.yaml``: default subgroups,
default instrument settings, person keys from trusted links) is computed here anew with pandas,
numpy and scipy; only facts are taken from daeval (code lists, bands, the instrument library and
each instrument's reliable-change threshold and clinical cut-off). Definitions: docs/measures.md,
docs/data-contract.md and docs/instruments.md.
"""

from __future__ import annotations

import time
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from benchmarks.measures_facts import (
    AGE_BANDS,
    ANSWER_COLUMNS,
    CLASSES,
    DROPPED_OUT,
    ETHNICITY_GROUP,
    RISK_LEVELS,
    STAGES,
    SUBGROUPS,
    WINDOW,
    Row,
)

PLAN_OUTCOMES = {"cin_plan": "CIN", "cp_plan": "CP", "cla": "CLA"}  # outcome: plan_type
OUTCOMES = ("referral", "assessment", *PLAN_OUTCOMES)  # csc_outcome_within_window's categories
TIME_POINTS = sorted({30, 91, 182, 273, 365, WINDOW})  # km_csc_referral's days
AT_RISK = 10  # fewest index events at risk at t for an estimate at t (ACRO's survival threshold)
# One person's answers to one instrument at one timepoint from one respondent; and the columns
# by which a baseline and an end score are the same person's, instrument's and respondent's.
ADMINISTRATION = ["source", "person_id", "instrument", "timepoint", "respondent"]
PAIR = ["source", "person_id", "instrument", "respondent"]


def pandas_side(warehouse: str, as_of: date) -> tuple[float, list[Row]]:
    import duckdb

    from daeval.instruments.change import change_rules
    from daeval.instruments.settings import default_settings
    from daeval.model.codes import ASSESSMENT_FACTOR

    began = time.perf_counter()
    con = duckdb.connect(warehouse, read_only=True)

    def table(name: str, *columns: str) -> pd.DataFrame:
        # Pseudonyms (UUIDs) are read as text: pandas would hold UUIDs as Python objects.
        types = dict(
            con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {name})").fetchall()
        )
        select = [f"CAST({c} AS VARCHAR) AS {c}" if types[c] == "UUID" else c for c in columns]
        return con.sql(f"SELECT {', '.join(select)} FROM {name}").df()

    links = table("person_links", "source_a", "person_id_a", "source_b", "person_id_b")
    people = table(
        "people",
        "source",
        "person_id",
        "birth_month",
        "sex",
        "ethnicity",
        "disability",
        "postcode_sector",
    )
    referrals = table("csc_referrals", "referral_id", "child_id", "la_code", "referral_date")
    assessments = table("assessments", "referral_id", "start_date", "factors")
    plans = table("plans", "child_id", "plan_type", "start_date")
    notifications = table(
        "police_notifications",
        "notification_id",
        "notification_date",
        "incident_type",
        "victim_id",
        "risk_level",
        "post_separation",
    )
    children = table("notification_children", "notification_id", "child_id")
    addresses = table("addresses", "source", "person_id", "from_date")
    episodes = table(
        "service_episodes",
        "site_id",
        "person_id",
        "referral_date",
        "eligibility",
        "first_contact_date",
        "offer",
        "start_date",
        "end_date",
        "end_reason",
    )
    responses = table("measure_responses", *ANSWER_COLUMNS)
    con.close()
    day = pd.Timestamp(as_of)
    window = pd.Timedelta(days=WINDOW)
    last_index = day - window

    # Person keys from trusted links: the smallest record id a record is linked to, or its own.
    a = links.source_a + ":" + links.person_id_a
    b = links.source_b + ":" + links.person_id_b
    pairs = pd.concat([pd.DataFrame({"rec": a, "other": b}), pd.DataFrame({"rec": b, "other": a})])
    nearest = pairs.groupby("rec")["other"].min()

    def person_key(source: str | pd.Series, ids: pd.Series) -> pd.Series:
        record = source + ":" + ids
        linked = record.map(nearest)
        smaller = linked.notna() & (linked < record.fillna(""))
        return record.where(~smaller, linked)

    # The subgroups of each person record.
    ethnicity = {code: group for group, codes in ETHNICITY_GROUP.items() for code in codes}
    people["area"] = people.postcode_sector.str.split(" ").str[0]
    people["ethnicity_group"] = people.ethnicity.map(ethnicity)
    people = people[
        ["source", "person_id", "area", "sex", "ethnicity_group", "disability", "birth_month"]
    ]
    bounds = [-np.inf] + [bound for bound, _ in AGE_BANDS] + [np.inf]
    bands = [band for _, band in AGE_BANDS] + ["55+"]

    def described(events: pd.DataFrame, source: str | pd.Series, person: str, on: str):
        events = events.assign(_source=source)
        joined = events.merge(
            people,
            how="left",
            left_on=["_source", person],
            right_on=["source", "person_id"],
            suffixes=("", "_people"),
        )
        months = (joined[on].dt.year - joined.birth_month.dt.year) * 12 + (
            joined[on].dt.month - joined.birth_month.dt.month
        )
        joined["age_band"] = pd.cut(months, bounds, right=False, labels=bands).astype(object)
        return joined

    def counted(
        events: pd.DataFrame,
        native: str,
        counts: list[str],
        within: tuple[str, ...] = (),
        how: str = "sum",
    ) -> pd.DataFrame:
        """``how`` (the sum by default) of the ``counts`` columns: for all events (group_by and
        group "all") and by each group of the measure's own grouping ``native`` and of each
        subgroup (events with no value count in no group), separately for each value of the
        ``within`` columns (kept)."""
        parts = []
        for by in ("all", native, *SUBGROUPS):
            keys = [*within] if by == "all" else [by, *within]
            if keys:
                sums = events.groupby(keys)[counts].agg(how).reset_index()
            else:
                sums = events[counts].agg(how).to_frame().T
            group = "all" if by == "all" else sums.pop(by)
            parts.append(sums.assign(group_by=by, group=group))
        return pd.concat(parts, ignore_index=True)

    def graded(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(risk_level=frame.risk_level.where(frame.risk_level.isin(RISK_LEVELS)))

    def period(first: pd.Timestamp) -> pd.Timestamp:
        return first + window if first + window <= day else first

    out: list[Row] = []

    def emit(measure, sums, start, end, layout):  # type: ignore[no-untyped-def]
        """One row per row of ``sums`` and entry of ``layout``: (category, numerator column,
        denominator column or None) for a count, and also the value, ci_lower and ci_upper
        columns (None: blank) for a statistic."""
        for category, num, den, *figures in layout:
            for rec in sums.to_dict("records"):
                row = (
                    measure,
                    rec["group_by"],
                    rec["group"],
                    category,
                    start.date(),
                    end.date(),
                    int(rec[num]),
                    None if den is None else int(rec[den]),
                )
                figured = (None if f is None or pd.isna(rec[f]) else float(rec[f]) for f in figures)
                out.append(row + tuple(figured))

    rate = [(None, "numerator", "denominator")]

    def repeats(frame: pd.DataFrame, keys: list[str], on: str, start: pd.Timestamp) -> pd.DataFrame:
        """The events of ``frame`` dated from ``start`` to as_of, with numerator = 1 when the
        same ``keys`` had an event on an earlier day at most the window before, denominator = 1."""
        days = frame[[*keys, on]].drop_duplicates().sort_values([*keys, on])
        days["previous"] = days.groupby(keys)[on].shift()
        flagged = frame.merge(days, on=[*keys, on])
        flagged = flagged[flagged[on].between(start, day)].copy()
        flagged["numerator"] = (flagged[on] - flagged.previous <= window).astype(int)
        flagged["denominator"] = 1
        return flagged

    # re_referral_rate
    referrals["person_id"] = referrals.child_id
    referrals["child_key"] = person_key("csc", referrals.child_id)
    referral_start = period(referrals.referral_date.min())
    flagged = repeats(referrals, ["la_code", "child_key"], "referral_date", referral_start)
    events = described(flagged, "csc", "person_id", "referral_date")
    emit(
        "re_referral_rate",
        counted(events, "la_code", ["numerator", "denominator"]),
        referral_start,
        day,
        rate,
    )

    # re_referral_by_factor: the same flags, among referrals whose assessment recorded a factor
    factors = assessments.dropna(subset=["factors"])
    factors = factors.assign(factor=factors.factors.str.upper().str.split(";")).explode("factor")
    factors = factors[factors.factor.isin([code.upper() for code in ASSESSMENT_FACTOR.codes])]
    factors = factors[["referral_id", "factor"]].drop_duplicates()
    by_factor = flagged.merge(factors, on="referral_id")
    sums = by_factor.groupby("factor")[["numerator", "denominator"]].sum().reset_index()
    sums = sums.rename(columns={"factor": "group"}).assign(group_by="factor")
    emit("re_referral_by_factor", sums, referral_start, day, rate)

    # repeat_notification_rate, risk_trajectory, post_separation_share
    da = notifications[notifications.incident_type == "domestic_abuse"].copy()
    da["victim_key"] = person_key("police", da.victim_id)
    first = da.notification_date.min()
    victims = da[da.victim_key.notna()]
    start = period(first)
    flagged = graded(repeats(victims, ["victim_key"], "notification_date", start))
    events = described(flagged, "police", "victim_id", "notification_date")
    emit(
        "repeat_notification_rate",
        counted(events, "risk_level", ["numerator", "denominator"]),
        start,
        day,
        rate,
    )

    rank = {level: i + 1 for i, level in enumerate(RISK_LEVELS)}
    index = victims[
        victims.risk_level.isin(RISK_LEVELS) & (victims.notification_date <= last_index)
    ]
    index = index.assign(rank=index.risk_level.map(rank))
    later = victims[["victim_key", "notification_date", "risk_level"]].rename(
        columns={"notification_date": "later_date", "risk_level": "later_level"}
    )
    later["later_rank"] = later.later_level.map(rank)
    pairs = index[["notification_id", "victim_key", "notification_date"]].merge(
        later, on="victim_key"
    )
    gap = pairs.later_date - pairs.notification_date
    pairs = pairs[(gap >= pd.Timedelta(days=1)) & (gap <= window)]
    after = pairs.groupby("notification_id").agg(
        repeats=("later_date", "size"), highest=("later_rank", "max")
    )
    index = index.merge(after, how="left", left_on="notification_id", right_index=True)
    index["category"] = np.select(
        [
            index.repeats.isna(),
            index.highest.isna(),
            index.highest > index["rank"],
            index.highest < index["rank"],
        ],
        ["no_repeat", "repeat_same_level", "escalated", "de_escalated"],
        "repeat_same_level",
    )
    for c in CLASSES:
        index[c] = (index.category == c).astype(int)
    index["denominator"] = 1
    events = described(index, "police", "victim_id", "notification_date")
    sums = counted(events, "risk_level", [*CLASSES, "denominator"])
    if len(index):
        emit(
            "risk_trajectory",
            sums[sums.denominator > 0],
            index.notification_date.min(),
            last_index,
            [(c, c, "denominator") for c in CLASSES],
        )

    recorded = da[da.post_separation.isin(["Y", "N"]) & da.notification_date.between(first, day)]
    recorded = graded(recorded).assign(
        numerator=(recorded.post_separation == "Y").astype(int), denominator=1
    )
    events = described(recorded, "police", "victim_id", "notification_date")
    emit(
        "post_separation_share",
        counted(events, "risk_level", ["numerator", "denominator"]),
        first,
        day,
        rate,
    )

    # Index events: one per child of each domestic abuse notification dated before as_of, with
    # the child's subgroups; those with their whole window by as_of are "complete".
    kids = da.loc[
        da.notification_date < day, ["notification_id", "notification_date", "risk_level"]
    ]
    kids = graded(kids).merge(children, on="notification_id")
    kids["child_key"] = person_key("police", kids.child_id)
    kids = described(kids, "police", "child_id", "notification_date")

    def next_after(events: pd.DataFrame, later: pd.DataFrame) -> pd.Series:
        """For each index event, the date of the same child's first ``later`` event (child_key,
        date) dated after the notification day (NaT when there is none)."""
        found = pd.merge_asof(
            events[["child_key", "notification_date"]]
            .reset_index()
            .sort_values("notification_date"),
            later.dropna().sort_values("date"),
            left_on="notification_date",
            right_on="date",
            by="child_key",
            direction="forward",
            allow_exact_matches=False,
        )
        return found.set_index("index")["date"].reindex(events.index)

    referred = referrals[["child_key", "referral_date"]].rename(columns={"referral_date": "date"})
    kids["next_referral"] = next_after(kids, referred)
    kids["denominator"] = 1
    complete = kids[kids.notification_date <= last_index].copy()
    complete_period = (complete.notification_date.min(), last_index)

    # csc_referral_within_window, csc_outcome_within_window: the child reached an outcome in
    # (d, d + W] when the first one of its kind after day d is at most W days after it
    assessed = assessments.merge(referrals[["referral_id", "child_key"]], on="referral_id")
    plans["child_key"] = person_key("csc", plans.child_id)
    found = {
        "referral": referred,
        "assessment": assessed[["child_key", "start_date"]].rename(columns={"start_date": "date"}),
    }
    for outcome, plan_type in PLAN_OUTCOMES.items():
        planned = plans[plans.plan_type == plan_type]
        found[outcome] = planned[["child_key", "start_date"]].rename(columns={"start_date": "date"})
    for outcome, dates in found.items():
        following = next_after(complete, dates)
        complete[outcome] = (following - complete.notification_date <= window).astype(int)
    sums = counted(complete, "risk_level", [*OUTCOMES, "denominator"])
    if len(complete):
        emit(
            "csc_referral_within_window",
            sums[sums.denominator > 0],
            *complete_period,
            [(None, "referral", "denominator")],
        )
        emit(
            "csc_outcome_within_window",
            sums[sums.denominator > 0],
            *complete_period,
            [(o, o, "denominator") for o in OUTCOMES],
        )

    # address_moves: distinct from_dates of the child's address records (any source), after the
    # child's first known one, in the window; counted for each index event (row of complete)
    addresses["child_key"] = person_key(addresses.source, addresses.person_id)
    starts = addresses[["child_key", "from_date"]].dropna().drop_duplicates()
    moves = starts[starts.from_date > starts.groupby("child_key").from_date.transform("min")]
    pairs = complete[["child_key", "notification_date"]].reset_index().merge(moves, on="child_key")
    gap = pairs.from_date - pairs.notification_date
    pairs = pairs[(gap >= pd.Timedelta(days=1)) & (gap <= window)]
    complete["moves"] = pairs.groupby("index").size().reindex(complete.index, fill_value=0)
    complete["moved_0"] = (complete.moves == 0).astype(int)
    complete["moved_1"] = (complete.moves == 1).astype(int)
    complete["moved_2"] = (complete.moves >= 2).astype(int)
    sums = counted(
        complete, "risk_level", ["moved_0", "moved_1", "moved_2", "moves", "denominator"]
    )
    if len(complete):
        emit(
            "address_moves",
            sums[sums.denominator > 0],
            *complete_period,
            [
                ("0", "moved_0", "denominator"),
                ("1", "moved_1", "denominator"),
                ("2_or_more", "moved_2", "denominator"),
                ("moves_per_child", "moves", "denominator"),
            ],
        )

    # km_csc_referral, time_to_first_referral: days from the notification to the child's first
    # referral by as_of (an event), else to as_of (censored)
    referred_by = kids.next_referral <= day
    kids["events"] = referred_by.astype(int)
    kids["censored"] = 1 - kids.events
    kids["day"] = ((kids.next_referral.where(referred_by, day)) - kids.notification_date).dt.days
    if len(kids):
        km_period = (kids.notification_date.min(), day)
        # The life table of each group: events and censored index events per day.
        curve = counted(kids, "risk_level", ["events", "censored"], within=("day",))
        curve = curve.sort_values(["group_by", "group", "day"], ignore_index=True)

        def per_group(column: pd.Series):  # type: ignore[no-untyped-def]
            return column.groupby([curve.group_by, curve.group], sort=False)

        curve["leaving"] = curve.events + curve.censored
        # At risk on a day: the index events whose time is that day or later.
        curve["at_risk"] = (
            per_group(curve.leaving).transform("sum")
            - per_group(curve.leaving).cumsum()
            + curve.leaving
        )
        e, n = curve.events, curve.at_risk
        curve["survival"] = per_group(1 - e / n).cumprod()
        # Greenwood's sum; a day when everyone at risk is referred (S falls to 0) adds nothing.
        curve["greenwood"] = per_group((e / (n * (n - e))).where(n > e, 0.0)).cumsum()
        curve["referred"] = per_group(e).cumsum()
        groups = curve.groupby(["group_by", "group"]).agg(
            index_events=("leaving", "sum"), events=("events", "sum")
        )
        z = stats.norm.ppf(0.975)
        for t in TIME_POINTS:
            gone = curve[curve.day < t].groupby(["group_by", "group"]).leaving.sum()
            upto = curve[curve.day <= t].groupby(["group_by", "group"])
            point = groups.assign(
                at_risk=groups.index_events - gone.reindex(groups.index, fill_value=0),
                survival=upto.survival.last(),
                greenwood=upto.greenwood.last(),
                referred=upto.referred.last(),
            )
            point = point.fillna({"survival": 1.0, "greenwood": 0.0, "referred": 0})
            point = point[point.at_risk >= AT_RISK].reset_index()
            # The 95% log(-log) interval of S, as one of 1 - S: [0, 0] while S = 1, [1, 1] at 0.
            s = point.survival
            with np.errstate(divide="ignore", invalid="ignore"):
                half = z * np.sqrt(point.greenwood) / -np.log(s)
            inside = (s > 0) & (s < 1)
            point["value"] = 1 - s
            point["ci_lower"] = np.where(inside, 1 - s ** np.exp(-half), np.where(s <= 0, 1.0, 0.0))
            point["ci_upper"] = np.where(inside, 1 - s ** np.exp(half), np.where(s <= 0, 1.0, 0.0))
            emit(
                "km_csc_referral",
                point,
                *km_period,
                [(str(t), "referred", "index_events", "value", "ci_lower", "ci_upper")],
            )

        # The Kaplan-Meier median: the first day S falls to 1/2 (the tolerance lets a product
        # that is 1/2 exactly, rounded up a hair, count).
        halved = curve[curve.survival <= 0.5 + 1e-12].groupby(["group_by", "group"]).day.first()
        emit(
            "time_to_first_referral",
            groups.assign(median=halved).reset_index(),
            *km_period,
            [("kaplan_meier_median", "events", "index_events", "median", None, None)],
        )
        # Among complete index events referred within the window: the median day.
        complete["referred"] = complete.referral
        complete["referral_day"] = kids.day.where(complete.referral == 1)
        sums = counted(complete, "risk_level", ["referred", "denominator"]).merge(
            counted(complete, "risk_level", ["referral_day"], how="median"),
            on=["group_by", "group"],
        )
        emit(
            "time_to_first_referral",
            sums[sums.denominator > 0],
            *km_period,
            [("median_among_referred", "referred", "denominator", "referral_day", None, None)],
        )

    # service_funnel, dropout_rate
    episodes = episodes[episodes.referral_date <= day].copy()
    reached = pd.Series(True, index=episodes.index)
    conditions = {
        "referred": reached,
        "eligible": episodes.eligibility == "eligible",
        "contacted": episodes.first_contact_date.notna(),
        "accepted": episodes.offer == "accepted",
        "started": episodes.start_date.notna(),
        "completed": episodes.end_reason == "completed",
    }
    for stage in STAGES:
        reached = reached & conditions[stage]
        episodes[stage] = reached.astype(int)
    first = episodes.referral_date.min()
    events = described(episodes, "service:" + episodes.site_id, "person_id", "referral_date")
    emit(
        "service_funnel",
        counted(events, "site_id", list(STAGES)),
        first,
        day,
        [(s, s, STAGES[max(i - 1, 0)]) for i, s in enumerate(STAGES)],
    )
    ended = episodes[episodes.start_date.notna() & episodes.end_date.notna()]
    ended = ended.assign(numerator=ended.end_reason.isin(DROPPED_OUT).astype(int), denominator=1)
    events = described(ended, "service:" + ended.site_id, "person_id", "referral_date")
    emit("dropout_rate", counted(events, "site_id", ["numerator", "denominator"]), first, day, rate)

    # reliable_change, clinical_change: a person's valid baseline and end scores on one
    # instrument from one respondent, the end questionnaire dated by as_of
    settings = default_settings()
    scores = questionnaire_scores(responses, settings.library)
    scores = scores[scores.score.notna()]
    at = {
        timepoint: scores[scores.timepoint == timepoint][[*PAIR, "score", "administered_date"]]
        for timepoint in ("baseline", "end")
    }
    changes = at["baseline"].merge(at["end"], on=PAIR, suffixes=("_baseline", "_end"))
    changes = changes.rename(
        columns={
            "score_baseline": "baseline",
            "score_end": "end",
            "administered_date_end": "end_date",
        }
    )
    changes = changes[changes.end_date <= day]
    if len(changes):
        rules = pd.DataFrame(
            [
                (code, r.threshold, r.cutoff, r.higher_is_worse)
                for code, r in change_rules(settings).items()
            ],
            columns=["instrument", "threshold", "cutoff", "higher_is_worse"],
        )
        changes = changes.merge(rules, on="instrument", how="left")
        change = changes.end - changes.baseline
        higher_is_worse = changes.higher_is_worse.eq(True)
        improvement = change.where(~higher_is_worse, -change)
        # Scores carry two decimals: compared at six, a change of 5.999... is one of 6.
        better = improvement.round(6) >= changes.threshold.round(6)
        worse = improvement.round(6) <= -changes.threshold.round(6)

        def clinical(score: pd.Series) -> pd.Series:
            """At or past the cut-off, in the instrument's worse direction."""
            return (score >= changes.cutoff).where(higher_is_worse, score <= changes.cutoff)

        # Clinical change needs a threshold and a cut-off, and a baseline in the clinical range.
        started = clinical(changes.baseline) & changes.threshold.notna()
        ends_clinical = clinical(changes.end)
        changes = changes.assign(
            n=1,
            change=change,
            change2=change**2,
            baseline2=changes.baseline**2,
            end2=changes.end**2,
            product=changes.baseline * changes.end,
            reliably_improved=better.astype(int),
            reliably_deteriorated=worse.astype(int),
            unchanged=(~better & ~worse).astype(int),
            clinical=started.astype(int),
            recovered=(started & better & ~ends_clinical).astype(int),
            improved=(started & better & ends_clinical).astype(int),
            deteriorated=(started & worse).astype(int),
            clinically_unchanged=(started & ~better & ~worse).astype(int),
            site_id=changes.source.str.removeprefix("service:"),
        )
        events = described(changes, changes.source, "person_id", "end_date")
        sums = counted(
            events,
            "site_id",
            [
                "n",
                "change",
                "change2",
                "baseline",
                "baseline2",
                "end",
                "end2",
                "product",
                "reliably_improved",
                "unchanged",
                "reliably_deteriorated",
                "clinical",
                "recovered",
                "improved",
                "clinically_unchanged",
                "deteriorated",
            ],
            within=("instrument",),
        )
        sums = sums.join(change_statistics(sums))
        change_period = (changes.end_date.min(), day)
        thresholds = rules.set_index("instrument")
        for instrument, part in sums.groupby("instrument"):
            emit(
                "reliable_change",
                part,
                *change_period,
                [
                    (f"{instrument}:mean_change", "n", None, "mean", "mean_lower", "mean_upper"),
                    (f"{instrument}:effect_size", "n", None, "d", "d_lower", "d_upper"),
                ],
            )
            if instrument not in thresholds.index or pd.isna(thresholds.threshold[instrument]):
                continue
            emit(
                "reliable_change",
                part,
                *change_period,
                [
                    (f"{instrument}:{c}", c, "n")
                    for c in ("reliably_improved", "unchanged", "reliably_deteriorated")
                ],
            )
            if pd.isna(thresholds.cutoff[instrument]):
                continue
            emit(
                "clinical_change",
                part[part.clinical > 0],  # groups where somebody starts in the clinical range
                *change_period,
                [
                    (f"{instrument}:recovered", "recovered", "clinical"),
                    (f"{instrument}:improved", "improved", "clinical"),
                    (f"{instrument}:unchanged", "clinically_unchanged", "clinical"),
                    (f"{instrument}:deteriorated", "deteriorated", "clinical"),
                ],
            )
    return time.perf_counter() - began, out


def rounded(scores: pd.Series, decimals: int) -> pd.Series:
    """Rounded with halves away from zero, as SQL's ROUND does (numpy rounds them to even)."""
    scaled = scores.abs() * 10**decimals
    whole = np.floor(scaled)
    return np.sign(scores) * (whole + (scaled - whole >= 0.5)) / 10**decimals


def questionnaire_scores(responses: pd.DataFrame, library) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """One row per administration (a person's answers to one instrument at one timepoint from
    one respondent) of a library instrument: administered_date (the earliest answer's) and score,
    the total by the instrument's rule (missing when the administration is not valid)."""
    items, allowed, scales, conversions = [], [], [], []
    for code, instrument in library.items():
        if instrument.score_only is not None:  # a licensed tool's scores, each within its range
            for name, (low, high) in instrument.score_only.ranges.items():
                items.append((code, name, np.nan, name == "total", low, high))
            has_total = "total" in instrument.score_only.ranges
            scales.append((code, 1, "sum" if has_total else "none", np.nan, 0, False))
            continue
        reflect = instrument.responses.low + instrument.responses.high
        for number in range(1, instrument.items.count + 1):
            reverse = reflect if number in instrument.reverse else np.nan
            items.append((code, str(number), reverse, True, np.nan, np.nan))
            allowed += [(code, str(number), v) for v in instrument.responses.values]
        for name, values in instrument.recorded.items():  # kept beside the score, not scored
            items.append((code, name, np.nan, False, np.nan, np.nan))
            allowed += [(code, name, v) for v in values]
        scoring, missing = instrument.scoring, instrument.missing
        scales.append(
            (
                code,
                instrument.items.count,
                scoring.rule.value,
                scoring.multiplier,
                missing.max_missing,
                missing.method.value == "count_as_no",
            )
        )
        conversions += [
            (code, float(raw), score) for raw, score in (scoring.conversion or {}).items()
        ]
    items_ = pd.DataFrame(
        items, columns=["instrument", "item", "reflect", "in_total", "low", "high"]
    )
    allowed_ = pd.DataFrame(allowed, columns=["instrument", "item", "value"]).assign(allowed=True)
    scales_ = pd.DataFrame(
        scales,
        columns=["instrument", "n_items", "rule", "multiplier", "max_missing", "count_as_no"],
    )
    conversion = pd.DataFrame(conversions, columns=["instrument", "total", "converted"])

    answers = responses[responses.instrument.isin(list(library))]
    answers = answers.assign(respondent=answers.respondent.fillna(""))
    answers = answers.merge(items_, on=["instrument", "item"], how="left", indicator="known")
    answers = answers.merge(allowed_, on=["instrument", "item", "value"], how="left")
    in_range = (answers.value >= answers.low) & (
        answers.high.isna() | (answers.value <= answers.high)
    )
    # An answer that cannot be scored leaves its whole administration unscored.
    answers["problem"] = (
        answers.value.isna()
        | (answers.known == "left_only")
        | ~(answers.allowed.notna() | in_range)
        | (answers.groupby([*ADMINISTRATION, "item"]).item.transform("size") > 1)
    )
    answers["scored"] = (answers.reflect - answers.value).fillna(answers.value)
    scored = answers[answers.in_total.eq(True) & ~answers.problem]
    administrations = answers.groupby(ADMINISTRATION).agg(
        administered_date=("administered_date", "min"), problem=("problem", "any")
    )
    totals = scored.groupby(ADMINISTRATION).agg(
        total=("scored", "sum"), answered=("scored", "size")
    )
    s = administrations.join(totals).reset_index().merge(scales_, on="instrument")
    s = s.merge(conversion, on=["instrument", "total"], how="left")
    s["answered"] = s.answered.fillna(0)
    unanswered = s.n_items - s.answered
    mean = s.total / s.answered
    score = np.select(
        [
            s.rule == "sum",
            s.rule == "mean",
            s.rule == "mean_times",
            s.rule == "count",
            s.rule == "conversion",
        ],
        [
            s.total * s.n_items / s.answered,
            mean,
            mean * s.multiplier,
            s.total,
            s.converted.where(unanswered == 0),
        ],
        np.nan,
    )
    valid = np.where(s.count_as_no, s.answered > 0, unanswered <= s.max_missing) & ~s.problem
    s["score"] = rounded(pd.Series(score, index=s.index), 2).where(valid)
    return s[[*ADMINISTRATION, "administered_date", "score"]]


def change_statistics(sums: pd.DataFrame) -> pd.DataFrame:
    """From each group's sums: the mean change with its t interval (mean, mean_lower,
    mean_upper), and the standardised mean change (Becker 1988), mean change / SD of the
    baseline scores, with d ± 1.96 √(2(1 − r)/n + d²/(2n)) (d, d_lower, d_upper); missing for
    fewer than two people, and d also when the baseline scores do not vary."""
    n = sums.n.astype(float)
    mean = sums.change / n
    variance = ((sums.change2 - n * mean**2) / (n - 1)).clip(lower=0)
    half = stats.t.ppf(0.975, n - 1) * np.sqrt(variance / n)
    var_b = (sums.baseline2 - sums.baseline**2 / n) / (n - 1)
    var_e = (sums.end2 - sums.end**2 / n) / (n - 1)
    cov = (sums["product"] - sums.baseline * sums.end / n) / (n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (mean / np.sqrt(var_b)).where(var_b > 0)
        r: pd.Series = (cov / np.sqrt(var_b * var_e)).where(var_e > 0, 0.0)
    se = np.sqrt((2 * (1 - r) / n + d**2 / (2 * n)).clip(lower=0))
    z = stats.norm.ppf(0.975)
    out = pd.DataFrame(
        {
            "mean": mean,
            "mean_lower": mean - half,
            "mean_upper": mean + half,
            "d": d,
            "d_lower": d - z * se,
            "d_upper": d + z * se,
        }
    )
    return out.where(n >= 2)
