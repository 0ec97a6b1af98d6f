"""store.reads: every dashboard read applies the viewer's scope in SQL (demo database)."""

from __future__ import annotations

import inspect

import polars as pl
import pytest
from peer_oracle import peer_comparison

from framework.groups import GROUPS
from store.db import open_store
from store.reads import common as common_reads
from store.reads import compare as compare_reads
from store.reads import every_read
from store.reads import method as method_reads
from store.reads import overview as overview_reads
from store.reads import profile as profile_reads
from store.reads import quality as quality_reads
from store.reads import uploads as uploads_reads
from store.viewer import MIN_GROUP, LinkScope, Viewer

MEMBER = "ASS-CAS-001"
OTHER = "ENT-CAS-006"


@pytest.fixture(scope="module")
def store(demo_db):
    return open_store(demo_db)


@pytest.fixture(scope="module")
def run_id(store) -> int:
    return int(store.scalar("SELECT max(id) FROM score_runs"))


STEERING = Viewer.steering()
MEMBER_VIEW = Viewer.member(MEMBER)
FUNDER = Viewer.funder(
    LinkScope(
        frozenset({MEMBER, "FON-RBT-003"}), principles=frozenset({"P1", "P2"}), periods=frozenset({"2024"})
    )
)


def test_every_read_takes_the_store_then_the_viewer() -> None:
    for name, function in every_read().items():
        parameters = list(inspect.signature(function).parameters)
        assert parameters[:2] == ["store", "viewer"], name


def test_viewer_needs_its_scope() -> None:
    with pytest.raises(ValueError):
        Viewer(role="member")
    with pytest.raises(ValueError):
        Viewer(role="funder")
    assert Viewer.member("A").scope_key != Viewer.member("B").scope_key != Viewer.steering().scope_key


def test_member_sees_only_its_own_organisation(store, run_id) -> None:
    assert common_reads.organisations(store, MEMBER_VIEW, "fr")["org_code"].to_list() == [MEMBER]
    assert profile_reads.org_scores(store, MEMBER_VIEW, run_id, OTHER).is_empty()
    assert not profile_reads.org_scores(store, MEMBER_VIEW, run_id, MEMBER).is_empty()
    assert set(compare_reads.period_scores(store, MEMBER_VIEW, run_id, "2025", "fr")["org_code"]) == {MEMBER}
    assert set(quality_reads.quality_table(store, MEMBER_VIEW, run_id, "fr")["org_code"]) == {MEMBER}
    assert set(uploads_reads.submissions(store, MEMBER_VIEW, "fr")["org_code"]) == {MEMBER}
    assert overview_reads.org_changes(store, MEMBER_VIEW, run_id, "2025", "2024", "fr")["org_code"].to_list() == [
        MEMBER
    ]
    assert compare_reads.indicator_values(store, MEMBER_VIEW, run_id, "2025", (MEMBER, OTHER))[
        "org_code"
    ].unique().to_list() == [MEMBER]
    other_submission = store.scalar("SELECT min(id) FROM submissions WHERE org_code = ?", [OTHER])
    assert uploads_reads.submission_report(store, MEMBER_VIEW, other_submission) is None
    assert method_reads.card_reads(store, MEMBER_VIEW, run_id, OTHER, "2025", None, "fr") is None
    assert method_reads.card_reads(store, MEMBER_VIEW, run_id, MEMBER, "2025", None, "fr") is not None
    assert not common_reads.can_see_org(store, MEMBER_VIEW, OTHER)


def test_member_aggregates_cover_groups_of_five_and_never_an_extreme(store, run_id) -> None:
    distribution = overview_reads.score_distribution(store, MEMBER_VIEW, run_id, "2025")
    assert distribution["min"].is_null().all() and distribution["max"].is_null().all()
    assert (distribution["n"] >= MIN_GROUP).all()
    for by in GROUPS:
        assert (compare_reads.group_scores(store, MEMBER_VIEW, run_id, "2025", by)["n"] >= MIN_GROUP).all()
        assert (compare_reads.group_indicators(store, MEMBER_VIEW, run_id, "2025", by)["n"] >= MIN_GROUP).all()
    assert (overview_reads.region_scores(store, MEMBER_VIEW, run_id, "2025", None)["n"] >= MIN_GROUP).all()
    assert (overview_reads.region_indicator(store, MEMBER_VIEW, run_id, "2025", "R01", "sum")["n"] >= MIN_GROUP).all()
    steering_regions = overview_reads.region_scores(store, STEERING, run_id, "2025", None)
    assert steering_regions.height == 12 and (steering_regions["n"] < MIN_GROUP).any()


