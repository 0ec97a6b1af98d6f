"""``python -m report``: exit statuses, refusals in the chosen language, ``verify``, and the profile
page's download button (committee and funder link), on one shared demo database."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from report_helpers import ORG, PERIOD, needs_pdf_tools, pdf_text

from i18n import t
from report import charts
from report.cli import main
from store import links
from store.db import open_store

pytestmark = needs_pdf_tools
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def db(demo_db_pristine, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report-cli") / "demo.duckdb"
    shutil.copy(demo_db_pristine, path)
    charts.warm()
    return path


def _cards_in_audit(db: Path) -> int:
    return open_store(db).scalar("SELECT count(*) FROM audit_log WHERE action = 'report_card_made'")


def test_card_command_writes_the_pdf_and_verify_confirms_it(db, tmp_path, capsys) -> None:
    out = tmp_path / "card.pdf"
    assert main(["card", "--db", str(db), "--org", ORG, "--period", PERIOD, "--lang", "fr", "--out", str(out)]) == 0
    sha = hashlib.sha256(out.read_bytes()).hexdigest()
    assert sha in capsys.readouterr().out
    assert main(["verify", "--db", str(db), "--file", str(out)]) == 0
    said = capsys.readouterr().out
    assert ORG in said and PERIOD in said and t("dashboard.audit.action.report_card_made", "fr") in said
    assert main(["verify", "--db", str(db), "--sha256", "0" * 64]) == 1
    assert t("card.cli.verify_unknown", "fr") in capsys.readouterr().out


def test_card_outside_the_link_is_refused_in_arabic_with_no_file_and_no_audit(db, tmp_path, capsys) -> None:
    store = open_store(db)
    link_id, _ = links.create_link(store, label="Bailleur", org_codes=[ORG], principles=["P2"], periods=[PERIOD],
                                   created_by="test")
    outsider = store.column("SELECT code FROM organizations WHERE code <> $o LIMIT 1", {"o": ORG})[0]
    before = _cards_in_audit(db)
    out = tmp_path / "refused.pdf"
    status = main(["card", "--db", str(db), "--org", outsider, "--period", PERIOD, "--lang", "ar",
                   "--out", str(out), "--link", str(link_id)])
    err = capsys.readouterr().err
    assert status == 1 and not out.exists() and _cards_in_audit(db) == before
    assert "المنظمة" in err and outsider in err
    inside = tmp_path / "inside.pdf"
    assert main(["card", "--db", str(db), "--org", ORG, "--period", PERIOD, "--lang", "fr",
                 "--out", str(inside), "--link", str(link_id)]) == 0
    assert t("card.view_link", "fr", link=link_id) in pdf_text(inside)


def test_card_through_a_revoked_link_is_refused(db, tmp_path, capsys) -> None:
    store = open_store(db)
    link_id, _ = links.create_link(store, label="Ancien", org_codes=[ORG], created_by="test")
    links.revoke_link(store, link_id, actor="test")
    out = tmp_path / "revoked.pdf"
    assert main(["card", "--db", str(db), "--org", ORG, "--period", PERIOD, "--lang", "en", "--out", str(out),
                 "--link", str(link_id)]) == 1
    assert "revoked" in capsys.readouterr().err and not out.exists()


def test_a_period_that_is_not_one_is_refused(db, tmp_path, capsys) -> None:
    assert main(["card", "--db", str(db), "--org", ORG, "--period", "2024-13", "--lang", "fr",
                 "--out", str(tmp_path / "x.pdf")]) == 1
    assert "2024-13" in capsys.readouterr().err


def test_network_command_makes_the_committee_s_report(db, tmp_path, capsys) -> None:
    out = tmp_path / "network.pdf"
    assert main(["network", "--db", str(db), "--period", PERIOD, "--lang", "ar", "--out", str(out)]) == 0
    assert out.stat().st_size > 1000
    assert main(["verify", "--db", str(db), "--file", str(out)]) == 0


def test_usage_errors_exit_with_status_2() -> None:
    done = subprocess.run([sys.executable, "-m", "report", "card", "--db", "x.duckdb"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 2 and "--org" in done.stderr


def test_profile_page_offers_the_card_to_the_committee_and_to_a_funder_link(db) -> None:
    from dashboard.testing import open_page, start

    label = t("card.download.button", "fr")
    committee = open_page(start(db), "profile")
    assert label in [b.label for b in committee.get("download_button")]
    _, token = links.create_link(open_store(db), label="Profil", org_codes=[ORG], pages=["profile"],
                                 created_by="test")
    funder = start(db, link=token)
    assert label in [b.label for b in funder.get("download_button")]
    os.environ.pop("ATHAR_DB", None)


def test_a_funder_s_card_download_counts_as_a_link_use_and_is_audited(db) -> None:
    from dashboard import card_download
    from dashboard.access import Identity, guarded
    from dashboard.context import PageContext

    store = open_store(db)
    link_id, token = links.create_link(store, label="Téléchargement", org_codes=[ORG], periods=[PERIOD],
                                       created_by="test")
    viewer = links.check_token(store, token).viewer()
    ctx = PageContext(store=store, viewer=viewer, lang="fr", version=(), run=None,
                      identity=Identity(viewer=viewer, link_token=token))
    name = f"athar_card_{ORG}_{PERIOD}_fr.pdf"
    pdf = guarded(store, ctx.identity, name, lambda: card_download.produce(ctx, ORG, PERIOD), "refused")()
    assert pdf.startswith(b"%PDF")
    uses = store.query("SELECT use_count FROM share_links WHERE id = $i", {"i": link_id}).item()
    audit = store.query(
        "SELECT action, actor, json_extract_string(detail, '$.sha256') AS sha FROM audit_log "
        "WHERE target = $t OR actor = $a ORDER BY id",
        {"t": f"link:{link_id}", "a": f"link:{link_id}"},
    )
    assert uses == 1
    assert ("report_card_made", f"link:{link_id}", hashlib.sha256(pdf).hexdigest()) in audit.rows()
    assert "link_download" in audit["action"].to_list()
