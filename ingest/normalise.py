"""Text cells to typed values, vectorised: numbers as people write them, and reporting periods.

Numbers: Latin, Arabic-Indic (٠–٩) and extended Arabic-Indic (۰–۹) digits — one script per
number; decimal comma (also the Arabic comma ، U+060C, which the comma key of an Arabic keyboard
types) or point, or the Arabic decimal separator ٫; thousands grouped with a space, U+00A0,
U+202F, U+2009, the Arabic ٬, a point or a comma; a trailing % or ٪ (kept as a flag, so a percent
sign on a count is caught as a unit problem). A lone separator followed by exactly three digits
(``1,250``, ``1.250``) is ambiguous; it is read with the file's own evidence (other values whose
separator can only be decimal) and rejected when the file gives none or both, because a number
silently misread is worse than a rejected file. When those three digits end in 0 and the
separator is the file's decimal one (``12.500`` DH next to ``87.5`` %), the value is what thousands
grouped look like, not a decimal anyone writes: rejected too, unless the file writes its decimals
to three places (``0.500``).

Periods: ``2024`` (also ``2 024``, a year cell formatted with thousands grouped); quarters
``2024-Q1``, ``Q1 2024``, ``T1 2024``, ``T 1 2024``, ``2024-T1``, ``1T 2024``; semesters ``2024-S1``,
``S1 2024``, ``1S 2024`` (also ``H1``); after a quarter or semester a two-digit year is 20xx
(``Q1 24``, ``S1-24``), as in a month Excel shows ``mars-24`` — nowhere else; months ``2024-03``,
``03/2024``; in words, either order (``1er trimestre 2024``, ``2024 الربع الأول``, ``2021 سنة``);
in any digit script. They are parsed once per distinct text (a file holds few), then joined back.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from framework.periods import bounds_expr, canonical_label_expr
from framework.vocabulary import INVISIBLE_CHARACTERS
from ingest.collect import collect
from ingest.issues import IssueCode

ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
EXTENDED_ARABIC_INDIC = "۰۱۲۳۴۵۶۷۸۹"
_DIGIT_FROM = list(ARABIC_INDIC + EXTENDED_ARABIC_INDIC)
_DIGIT_TO = list("0123456789" * 2)
#: Marks Arabic Excel, RTL editors and copy-paste leave around numbers and periods (bidi marks,
#: zero-width spaces, stray BOMs): invisible, never meaningful; one list with framework.vocabulary.
_BIDI_MARKS = list(INVISIBLE_CHARACTERS)
_SPACES = "[ \u00a0\u202f\u2009]"

_AMBIGUOUS_DOT = r"^-?[1-9][0-9]{0,2}\.[0-9]{3}$"
#: A 1.250-like value: its point may group thousands (``ingest.batch_check`` leaves such files alone).
AMBIGUOUS_DOT = _AMBIGUOUS_DOT
_AMBIGUOUS_COMMA = r"^-?[1-9][0-9]{0,2},[0-9]{3}$"
_DOT_DECIMAL_EVIDENCE = r"^-?[0-9]+\.([0-9]{1,2}|[0-9]{4,})$|^-?0\.[0-9]+$|^-?[0-9]{4,}\.[0-9]+$|,[0-9]{3}\.[0-9]+$"
_COMMA_DECIMAL_EVIDENCE = r"^-?[0-9]+,([0-9]{1,2}|[0-9]{4,})$|^-?0,[0-9]+$|^-?[0-9]{4,},[0-9]+$|\.[0-9]{3},[0-9]+$|^-?[0-9]+D[0-9]+$"
#: The Arabic comma: what the comma key of an Arabic keyboard types, read as a comma in numbers.
_ARABIC_COMMA = "\u060c"


def translate_digits(expr: pl.Expr) -> pl.Expr:
    """Arabic-Indic and extended Arabic-Indic digits to ASCII."""
    return expr.str.replace_many(_DIGIT_FROM, _DIGIT_TO)


def digit_scripts(expr: pl.Expr) -> pl.Expr:
    """How many digit scripts a text uses (more than one is an error in a number)."""
    return (
        expr.str.contains("[0-9]").cast(pl.Int8)
        + expr.str.contains(f"[{ARABIC_INDIC}]").cast(pl.Int8)
        + expr.str.contains(f"[{EXTENDED_ARABIC_INDIC}]").cast(pl.Int8)
    )


#: Excel's (and LibreOffice's) error values in English and French, and a column too narrow (###).
EXCEL_ERROR = (
    r"(?i)^(#+|#N/?A|#DIV/0!|#VALUE!|#VALEUR!|#REF!|#NAME\?|#NOM\?|#NUM!|#NOMBRE!|#NULL!|#NUL!|#SPILL!"
    r"|#PROPAGATION!|#CALC!|#GETTING_DATA|#FIELD!|#CHAMP!|#BLOCKED!|#CONNECT!|#BUSY!|#UNKNOWN!|#INCONNU!"
    r"|Err:[0-9]{3})$"
)
#: A number in scientific notation, after digit translation: 1,23E+11, 1.5e-3.
_SCIENTIFIC = r"^-?[0-9]+([.,D][0-9]+)?[eE][+-]?[0-9]+$"


def parse_numbers(values: pl.Series) -> pl.DataFrame:
    """Parse a column of number texts.

    Returns ``number`` (Float64, null when not parsed), ``percent`` (a % sign was written),
    ``duration`` (written ``h:mm`` or ``h:mm:ss``, as Excel writes a ``[h]:mm`` cell in a CSV:
    ``3420:45`` is 3420.75 hours; the caller checks that the indicator counts hours) and
    ``problem`` (null, ``not_a_number``, ``excel_error``, ``scientific_notation``, ``mixed_digits``
    or ``ambiguous_number``). Empty cells
    give a null number and no problem (emptiness is checked elsewhere).
    """
    plain = plain_numbers(values)
    return plain if plain is not None else _parse_numbers_general(pl.DataFrame({"raw": values.cast(pl.String)}))


def plain_numbers(values: pl.Series) -> pl.DataFrame | None:
    """``parse_numbers`` for the common machine-written file, where every value is written with
    ASCII digits and a point decimal or none (and so is no yes/no word either); None otherwise."""
    frame = pl.DataFrame({"raw": values.cast(pl.String)})
    raw = pl.col("raw")
    # Cheap checks only, side by side: the cast, one character-class scan, and where the point
    # stands (a value without a point is never ambiguous). Empty cells cast to null, as they must.
    # One query: the answers about the whole column ride along as two constant columns.
    number = pl.col("number")
    typed = frame.lazy().with_columns(
        number=raw.cast(pl.Float64, strict=False), odd=raw.str.contains(r"[^0-9.\-]")
    ).with_columns(
        all_plain=((number.is_not_null() & ~pl.col("odd")) | raw.is_null() | (raw.str.len_bytes() == 0)).all(),
        # A point is ambiguous only in 1.250-like values; if there are any, the file must also
        # have values whose point can only be decimal.
        ambiguous=raw.str.contains(_AMBIGUOUS_DOT).any(),
    ).pipe(collect)
    # (two scalars read as such: ``row`` would convert every column of the row)
    all_plain = not typed.height or typed.get_column("all_plain")[0]
    ambiguous = typed.height and typed.get_column("ambiguous")[0]
    if all_plain and (not ambiguous or _dot_evidence_reads_every_ambiguous_value(typed)):
        return typed.select(number, percent=pl.lit(False), duration=pl.lit(False), problem=pl.lit(None, pl.String))
    return None


def _dot_evidence_reads_every_ambiguous_value(typed: pl.DataFrame) -> bool:
    """Whether the file's evidence reads all of its 1.250-like values (plain path): it has values
    whose point can only be decimal, and none of its 1.250-like values looks like thousands
    grouped (``12.500``, see ``_parse_numbers_general``) unless it writes its decimals to three places."""
    raw = pl.col("raw")
    ambiguous = raw.str.contains(_AMBIGUOUS_DOT)
    evidence = raw.str.contains(_DOT_DECIMAL_EVIDENCE)
    found = typed.select(
        evidence=evidence.any(),
        grouping_like=(ambiguous & raw.str.ends_with("0")).any(),
        padded=(evidence & _padded(raw, ".")).any(),
    ).row(0, named=True)
    return found["evidence"] and (not found["grouping_like"] or found["padded"])


def _padded(text: pl.Expr, separator: str) -> pl.Expr:
    """A value written with three decimals, the last a 0 (``0.500``): the file pads its decimals
    (meaningful on values whose separator is known to be the decimal one)."""
    return text.str.ends_with("0") & (text.str.slice(-4, 1) == separator)


def _parse_numbers_general(frame: pl.DataFrame) -> pl.DataFrame:
    text = pl.col("raw").str.replace_many(_BIDI_MARKS, [""] * len(_BIDI_MARKS)).str.strip_chars()
    staged = frame.with_columns(text=text).with_columns(
        present=pl.col("text").is_not_null() & (pl.col("text") != ""),
        scripts=digit_scripts(pl.col("text")),
        percent=pl.col("text").str.contains(f"{_SPACES}*[%٪]$"),
    )
    t = translate_digits(pl.col("text"))
    t = t.str.replace(f"{_SPACES}*[%٪]$", "").str.replace("^[+]", "").str.replace("^[−–]", "-")
    # ٫ is always the decimal separator, ٬ always grouping: mark them unambiguously.
    t = t.str.replace_all("٫", "D").str.replace_all("٬", "G").str.replace_all(_ARABIC_COMMA, ",", literal=True)
    staged = staged.with_columns(t=t)
    grouped_by_space = pl.col("t").str.contains(r"^-?[0-9]{1,3}(" + _SPACES + r"[0-9]{3})+([.,D][0-9]+)?$")
    has_space = pl.col("t").str.contains(_SPACES)
    staged = staged.with_columns(
        t=pl.when(has_space & grouped_by_space).then(pl.col("t").str.replace_all(_SPACES, "G")).otherwise(pl.col("t"))
    )
    comma_evidence = pl.col("t").str.contains(_COMMA_DECIMAL_EVIDENCE)
    dot_evidence = pl.col("t").str.contains(_DOT_DECIMAL_EVIDENCE)
    evidence = staged.select(
        comma=comma_evidence.sum(),
        dot=dot_evidence.sum(),
        comma_padded=(comma_evidence & _padded(pl.col("t"), ",")).any(),
        dot_padded=(dot_evidence & _padded(pl.col("t"), ".")).any(),
    ).row(0, named=True)
    comma_file = evidence["comma"] > 0 and evidence["dot"] == 0
    dot_file = evidence["dot"] > 0 and evidence["comma"] == 0

    last_comma = pl.col("t").str.len_chars() - 1 - pl.col("t").str.reverse().str.find(",", literal=True)
    last_dot = pl.col("t").str.len_chars() - 1 - pl.col("t").str.reverse().str.find(".", literal=True)
    n_comma = pl.col("t").str.count_matches(",", literal=True)
    n_dot = pl.col("t").str.count_matches(".", literal=True)
    ambiguous_comma = pl.col("t").str.contains(_AMBIGUOUS_COMMA)
    ambiguous_dot = pl.col("t").str.contains(_AMBIGUOUS_DOT)
    # The file's decimal separator before three digits ending in 0 (12.500 next to 87.5, 1,250
    # next to 87,5) is what thousands grouped look like, and a decimal is rarely written so: such
    # a value is ambiguous even in that file, unless the file writes its decimals to three places.
    on_comma = pl.lit("," if comma_file else ("" if dot_file else "?"))
    if comma_file and not evidence["comma_padded"]:
        on_comma = pl.when(pl.col("t").str.ends_with("0")).then(pl.lit("?")).otherwise(on_comma)
    on_dot = pl.lit("." if not comma_file else "")
    if dot_file and not evidence["dot_padded"]:
        on_dot = pl.when(pl.col("t").str.ends_with("0")).then(pl.lit("?")).otherwise(on_dot)
    decimal = (
        pl.when(pl.col("t").str.contains("D", literal=True)).then(pl.lit("D"))
        .when((n_comma > 0) & (n_dot > 0)).then(pl.when(last_comma > last_dot).then(pl.lit(",")).otherwise(pl.lit(".")))
        .when((n_comma == 1) & (n_dot == 0) & ambiguous_comma).then(on_comma)
        .when((n_dot == 1) & (n_comma == 0) & ambiguous_dot).then(on_dot)
        .when((n_comma == 1) & (n_dot == 0)).then(pl.lit(","))
        .when((n_dot == 1) & (n_comma == 0)).then(pl.lit("."))
        .otherwise(pl.lit(""))
    )
    if not dot_file and not comma_file:
        # No evidence either way: a lone dot followed by three digits is as ambiguous as a comma.
        decimal = pl.when((n_dot == 1) & (n_comma == 0) & ambiguous_dot).then(pl.lit("?")).otherwise(decimal)
    staged = staged.with_columns(decimal=decimal)
    # Split integer and fraction parts on the decimal separator, then check the grouping.
    dec = pl.col("decimal")
    int_part = (
        pl.when(dec == "").then(pl.col("t"))
        .when(dec == "?").then(pl.lit(None, pl.String))
        .otherwise(pl.col("t").str.head(_last_index(pl.col("t"), dec)))
    )
    frac_part = (
        pl.when(dec.is_in(["", "?"])).then(pl.lit(""))
        .otherwise(pl.col("t").str.slice(_last_index(pl.col("t"), dec) + 1))
    )
    staged = staged.with_columns(int_part=int_part, frac_part=frac_part).with_columns(
        # ",5" or ".5" (a fraction without its 0), as the cast of the plain path reads it too
        int_part=pl.when(pl.col("int_part").is_in(["", "-"]) & (pl.col("frac_part") != ""))
        .then(pl.col("int_part") + "0").otherwise(pl.col("int_part"))
    )
    return _number_of_parts(staged)


def _number_of_parts(staged: pl.DataFrame) -> pl.DataFrame:
    """From the integer and fraction parts: the number, or the problem that keeps it unread; and
    a clock time (3420:45) read as a duration in hours."""
    grouping_ok = pl.col("int_part").str.contains(r"^-?[0-9]+$") | pl.col("int_part").str.contains(
        r"^-?[0-9]{1,3}(G[0-9]{3})+$|^-?[0-9]{1,3}(,[0-9]{3})+$|^-?[0-9]{1,3}(\.[0-9]{3})+$"
    )
    frac_ok = pl.col("frac_part").str.contains(r"^[0-9]*$")
    canonical = (
        pl.col("int_part").str.replace_all(r"[G,.]", "")
        + pl.when(pl.col("frac_part") != "").then(pl.lit(".") + pl.col("frac_part")).otherwise(pl.lit(""))
    )
    number = pl.when(pl.col("present") & grouping_ok & frac_ok & (pl.col("scripts") <= 1)).then(
        canonical.cast(pl.Float64, strict=False)
    )
    staged = staged.with_columns(number=number)
    problem = (
        pl.when(~pl.col("present")).then(pl.lit(None, pl.String))
        .when(pl.col("scripts") > 1).then(pl.lit(IssueCode.MIXED_DIGITS.value))
        .when(pl.col("decimal") == "?").then(pl.lit(IssueCode.AMBIGUOUS_NUMBER.value))
        .when(pl.col("number").is_null() | pl.col("number").is_nan() | pl.col("number").is_infinite())
        .then(
            # Two kinds of non-numbers deserve their own hint: what Excel shows instead of a value
            # (an error of a formula, or ### in a column too narrow), and a number Excel wrote in
            # scientific notation, which rounds it (1,23457E+11): neither can be read back exactly.
            pl.when(pl.col("text").str.contains(EXCEL_ERROR)).then(pl.lit(IssueCode.EXCEL_ERROR.value))
            .when(pl.col("t").str.contains(_SCIENTIFIC)).then(pl.lit(IssueCode.SCIENTIFIC_NOTATION.value))
            .otherwise(pl.lit(IssueCode.NOT_A_NUMBER.value))
        )
    )
    clock = pl.col("t").str.extract_groups(r"^([0-9]+):([0-5][0-9])(?::([0-5][0-9]))?$")
    hours = (
        clock.struct.field("1").cast(pl.Float64)
        + clock.struct.field("2").cast(pl.Float64) / 60
        + clock.struct.field("3").cast(pl.Float64).fill_null(0) / 3600
    )
    duration = pl.col("present") & (pl.col("scripts") <= 1) & clock.struct.field("1").is_not_null()
    return staged.select(
        number=pl.when(duration).then(hours.round(6)).when(problem.is_null()).then(pl.col("number")),
        percent=pl.col("percent").fill_null(False),
        duration=duration.fill_null(False),
        problem=pl.when(duration).then(pl.lit(None, pl.String)).otherwise(problem),
    )


def _last_index(text: pl.Expr, char: pl.Expr) -> pl.Expr:
    """Index of the last occurrence of a one-character separator (per row)."""
    position = (
        pl.when(char == "D").then(text.str.reverse().str.find("D", literal=True))
        .when(char == ",").then(text.str.reverse().str.find(",", literal=True))
        .otherwise(text.str.reverse().str.find(".", literal=True))
    )
    return text.str.len_chars() - 1 - position


# -- periods ---------------------------------------------------------------------------------
#: Between a quarter or semester and a two-digit year (``Q1 24``, ``S1-24``): a separator is required
#: (``Q124`` says nothing clear).
_YY_SEPARATOR = r"(?:\s*[-/]\s*|\s+)"
_PERIOD_PATTERNS: list[tuple[str, str, str, str]] = [
    # (regex on the upper-cased ASCII text, granularity, year group, sub-period group)
    (r"^([0-9]{4})$", "year", "${1}", ""),
    (r"^([0-9]{4})\s*[-/ ]?\s*[QT]\s*([1-4])$", "quarter", "${1}", "${2}"),
    (r"^[QT]\s*([1-4])\s*[-/ ]?\s*([0-9]{4})$", "quarter", "${2}", "${1}"),
    (r"^([1-4])\s*[QT]\s*[-/ ]?\s*([0-9]{4})$", "quarter", "${2}", "${1}"),  # 1T 2024
    (r"^([0-9]{4})\s*[-/ ]?\s*[SH]\s*([12])$", "semester", "${1}", "${2}"),
    (r"^[SH]\s*([12])\s*[-/ ]?\s*([0-9]{4})$", "semester", "${2}", "${1}"),
    (r"^([12])\s*[SH]\s*[-/ ]?\s*([0-9]{4})$", "semester", "${2}", "${1}"),  # 1S 2024
    # A two-digit year after a quarter or semester is 20xx, as in a month Excel shows ``mars-24``;
    # only there (a bare ``24``, or ``03/24``, could be anything).
    (rf"^[QT]\s*([1-4]){_YY_SEPARATOR}([0-9]{{2}})$", "quarter", "20${2}", "${1}"),
    (rf"^([1-4])\s*[QT]{_YY_SEPARATOR}([0-9]{{2}})$", "quarter", "20${2}", "${1}"),
    (rf"^[SH]\s*([12]){_YY_SEPARATOR}([0-9]{{2}})$", "semester", "20${2}", "${1}"),
    (rf"^([12])\s*[SH]{_YY_SEPARATOR}([0-9]{{2}})$", "semester", "20${2}", "${1}"),
    (r"^([0-9]{4})\s*[-/.]\s*([0-9]{1,2})$", "month", "${1}", "${2}"),
    (r"^([0-9]{1,2})\s*[-/.]\s*([0-9]{4})$", "month", "${2}", "${1}"),
]
#: Month names as French, English and Moroccan Arabic Excel write them (folded: no accents, upper case).
def _fold_month(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).upper()


_MONTH_NAMES: dict[str, int] = {
    _fold_month(name): number
    for number, names in enumerate(
        [
            ("JANVIER", "JANV", "JAN", "JANUARY", "يناير"),
            ("FEVRIER", "FEVR", "FEV", "FEB", "FEBRUARY", "فبراير"),
            ("MARS", "MAR", "MARCH", "مارس"),
            ("AVRIL", "AVR", "APR", "APRIL", "أبريل", "ابريل"),
            ("MAI", "MAY", "ماي", "مايو"),
            ("JUIN", "JUN", "JUNE", "يونيو", "يونيه"),
            ("JUILLET", "JUIL", "JUL", "JULY", "يوليوز", "يوليو"),
            ("AOUT", "AUG", "AUGUST", "غشت", "أغسطس"),
            ("SEPTEMBRE", "SEPT", "SEP", "SEPTEMBER", "شتنبر", "سبتمبر"),
            ("OCTOBRE", "OCT", "OCTOBER", "أكتوبر", "اكتوبر"),
            ("NOVEMBRE", "NOV", "NOVEMBER", "نونبر", "نوفمبر"),
            ("DECEMBRE", "DEC", "DECEMBER", "دجنبر", "ديسمبر"),
        ],
        start=1,
    )
    for name in names
}
_NAMED_MONTH = re.compile(r"^([^\W\d_]+)\.?[\s\-/]*(\d{2}|\d{4})$")
_FIRST_OF_MONTH = re.compile(r"^0?1[/.\-](\d{1,2})[/.\-](\d{4})$|^(?P<year>\d{4})-(?P<month>\d{1,2})-0?1$")

# Periods written in words, as people type them in a hand-made sheet (folded: no accents or hamza,
# upper case): "1er trimestre 2024", "deuxième semestre 2024", "Q1 of 2024", "الربع الأول 2024",
# "الأسدس الثاني من سنة 2024", "Exercice 2024".
_ORDINALS: dict[str, int] = {
    **dict.fromkeys(("1", "1ER", "1ERE", "1RE", "1E", "1EME", "PREMIER", "PREMIERE", "1ST", "FIRST"), 1),
    **dict.fromkeys(("2", "2E", "2EME", "2ND", "2NDE", "DEUXIEME", "SECOND", "SECONDE"), 2),
    **dict.fromkeys(("3", "3E", "3EME", "TROISIEME", "3RD", "THIRD"), 3),
    **dict.fromkeys(("4", "4E", "4EME", "QUATRIEME", "4TH", "FOURTH"), 4),
    **dict.fromkeys(("الاول", "اول", "الاولى", "اولى"), 1),
    **dict.fromkeys(("الثاني", "ثاني", "الثانية", "ثانية"), 2),
    **dict.fromkeys(("الثالث", "ثالث", "الثالثة", "ثالثة"), 3),
    **dict.fromkeys(("الرابع", "رابع", "الرابعة", "رابعة"), 4),
}
_PART_WORDS: dict[str, str] = {
    **dict.fromkeys(("TRIMESTRE", "TRIM", "QUARTER", "QTR", "الربع", "ربع", "الفصل", "فصل", "الثلاثي", "ثلاثي"), "Q"),
    **dict.fromkeys(("SEMESTRE", "SEM", "HALF", "الاسدس", "اسدس", "السداسي", "سداسي", "النصف", "نصف"), "S"),
}
_YEAR_WORDS = ("ANNEE", "EXERCICE", "YEAR", "سنة", "السنة", "عام", "العام")
_FILLER = r"(?:\s*[-/,]\s*|\s+(?:DE\s+L['’]?\s*ANNEE|DE|D['’]|OF|من\s+سنة|من\s+عام|من|لسنة|سنة|عام)\s*|\s+)"
_WORD = r"([^\W_]+)\.?"
_ORDINAL_FIRST = re.compile(rf"^{_WORD}\s+{_WORD}{_FILLER}(\d{{4}})$")  # 1er trimestre 2024, الربع الأول 2024
_YEAR_WORD = re.compile(rf"^(?:{'|'.join(_YEAR_WORDS)})\s*:?\s*(\d{{4}})$")
# The year first, as typed in a right-to-left cell or a sorted sheet: "2024 الربع الأول", "2024 1er
# trimestre", "2021 سنة".
_YEAR_FIRST_WORDS = re.compile(rf"^(\d{{4}})\s*[-/,:]?\s*{_WORD}\s+{_WORD}$")
_YEAR_THEN_WORD = re.compile(rf"^(\d{{4}})\s*[-/,:]?\s*(?:{'|'.join(_YEAR_WORDS)})$")


def _worded_period(folded: str) -> str | None:
    """A quarter, semester or year written in words (French, English or Arabic) → its short form
    (``2024-Q1``, ``2024-S2``, ``2024``); else None. A number past the year's parts stays invalid."""
    if match := _YEAR_WORD.match(folded) or _YEAR_THEN_WORD.match(folded):
        return match.group(1)
    if match := _ORDINAL_FIRST.match(folded):
        first, second, year = match.groups()
    elif match := _YEAR_FIRST_WORDS.match(folded):
        year, first, second = match.groups()
    else:
        return None
    # "1er trimestre", "trimestre 1", "الربع الأول": the ordinal and the part, in either order.
    part, ordinal = _PART_WORDS.get(second), _ORDINALS.get(first)
    if part is None or ordinal is None:
        part, ordinal = _PART_WORDS.get(first), _ORDINALS.get(second)
    if part is None or ordinal is None or ordinal > (4 if part == "Q" else 2):
        return None
    return f"{year}-{part}{ordinal}"


