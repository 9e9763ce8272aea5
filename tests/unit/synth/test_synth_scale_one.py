"""The synthetic authority at scale 1: calibration targets and the data contract.

The folder is generated once for this module. Every figure is recomputed from the written CSV files
(DuckDB SQL, or plain Python for the re-referral rate), never from the generator's internals.
"""

from __future__ import annotations

import bisect
import csv
import json
import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest

from daeval.model import TABLES, Kind
from daeval.synth import SynthSummary, generate
from daeval.synth import calibration as cal

pytestmark = pytest.mark.xdist_group("synth_scale_one")

SEED = 20180331
TRUTH = "truth/people_truth"


@pytest.fixture(scope="module")
def scale_one(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SynthSummary]:
    out = tmp_path_factory.mktemp("synth_scale_one")
    return out, generate(out, scale=1.0, seed=SEED)


@pytest.fixture(scope="module")
def db(scale_one: tuple[Path, SynthSummary]):  # type: ignore[no-untyped-def]
    out, _ = scale_one
    con = duckdb.connect()
    for name in [*TABLES, TRUTH]:
        view = name.split("/")[-1]
        con.execute(
            f"create view {view} as select * from "
            f"read_csv('{out / name}.csv', header = true, all_varchar = true)"
        )
    yield con
    con.close()


def one(con: duckdb.DuckDBPyConnection, sql: str):  # type: ignore[no-untyped-def]
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0] if len(row) == 1 else row


def near(observed: float, target: cal.Target) -> bool:
    return abs(observed - target.value) <= target.tolerance * abs(target.value)


# --- Calibration -------------------------------------------------------------------------------


def test_vulnerable_person_referrals_in_step_up_window(db) -> None:  # type: ignore[no-untyped-def]
    t = cal.VULNERABLE_PERSON_REFERRALS
    n = one(
        db,
        f"""select count(*) from police_notifications
        where notification_date::date between '{t.period_start}' and '{t.period_end}'""",
    )
    assert near(n, t), n


def test_domestic_abuse_notifications_and_standard_share(db) -> None:  # type: ignore[no-untyped-def]
    t = cal.DA_NOTIFICATIONS
    n, standard = one(
        db,
        f"""select count(*), count(*) filter (where risk_level = 'standard')
        from police_notifications where incident_type = 'domestic_abuse'
        and notification_date::date between '{t.period_start}' and '{t.period_end}'""",
    )
    assert near(n, t), n
    assert near(standard / n, cal.STANDARD_RISK_SHARE), standard / n


def test_nfa_referrals_over_three_years(db) -> None:  # type: ignore[no-untyped-def]
    nfa, nfa_da = one(
        db,
        """select count(*), count(*) filter (where domestic_abuse = 'Y')
        from csc_referrals where decision = 'nfa'""",
    )
    assert near(nfa, cal.NFA_REFERRALS), nfa
    assert near(nfa_da, cal.NFA_DA_REFERRALS), nfa_da


def test_re_referral_rate_in_plain_python(scale_one: tuple[Path, SynthSummary]) -> None:
    out, _ = scale_one
    with open(out / "csc_referrals.csv", newline="") as f:
        rows = [(r["child_id"], r["la_code"], date.fromisoformat(r["referral_date"]))
                for r in csv.DictReader(f)]  # fmt: skip
    days: dict[tuple[str, str], list[int]] = defaultdict(list)
    for child, la, d in rows:
        days[(child, la)].append(d.toordinal())
    for v in days.values():
        v.sort()
    t = cal.RE_REFERRAL_RATE
    lo, hi = t.period_start.toordinal(), t.period_end.toordinal()
    counted = re_referrals = 0
    for child, la, d in rows:
        day = d.toordinal()
        if not lo <= day <= hi:
            continue
        counted += 1
        earlier = days[(child, la)][: bisect.bisect_left(days[(child, la)], day)]
        re_referrals += bool(earlier) and day - earlier[-1] <= 365
    assert counted > 3000
    assert near(re_referrals / counted, t), re_referrals / counted


def test_re_referral_rate_in_sql(db) -> None:  # type: ignore[no-untyped-def]
    t = cal.RE_REFERRAL_RATE
    rate = one(
        db,
        f"""
        select avg((exists (select 1 from csc_referrals p where p.child_id = r.child_id
            and p.la_code = r.la_code and p.referral_date::date < r.referral_date::date
            and r.referral_date::date - p.referral_date::date <= 365))::int)
        from csc_referrals r
        where r.referral_date::date between '{t.period_start}' and '{t.period_end}'""",
    )
    assert near(rate, t), rate


