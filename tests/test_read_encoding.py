"""Reading stage, bytes level: what the file is, which encoding, and damaged-text warnings."""

from __future__ import annotations

import io
import zipfile

import polars as pl
import pytest

from ingest.encoding import detect_encoding, single_byte_encoding
from ingest.read import MAX_TEXT_WARNINGS, RawTable, human_size, read_table

HEADER = "org_code;indicator_code;period;value;unit;notes"
FRENCH_ROWS = [
    "ASS-CAS-001;R01;2024-Q1;1250;personnes;Bénéficiaires directs – Casablanca",
    "ASS-CAS-001;E03;2024-Q1;87,5;%;ÉTÉ À L'ÉCOLE : « Ça va », cœur, Ôté, Îles",
    "ASS-RBT-014;S02;2024;1234567,89;MAD;Budget exécuté, Noël, façade",
]
ARABIC_ROWS = [
    "ASS-OUJ-030;P04;2024;56;أشخاص;جمعية شباب وجدة",
    "FON-FES-007;J02;2024-Q3;42,3;%;نسبة التشغيل بعد التكوين",
]


def text_file(rows: list[str], newline: str = "\r\n") -> str:
    return newline.join([HEADER, *rows]) + newline


def codes(table: RawTable) -> list[str]:
    return table.issues["code"].to_list()


def column(table: RawTable, position: int) -> list[str]:
    return table.frame[f"c{position}"].to_list()


# -- encodings -------------------------------------------------------------------------------
def test_utf8_without_bom_is_read_as_is() -> None:
    table = read_table(text_file(FRENCH_ROWS + ARABIC_ROWS).encode("utf-8"), "f.csv")
    assert (table.encoding, table.delimiter, table.file_format) == ("utf-8", ";", "csv")
    assert column(table, 5)[0] == "Bénéficiaires directs – Casablanca"
    assert column(table, 5)[-1] == "نسبة التشغيل بعد التكوين"
    assert table.issues.is_empty()


def test_utf8_bom_is_removed_from_the_first_header() -> None:
    table = read_table(b"\xef\xbb\xbf" + text_file(FRENCH_ROWS).encode("utf-8"), "f.csv")
    assert table.encoding == "utf-8-sig"
    assert table.headers[0] == "org_code"
    assert table.frame.height == 3


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_excel_unicode_text(codec: str) -> None:
    text = text_file(FRENCH_ROWS + ARABIC_ROWS).replace(";", "\t")
    bom = "\ufeff".encode(codec)
    table = read_table(bom + text.encode(codec), "export.txt")
    assert (table.encoding, table.delimiter, table.file_format) == ("utf-16", "\t", "txt")
    assert column(table, 5)[-1] == "نسبة التشغيل بعد التكوين"
    assert table.issues.is_empty()


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_told_by_its_nul_bytes(codec: str) -> None:
    text = text_file(ARABIC_ROWS + FRENCH_ROWS).replace(";", "\t")
    table = read_table(text.encode(codec), "export.csv")
    assert table.encoding == codec
    assert column(table, 5)[0] == "جمعية شباب وجدة"
    assert table.frame.height == 5


def test_french_only_cp1252_file_stays_cp1252() -> None:
    data = text_file(FRENCH_ROWS).encode("cp1252")
    table = read_table(data, "f.csv")
    assert table.encoding == "cp1252"
    assert column(table, 5)[1] == "ÉTÉ À L'ÉCOLE : « Ça va », cœur, Ôté, Îles"
    assert table.issues.is_empty()


def test_cp1256_arabic_excel_file_is_told_apart_from_cp1252() -> None:
    data = text_file(ARABIC_ROWS).encode("cp1256")
    data.decode("cp1252")  # every byte is also valid cp1252: only the evidence can decide
    table = read_table(data, "f.csv")
    assert table.encoding == "cp1256"
    assert column(table, 4)[0] == "أشخاص"
    assert column(table, 5) == ["جمعية شباب وجدة", "نسبة التشغيل بعد التكوين"]


def test_mixed_french_and_arabic_cp1256_keeps_both_scripts() -> None:
    rows = ["ASS-CAS-001;R01;2024-Q1;1250;personnes;Bénéficiaires – الدار البيضاء, l'équipe à Aïn"]
    table = read_table(text_file(rows).encode("cp1256"), "f.csv")
    assert table.encoding == "cp1256"
    assert column(table, 5) == ["Bénéficiaires – الدار البيضاء, l'équipe à Aïn"]


def test_byte_undefined_in_cp1252_means_cp1256() -> None:
    data = "پ".encode("cp1256")  # 0x81
    assert data == b"\x81"
    assert single_byte_encoding(b"abc " + data + b" def") == "cp1256"