def _excel_month(text: str) -> str | None:
    """``mars-24``, ``Mars 2024``, ``مارس 2024`` (a month Excel displayed by name), ``01/03/2024``
    or ``2024-03-01`` (a month Excel turned into its first day) → ``2024-03``; a period in words
    (``_worded_period``) → its short form; else None."""
    folded = _fold_month(text)
    if match := _FIRST_OF_MONTH.match(folded):
        if match.group("year"):
            return f"{match.group('year')}-{int(match.group('month')):02d}"
        return f"{match.group(2)}-{int(match.group(1)):02d}"
    if (match := _NAMED_MONTH.match(folded)) and (month := _MONTH_NAMES.get(match.group(1))):
        year = match.group(2)
        return f"{'20' + year if len(year) == 2 else year}-{month:02d}"
    return _worded_period(" ".join(folded.split()))


#: Each period text as parsed (the parse depends on nothing else): a command loading thousands of
#: files reads the same few period texts in each, and parsing them is a few dozen expressions.
_PARSED_PERIODS: dict[tuple[str | None, int], tuple] = {}
_PARSED_PERIODS_KEPT = 4096
_PERIOD_SCHEMA = {"text": pl.String, "period": pl.String, "granularity": pl.String, "period_start": pl.Date,
                  "period_end": pl.Date}