def test_most_standard_risk_abuse_is_post_separation(db) -> None:  # type: ignore[no-untyped-def]
    share = one(
        db,
        """select avg((post_separation = 'Y')::int) from police_notifications
        where incident_type = 'domestic_abuse' and risk_level = 'standard'""",
    )
    assert near(share, cal.POST_SEPARATION_STANDARD_SHARE), share


# --- The data contract -------------------------------------------------------------------------


@pytest.mark.parametrize("table", list(TABLES))
def test_codes_are_in_the_model_code_lists(db, table: str) -> None:  # type: ignore[no-untyped-def]
    for col in TABLES[table].columns:
        if col.codes is None:
            continue
        values = {v for (v,) in db.execute(
            f"select distinct {col.name} from {table} where {col.name} is not null").fetchall()}  # fmt: skip
        if col.kind is Kind.CODE_SET:
            sets = [v.split(";") for v in values]
            assert all(s == ["21"] or "21" not in s for s in sets), f"{table}.{col.name}: 21"
            values = {code for s in sets for code in s}
        unknown = {v for v in values if v not in col.codes}
        assert not unknown, f"{table}.{col.name}: {sorted(unknown)[:5]}"
        assert values, f"{table}.{col.name} never filled"


@pytest.mark.parametrize("table", list(TABLES))
def test_required_columns_filled_and_patterns_hold(db, table: str) -> None:  # type: ignore[no-untyped-def]
    for col in TABLES[table].columns:
        if col.required:
            assert one(db, f"select count(*) from {table} where {col.name} is null") == 0
        if col.pattern:
            bad = one(
                db,
                f"""select count(*) from {table}
                where not regexp_full_match({col.name}, '{col.pattern.strip("^$")}')""",
            )
            assert bad == 0, f"{table}.{col.name}"


@pytest.mark.parametrize("table", list(TABLES))
def test_keys_are_unique(db, table: str) -> None:  # type: ignore[no-untyped-def]
    key = TABLES[table].key
    if key:
        cols = ", ".join(key)
        dupes = one(db, f"select count(*) from (select {cols} from {table} group by all "
                        "having count(*) > 1)")  # fmt: skip
        assert dupes == 0


@pytest.mark.parametrize(
    "table, column",
    [(t.name, c.name) for t in TABLES.values() for c in t.columns if c.references],
)
def test_references_resolve(db, table: str, column: str) -> None:  # type: ignore[no-untyped-def]
    ref = TABLES[table].column(column).references
    assert ref is not None
    source = f"and t.source = '{ref.source}'" if ref.source else ""
    missing = one(
        db,
        f"""select count(*) from {table} r where r.{column} is not null
        and not exists (select 1 from {ref.table} t where t.{ref.column} = r.{column} {source})""",
    )
    assert missing == 0


def test_people_of_every_other_table_resolve(db) -> None:  # type: ignore[no-untyped-def]
    for sql in (
        "select source, person_id from measure_responses",
        "select source, person_id from addresses",
        "select 'service:' || site_id, person_id from service_episodes",
        "select source_a, person_id_a from person_links",
        "select source_b, person_id_b from person_links",
    ):
        missing = one(db, f"select count(*) from ({sql}) x(s, p) "
                          "where not exists (select 1 from people where source = s and person_id = p)")  # fmt: skip
        assert missing == 0, sql


def test_dates_run_forwards(db) -> None:  # type: ignore[no-untyped-def]
    checks = {
        "csc_referrals": "closure_date::date < referral_date::date",
        "assessments a join csc_referrals r using (referral_id)":
            "start_date::date < referral_date::date or authorised_date::date < start_date::date",
        "plans": "end_date::date < start_date::date",
        "service_episodes": "first_contact_date::date < referral_date::date "
            "or start_date::date < first_contact_date::date or end_date::date < start_date::date "
            "or end_date::date < referral_date::date or consent_date::date < referral_date::date",
        "addresses": "to_date::date < from_date::date",
        "costs": "period_end::date < period_start::date",
    }  # fmt: skip
    for table, wrong in checks.items():
        assert one(db, f"select count(*) from {table} where {wrong}") == 0, table
    first, last = one(
        db,
        """select min(d), max(d) from (select notification_date::date d
        from police_notifications union all select referral_date::date from csc_referrals
        union all select administered_date::date from measure_responses)""",
    )
    assert first >= cal.PERIOD_START and last <= cal.PERIOD_END


