"""Honest states for every viewer, in real AppTest sessions on a private copy of the demo database.

Through a real funder link limited to P2 and P5 (and a variant limited to one period), and as a
member: every empty state says why and never points a funder to a page they cannot open; a change
against the previous period and a trend slope are labelled apart; the radar never draws a missing
principle as a value and gives way to bars under three principles; principle ranks say what they
count, with their interval.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from dashboard import charts
from dashboard.testing import open_page, start, visible_text
from i18n import t
from store import links
from store.db import open_store

ORG = "ASS-CAS-001"
PRINCIPLES = ["P2", "P5"]


def fr(key: str, **params: object) -> str:
    return t(f"dashboard.{key}", "fr", **params)


def why(reason: str, subject: str, **params: object) -> str:
    return fr(
        "states.sentence",
        subject=fr(f"states.subject.{subject}", **params),
        reason=fr(f"states.why.{reason}", min="5", **params),
    )


@pytest.fixture(scope="module")
def db(demo_db_pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("states") / "athar.duckdb"
    shutil.copy(demo_db_pristine, path)
    return path


@pytest.fixture(scope="module")
def tokens(db: Path) -> dict[str, str]:
    store = open_store(db)  # the process-wide handle the app's sessions share: not closed here
    _, scoped = links.create_link(
        store, label="Bailleur — P2 et P5", org_codes=[ORG], created_by="test", principles=PRINCIPLES
    )
    _, one_period = links.create_link(
        store,
        label="Bailleur — P2 et P5, 2024",
        org_codes=[ORG],
        created_by="test",
        principles=PRINCIPLES,
        periods=["2024"],
    )
    return {"scoped": scoped, "one_period": one_period}


@pytest.fixture(scope="module")
def funder_profile(db: Path, tokens: dict[str, str]):
    return open_page(start(db, link=tokens["scoped"]), "profile")


@pytest.fixture(scope="module")
def member_profile(db: Path):
    return open_page(start(db, identity=ORG), "profile")


def infos(at) -> list[str]:
    return [i.value for i in at.info]


def metric(at, label: str):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r} in {[m.label for m in at.metric]}"
    return found[0]


def figure(at, key: str) -> dict:
    charts_ = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key) or key in c.proto.id]
    assert charts_, f"no chart {key}"
    return json.loads(charts_[0].proto.spec)


def latest(at) -> str:
    return at.selectbox(key="period").value


# -- empty states ----------------------------------------------------------------------------


def test_funder_profile_says_the_composite_is_outside_the_link_not_that_nothing_was_declared(
    funder_profile,
) -> None:
    period = latest(funder_profile)
    assert why("out_of_scope", "composite_period", period=period) in infos(funder_profile)
    text = visible_text(funder_profile)
    assert "aucune valeur déclarée" not in text
    assert fr("profile.no_scores_period", period=period) not in text


def test_funder_profile_shows_the_in_scope_principle_scores_with_their_ranks(funder_profile) -> None:
    period = latest(funder_profile)
    lines = "\n".join(m.value for m in funder_profile.markdown)
    for code in PRINCIPLES:
        assert re.search(
            rf"\*\*{code} · [^*]+\*\* : \d+,\d — rang \d+ sur \d+ organisations du réseau notées en {period} "
            r"pour ce principe ; avec d'autres choix de méthode raisonnables, entre \d+ et \d+\.",
            lines,
        ), lines


def test_a_funder_is_never_sent_to_a_page_they_cannot_open(db: Path, tokens: dict[str, str]) -> None:
    for token in tokens.values():
        at = start(db, link=token)
        for page in ("overview", "profile", "compare", "sustainability"):
            at = open_page(at, page)
            text = visible_text(at)
            for step in ("upload", "score", "upload_or_score", "template_below", "targets"):
                assert fr(f"states.step.{step}") not in text, (page, step)
            assert "Déposer un fichier" not in text and "téléchargez le modèle" not in text.lower(), page


def test_the_next_step_is_offered_only_to_viewers_who_can_take_it() -> None:
    from dashboard.context import PageContext
    from dashboard.empty import Why, text
    from store.viewer import LinkScope, Viewer

    def sentence(viewer: Viewer, step: str) -> str:
        ctx = PageContext(store=None, viewer=viewer, lang="fr", version=(), run=None)
        return text(ctx, Why.NO_DATA, fr("states.subject.history"), step=step)

    member, steering = Viewer.member(ORG), Viewer.steering()
    funder = Viewer.funder(LinkScope(org_codes=frozenset({ORG}), pages=frozenset({"overview", "profile"})))
    wide_funder = Viewer.funder(LinkScope(org_codes=frozenset({ORG})))
    assert sentence(member, "upload").endswith(fr("states.step.upload"))
    assert sentence(steering, "targets").endswith(fr("states.step.targets"))
    assert sentence(member, "targets") == why("no_data", "history")  # the framework page is the committee's
    for viewer in (funder, wide_funder):
        assert sentence(viewer, "upload") == why("no_data", "history")


def test_a_one_period_link_says_the_submission_log_is_outside_its_scope(db: Path, tokens) -> None:
    at = open_page(start(db, link=tokens["one_period"]), "profile")
    assert why("out_of_scope", "history") in infos(at)
    assert why("out_of_scope", "composite_period", period="2024") in infos(at)
    for code in PRINCIPLES:  # trends span every period: outside a one-period link, not "n.d."
        trend = [m for m in at.metric if m.label.startswith(f"{code} ·")]
        assert trend and trend[0].value == fr("states.out_of_scope_short")


def test_overview_through_a_one_period_link_says_there_is_no_earlier_period(db: Path, tokens) -> None:
    at = start(db, link=tokens["one_period"])
    subheaders = [s.value for s in at.subheader]
    assert fr("states.changes.title_first", period="2024") in subheaders
    assert not any("–" in s for s in subheaders), subheaders
    assert why("no_earlier_period", "changes", period="2024") in infos(at)


def test_overview_counts_say_what_they_count_for_a_funder_and_a_member(db: Path, tokens) -> None:
    funder = start(db, link=tokens["scoped"])
    assert metric(funder, fr("states.count.organisations_link")).value == "1"
    assert metric(funder, fr("overview.composite_median")).value == fr("states.out_of_scope_short")
    assert fr("overview.organisations") not in [m.label for m in funder.metric]
    member = open_page(start(db, identity=ORG), "overview")  # a member opens on its home
    count = metric(member, fr("states.count.organisations_network"))
    assert int(count.value.replace("\u202f", "")) > 5


# -- one delta definition per figure ---------------------------------------------------------


def test_change_and_trend_are_labelled_apart_on_the_member_profile(member_profile) -> None:
    period = latest(member_profile)
    previous = str(int(period) - 1)
    composite = metric(member_profile, fr("profile.composite"))
    assert re.fullmatch(r"[+-]\d+,\d pt", composite.delta), composite.delta
    assert composite.proto.delta_description == fr("states.delta.vs", period=previous)
    trends = [
        m for m in member_profile.metric if m.proto.delta_description == fr("states.delta.slope_description")
    ]
    assert trends, "no trend metric"
    for trend in trends:
        assert re.fullmatch(r"[▲▼►] pente : [+-]?\d+,\d pt/an", trend.delta), trend.delta
        assert "pente" not in composite.delta and trend.delta != composite.delta
    assert "Theil" not in visible_text(member_profile)


# -- radar -----------------------------------------------------------------------------------


def test_a_two_principle_radar_becomes_bars(funder_profile) -> None:
    spec = figure(funder_profile, "profile_radar")
    assert {trace["type"] for trace in spec["data"]} == {"bar"}
    assert spec["data"][0]["orientation"] == "h"
    assert len(spec["data"][0]["y"]) == len(PRINCIPLES)


def test_member_radar_has_every_principle_as_an_axis(member_profile) -> None:
    spec = figure(member_profile, "profile_radar")
    assert {trace["type"] for trace in spec["data"]} == {"scatterpolar"}
    assert len(spec["data"][0]["theta"]) == 5 + 1  # closed polygon


def test_an_insufficient_principle_is_not_drawn_on_the_member_radar(db: Path) -> None:
    """ASS-DAK-011 has too little data on P3 and P4 in 2025 (demo data): gaps, not values."""
    at = open_page(start(db, identity="ASS-DAK-011"), "profile")
    assert latest(at) == "2025"
    own = figure(at, "profile_radar")["data"][0]
    assert own["r"][2] is None and own["r"][3] is None
    assert own.get("connectgaps") is False and own.get("fill") in (None, "none")
    assert own["theta"][2].endswith("— données insuffisantes") and own["theta"][3].endswith(
        "— données insuffisantes"
    )
    assert all(v is not None for i, v in enumerate(own["r"]) if i not in (2, 3))
    lines = "\n".join(m.value for m in at.markdown)
    assert "données insuffisantes, pas de rang en 2025" in lines


def test_a_principle_without_data_is_a_gap_with_a_label_never_a_value() -> None:
    axes = ["P1", "P2", "P3", "P4", "P5"]
    fig = charts.radar(
        axes,
        [("org", [60.0, 70.0, None, 50.0, 80.0]), ("median", [55.0, 65.0, 45.0, 50.0, 60.0])],
        "t",
        "fr",
        gap_label="données insuffisantes",
    )
    own = fig.data[0]
    assert own.r[2] is None and own.connectgaps is False and own.fill is None
    assert own.theta[2] == "P3 — données insuffisantes" and fig.data[1].theta[2] == own.theta[2]
    assert [v for v in own.r if v is not None] == [60.0, 70.0, 50.0, 80.0, 60.0]
    bars = charts.radar(axes[:2], [("org", [None, 70.0])], "t", "fr", gap_label="données insuffisantes")
    assert bars.data[0].type == "bar" and bars.data[0].x[0] is None
    assert bars.data[0].y[0] == "P1 — données insuffisantes"


# -- principle ranks -------------------------------------------------------------------------


def test_member_profile_gives_every_principle_rank_with_what_it_counts_and_its_interval(
    member_profile,
) -> None:
    period = latest(member_profile)
    lines = "\n".join(m.value for m in member_profile.markdown)
    found = re.findall(
        rf"rang (\d+) sur (\d+) organisations du réseau notées en {period} pour ce principe ; "
        r"avec d'autres choix de méthode raisonnables, entre (\d+) et (\d+)\.",
        lines,
    )
    assert len(found) == 5, lines
    for rank, count, low, high in (tuple(map(int, f)) for f in found):
        assert 1 <= low <= high <= count and rank <= count
    assert re.search(
        rf"Rang \d+ sur \d+ organisations du réseau notées en {period} sur l'indice composite", lines
    )


def test_stored_principle_ranks_have_intervals_that_contain_the_median(db: Path) -> None:
    rows = open_store(db).query(
        "SELECT nominal_rank, median_rank, rank_p05, rank_p95, ranked_count FROM scores "
        "WHERE principle IS NOT NULL AND nominal_rank IS NOT NULL"
    )
    assert rows.height > 100
    assert rows["rank_p05"].null_count() == 0 and rows["rank_p95"].null_count() == 0
    assert ((rows["rank_p05"] <= rows["median_rank"]) & (rows["median_rank"] <= rows["rank_p95"])).all()
    assert (rows["rank_p95"] <= rows["ranked_count"]).all()
    inside = (rows["rank_p05"] <= rows["nominal_rank"]) & (rows["nominal_rank"] <= rows["rank_p95"])
    assert inside.mean() > 0.9  # the reference method is one of the drawn ones: its rank is usually inside