def parse_periods(texts: pl.Series, *, min_year: int = 1900) -> pl.DataFrame:
    """Parse distinct period texts.

    Returns one row per distinct input text: ``text``, ``period`` (canonical label), ``granularity``,
    ``period_start``, ``period_end`` — nulls when the text is not a valid period. Texts seen before
    in this process are not parsed again.
    """
    distinct = texts.cast(pl.String).unique().to_list()
    found = {text: row for text in distinct if (row := _PARSED_PERIODS.get((text, min_year))) is not None}
    if missing := [text for text in distinct if text not in found]:
        fresh = _parse_periods(pl.Series(missing, dtype=pl.String), min_year)
        if len(_PARSED_PERIODS) + fresh.height > _PARSED_PERIODS_KEPT:
            _PARSED_PERIODS.clear()
        for row in fresh.iter_rows():
            found[row[0]] = _PARSED_PERIODS[(row[0], min_year)] = row
    return pl.DataFrame([found[text] for text in distinct], schema=_PERIOD_SCHEMA, orient="row")


def _parse_periods(texts: pl.Series, min_year: int) -> pl.DataFrame:
    """:func:`parse_periods` without its memory."""
    distinct = pl.DataFrame({"text": texts.cast(pl.String)}).unique()
    clean = translate_digits(
        pl.col("text").str.replace_many(_BIDI_MARKS, [""] * len(_BIDI_MARKS)).str.strip_chars()
    ).str.to_uppercase()
    # A year cell formatted as a number with thousands grouped (French Excel shows 2024 as "2 024").
    clean = pl.when(clean.str.contains(f"^[0-9]{_SPACES}[0-9]{{3}}$")).then(
        clean.str.replace(_SPACES, "")
    ).otherwise(clean)
    frame = distinct.with_columns(clean=clean)
    # What Excel makes of a month (few distinct texts: plain Python per distinct value).
    excel_months = {text: _excel_month(text) for text in frame["clean"].drop_nulls().to_list()}
    frame = frame.with_columns(
        clean=pl.col("clean").replace_strict(
            {k: v for k, v in excel_months.items() if v}, default=pl.col("clean"), return_dtype=pl.String
        )
    )
    granularity = pl.lit(None, pl.String)
    year = pl.lit(None, pl.String)
    sub = pl.lit(None, pl.String)
    for pattern, gran, year_group, sub_group in reversed(_PERIOD_PATTERNS):
        hit = pl.col("clean").str.contains(pattern)
        granularity = pl.when(hit).then(pl.lit(gran)).otherwise(granularity)
        year = pl.when(hit).then(pl.col("clean").str.replace(pattern, year_group)).otherwise(year)
        sub = pl.when(hit).then(pl.col("clean").str.replace(pattern, sub_group) if sub_group else pl.lit("1")).otherwise(sub)
    frame = frame.with_columns(
        granularity=granularity,
        year=year.cast(pl.Int32, strict=False),
        sub=sub.cast(pl.Int32, strict=False),
    )
    valid = (
        pl.col("granularity").is_not_null()
        & (pl.col("year") >= min_year)
        & (pl.col("year") <= 2999)
        & ((pl.col("granularity") != "month") | pl.col("sub").is_between(1, 12))
    )
    frame = frame.with_columns(
        granularity=pl.when(valid).then(pl.col("granularity")),
    )
    known = pl.col("granularity").is_not_null()
    start, end = bounds_expr(pl.col("granularity"), pl.col("year"), pl.col("sub"))
    label = canonical_label_expr(pl.col("granularity"), pl.col("year"), pl.col("sub"))
    return frame.select(
        "text",
        period=pl.when(known).then(label),
        granularity="granularity",
        period_start=pl.when(known).then(start),
        period_end=pl.when(known).then(end),
    )


# -- damaged text ----------------------------------------------------------------------------
def undo_double_encoding(text: str | None) -> str | None:
    """UTF-8 text that was read as Windows-1252 and saved again, back to what was typed."""
    if text is None:
        return None
    try:
        return text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