def test_dash_counts_fit_the_risk_levels(db) -> None:  # type: ignore[no-untyped-def]
    rows = db.execute("""select risk_level, min(dash_yes_count::int), max(dash_yes_count::int),
        avg((dash_yes_count::int < 10)::int), avg((dash_yes_count::int between 10 and 13)::int),
        avg((dash_yes_count::int >= 14)::int)
        from police_notifications where dash_yes_count is not null group by 1""").fetchall()
    by_level = {r[0]: r[1:] for r in rows}
    assert set(by_level) == {"standard", "medium", "high"}
    assert min(r[0] for r in by_level.values()) >= 0 and max(r[1] for r in by_level.values()) <= 27
    assert by_level["standard"][2] > 0.9 and by_level["medium"][3] > 0.7
    assert by_level["high"][4] > 0.65
    unassessed = one(
        db,
        """select count(*) from police_notifications
        where risk_level is null and (dash_yes_count is not null or risk_tool is not null)""",
    )
    assert unassessed == 0


def test_risk_escalates_and_de_escalates_across_repeats(db) -> None:  # type: ignore[no-untyped-def]
    up, down = one(
        db,
        """with d as (select victim_id, notification_date::date d,
            case risk_level when 'standard' then 1 when 'medium' then 2 else 3 end lvl
            from police_notifications where incident_type = 'domestic_abuse'
            and risk_level is not null),
        s as (select lvl, lead(lvl) over (partition by victim_id order by d) nxt from d)
        select avg((nxt > lvl)::int), avg((nxt < lvl)::int) from s where nxt is not null""",
    )
    assert up > 0.1 and down > 0.1


def test_referral_sources_police_first_then_schools(db) -> None:  # type: ignore[no-untyped-def]
    shares = db.execute("""select referral_source, count(*) / sum(count(*)) over () from
        csc_referrals group by 1 order by 2 desc limit 2""").fetchall()
    assert [s for s, _ in shares] == ["6", "2A"]
    assert 0.24 < shares[0][1] < 0.33 and 0.17 < shares[1][1] < 0.25


def test_a_few_children_are_referred_in_the_neighbouring_authority(db) -> None:  # type: ignore[no-untyped-def]
    share = one(
        db,
        """select avg(nb) from (select t.true_person_id,
            max((r.la_code = '991')::int) nb from csc_referrals r
            join people_truth t on t.source = 'csc' and t.person_id = r.child_id group by 1)""",
    )
    assert 0.015 < share < 0.05


# --- Linkage -----------------------------------------------------------------------------------


def test_truth_covers_every_people_row(db) -> None:  # type: ignore[no-untyped-def]
    people = one(db, "select count(*) from people")
    joined = one(db, "select count(*) from people join people_truth using (source, person_id)")
    assert people == joined == one(db, "select count(*) from people_truth")


def test_linkage_is_a_real_task(db) -> None:  # type: ignore[no-untyped-def]
    both, same_spelling, same_dob = one(
        db,
        """with p as (select t.true_person_id, p.* from people p
            join people_truth t using (source, person_id))
        select count(*), avg((upper(a.first_name) = upper(b.first_name)
            and upper(a.last_name) = upper(b.last_name))::int),
            avg((a.date_of_birth = b.date_of_birth)::int)
        from p a join p b on a.true_person_id = b.true_person_id
        where a.source = 'police' and b.source = 'csc'""",
    )
    assert both > 2000
    assert 0.5 < same_spelling < 0.95 and 0.7 < same_dob < 0.99
    twice = one(
        db,
        """select count(*) from (select true_person_id from people_truth
        where source = 'police' group by 1 having count(*) > 1)""",
    )
    assert twice > 20
    wrong = one(
        db,
        """select count(*) from person_links l
        join people_truth a on a.source = l.source_a and a.person_id = l.person_id_a
        join people_truth b on b.source = l.source_b and b.person_id = l.person_id_b
        where a.true_person_id <> b.true_person_id""",
    )
    assert wrong == 0 and one(db, "select count(*) from person_links") > 100


def test_surnames_are_shared_about_as_often_as_in_britain(db) -> None:  # type: ignore[no-untyped-def]
    # Random isonymy: the chance that two people drawn at random share a surname (one recorded
    # surname per true person). Britain's is of the order of 0.001; a short list of names gives
    # several times more, and with it namesakes linkage cannot tell apart.
    isonymy, people = one(
        db,
        """with one_name as (select true_person_id, min(upper(last_name)) as surname
            from people join people_truth using (source, person_id)
            where last_name is not null group by 1),
        counts as (select count(*) as n from one_name group by surname)
        select sum(n * (n - 1)) / (sum(n) * (sum(n) - 1)), sum(n) from counts""",
    )
    assert people > 10_000
    assert 0.0005 < isonymy < 0.004


def test_postcodes_are_fictional(db) -> None:  # type: ignore[no-untyped-def]
    bad = one(
        db,
        r"""select count(*) from (select postcode from people union all
        select postcode from addresses) where postcode is not null and
        not regexp_full_match(postcode, 'Z[XY][1-6] ?[0-9][ABD-HJLNP-UW-Z]{2}')""",
    )
    assert bad == 0


