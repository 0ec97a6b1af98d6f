"""Links made safely (issue 14), in real AppTest sessions on a private copy of the demo database:
the summary and confirmation before a link exists, confirmed revoke and rotate that keep the link
acted on selected, the committee's preview that is not a use, and chart images only through the
audited path (no Plotly camera button)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from dashboard import link_preview
from dashboard.testing import open_page, start, visible_text
from i18n import t
from store import links
from store.db import open_store

ORGS = ["ASS-CAS-001", "ASS-TIN-002"]
CREATE = "FormSubmitter:link_create-" + t("dashboard.links.create", "fr")
ROOT = Path(__file__).resolve().parent.parent

#: On both backends: the link pages and reads over a DuckDB file and a PostgreSQL copy of the demo (``demo_copy``);
#: the chart-configuration checks, which read the shared DuckDB demo, run once.
pytestmark = pytest.mark.backends("duckdb", "postgres")


@pytest.fixture
def db(demo_copy):
    """A private copy of the scored demo on the test's backend (``ATHAR_DB`` / ``ATHAR_DATABASE_URL`` naming it)."""
    return demo_copy


def _count(store, sql: str, params: list | None = None) -> int:
    return store.scalar(sql, params or [])


def _fill(at, label: str = "Fondation Atlas", orgs: list[str] = ORGS, **extra):
    at.text_input(key="link_label").input(label)
    at.multiselect(key="link_orgs").set_value(orgs)
    for key, value in extra.items():
        at.multiselect(key=key).set_value(value)
    return at.button(key=CREATE).click().run()


def _names(store) -> dict[str, str]:
    return dict(store.query("SELECT code, name_fr FROM organizations").iter_rows())


# -- create ------------------------------------------------------------------------------------
def test_the_summary_lists_exactly_the_chosen_scope_and_nothing_is_created_before_confirmation(db) -> None:
    store = open_store(db)
    before = _count(store, "SELECT count(*) FROM share_links")
    at = _fill(open_page(start(db), "links"), link_principles=["P1"], link_pages=["profile"])
    text = visible_text(at)
    names = _names(store)
    assert t("linksafe.summary_title", "fr") in text
    for code in ORGS:  # every chosen organisation by code and name
        assert f"{code} — {names[code]}" in text
    summary = "\n".join(m.value for m in at.markdown)
    assert not [c for c in names if c not in ORGS and c in summary]  # and no other organisation
    assert "Fondation Atlas" in text and t("dashboard.nav.profile", "fr") in text
    assert t("dashboard.nav.compare", "fr") not in at.markdown.values  # only the page chosen
    assert t("linksafe.run_latest", "fr") in text and t("linksafe.no", "fr") in text
    assert _count(store, "SELECT count(*) FROM share_links") == before  # nothing created yet
    assert not at.code  # no address shown


def test_back_gives_the_form_back_as_it_was_filled_and_creates_nothing(db) -> None:
    store = open_store(db)
    at = _fill(open_page(start(db), "links"))
    at.button(key="linksafe_back").click().run()
    assert at.text_input(key="link_label").value == "Fondation Atlas"
    assert at.multiselect(key="link_orgs").value == ORGS
    assert _count(store, "SELECT count(*) FROM share_links") == 0
    assert t("linksafe.summary_title", "fr") not in visible_text(at)


def test_confirm_and_create_makes_one_link_with_the_scope_shown_and_chooses_it(db) -> None:
    _two_links(db)  # older links listed first in the session: the new one is chosen all the same
    store = open_store(db)
    at = _fill(open_page(start(db), "links"))
    at.button(key="linksafe_confirm_create").click().run()
    codes = [c.value for c in at.code]
    assert len(codes) == 1 and "?link=" in codes[0]
    token = codes[0].split("link=")[1].split("&")[0]
    assert links.check_token(store, token).scope.org_codes == set(ORGS)
    assert _count(store, "SELECT count(*) FROM share_links") == 3
    assert _count(store, "SELECT count(*) FROM audit_log WHERE action = 'link_created'") == 3
    assert at.selectbox(key="links_choose").value == store.scalar("SELECT max(id) FROM share_links")
    with pytest.raises(KeyError):  # the confirmation is gone: nothing left to click twice
        at.button(key="linksafe_confirm_create")


def test_the_summary_refuses_a_link_without_organisation_before_any_confirmation(db) -> None:
    at = _fill(open_page(start(db), "links"), orgs=[])
    assert t("linksafe.summary_title", "fr") not in visible_text(at)
    assert [e.value for e in at.error] == [t("access.errors.no_organisation", "fr")]


def test_the_organisation_picker_never_offers_select_all_matches(db) -> None:
    at = open_page(start(db), "links")
    picker = at.multiselect(key="link_orgs")
    assert picker.proto.select_all == 0 and not picker.proto.accept_new_options
    assert picker.placeholder == t("reading.choose", "fr")


# -- revoke and rotate ---------------------------------------------------------------------------
def _two_links(db) -> tuple[int, int]:
    store = open_store(db)
    first, _ = links.create_link(store, label="Bailleur A", org_codes=["ASS-CAS-001"], created_by="test", days=9)
    second, _ = links.create_link(store, label="Bailleur B", org_codes=["ASS-TIN-002"], created_by="test", days=9)
    return first, second


