"""Every user-facing string exists in fr, ar and en, with the same placeholders."""

from __future__ import annotations

import pytest

import i18n
from i18n.bidi import strip_isolates
from ingest.issues import IssueCode


def test_every_key_exists_in_every_language() -> None:
    """Same keys everywhere, except the extra CLDR plural forms only Arabic has (zero, two, few, many)."""
    keys = {
        lang: {k for k in i18n.catalogue(lang) if not i18n.is_extra_plural_form(k, lang)} for lang in i18n.LANGUAGES
    }
    reference = keys["fr"]
    for lang, lang_keys in keys.items():
        assert lang_keys == reference, f"{lang}: missing {sorted(reference - lang_keys)}, extra {sorted(lang_keys - reference)}"


def test_placeholders_agree_across_languages() -> None:
    """Same placeholders everywhere; a counted message's form may leave ``{count}`` out ("خطآن": two errors)."""
    fr = i18n.catalogue("fr")
    for key, french in fr.items():
        counted = key.rpartition(".")[0] + ".other" in fr
        for lang in ("ar", "en"):
            theirs = i18n.placeholders(i18n.catalogue(lang)[key])
            expected = i18n.placeholders(french)
            assert theirs - {"count"} == expected - {"count"} if counted else theirs == expected, f"{lang}:{key}"


def test_extra_arabic_plural_forms_use_no_placeholder_the_other_form_lacks() -> None:
    ar = i18n.catalogue("ar")
    extra = [k for k in ar if i18n.is_extra_plural_form(k, "ar")]
    assert extra, "the Arabic catalogue writes its dual, few and many forms"
    for key in extra:
        other = ar[key.rpartition(".")[0] + ".other"]
        assert i18n.placeholders(ar[key]) <= i18n.placeholders(other), key


@pytest.mark.parametrize("code", sorted(IssueCode))
def test_every_issue_code_has_a_message_and_a_hint(code: str) -> None:
    for lang in i18n.LANGUAGES:
        assert i18n.t(f"ingest.{code}.message", lang).strip()
        assert i18n.t(f"ingest.{code}.hint", lang).strip()


@pytest.mark.parametrize("code", list(IssueCode), ids=str)
def test_every_issue_code_templates_use_exactly_its_declared_parameters(code: IssueCode) -> None:
    for lang in i18n.LANGUAGES:
        texts = {suffix: i18n.catalogue(lang).get(f"ingest.{code}.{suffix}") for suffix in ("message", "hint")}
        assert all(texts.values()), f"{lang}: ingest.{code} lacks {[s for s, t in texts.items() if not t]}"
        own = lambda text: {p for p in i18n.placeholders(text) if not i18n.builtin_placeholder(p)}  # noqa: E731
        for suffix, text in texts.items():
            assert own(text) <= set(code.params), f"{lang}:ingest.{code}.{suffix}"
        used = set().union(*(own(t) for k, t in i18n.catalogue(lang).items() if k.startswith(f"ingest.{code}.")))
        assert used == set(code.params), f"{lang}: ingest.{code} uses {sorted(used)}, declares {sorted(code.params)}"


def test_issue_codes_are_their_stable_strings_with_a_level_and_a_severity() -> None:
    assert IssueCode.UNKNOWN_ORG == "unknown_org" and f"{IssueCode.UNKNOWN_ORG}" == "unknown_org"
    assert IssueCode("duplicate_key") is IssueCode.DUPLICATE_KEY
    assert {c.severity.value for c in IssueCode} == {"error", "warning"}
    assert IssueCode.MISSING_COLUMN.level == "header" and IssueCode.EMPTY_FILE.level == "file"
    assert len({c.value for c in IssueCode}) == len(IssueCode)


def test_arabic_catalogue_is_arabic_and_french_is_default() -> None:
    assert any("\u0600" <= ch <= "\u06ff" for ch in i18n.t("ingest.not_a_number.message", "ar"))
    assert i18n.t("report.rejected") == i18n.t("report.rejected", "fr")
    assert i18n.normalise_language("ar-MA") == "ar"
    assert i18n.normalise_language("de") == "fr"


@pytest.mark.parametrize(
    ("lang", "count", "expected"),
    [("fr", 1, "1 avertissement"), ("fr", 0, "0 avertissement"), ("fr", 2, "2 avertissements"),
     ("en", 1, "1 warning"), ("en", 0, "0 warnings"), ("ar", 3, "3 تنبيهات"), ("ar", 2, "تنبيهان"),
     ("ar", 12, "12 تنبيهًا"), ("ar", 100, "100 تنبيه"), ("ar", 0, "لا تنبيهات"), ("fr", 1250, "1\u202f250 avertissements")],
)
def test_counted_messages_agree_with_their_number(lang: str, count: int, expected: str) -> None:
    assert strip_isolates(i18n.tn("report.warnings", count, lang)) == expected


def test_plural_categories_follow_cldr_and_fall_back_to_one_or_other() -> None:
    assert [i18n.plural_form(n, "ar") for n in (0, 1, 2, 3, 11, 100)] == ["zero", "one", "two", "few", "many", "other"]
    assert [i18n.plural_form(n, "fr") for n in (0, 1, 2)] == ["one", "one", "other"]
    assert [i18n.plural_form(n, "en") for n in (0, 1, 2)] == ["other", "one", "other"]
    # A category the catalogue leaves out falls back to other (one stays one).
    assert i18n.tn("dashboard.compare.selection", 3, "ar") == i18n.t("dashboard.compare.selection.other", "ar", count=3)
    assert i18n.tn("dashboard.compare.selection", 1, "ar") == i18n.t("dashboard.compare.selection.one", "ar", count=1)