# --- Services and questionnaires ----------------------------------------------------------------

# Item counts and answer values from the instruments' scoring guides (see outcome-measures notes).
INSTRUMENTS = {
    "PHQ9": (9, {0, 1, 2, 3}), "GAD7": (7, {0, 1, 2, 3}), "CORE10": (10, {0, 1, 2, 3, 4}),
    "CRIES8": (8, {0, 1, 3, 5}), "CRIES13": (13, {0, 1, 3, 5}), "IESR": (22, {0, 1, 2, 3, 4}),
    "SCORE15": (15, {1, 2, 3, 4, 5}), "SWEMWBS": (7, {1, 2, 3, 4, 5}),
    "MORSSF": (14, {0, 1, 2, 3, 4, 5}), "DASH": (24, {0, 1}),
}  # fmt: skip
HIGHER_IS_WORSE = {"PHQ9": 1, "GAD7": 1, "CRIES8": 1, "CRIES13": 1, "IESR": 1, "DASH": 1,
                   "SWEMWBS": -1}  # fmt: skip


def test_item_numbers_and_values_are_in_range(db) -> None:  # type: ignore[no-untyped-def]
    rows = db.execute("""select instrument, item, value::double, count(*) from measure_responses
        group by all""").fetchall()
    seen = {r[0] for r in rows}
    assert seen == set(INSTRUMENTS)
    for instrument, item, value, _ in rows:
        items, values = INSTRUMENTS[instrument]
        assert 1 <= int(item) <= items and value in values, (instrument, item, value)
    short = one(
        db,
        """select count(*) from (select person_id, instrument, timepoint, count(*) n
        from measure_responses group by all) where n < 7""",
    )
    assert short > 0  # a few items are left blank


def test_only_consenting_people_answer(db) -> None:  # type: ignore[no-untyped-def]
    missing = one(
        db,
        """select count(*) from (select distinct source, person_id
        from measure_responses) m where not exists (select 1 from service_episodes e
        where 'service:' || e.site_id = m.source and e.person_id = m.person_id
        and e.evaluation_consent = 'Y')""",
    )
    assert missing == 0


def test_completers_improve_on_average(db) -> None:  # type: ignore[no-untyped-def]
    cases = " ".join(f"when '{k}' then {v}" for k, v in HIGHER_IS_WORSE.items())
    improved = one(
        db,
        f"""with t as (select m.person_id, m.instrument,
            sum(case when timepoint = 'baseline' then value::double end)
              / count(case when timepoint = 'baseline' then 1 end) b,
            sum(case when timepoint = 'end' then value::double end)
              / count(case when timepoint = 'end' then 1 end) e
        from measure_responses m join service_episodes s
          on 'service:' || s.site_id = m.source and s.person_id = m.person_id
        where s.end_reason = 'completed' and m.instrument in ({
            ", ".join(f"'{k}'" for k in HIGHER_IS_WORSE)
        })
        group by all)
        select avg(((b - e) * case instrument {cases} end > 0)::int) from t where e is not null""",
    )
    assert improved > 0.6


def test_service_funnel_loses_families_at_each_step(db) -> None:  # type: ignore[no-untyped-def]
    rows = db.execute("""select site_id, count(*), count(*) filter (where eligibility = 'eligible'),
        count(first_contact_date), count(*) filter (where offer = 'accepted'), count(start_date),
        count(*) filter (where end_reason = 'completed') from service_episodes group by 1""").fetchall()
    assert {r[0] for r in rows} == {"fbs", "sat", "leap", "coda"}
    for site, *stages in rows:
        assert all(a >= b for a, b in zip(stages, stages[1:], strict=False)), site
        assert stages[-1] < 0.6 * stages[0] and stages[-1] > 0, site


def test_manifest_counts_match_the_files(scale_one: tuple[Path, SynthSummary]) -> None:
    out, summary = scale_one
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == SEED and manifest["scale"] == 1.0
    assert manifest["rows"] == summary.rows
    for name, count in summary.rows.items():
        with open(out / f"{name}.csv", newline="") as f:
            header = f.readline().rstrip("\n").split(",")
            lines = sum(1 for _ in f)
        assert lines == count, name
        if name in TABLES:
            assert tuple(header) == TABLES[name].column_names
    comparators = {k for k, v in manifest["areas"].items() if v["comparator"]}
    assert len(comparators) == 2 and len(manifest["sites"]) == 4
    assert all(re.fullmatch(r"ZX[1-6]", s["postcode_district"]) for s in manifest["sites"])