def test_encoding_evidence_counts_words_not_single_bytes() -> None:
    # Decoded as cp1256, "ÉTÉ" is "ةTة": single Arabic letters glued to Latin ones → French.
    assert single_byte_encoding("ÉTÉ, DÉPÔT, Ça".encode("cp1252")) == "cp1252"
    assert single_byte_encoding("مرحبا بكم".encode("cp1256")) == "cp1256"


def test_non_utf8_bytes_after_a_long_ascii_head_are_not_mojibake() -> None:
    filler = [f"ASS-CAS-001;R01;2024-Q1;{i};personnes;ok" for i in range(3000)]  # > 64 KiB of ASCII
    data = text_file([*filler, *ARABIC_ROWS]).encode("cp1256")
    assert detect_encoding(data, verify_utf8=False) == "utf-8"  # what the head alone says
    table = read_table(data, "f.csv")
    assert table.encoding == "cp1256"
    assert column(table, 5)[-1] == "نسبة التشغيل بعد التكوين"
    assert table.frame.height == 3002


def test_nul_bytes_inside_text_are_undecodable() -> None:
    data = text_file(FRENCH_ROWS * 200).encode("utf-8") + b"ASS;R01;2024;1;x;\x00\x00junk\r\n"
    assert codes(read_table(data, "f.csv")) == ["undecodable_text"]


def test_utf8_bom_with_broken_bytes_is_undecodable() -> None:
    data = b"\xef\xbb\xbf" + text_file(FRENCH_ROWS).encode("cp1252")
    table = read_table(data, "f.csv")
    assert codes(table) == ["undecodable_text"]
    assert table.frame.is_empty()


# -- what the file is ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "name"),
    [
        (bytes(range(256)) * 8, "data.bin"),
        (bytes(range(1, 256)) * 8, "data.csv"),  # no NUL, but control bytes everywhere
        (b"org_code,notes\r\n" + bytes(range(1, 32)) * 2, "f.csv"),
    ],
)
def test_binary_files_are_refused_in_the_readers_language(data: bytes, name: str) -> None:
    from ingest.issues import render_report

    table = read_table(data, name)
    assert codes(table) == ["binary_file"] and table.frame.is_empty()
    assert "binary" not in render_report(table.issues, "fr")["message"][0]


@pytest.mark.parametrize(
    ("data", "name", "value"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old.xls", "XLS"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "report.pdf", "PDF"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "photo.csv", "PNG (.csv)"),
        (b"<html><body><table><tr><td>org_code</td></tr></table></body></html>", "export.xls", "HTML (.xls)"),
    ],
)
def test_files_that_are_not_tables_are_refused_with_what_they_look_like(
    data: bytes, name: str, value: str
) -> None:
    table = read_table(data, name)
    assert codes(table) == ["unsupported_format"]
    assert table.issues["value"][0] == value
    assert table.frame.width == 1 and table.frame.is_empty()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("codec", ["cp1252", "utf-8"])
def test_a_few_control_characters_pasted_into_notes_are_still_text(codec: str) -> None:
    rows = [
        "ASS-CAS-001;R01;2024-Q1;1250;personnes;Copié depuis l'outil \x1b[1mgras\x1b[0m",
        "ASS-CAS-001;R03;2024-Q1;64;personnes;Alerte\x07 – saut\x0bde ligne\x0cpage",
    ]
    table = read_table(text_file(rows).encode(codec), "export.csv")
    assert (table.encoding, table.delimiter) == (codec, ";")
    assert column(table, 5) == [  # kept as they are: the dashboard escapes what it shows
        "Copié depuis l'outil \x1b[1mgras\x1b[0m",
        "Alerte\x07 – saut\x0bde ligne\x0cpage",
    ]
    assert table.issues.is_empty()


