"""The report card as HTML laid out for A4, then PDF (WeasyPrint).

Every value is HTML-escaped (:func:`esc`), every label comes from the catalogues (``card.*``),
every number, percentage, range and date from ``i18n.formatting`` (CLDR). Arabic pages are
``dir="rtl" lang="ar"`` in Noto Naskh Arabic; the verification line repeats on every page.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from string import Template

import polars as pl

from framework.mappings import VOCABULARIES, funder_prefix
from i18n import RTL_LANGUAGES, t
from i18n import formatting as fmt
from report import charts
from report.card_data import CardData

TEMPLATES = Path(__file__).resolve().parent / "templates"
DASH = "—"


def esc(value: object) -> str:
    """Any value as HTML text (``<script>`` prints as text)."""
    return html.escape("" if value is None else str(value), quote=True)


def tr(key: str, lang: str, **params: object) -> str:
    """A card label in ``lang``, escaped."""
    return esc(t(f"card.{key}", lang, **params))


def _css(lang: str) -> str:
    page = t("card.page", lang).replace("\\", "").replace('"', "")
    return Template((TEMPLATES / "card.css").read_text(encoding="utf-8")).safe_substitute(page_label=page)


def page(lang: str, title: str, verification: str, body: str) -> str:
    """The whole HTML document (``title`` and ``verification`` are already escaped)."""
    return Template((TEMPLATES / "page.html").read_text(encoding="utf-8")).substitute(
        lang=esc(lang),
        dir="rtl" if lang in RTL_LANGUAGES else "ltr",
        title=title,
        css=_css(lang),
        verification=verification,
        body=body,
    )


#: Left-to-right mark: a number, sign or range in an Arabic cell starts with a strong left-to-right
#: character, so ``-2,4`` and ``2 – 24`` are not turned into ``2,4-`` and ``24 – 2`` (WeasyPrint
#: takes a paragraph's direction from its first strong character and ignores ``unicode-bidi``).
LRM = "&lrm;"


def table(headers: Sequence[tuple[str, bool]], rows: Iterable[Sequence[str]], lang: str = "fr") -> str:
    """A table from escaped cells; ``headers`` are (escaped label, numeric column)."""
    mark = LRM if lang in RTL_LANGUAGES else ""
    head = "".join(f'<th class="{"num" if num else ""}">{label}</th>' for label, num in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{mark}{cell}</td>' if h[1] else f"<td>{cell}</td>"
            for h, cell in zip(headers, row, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def measure(value: float | None, lang: str) -> str:
    """A raw value: whole numbers without decimals, others with two."""
    if value is None:
        return DASH
    return fmt.number(value, lang, 0 if float(value).is_integer() else 2)


def interval(row: dict, lang: str) -> str:
    if row.get("rank_p05") is None:
        return DASH
    # not fmt.number_range: inside its isolates WeasyPrint lays the range out right to left; the
    # cell's left-to-right mark (LRM) keeps it ``2 – 24`` in Arabic
    return esc(f"{fmt.number(row['rank_p05'], lang)} – {fmt.number(row['rank_p95'], lang)}")


def rank(row: dict, lang: str) -> str:
    if row.get("nominal_rank") is None:
        return tr("not_ranked", lang)
    return tr("rank_value", lang, rank=fmt.number(row["nominal_rank"], lang), count=fmt.number(row["ranked_count"], lang))


def verification(run_id: int, framework_hash: str, link_id: int | None, at: datetime, lang: str) -> str:
    """``run · framework (short hash) · link (or —) · generation time (UTC, ISO)``, escaped."""
    return tr(
        "verification",
        lang,
        run=run_id,
        hash=framework_hash[:12],
        link=DASH if link_id is None else link_id,
        at=at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ) + f"<br>{tr('verify_hint', lang)}"


# -- the card's sections ----------------------------------------------------------------------
def _view_label(data: CardData) -> str:
    if data.link_id is not None:
        return tr("view_link", data.lang, link=data.link_id)
    return tr("view_member" if data.viewer.role == "member" else "view_steering", data.lang)


def _header(data: CardData) -> str:
    lang = data.lang
    try:
        kind = t(f"dashboard.kinds.{data.kind}", lang) if data.kind else ""
    except KeyError:
        kind = data.kind or ""
    parts = " · ".join(esc(p) for p in (data.org_code, kind, data.region) if p)
    warning = f'<p class="warning">{tr("provisional", lang)}</p>' if data.provisional else ""
    return (
        f"<h1>{tr('title', lang)} — {esc(data.org_name)}</h1>"
        f'<p class="subtitle">{parts}</p>'
        f'<p class="subtitle">{tr("period_value", lang, period=data.period)} '
        f'<span class="view">{_view_label(data)}</span></p>{warning}'
    )


def _tile(label: str, value: str, lang: str = "fr", number: bool = False) -> str:
    mark = LRM if number and lang in RTL_LANGUAGES else ""
    return f'<div class="tile"><div class="label">{label}</div><div class="value">{mark}{value}</div></div>'


def _composite(data: CardData) -> str:
    row, lang = data.composite, data.lang
    if row is None:
        return ""
    score = esc(fmt.score(row["score"], lang)) if row["score"] is not None else tr("insufficient", lang)
    return '<div class="tiles">' + "".join(
        (
            _tile(tr("composite", lang), score, lang, number=row["score"] is not None),
            _tile(tr("rank", lang), rank(row, lang)),
            _tile(tr("rank_interval", lang), interval(row, lang), lang, number=True),
            _tile(tr("coverage", lang), esc(fmt.percent(row["coverage"], lang)), lang, number=True),
            _tile(tr("grade", lang), esc(row["grade"] or DASH)),
        )
    ) + "</div>"


def _principles(data: CardData, with_charts: bool) -> str:
    lang = data.lang
    rows = [
        (
            f'<span class="code">{esc(r["principle"])}</span> · {esc(r["name"])}',
            esc(fmt.score(r["score"], lang)),
            rank(r, lang),
            interval(r, lang),
            esc(fmt.percent(r["coverage"], lang)),
            esc(r["grade"] or DASH),
        )
        for r in data.principles.iter_rows(named=True)
    ]
    headers = [(tr("principle", lang), False), (tr("score", lang), True), (tr("rank", lang), False),
               (tr("rank_interval", lang), True), (tr("coverage", lang), True), (tr("grade", lang), True)]
    chart = ""
    scored = data.principles.filter(pl.col("score").is_not_null())
    if with_charts and scored.height:
        labels = scored["principle"].to_list()  # the table beside names them
        titles = (t("card.chart_scores", lang), t("card.chart_ranks", lang))
        figure = charts.scores_and_ranks(scored, titles, lang in RTL_LANGUAGES, labels)
        chart = f'<img class="chart" alt="" src="{charts.png_data_uri(figure, int(figure.layout.height))}">'
    return f"<h2>{tr('principles_heading', lang)}</h2>{table(headers, rows, lang)}{chart}"


def _narratives(data: CardData) -> str:
    lang = data.lang
    if data.narratives.is_empty():
        return f"<h2>{tr('narratives_heading', lang)}</h2><p class=\"muted\">{tr('no_narrative', lang)}</p>"
    preferred = data.narratives.with_columns(mine=pl.col("lang") == lang).sort(["principle", "mine", "lang"], descending=[False, True, False], nulls_last=False)
    parts = []
    for r in preferred.iter_rows(named=True):
        label = data.principle_name(r["principle"]) if r["principle"] else t("card.composite", lang)
        evidence = (
            f'<br><span class="muted">{tr("evidence_link", lang, url=r["evidence_url"])}</span>'
            if r["evidence_url"] else ""
        )
        flag = f' <span class="muted">({tr("provisional_narrative", lang)})</span>' if r["provisional"] else ""
        if r["lang"] != lang:  # a text in another language says which, as on the profile page
            language = t("dashboard.narr.view.lang_" + r["lang"], lang)
            flag += f' <span class="muted">({esc(t("dashboard.narr.view.language", lang, language=language))})</span>'
        direction = "rtl" if r["lang"] == "ar" else "ltr"  # the text's own direction, whatever the card's
        parts.append(
            f'<div class="narrative"><span class="who">{esc(label)}</span>{flag}'
            f'<div class="narrative-text" dir="{direction}" lang="{esc(r["lang"])}">{esc(r["text"])}</div>'
            f'{evidence}</div>'
        )
    return f"<h2>{tr('narratives_heading', lang)}</h2>" + "".join(parts)


def indicator_cell(data: CardData, code: str, name: str) -> str:
    """``R01 · name``; through a link in a funder's vocabulary, its IRIS+ metric or SDG targets first
    (``PI4060 · R01 · name``), or that it has none — as the link's pages name it."""
    athar = f'<span class="code">{esc(code)}</span> · {esc(name)}'
    vocabulary = data.viewer.link.vocabulary if data.viewer.link is not None else "athar"
    if vocabulary not in VOCABULARIES or vocabulary == "athar":
        return athar
    found = next((i for i in data.framework.indicators if i.code == code), None)
    shown = funder_prefix(found.iris, found.sdg, vocabulary, data.lang) if found is not None else None
    if shown is None:
        return f'{athar} <span class="muted">({esc(t(f"vocab.none_{vocabulary}", data.lang))})</span>'
    return f'<span class="code">{esc(shown)}</span> · {athar}'


