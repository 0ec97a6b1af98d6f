"""The weighting consultation (issue 14): members propose principle weights (one live proposal each,
versioned, audited), the committee sees the median against the framework's weights with the rank
shifts it would cause, and may adopt it as a new framework version (audited, scoring requested)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from dashboard.testing import open_page, start
from framework import edit as framework_edit
from framework.model import load_framework
from metrics import whatif
from store import cli, consultation
from store.db import Store, open_store
from store.registry import framework_in_use, recorded_framework_hash
from store.viewer import Viewer

MEMBERS = ("ASS-CAS-001", "ASS-AGD-038", "ASS-BML-015")


def _audit(store: Store, action: str) -> list[dict]:
    frame = store.query("SELECT actor, target, detail FROM audit_log WHERE action = ? ORDER BY id", [action])
    return [{**row, "detail": json.loads(row["detail"])} for row in frame.iter_rows(named=True)]


def test_a_new_proposal_replaces_the_members_live_one_keeps_the_history_and_is_audited(store: Store) -> None:
    consultation.open_consultation(store, "abc123", actor="account:comite")
    assert consultation.propose(store, MEMBERS[0], {"P1": 0.5, "P2": 0.5}, actor="account:cas") == 1
    assert consultation.propose(store, MEMBERS[0], {"P1": 0.2, "P2": 0.8}, actor="account:cas") == 2
    consultation.propose(store, MEMBERS[1], {"P1": 1.0}, actor="account:agd")
    live = consultation.proposals(store, Viewer.steering(), 1)
    assert live.filter(pl.col("org_code") == MEMBERS[0]).select("version", "principle", "weight").rows() == [
        (2, "P1", 0.2), (2, "P2", 0.8)]
    assert live.get_column("org_code").n_unique() == 2
    assert store.scalar("SELECT count(*) FROM weight_proposals WHERE org_code = ?", [MEMBERS[0]]) == 2
    entries = _audit(store, "weights_proposed")
    assert [(e["actor"], e["detail"]["org"], e["detail"]["version"], e["detail"]["replaces"]) for e in entries] == [
        ("account:cas", MEMBERS[0], 1, False), ("account:cas", MEMBERS[0], 2, True), ("account:agd", MEMBERS[1], 1, False)]
    assert entries[1]["detail"]["weights"] == {"P1": 0.2, "P2": 0.8}
    mine = consultation.proposals(store, Viewer.member(MEMBERS[1]), 1)
    assert set(mine["org_code"].to_list()) == {MEMBERS[1]}  # a member reads its own proposal only


def test_no_proposal_and_no_audit_entry_without_an_open_consultation(store: Store) -> None:
    with pytest.raises(consultation.ConsultationError) as refused:
        consultation.propose(store, MEMBERS[0], {"P1": 1.0}, actor="account:cas")
    assert refused.value.code == "none_open"
    assert store.scalar("SELECT count(*) FROM weight_proposals") == 0
    assert _audit(store, "weights_proposed") == []
    consultation.open_consultation(store, "abc123", actor="account:comite")
    with pytest.raises(consultation.ConsultationError):
        consultation.open_consultation(store, "abc123", actor="account:comite")
    assert len(_audit(store, "consultation_opened")) == 1


def _proposals(rows: dict[str, dict[str, float]]) -> pl.DataFrame:
    return pl.DataFrame([{"org_code": org, "principle": p, "weight": w} for org, ws in rows.items()
                         for p, w in ws.items()])


def test_the_median_is_taken_principle_by_principle_on_normalised_proposals_odd_count() -> None:
    median = whatif.median_proposal(_proposals({
        "A": {"P1": 2, "P2": 2},          # 0.5, 0.5 (P3 left out: 0)
        "B": {"P1": 1, "P2": 1, "P3": 2},  # 0.25, 0.25, 0.5
        "C": {"P1": 0.6, "P2": 0.2, "P3": 0.2},
    }), ("P1", "P2", "P3"))
    raw = {"P1": 0.5, "P2": 0.25, "P3": 0.2}  # medians of (0.5, 0.25, 0.6), (0.5, 0.25, 0.2), (0, 0.5, 0.2)
    total = sum(raw.values())
    assert median == pytest.approx({code: value / total for code, value in raw.items()})
    assert sum(median.values()) == pytest.approx(1.0)


def test_the_median_of_an_even_count_is_the_mean_of_the_two_middle_proposals() -> None:
    median = whatif.median_proposal(_proposals({
        "A": {"P1": 0.1, "P2": 0.9}, "B": {"P1": 0.3, "P2": 0.7},
        "C": {"P1": 0.5, "P2": 0.5}, "D": {"P1": 0.9, "P2": 0.1},
    }), ("P1", "P2"))
    assert median == pytest.approx({"P1": 0.4, "P2": 0.6})
    empty = pl.DataFrame(schema={"org_code": pl.String, "principle": pl.String, "weight": pl.Float64})
    assert whatif.median_proposal(empty, ("P1",)) == {}


def test_rank_shifts_say_who_gains_and_who_loses_places_under_the_median() -> None:
    rows = [{"unit": u, "principle": f"P{k + 1}", "score": s, "coverage": 1.0}
            for u, values in {"A": [90, 40, 40, 40, 40], "B": [40, 90, 40, 40, 40], "C": [60] * 5}.items()
            for k, s in enumerate(values)]
    shifts = whatif.rank_shifts(pl.DataFrame(rows), load_framework(), {"P1": 1.0}).sort("unit")
    assert shifts.select("rank_now", "rank_new", "shift").rows() == [(2.0, 1.0, 1.0), (2.0, 3.0, -1.0), (1.0, 2.0, -1.0)]


def _open_with_proposals(store: Store) -> dict[str, float]:
    consultation.open_consultation(store, recorded_framework_hash(store), actor="account:comite")
    proposed = [{"P1": 3, "P2": 1, "P3": 1, "P4": 1, "P5": 1}, {"P1": 2, "P2": 1, "P3": 1, "P4": 1, "P5": 1},
                {"P1": 1, "P2": 1, "P3": 1, "P4": 1, "P5": 2}]
    for org, weights in zip(MEMBERS, proposed, strict=True):
        shares = whatif.normalised(weights, tuple(weights))
        consultation.propose(store, org, dict(zip(weights, shares.tolist(), strict=True)), actor=f"member:{org}")
    live = consultation.proposals(store, Viewer.steering(), int(consultation.current(store)["id"]))
    return whatif.median_proposal(live, ("P1", "P2", "P3", "P4", "P5"))


def test_adopting_the_median_records_a_new_framework_version_audited_with_a_scoring_request(demo_db_fresh: Path) -> None:
    store = open_store(demo_db_fresh)
    before = framework_in_use(store)
    versions = store.scalar("SELECT count(*) FROM framework_versions")
    median = _open_with_proposals(store)
    assert median["P1"] > median["P2"]
    new = framework_edit.with_principle_weights(before, median)
    consultation.adopt_median(store, new, median, actor="account:comite", source="test")
    after = framework_in_use(store)
    assert after.content_hash == new.content_hash != before.content_hash
    assert store.scalar("SELECT count(*) FROM framework_versions") == versions + 1
    total = sum(p.weight for p in before.principles)
    assert [p.weight for p in after.principles] == pytest.approx([median[p.code] * total for p in after.principles],
                                                                 abs=1e-4)
    assert [i.weights for i in after.indicators] == [i.weights for i in before.indicators]
    adopted = _audit(store, "weights_adopted")
    assert len(adopted) == 1 and adopted[0]["detail"]["version"] == new.content_hash
    assert adopted[0]["detail"]["proposals"] == 3
    assert _audit(store, "framework_change")[-1]["detail"]["version"] == new.content_hash
    pending = store.query("SELECT origin, requested_by FROM scoring_requests WHERE status = 'pending'")
    assert ("weights_adopted", "account:comite") in pending.rows()
    assert consultation.current(store) is None
    assert store.scalar("SELECT adopted_hash FROM weight_consultations") == new.content_hash


def test_a_member_proposes_from_its_panel_and_the_committee_adopts_the_median_on_the_framework_page(
    demo_db_fresh: Path,
) -> None:
    store = open_store(demo_db_fresh)
    consultation.open_consultation(store, recorded_framework_hash(store), actor="account:comite")
    member = open_page(start(demo_db_fresh, identity=MEMBERS[0]), "compare")
    member.select_slider(key="whatif_w_P1").set_value(3.0).run()
    member.button(key="whatif_propose").click().run()
    assert not member.exception
    live = consultation.proposals(store, Viewer.steering(), 1)
    assert live.filter(pl.col("principle") == "P1")["weight"].item() == pytest.approx(3 / 7)
    assert _audit(store, "weights_proposed")[0]["actor"] == f"account:{MEMBERS[0].lower()}"
    committee = open_page(start(demo_db_fresh, identity="steering"), "framework")
    assert any("1 proposition" in m.value for m in committee.markdown)
    assert any("Adopter la médiane ferait changer" in m.value for m in committee.markdown)
    assert committee.button(key="consult_adopt").disabled
    committee.checkbox(key="consult_confirm").check().run()
    committee.button(key="consult_adopt").click().run()
    assert not committee.exception
    assert any("Pondérations médianes adoptées" in s.value for s in committee.success)
    assert framework_in_use(store).principle_by_code["P1"].weight == pytest.approx(5 * 3 / 7, abs=1e-4)
    assert len(_audit(store, "weights_adopted")) == 1


def test_the_command_line_opens_shows_and_closes_a_consultation(demo_db_fresh: Path, capsys) -> None:
    db = str(demo_db_fresh)
    assert cli.main(["consult", "open", "--db", db, "--json"]) == 0
    opened = json.loads(capsys.readouterr().out)
    assert opened["framework"] == recorded_framework_hash(open_store(demo_db_fresh))
    assert cli.main(["consult", "open", "--db", db, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["refused"] == "already_open"
    consultation.propose(open_store(demo_db_fresh), MEMBERS[0], {"P1": 1.0}, actor="member:x")
    assert cli.main(["consult", "show", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["proposals"][MEMBERS[0]]["weights"] == {"P1": 1.0}
    assert cli.main(["consult", "close", "--db", db]) == 0
    assert "close" in capsys.readouterr().out
    assert [e["action"] for e in open_store(demo_db_fresh).query(
        "SELECT action FROM audit_log WHERE action LIKE 'consultation_%' ORDER BY id").to_dicts()] == [
        "consultation_opened", "consultation_closed"]