def test_zip_that_is_not_a_workbook_is_refused() -> None:
    assert read_table(zip_bytes({"a.csv": b"x,y\n1,2\n"}), "bundle.zip").issues["value"][0] == "ZIP"
    docx = zip_bytes({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<x/>"})
    assert read_table(docx, "note.docx").issues["value"][0] == "DOCX"


def test_damaged_zip_named_as_a_workbook_is_a_damaged_workbook() -> None:
    data = zip_bytes({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"})
    table = read_table(data[: len(data) // 2], "book.xlsx")
    assert codes(table) == ["damaged_workbook"]
    assert table.file_format == "xlsx"


@pytest.mark.parametrize(
    "data", [b"", b"   \r\n\t\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n", "\ufeff\r\n ".encode("utf-16-le")]
)
def test_empty_or_blank_file_is_empty(data: bytes) -> None:
    assert codes(read_table(data, "f.csv")) == ["empty_file"]


def test_file_over_the_limit_is_refused_before_parsing() -> None:
    table = read_table(b"\x89PNG" + bytes(2000), "big.csv", max_bytes=1000)
    assert codes(table) == ["file_too_large"]
    assert table.issues.row(0, named=True)["value"] == "2 KB"


def test_sizes_are_human_readable() -> None:
    assert human_size(120 * 2**20) == "120 MB"
    assert human_size(100 * 2**20) == "100 MB"
    assert human_size(int(2.5 * 2**20)) == "2.5 MB"


# -- damaged text ----------------------------------------------------------------------------
def test_arabic_lost_as_question_marks_gives_one_warning_per_cell() -> None:
    rows = [
        "ASS-OUJ-030;P04;2024;56;personnes;ok",
        "ASS-OUJ-030;P04;2024;56;personnes;????? ???? – ????",
        "FON-FES-007;J02;2024-Q3;42,3;%;???? ??????? ??? ???????",
        "FON-FES-007;J02;2024-Q3;42,3;%;Vraiment?? Oui?",
    ]
    table = read_table(text_file(rows).encode("cp1252"), "f.csv")
    issue = table.issues.row(0, named=True)
    assert table.issues.select("code", "line", "column", "expected").rows() == [
        ("text_question_marks", 3, "notes", "2"),
        ("text_question_marks", 4, "notes", "2"),
    ]
    assert issue["value"] == "????? ???? – ????"
    assert issue["severity"] == "warning"


def test_double_encoded_utf8_gives_a_mojibake_warning_per_cell_with_the_count() -> None:
    rows = [
        "ASS-CAS-001;R01;2024-Q1;1250;personnes;" + "Bénéficiaires – Casablanca".encode().decode("cp1252"),
        "ASS-CAS-001;R01;2024-Q1;1250;personnes;propre",
        "FON-FES-007;J02;2024-Q3;42,3;%;" + "نسبة التشغيل".encode().decode("cp1252", errors="replace"),
        "FON-FES-007;J02;2024-Q3;42,3;%;" + ("très long texte " * 10).encode().decode("cp1252"),
    ]
    table = read_table(text_file(rows).encode("utf-8"), "f.csv")
    issue = table.issues.row(0, named=True)
    assert table.issues.select("code", "line", "column", "expected").rows() == [
        ("text_mojibake", 2, "notes", "3"),
        ("text_mojibake", 4, "notes", "3"),
        ("text_mojibake", 5, "notes", "3"),
    ]
    assert issue["value"] == "BÃ©nÃ©ficiaires â€“ Casablanca"
    long_value = table.issues.filter(pl.col("line") == 5)["value"][0]
    assert len(long_value) == 60 and long_value.endswith("…")


def test_damaged_text_warnings_are_capped_per_column() -> None:
    damaged = "Bénéficiaires".encode().decode("cp1252")
    rows = [f"ASS-CAS-001;R01;2024-Q1;{i};personnes;{damaged} {i}" for i in range(MAX_TEXT_WARNINGS + 15)]
    table = read_table(text_file(rows).encode("utf-8"), "f.csv")
    assert table.issues.height == MAX_TEXT_WARNINGS
    assert table.issues["line"].to_list() == list(range(2, 2 + MAX_TEXT_WARNINGS))
    assert set(table.issues["expected"]) == {str(MAX_TEXT_WARNINGS + 15)}


# Text that went through Arabic Windows (cp1256): UTF-8 bytes shown as cp1256 characters.
ARABIC_NOTES = ["مستفيدون من برنامج التكوين", "نسبة التشغيل بعد التكوين: 42%، أي «جيد»؟", "الفئة «أ» فقط…"]
FRENCH_NOTE = "Bénéficiaires directs – Casablanca"


def through_cp1256(text: str) -> str:
    return text.encode("utf-8").decode("cp1256")


def test_utf8_file_saved_again_by_arabic_excel_gives_a_mojibake_warning_per_cell() -> None:
    assert through_cp1256("مستفيدون") == "ظ…ط³طھظپظٹط¯ظˆظ†"
    assert through_cp1256("Bénéficiaires") == "Bأ©nأ©ficiaires"
    notes = [FRENCH_NOTE, *ARABIC_NOTES, "Taux de promotion"]
    rows = [f"ASS-CAS-001;R01;2024-Q1;{i};personnes;{through_cp1256(n)}" for i, n in enumerate(notes)]
    data = b"\xef\xbb\xbf" + text_file(rows).encode("utf-8")  # "CSV UTF-8" from Arabic Excel
    table = read_table(data, "f.csv")
    assert table.encoding == "utf-8-sig"
    assert table.issues.select("code", "line", "column", "expected").rows() == [
        ("text_mojibake", line, "notes", "4") for line in (2, 3, 4, 5)
    ]
    assert table.issues["value"][0] == "Bأ©nأ©ficiaires directs â€“ Casablanca"
    assert table.issues["value"][1] == "ظ…ط³طھظپظٹط¯ظˆظ† ظ…ظ† ط¨ط±ظ†ط§ظ…ط¬ ط§ظ„طھظƒظˆظٹظ†"


def test_utf8_rows_pasted_into_a_cp1256_file_are_flagged_and_the_arabic_ones_are_not() -> None:
    own = [f"FON-FES-007;J02;2024-Q3;{i};%;{note}" for i, note in enumerate(ARABIC_NOTES)]
    pasted = [f"ASS-CAS-001;R01;2024-Q1;{i};personnes;{note}" for i, note in enumerate(ARABIC_NOTES[:2])]
    data = text_file(own).encode("cp1256") + "\r\n".join(pasted).encode("utf-8") + b"\r\n"
    table = read_table(data, "f.csv")
    assert table.encoding == "cp1256"
    assert column(table, 5)[:3] == ARABIC_NOTES
    assert table.issues.select("code", "line", "expected").rows() == [
        ("text_mojibake", 5, "2"),
        ("text_mojibake", 6, "2"),
    ]


@pytest.mark.parametrize("codec", ["utf-8", "cp1256"])
def test_genuine_arabic_is_not_mistaken_for_cp1256_damage(codec: str) -> None:
    notes = [
        *ARABIC_NOTES,
        "الشرط؟ فقط… نعم، ربط؛ ضغط – خطّ",
        "ما هو الهدف؟ «تكوين» الشباب في الوسط القروي (الصنف أ)",
        "Classe أ, Zone «ب» : 123 مستفيدا",
        "قسط 2024 — المبلغ 2500 درهم",
    ]
    if codec == "utf-8":  # not in cp1256
        notes += ["قسط ٢٠٢٤ — المبلغ ٢٬٥٠٠ درهم، أي ٤٢٪", "العدد ۱۲۳ فقط"]
    rows = [f"ASS-OUJ-030;P04;2024;{i};أشخاص;{note}" for i, note in enumerate(notes)]
    table = read_table(text_file(rows).encode(codec), "f.csv")
    assert table.encoding == codec
    assert column(table, 5) == notes
    assert table.issues.is_empty()


def test_clean_french_and_arabic_text_gives_no_warning() -> None:
    rows = [
        "ASS-CAS-001;R01;2024-Q1;1250;personnes;Âge moyen : 34 ans, « très » bien, coût 3 € – voilà, naïve",
        "ASS-CAS-001;R01;2024-Q1;1250;personnes;Pourquoi ? Parce que ! Qu'en est-il ?",
        "ASS-OUJ-030;P04;2024;56;personnes;ما هو ؟ جمعية – ٢٠٢٤",
    ]
    assert read_table(text_file(rows).encode("utf-8"), "f.csv").issues.is_empty()


def test_mac_excel_csv_is_read_as_macroman() -> None:
    """Mac Excel's plain "CSV" is MacRoman: é è à ç ê are 0x8E 0x8F 0x88 0x8D 0x90 there."""
    text = ("org_code;indicator_code;period;value;unit;notes\r"
            "ASS-CAS-001;R01;2024-Q1;1250;unités;Bénéficiaires à Casablanca, accès très élevé\r"
            "ASS-CAS-001;R03;2024-Q1;64;unités;Reçu, vérifié — fenêtre close\r")
    table = read_table(text.encode("mac_roman"), "mac.csv")
    assert table.encoding == "mac_roman" and codes(table) == []
    assert table.frame["c5"].to_list() == ["Bénéficiaires à Casablanca, accès très élevé",
                                           "Reçu, vérifié — fenêtre close"]


@pytest.mark.parametrize("encoding", ["cp1252", "cp1256"])
def test_windows_files_with_curly_quotes_and_symbols_are_not_taken_for_macroman(encoding: str) -> None:
    text = ("org_code;indicator_code;period;value;unit;notes\r\n"
            "ASS-CAS-001;R01;2024;1250;personnes;l’association « Al Amal » – 3 ‰ ™ Marque™\r\n"
            "ASS-CAS-001;R03;2024;64;personnes;ملاحظة: المستفيدون\r\n" if encoding == "cp1256" else
            "org_code;indicator_code;period;value;unit;notes\r\n"
            "ASS-CAS-001;R01;2024;1250;personnes;l’association « Al Amal » – Marque™ élevée\r\n")
    table = read_table(text.encode(encoding), "win.csv")
    assert table.encoding == encoding and codes(table) == []
