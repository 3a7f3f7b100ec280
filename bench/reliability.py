"""Benchmark workbench.analysis.reliability on a synthetic double-coded project.

Run: ``.venv/bin/python bench/reliability.py`` (defaults: 1,000 sources of ~5,000
characters, two coders with 50,000 codings each over 30 codes, ~70% of the
second coder's codings overlapping the first's). Times ``reliability(...)`` at
segment level (sentences of ~100 characters) and at character level, and as a
baseline the ``krippendorff`` package computing alpha on the same per-code unit
matrices (at character level: per-character matrices, timed on a few codes and
extrapolated to all codes, since they hold ~5 million columns each).
"""
from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import krippendorff
import numpy as np

from workbench.analysis.reliability import CodedSpan, CodeMatrix, ReliabilityReport, Unit, code_matrices, reliability

TARGET_SECONDS = 5.0


@dataclass(frozen=True)
class Project:
    """A synthetic project: codings, sentence units and source lengths."""

    spans: list[CodedSpan]
    units: list[Unit]
    source_lengths: dict[int, int]
    coders: tuple[str, str]


def make_project(n_sources: int, codings_per_coder: int, n_codes: int, overlap: float, seed: int) -> Project:
    """Two coders; coder B copies ``overlap`` of coder A's codings with jittered bounds, the rest are random."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(4_500, 5_501, n_sources)
    source = rng.integers(0, n_sources, codings_per_coder)
    a_start, a_end = _random_ranges(rng, lengths[source])
    code = rng.integers(0, n_codes, codings_per_coder)
    copied = rng.random(codings_per_coder) < overlap
    r_start, r_end = _random_ranges(rng, lengths[source])
    jitter = rng.integers(-20, 21, (2, codings_per_coder))
    b_start = np.where(copied, np.clip(a_start + jitter[0], 0, lengths[source] - 2), r_start)
    b_end = np.where(copied, np.clip(a_end + jitter[1], b_start + 1, lengths[source]), r_end)
    b_code = np.where(copied, code, rng.integers(0, n_codes, codings_per_coder))
    spans = _spans(source, a_start, a_end, code, "A") + _spans(source, b_start, b_end, b_code, "B")
    return Project(spans, _sentences(rng, lengths), dict(enumerate(lengths.tolist())), ("A", "B"))


def _random_ranges(rng: np.random.Generator, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Random [start, end) ranges of 20-300 characters inside sources of the given lengths."""
    size = rng.integers(20, 301, lengths.size)
    start = (rng.random(lengths.size) * (lengths - size)).astype(np.int64)
    return start, start + size


def _spans(source: np.ndarray, start: np.ndarray, end: np.ndarray, code: np.ndarray, coder: str) -> list[CodedSpan]:
    """CodedSpan records from parallel arrays."""
    return [
        CodedSpan(s, a, b, f"code{c:02d}", coder)
        for s, a, b, c in zip(source.tolist(), start.tolist(), end.tolist(), code.tolist())
    ]