def test_funder_sees_its_link_only(store, run_id) -> None:
    assert set(common_reads.organisations(store, FUNDER, "fr")["org_code"]) == {MEMBER, "FON-RBT-003"}
    assert common_reads.run_periods(store, FUNDER, run_id) == ["2024"]
    scores = compare_reads.period_scores(store, FUNDER, run_id, "2024", "fr")
    assert set(scores["principle"].to_list()) == {"P1", "P2"}  # no composite: not every principle is in scope
    assert compare_reads.period_scores(store, FUNDER, run_id, "2025", "fr").is_empty()
    assert overview_reads.score_distribution(store, FUNDER, run_id, "2025").is_empty()
    assert overview_reads.network_summary(store, FUNDER, run_id, "2024", "R01")["organisations"] == 2
    assert uploads_reads.submissions(store, FUNDER, "fr").is_empty()


def test_peer_groups_match_metrics_peers(store, run_id) -> None:
    scores = store.query(
        "SELECT org_code, score FROM scores WHERE run_id = ? AND period = '2025' AND principle IS NULL",
        [run_id],
    )
    orgs = store.query(
        "SELECT code AS org_code, kind, region, size_band, thematic_areas FROM organizations WHERE active"
    )
    expected = peer_comparison(scores, orgs, MEMBER).sort("group", "group_value")
    got = (
        profile_reads.peer_groups(store, MEMBER_VIEW, run_id, "2025", MEMBER)
        .filter(pl.col("principle").is_null())
        .drop("principle")
        .sort("group", "group_value")
    )
    assert got.height == expected.height > 0
    for column in ("group", "group_value", "n"):
        assert got[column].to_list() == expected[column].to_list()
    for column in ("q1", "median", "q3", "percentile"):
        assert got[column].to_list() == pytest.approx(expected[column].to_list())


def test_network_summary_matches_an_independent_query(store, run_id) -> None:
    summary = overview_reads.network_summary(store, STEERING, run_id, "2025", "R01")
    reached = store.scalar(
        "SELECT sum(value) FROM score_indicators WHERE run_id = ? AND period = '2025' AND indicator_code = 'R01'",
        [run_id],
    )
    assert summary["beneficiaries"] == pytest.approx(reached)
    assert summary["organisations"] == store.scalar("SELECT count(*) FROM organizations WHERE active") == 40
    largest, mean = store.query(
        "SELECT max(value), avg(value) FROM score_indicators WHERE run_id = ? AND period = '2025' "
        "AND indicator_code = 'R01'",
        [run_id],
    ).row(0)
    assert summary["beneficiaries_largest"] == largest
    member = overview_reads.network_summary(store, MEMBER_VIEW, run_id, "2025", "R01")
    # An aggregate over 40, the same for a member, except the reach's minimum: one organisation's figure
    # for the committee, the mean per organisation for a member.
    assert member == summary | {"beneficiaries_largest": pytest.approx(mean)}


def test_submission_status_counts_every_active_organisation(store, run_id) -> None:
    counts = overview_reads.submission_status_counts(store, STEERING, run_id, "2025", 90.0)
    assert sum(counts.values()) == 40
    missing = store.query(
        "SELECT code FROM organizations WHERE active AND code NOT IN "
        "(SELECT org_code FROM scores WHERE run_id = ? AND period = '2025')",
        [run_id],
    )
    assert counts["missing"] == missing.height == 2  # COO-BJD-029 and ASS-IFR-031 stopped in 2025