def _indicators(data: CardData) -> str:
    lang = data.lang
    if data.indicators.is_empty():
        return ""
    rows = [
        (
            indicator_cell(data, r["indicator_code"], r["name"]),
            esc(measure(r["value"], lang)),
            esc(r["unit"]),
            esc(fmt.number(None if r["normalised"] is None else r["normalised"] * 100, lang, 1)),
            tr("yes" if r["flagged"] else "no", lang),
        )
        for r in data.indicators.iter_rows(named=True)
    ]
    headers = [(tr("indicator", lang), False), (tr("value", lang), True), (tr("unit", lang), False),
               (tr("normalised", lang), True), (tr("flagged", lang), False)]
    return f"<h2>{tr('indicators_heading', lang)}</h2>{table(headers, rows, lang)}"


def _targets(data: CardData) -> str:
    lang = data.lang
    if data.targets.is_empty():
        return ""
    rows = [
        (
            indicator_cell(data, r["indicator_code"], r["name"]),
            esc(f"{measure(r['baseline'], lang)} ({r['baseline_period'] or DASH})"),
            esc(f"{measure(r['target'], lang)} ({r['target_period'] or DASH})"),
            esc(f"{measure(r['value'], lang)} ({r['period'] or DASH})"),
            esc(r["unit"]),
            esc(fmt.percent(r["progress"], lang)),
        )
        for r in data.targets.iter_rows(named=True)
    ]
    headers = [(tr("indicator", lang), False), (tr("baseline", lang), True), (tr("target", lang), True),
               (tr("latest", lang), True), (tr("unit", lang), False), (tr("progress", lang), True)]
    return f"<h2>{tr('targets_heading', lang)}</h2>{table(headers, rows, lang)}"