def _revoked(store) -> set[int]:
    return set(store.column("SELECT id FROM share_links WHERE revoked_at IS NOT NULL"))


def test_revoke_asks_for_confirmation_naming_the_link_and_keeps_it_selected(db) -> None:
    first, second = _two_links(db)
    store = open_store(db)
    at = open_page(start(db), "links")
    at.selectbox(key="links_choose").set_value(second).run()
    at.button(key="links_revoke").click().run()
    assert _revoked(store) == set()  # asked, not done
    question = [w.value for w in at.warning]
    assert any("Bailleur B" in q and str(second) in q and "ASS-TIN-002" in q for q in question)
    at.button(key="linksafe_confirm_revoke").click().run()
    assert _revoked(store) == {second}
    assert at.selectbox(key="links_choose").value == second  # no jump to the next active link
    assert any("Bailleur B" in s.value for s in at.success)


def test_a_second_revoke_click_does_not_revoke_another_link(db) -> None:
    first, second = _two_links(db)
    store = open_store(db)
    at = open_page(start(db), "links")
    at.selectbox(key="links_choose").set_value(second).run()
    at.button(key="links_revoke").click().run()
    at.button(key="linksafe_confirm_revoke").click().run()
    at.button(key="links_revoke").click().run()  # the double click's second click
    assert _revoked(store) == {second}
    assert t("linksafe.already_revoked", "fr", name="x").split("x")[-1].strip() in visible_text(at)
    assert "linksafe_confirm_revoke" not in [b.key for b in at.button]
    assert _count(store, "SELECT count(*) FROM audit_log WHERE action = 'link_revoked'") == 1


def test_rotate_asks_for_confirmation_and_keeps_the_renewed_link_selected(db) -> None:
    first, second = _two_links(db)
    store = open_store(db)
    at = open_page(start(db), "links")
    at.selectbox(key="links_choose").set_value(first).run()
    at.button(key="links_rotate").click().run()
    assert not at.code and _revoked(store) == set()
    assert any("Bailleur A" in w.value and "ASS-CAS-001" in w.value for w in at.warning)
    at.button(key="linksafe_confirm_rotate").click().run()
    assert _revoked(store) == {first}
    new_id = store.scalar("SELECT id FROM share_links WHERE replaces = ?", [first])
    assert len(at.code) == 1 and "?link=" in at.code[0].value  # the new address, once
    assert at.selectbox(key="links_choose").value == first
    assert any(str(new_id) in s.value for s in at.success)


def test_cancel_leaves_the_link_as_it_was(db) -> None:
    first, _ = _two_links(db)
    at = open_page(start(db), "links")
    at.selectbox(key="links_choose").set_value(first).run()
    at.button(key="links_revoke").click().run()
    at.button(key="linksafe_cancel").click().run()
    assert _revoked(open_store(db)) == set()
    assert "linksafe_confirm_revoke" not in [b.key for b in at.button]


# -- preview -------------------------------------------------------------------------------------
def _usage(store, link_id: int) -> tuple:
    return store.query("SELECT use_count, last_used_at FROM share_links WHERE id = $i", {"i": link_id}).row(0)


def test_preview_shows_the_funder_view_with_a_banner_and_is_audited_but_not_a_use(db) -> None:
    store = open_store(db)
    link_id, token = links.create_link(store, label="Bailleur P", org_codes=["ASS-TIN-002"], created_by="test",
                                       days=9, pages=["profile", "overview"])
    before = _usage(store, link_id)
    at = open_page(start(db), "links")
    at.selectbox(key="links_choose").set_value(link_id).run()
    at.button(key="links_preview").click().run()
    banner = t("linksafe.preview.banner", "fr", label="Bailleur P", number=link_id)
    assert banner in [w.value for w in at.warning]
    text = visible_text(at)
    assert token not in text
    open_page(at, "profile")  # a funder page: allowed, still no use
    assert banner in [w.value for w in at.warning]
    with pytest.raises(ValueError):  # the committee's pages are out of reach while previewing
        open_page(at, "links")
    assert _usage(store, link_id) == before  # use count and last use unchanged
    assert _count(store, "SELECT count(*) FROM audit_log WHERE action = 'link_previewed' AND target = ?",
                  [f"link:{link_id}"]) == 1
    assert _count(store, "SELECT count(*) FROM audit_log WHERE action IN ('link_used', 'link_download')") == 0


def test_the_preview_sees_only_the_link_s_organisations(db) -> None:
    store = open_store(db)
    link_id, _ = links.create_link(store, label="Bailleur P", org_codes=["ASS-TIN-002"], created_by="test", days=9)
    at = open_page(start(db), "links")
    at.selectbox(key="links_choose").set_value(link_id).run()
    at.button(key="links_preview").click().run()
    text = visible_text(open_page(at, "profile"))
    assert "ASS-TIN-002" in text and "ASS-CAS-001" not in text