def _sentences(rng: np.random.Generator, lengths: np.ndarray) -> list[Unit]:
    """Sentence-like units of 60-140 characters tiling every source."""
    units = []
    for source, length in enumerate(lengths.tolist()):
        cuts = np.cumsum(rng.integers(60, 141, length // 60 + 1))
        bounds = np.concatenate([[0], cuts[cuts < length], [length]]).tolist()
        units.extend(Unit(source, a, b) for a, b in zip(bounds[:-1], bounds[1:]))
    return units


def timed(label: str, run: Callable[[], object], repeat: int = 3) -> tuple[object, float]:
    """Best-of-``repeat`` wall time of ``run``; returns its result and seconds."""
    best, result = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - began)
    print(f"  {label:<52} {best:8.3f} s")
    return result, best


def package_alpha(matrices: list[CodeMatrix]) -> list[float]:
    """Alpha per code with the krippendorff package (NaN where it declares alpha undefined)."""
    out = []
    for m in matrices:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.append(float(krippendorff.alpha(reliability_data=m.values, level_of_measurement="nominal")))
        except ValueError:
            out.append(float("nan"))
    return out


def expand_to_characters(m: CodeMatrix) -> CodeMatrix:
    """The per-character matrix of a character-level CodeMatrix (elementary intervals repeated by length)."""
    repeats = m.weights.astype(np.int64)
    values = np.repeat(m.values, repeats, axis=1)
    return CodeMatrix(m.code, values, np.ones(values.shape[1]), m.source_ids, m.starts, m.ends)


def report_line(name: str, seconds: float, n_codings: int) -> None:
    """Print seconds, codings/s and whether the target is met."""
    verdict = "OK" if seconds < TARGET_SECONDS else "SLOWER THAN TARGET"
    print(f"  {name:<52} {seconds:8.3f} s  {n_codings / seconds:>12,.0f} codings/s  [{verdict}]")


def compare(report: ReliabilityReport, reference: list[float], codes: int | None = None) -> float:
    """Largest absolute difference between report alphas and reference alphas (first ``codes`` codes)."""
    ours = np.array([row.krippendorff_alpha for row in report.per_code[: codes or len(reference)]])
    return float(np.nanmax(np.abs(ours - np.array(reference))))


def main() -> None:
    """Generate the project, time both unit levels and the krippendorff-package baseline, print figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1_000)
    parser.add_argument("--codings", type=int, default=50_000, help="codings per coder")
    parser.add_argument("--codes", type=int, default=30)
    parser.add_argument("--overlap", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--char-baseline-codes", type=int, default=3, help="codes timed for the per-character baseline")
    args = parser.parse_args()

    began = time.perf_counter()
    project = make_project(args.sources, args.codings, args.codes, args.overlap, args.seed)
    n_codings = len(project.spans)
    print(f"project: {args.sources} sources, {sum(project.source_lengths.values()):,} characters, "
          f"{len(project.units):,} sentence units, {n_codings:,} codings, {args.codes} codes "
          f"(generated in {time.perf_counter() - began:.1f} s)")

    print("workbench.analysis.reliability:")
    seg, seg_s = timed("segment level", lambda: reliability(project.spans, project.coders, project.units))
    seg_ign, seg_ign_s = timed(
        "segment level, ignore_uncoded",
        lambda: reliability(project.spans, project.coders, project.units, ignore_uncoded=True),
    )
    chars, chars_s = timed(
        "character level",
        lambda: reliability(project.spans, project.coders, unit="character", source_lengths=project.source_lengths),
    )
    chars_ign, chars_ign_s = timed(
        "character level, ignore_uncoded",
        lambda: reliability(
            project.spans, project.coders, unit="character",
            source_lengths=project.source_lengths, ignore_uncoded=True,
        ),
    )

    print("baseline, krippendorff package on the same per-code unit matrices (matrices prebuilt, not timed):")
    seg_matrices = code_matrices(project.spans, project.coders, project.units)
    seg_ref, seg_ref_s = timed(f"alpha on {len(seg_matrices)} segment matrices", lambda: package_alpha(seg_matrices), 1)
    k = min(args.char_baseline_codes, args.codes)
    char_matrices = code_matrices(
        project.spans, project.coders, unit="character", source_lengths=project.source_lengths
    )
    expanded = [expand_to_characters(m) for m in char_matrices[:k]]
    char_ref, char_ref_part = timed(f"alpha on {k} per-character matrices", lambda: package_alpha(expanded), 1)
    char_ref_s = char_ref_part * len(char_matrices) / k

    print("\nsummary (target: under 5 s each):")
    report_line("reliability, segment level", seg_s, n_codings)
    report_line("reliability, segment level, ignore_uncoded", seg_ign_s, n_codings)
    report_line("reliability, character level", chars_s, n_codings)
    report_line("reliability, character level, ignore_uncoded", chars_ign_s, n_codings)
    report_line("krippendorff package, segment matrices", seg_ref_s, n_codings)
    report_line(f"krippendorff package, character (x{len(char_matrices)}/{k} extrapolated)", char_ref_s, n_codings)
    print(f"\nmax |alpha - package alpha|: segment {compare(seg, seg_ref):.2e}, "
          f"character {compare(chars, char_ref, k):.2e}")
    for name, rep in [("segment", seg), ("segment, ignore_uncoded", seg_ign),
                      ("character", chars), ("character, ignore_uncoded", chars_ign)]:
        o = rep.overall
        print(f"overall {name:<26} n={o.n_units:>10,}  agreement={o.percent_agreement:.3f}  "
              f"kappa={o.cohen_kappa:.3f}  alpha={o.krippendorff_alpha:.3f}  "
              f"disagreements={len(rep.all_disagreements):,}")


if __name__ == "__main__":
    main()
