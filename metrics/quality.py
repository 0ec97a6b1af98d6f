"""Data quality beside every score: completeness, timeliness, consistency, evidence (methodology §6).

Measured per organisation × period × principle (over the indicators feeding the principle) and
for the composite (over all of them), then graded A (best) to D with the framework's thresholds
(``[framework.quality]``; defaults below):

============  =====================================================  =====  =====  =====
dimension     measure                                                A      B      C
============  =====================================================  =====  =====  =====
completeness  share of expected indicators reported                  ≥ .90  ≥ .75  ≥ .50
timeliness    median days from period end to submission upload       ≤ 90   ≤ 180  ≤ 365
consistency   share of values with robust |z| > 3.5 (own history)    0      ≤ .10  ≤ .25
evidence      share of submitted values citing a source              ≥ .90  ≥ .60  ≥ .30
============  =====================================================  =====  =====  =====

Completeness counts the indicators the organisation is expected to report (``metrics.expectations``:
the framework's rules by theme and kind, and the committee's overrides); without that list, every
required indicator. Anything worse is D. The overall grade is the mean of the available grades (A = 4 … D = 1),
rounded to the nearest grade with halves going to the worse one. Consistency compares a value
with the median of the organisation's own history of that indicator, scaled by the median
absolute deviation (the mean absolute deviation when the MAD is 0, as Iglewicz and Hoaglin
suggest); flagged values are kept and scored — the flag asks for a review, never a deletion.

A flagged value the organisation explained (``store.explanations``: "nouveau programme à Tiznit")
counts :data:`EXPLAINED_WEIGHT` (half) of a flag against consistency: the explanation answers the
question the flag asks, but it is the organisation's word, not yet checked evidence.
A cube cell (organisation, period, indicator) counts as explained when any value feeding it is.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl

from framework.model import Framework, QualitySettings
from framework.periods import period_key_expr, usable_granularities
from metrics.cube import Cube
from metrics.scoring import ScoringResult
from metrics.stats import nan_median

GRADES = ("A", "B", "C", "D")
_MAD_SCALE = 0.6745  # Φ⁻¹(0.75): makes the MAD comparable with a standard deviation
_MEAN_AD_SCALE = 1.253314  # √(π/2), the same for the mean absolute deviation
#: What an explained flagged value counts against consistency (an unexplained one counts 1).
EXPLAINED_WEIGHT = 0.5


def robust_z(values: np.ndarray, min_history: int) -> np.ndarray:
    """Modified z-score of each value against its series along axis 1 (NaN = too little history)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median = nan_median(values, axis=1)
        deviation = np.abs(values - median)
        mad = nan_median(deviation, axis=1)
        mean_ad = np.nanmean(deviation, axis=1, keepdims=True)
    n = np.count_nonzero(~np.isnan(values), axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(
            mad > 0,
            _MAD_SCALE * (values - median) / mad,
            np.where(mean_ad > 0, (values - median) / (_MEAN_AD_SCALE * mean_ad), 0.0),
        )
    return np.where((n >= min_history) & ~np.isnan(values), z, np.nan)


def grade(measure: pl.Expr, thresholds: tuple[float, float, float], higher_is_better: bool) -> pl.Expr:
    """A–D from three thresholds (for A, B, C); null measure → null grade."""
    a, b, c = thresholds
    if higher_is_better:
        return (
            pl.when(measure.is_null())
            .then(None)
            .when(measure >= a)
            .then(pl.lit("A"))
            .when(measure >= b)
            .then(pl.lit("B"))
            .when(measure >= c)
            .then(pl.lit("C"))
            .otherwise(pl.lit("D"))
        )
    return (
        pl.when(measure.is_null())
        .then(None)
        .when(measure <= a)
        .then(pl.lit("A"))
        .when(measure <= b)
        .then(pl.lit("B"))
        .when(measure <= c)
        .then(pl.lit("C"))
        .otherwise(pl.lit("D"))
    )


def overall_grade(columns: list[str]) -> pl.Expr:
    """Mean of the available grades, halves rounded towards the worse grade."""
    points = [
        pl.col(c).replace_strict({"A": 4, "B": 3, "C": 2, "D": 1}, default=None, return_dtype=pl.Float64)
        for c in columns
    ]
    mean = pl.mean_horizontal(points)
    rounded = (mean - 0.5).ceil().cast(pl.Int64)
    return rounded.replace_strict({4: "A", 3: "B", 2: "C", 1: "D"}, default=None, return_dtype=pl.String)


def _membership(framework: Framework, cube: Cube, principles: tuple[str, ...]) -> np.ndarray:
    """(I, K+1) 0/1: indicator i is required for principle k (last column: the composite)."""
    required = set(framework.required_indicators)
    index_of = {code: n for n, code in enumerate(cube.indicators)}
    member = np.zeros((len(cube.indicators), len(principles) + 1))
    for ind in framework.scored_indicators:
        parts = [ind.code, *(r for r in (ind.numerator, ind.denominator) if r)]
        for p in ind.weights:
            for code in parts:
                if code in required:
                    member[index_of[code], principles.index(p)] = 1.0
    for code in required:
        member[index_of[code], -1] = 1.0
    return member


def expected_matrix(cube: Cube, expected: pl.DataFrame | None) -> np.ndarray:
    """(O, I) 0/1: organisation o is expected to report indicator i (all ones without a list)."""
    n_orgs, _, n_ind = cube.shape
    if expected is None:
        return np.ones((n_orgs, n_ind))
    placed = expected.filter(pl.col("org_code").is_in(cube.orgs) & pl.col("indicator_code").is_in(cube.indicators))
    matrix = np.zeros((n_orgs, n_ind))
    rows = placed.get_column("org_code").cast(pl.Enum(cube.orgs)).to_physical().to_numpy()
    cols = placed.get_column("indicator_code").cast(pl.Enum(cube.indicators)).to_physical().to_numpy()
    matrix[rows, cols] = 1.0
    return matrix


def _cell_index(observations: pl.DataFrame, cube: Cube) -> pl.DataFrame:
    """Observation rows placed in the cube: ``_cell`` (flat index) or dropped when outside it."""
    n_orgs, n_periods, n_ind = cube.shape
    if n_orgs == 0 or n_periods == 0:
        return observations.clear().with_columns(_cell=pl.lit(0, pl.Int64))
    frame = observations.filter(
        pl.col("org_code").is_in(cube.orgs)
        & pl.col("indicator_code").is_in(cube.indicators)
        & pl.col("granularity").is_in(usable_granularities(cube.granularity))
    )
    p0 = int(cube.period_keys[0])
    return frame.with_columns(
        _cell=(
            pl.col("org_code").cast(pl.Enum(cube.orgs)).to_physical().cast(pl.Int64) * n_periods
            + period_key_expr(cube.granularity)
            - p0
        )
        * n_ind
        + pl.col("indicator_code").cast(pl.Enum(cube.indicators)).to_physical().cast(pl.Int64)
    ).filter((pl.col("_cell") >= 0) & (pl.col("_cell") < n_orgs * n_periods * n_ind))


def indicator_quality(
    observations: pl.DataFrame, cube: Cube, settings: QualitySettings
) -> dict[str, np.ndarray]:
    """Per cell (O, P, I): submitted values, values citing a source, values explained by the
    organisation (``explained`` column, when present), median days late, robust z."""
    size = int(np.prod(cube.shape))
    placed = _cell_index(observations, cube)
    has_source = pl.col("source").is_not_null() & (pl.col("source").str.strip_chars() != "")
    cell = placed.get_column("_cell").to_numpy()
    submitted = np.bincount(cell, minlength=size).astype(np.float64)
    sourced = np.bincount(
        cell, weights=placed.select(has_source.cast(pl.Float64)).to_series().to_numpy(), minlength=size
    )
    explained = (
        np.bincount(cell, weights=placed.get_column("explained").fill_null(False).cast(pl.Float64).to_numpy(),
                    minlength=size)
        if "explained" in placed.columns
        else np.zeros(size)
    )
    days = np.full(size, np.nan)
    if "uploaded_at" in placed.columns:
        late = (
            placed.filter(pl.col("uploaded_at").is_not_null())
            .group_by("_cell")
            .agg(_days=(pl.col("uploaded_at").cast(pl.Date) - pl.col("period_end")).dt.total_days().median())
        )
        days[late.get_column("_cell").to_numpy()] = late.get_column("_days").cast(pl.Float64).to_numpy()
    return {
        "submitted": submitted.reshape(cube.shape),
        "sourced": sourced.reshape(cube.shape),
        "explained": explained.reshape(cube.shape),
        "days": days.reshape(cube.shape),
        "z": robust_z(cube.values, settings.min_history),
    }


def quality(
    observations: pl.DataFrame, result: ScoringResult, framework: Framework, expected: pl.DataFrame | None = None
) -> pl.DataFrame:
    """org_code, period_key, principle (null = composite), the four measures, their grades, the overall grade.

    ``observations`` are the run's input rows; ``source`` and ``uploaded_at`` (submission time)
    are used when present. ``expected`` (org_code, indicator_code) lists what each organisation is
    expected to report; completeness is measured against it (None: every required indicator).
    """
    settings = framework.meta.quality
    cube = result.cube
    principles = result.weights.principles
    obs = observations
    if "source" not in obs.columns:
        obs = obs.with_columns(source=pl.lit(None, pl.String))
    cells = indicator_quality(obs, cube, settings)
    member = _membership(framework, cube, principles)  # (I, K+1)
    reported = (~np.isnan(cube.values)).astype(np.float64)
    flagged = (np.abs(np.nan_to_num(cells["z"], nan=0.0)) > settings.outlier_z).astype(np.float64)
    explained = flagged * (cells["explained"] > 0)
    counted = flagged - (1.0 - EXPLAINED_WEIGHT) * explained  # an explained flag weighs EXPLAINED_WEIGHT
    with np.errstate(divide="ignore", invalid="ignore"):
        owed = expected_matrix(cube, expected)  # (O, I)
        completeness = np.einsum("opi,oi,ik->opk", reported, owed, member) / (owed @ member)[:, None, :]
        n_reported = reported @ member
        consistency = (counted @ member) / n_reported
        evidence = (cells["sourced"] @ member) / (cells["submitted"] @ member)
    timeliness = np.full(completeness.shape, np.nan)
    for k in range(member.shape[1]):  # one principle at a time, never one organisation
        cols = np.flatnonzero(member[:, k])
        timeliness[..., k] = nan_median(cells["days"][..., cols], axis=2)[..., 0]
    present = cube.present()
    o, p = np.nonzero(present)
    k_all = member.shape[1]
    rows = cube.row_frame(present)
    n = rows.height
    take = np.repeat(np.arange(n), k_all)
    labels = pl.Series("principle", [*principles, None], dtype=pl.String)

    def column(array: np.ndarray) -> np.ndarray:
        return array[o, p].ravel()

    frame = pl.DataFrame(
        {
            "org_code": rows.get_column("org_code").gather(take),
            "period_key": rows.get_column("period_key").gather(take),
            "principle": labels.gather(np.tile(np.arange(k_all), n)),
            "completeness": column(completeness),
            "timeliness_days": column(timeliness),
            "consistency": column(consistency),
            "consistency_flags": column(flagged @ member).astype(np.int64),
            "consistency_explained": column(explained @ member).astype(np.int64),
            "evidence": column(evidence),
        }
    ).with_columns(pl.col("completeness", "timeliness_days", "consistency", "evidence").fill_nan(None))
    graded = frame.with_columns(
        grade_completeness=grade(pl.col("completeness"), settings.completeness, True),
        grade_timeliness=grade(pl.col("timeliness_days"), settings.timeliness_days, False),
        grade_consistency=grade(pl.col("consistency"), settings.consistency, False),
        grade_evidence=grade(pl.col("evidence"), settings.evidence, True),
    )
    return graded.with_columns(
        grade=overall_grade(["grade_completeness", "grade_timeliness", "grade_consistency", "grade_evidence"])
    )