def test_leaving_the_preview_returns_to_the_committee_s_link_page(db) -> None:
    store = open_store(db)
    link_id, _ = links.create_link(store, label="Bailleur P", org_codes=["ASS-TIN-002"], created_by="test", days=9)
    at = open_page(start(db), "links")
    at.selectbox(key="links_choose").set_value(link_id).run()
    at.button(key="links_preview").click().run()
    at.button(key="athar_preview_leave").click().run()
    assert [x.value for x in at.title] == [t("dashboard.links.title", "fr")]
    assert t("linksafe.preview.banner", "fr", label="Bailleur P", number=link_id) not in visible_text(at)
    open_page(at, "accounts")  # the committee's pages are back


def test_a_funder_session_never_enters_a_preview(db) -> None:
    store = open_store(db)
    mine, token = links.create_link(store, label="Mien", org_codes=["ASS-TIN-002"], created_by="test", days=9)
    other, _ = links.create_link(store, label="Autre", org_codes=["ASS-CAS-001"], created_by="test", days=9)
    funder = start(db, link=token)
    funder.session_state[link_preview.PREVIEW_KEY] = {"link_id": other, "account_id": 1, "signed_in_at": None}
    funder.run()
    text = visible_text(funder)
    assert "Autre" not in text and t("linksafe.preview.leave", "fr") not in text
    assert link_preview.PREVIEW_KEY not in funder.session_state


def test_a_preview_of_a_link_revoked_meanwhile_ends(db) -> None:
    store = open_store(db)
    link_id, _ = links.create_link(store, label="Bailleur P", org_codes=["ASS-TIN-002"], created_by="test", days=9)
    at = open_page(start(db), "links")
    at.selectbox(key="links_choose").set_value(link_id).run()
    at.button(key="links_preview").click().run()
    links.revoke_link(store, link_id, actor="test")
    at.run()
    assert t("linksafe.preview.ended", "fr") in [i.value for i in at.info]
    assert link_preview.PREVIEW_KEY not in at.session_state


# -- chart images --------------------------------------------------------------------------------
def _plotly_calls() -> list[ast.Call]:
    calls = []
    for path in (ROOT / "dashboard").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "plotly_chart":
                calls.append(node)
    return calls


def test_every_plotly_chart_call_passes_the_app_config_without_the_image_button() -> None:
    from dashboard.charts import PLOTLY_CONFIG

    calls = _plotly_calls()
    assert calls
    for call in calls:
        config = [k.value for k in call.keywords if k.arg == "config"]
        assert config and isinstance(config[0], ast.Name) and config[0].id == "PLOTLY_CONFIG"
    assert "toImage" in PLOTLY_CONFIG["modeBarButtonsToRemove"] and PLOTLY_CONFIG["displaylogo"] is False


@pytest.mark.parametrize("page", ["overview", "profile", "compare", "sustainability", "indicator"])
def test_every_chart_on_the_page_has_no_client_side_image_download(demo_db, monkeypatch, page) -> None:
    monkeypatch.setenv("ATHAR_DB", str(demo_db))
    at = open_page(start(demo_db), page)
    charts = [n for n in _nodes(at._tree) if getattr(n, "type", None) == "plotly_chart"]
    assert charts, f"no chart drawn on {page}"
    for chart in charts:
        config = json.loads(chart.proto.config)
        assert "toImage" in config["modeBarButtonsToRemove"] and config["displaylogo"] is False


def _nodes(node):
    yield node
    for child in (getattr(node, "children", None) or {}).values():
        yield from _nodes(child)


def test_a_download_during_a_preview_is_the_committee_s_not_a_use_of_the_link(db, monkeypatch) -> None:
    from dashboard.access import Identity, guarded
    from store.accounts import DEMO_STEERING, ensure_demo_accounts, find_by_username
    from store.viewer import Viewer

    monkeypatch.setenv("ATHAR_DEMO_MODE", "1")
    store = open_store(db)
    ensure_demo_accounts(store)
    link_id, _ = links.create_link(store, label="Bailleur P", org_codes=["ASS-TIN-002"], created_by="test", days=9)
    account = find_by_username(store, DEMO_STEERING)
    preview = Identity(viewer=Viewer.funder(links.link_scope(store, link_id).scope, name=account.actor),
                       account=account)
    before = _usage(store, link_id)
    assert guarded(store, preview, "profil.csv", lambda: "a;b\n", "refusé")() == b"a;b\n"
    assert _usage(store, link_id) == before
    assert _count(store, "SELECT count(*) FROM audit_log WHERE action = 'link_download'") == 0
    assert _count(store, "SELECT count(*) FROM audit_log WHERE action = 'download' AND target = 'profil.csv'") == 1


def test_link_scope_by_id_answers_as_the_token_does(db) -> None:
    store = open_store(db)
    link_id, token = links.create_link(store, label="Bailleur P", org_codes=["ASS-TIN-002"], created_by="test",
                                       days=9, principles=["P1"], pages=["profile"])
    assert links.link_scope(store, link_id) == links.check_token(store, token)
    links.revoke_link(store, link_id, actor="test")
    assert links.link_scope(store, link_id).status == "revoked"
    assert links.link_scope(store, 999).status == "unknown"