def _trends(data: CardData, with_charts: bool) -> str:
    lang = data.lang
    codes: list[str | None] = [None, *data.principles["principle"].to_list()]
    names = {c: t("card.composite", lang) if c is None else f"{c} · {data.principle_name(c)}" for c in codes}
    by_code = {r["principle"]: r for r in data.trends.iter_rows(named=True)}
    rows = [
        (esc(names[c]), tr(f"trend.{by_code[c]['trend']}", lang), esc(fmt.signed(by_code[c]["slope"], lang)))
        for c in codes
        if c in by_code
    ]
    if not rows:
        return ""
    headers = [(tr("principle", lang), False), (tr("trends_heading", lang), False), (tr("trend_slope", lang), True)]
    chart = ""
    if with_charts and data.history["period"].n_unique() > 1:
        figure = charts.trend(data.history, names, t("card.chart_trend", lang), lang in RTL_LANGUAGES)
        chart = f'<img class="chart" alt="" src="{charts.png_data_uri(figure, 300)}">'
    return f"<h2>{tr('trends_heading', lang)}</h2>{table(headers, rows, lang)}{chart}"


def _quality(data: CardData) -> str:
    lang = data.lang
    composite = [{**data.composite, "name": t("card.composite", lang)}] if data.composite is not None else []
    rows = [
        (
            esc(r["name"] if r["principle"] is None else f"{r['principle']} · {r['name']}"),
            esc(r["grade"] or DASH),
            esc(fmt.percent(r["completeness"], lang)),
            esc(fmt.number(r["timeliness_days"], lang)),
            esc(fmt.number(r["consistency_flags"], lang)),
            esc(fmt.percent(r["evidence"], lang)),
        )
        for r in [*composite, *data.principles.iter_rows(named=True)]
    ]
    headers = [(tr("principle", lang), False), (tr("grade", lang), True), (tr("completeness", lang), True),
               (tr("timeliness", lang), True), (tr("flags", lang), True), (tr("evidence", lang), True)]
    return f"<h2>{tr('quality_heading', lang)}</h2>{table(headers, rows, lang)}"


def method_box(run: dict, lang: str) -> str:
    """Framework (name, version = short hash), scoring run and its date, aggregation rule."""
    meta = run["framework"].get("meta", {})
    name = (meta.get("name") or {}).get(lang) or (meta.get("name") or {}).get("fr") or ""
    made = run["created_at"]
    granularity = t(f"calendar.kind.{run['granularity']}", lang) if run.get("granularity") else DASH
    aggregation = meta.get("composite_aggregation", "geometric")
    threshold = meta.get("coverage_threshold", 0.5)
    return (
        f'<div class="method"><h3>{tr("method_heading", lang)}</h3>'
        f"<p>{tr('method_framework', lang, name=name, hash=run['framework_hash'][:12])}</p>"
        f"<p>{tr('method_run', lang, run=run['id'], date=fmt.date_text(made, lang), granularity=granularity)}</p>"
        f"<p>{tr('method_aggregation', lang, aggregation=t(f'card.aggregation.{aggregation}', lang), threshold=fmt.percent(threshold, lang))}</p>"
        "</div>"
    )


def card_html(data: CardData, generated_at: datetime, *, with_charts: bool = True) -> str:
    """The whole card as one HTML document."""
    body = "".join(
        (
            _header(data),
            _composite(data),
            _principles(data, with_charts),
            _narratives(data),
            _indicators(data),
            _targets(data),
            _trends(data, with_charts),
            _quality(data),
            method_box(data.run, data.lang),
        )
    )
    line = verification(int(data.run["id"]), data.run["framework_hash"], data.link_id, generated_at, data.lang)
    title = esc(f"{t('card.title', data.lang)} — {data.org_name} — {data.period}")
    return page(data.lang, title, line, body)


def to_pdf(document: str) -> bytes:
    """The HTML as a PDF (WeasyPrint; fonts embedded, subset)."""
    import weasyprint

    return weasyprint.HTML(string=document, base_url=str(TEMPLATES)).write_pdf()