def test_current_values_for_upload_keys_are_scoped(store) -> None:
    keys = pl.DataFrame(
        {"org_code": [MEMBER, OTHER], "indicator_code": ["J01", "J01"], "period": ["2025-Q4", "2025-Q4"]}
    ).with_columns([pl.lit(None, pl.String).alias(k) for k in common_reads.BREAKDOWN_KEYS])
    assert set(uploads_reads.current_values(store, STEERING, keys)["org_code"]) == {MEMBER, OTHER}
    assert uploads_reads.current_values(store, MEMBER_VIEW, keys)["org_code"].to_list() == [MEMBER]


def test_observation_history_is_scoped_and_long_enough(store) -> None:
    """Series as submitted (quarterly: twelve periods), only those long enough to check."""
    steering = quality_reads.observation_history(store, STEERING, 4)
    assert (
        steering.group_by(["org_code", "indicator_code", "granularity", *common_reads.BREAKDOWN_KEYS]).len()["len"]
        >= 4
    ).all()
    assert steering.filter(pl.col("granularity") == "quarter").height > 0
    assert set(quality_reads.observation_history(store, MEMBER_VIEW, 4)["org_code"]) == {MEMBER}
    funder = quality_reads.observation_history(store, FUNDER, 1)
    assert funder.is_empty()  # a link restricted to some principles sees no raw values
    assert not quality_reads.observation_history(store, STEERING, 13).height  # three years: twelve quarters at most


def test_submissions_name_an_uploading_member_only_when_visible(store) -> None:
    log = uploads_reads.submissions(store, STEERING, "fr")
    assert "uploaded_by" not in log.columns  # identifiers such as member:ASS-CAS-001 stay in the database
    assert set(log["uploader_kind"].drop_nulls()) <= {"member", "steering", "funder", "other"}
    members = log.filter(pl.col("uploader_kind") == "member")
    assert members["uploader_name"].null_count() == 0
    own = uploads_reads.submissions(store, MEMBER_VIEW, "fr").filter(pl.col("uploader_kind") == "member")
    assert set(own["uploader_org"]) == {MEMBER}


def test_the_run_stores_the_unusual_values_the_page_used_to_compute(store, run_id) -> None:
    """The flagged values are part of the run: on the demo they are exactly what
    ``metrics.outliers.unusual_values`` finds on the submitted history, in the same order."""
    from framework.model import framework_from_dict
    from metrics.outliers import unusual_values

    settings = framework_from_dict(common_reads.latest_run(store, STEERING)["framework"]).meta.quality
    history = quality_reads.observation_history(store, STEERING, settings.min_history)
    expected = unusual_values(history, outlier_z=settings.outlier_z, min_history=settings.min_history)
    stored = quality_reads.unusual_values(store, STEERING, run_id, "fr")
    assert expected.height >= 3  # the planted outliers (data/demo/generator OUTLIERS)
    columns = [c for c in expected.columns if c != "n_periods"]
    assert stored.select(columns).to_dicts() == expected.select(columns).to_dicts()
    assert stored["n_periods"].to_list() == expected["n_periods"].to_list()
    assert stored["name"].null_count() == 0


def test_unusual_values_are_scoped_like_the_raw_values(store, run_id) -> None:
    everyone = quality_reads.unusual_values(store, STEERING, run_id, "fr")
    mine = quality_reads.unusual_values(store, MEMBER_VIEW, run_id, "fr")
    assert (
        set(mine["org_code"]) <= {MEMBER}
        and mine.height == everyone.filter(pl.col("org_code") == MEMBER).height
    )
    assert quality_reads.unusual_values(store, FUNDER, run_id, "fr").is_empty()  # some principles, some periods
    whole = Viewer.funder(LinkScope(frozenset(everyone["org_code"]), periods=frozenset({"2024"})))
    assert quality_reads.unusual_values(store, whole, run_id, "fr").is_empty()  # a series statistic spans periods
    unnarrowed = Viewer.funder(LinkScope(frozenset(everyone["org_code"])))
    assert quality_reads.unusual_values(store, unnarrowed, run_id, "fr").height == everyone.height
