"""Summaries of repeated measurements: median and spread, never a lone mean."""

from __future__ import annotations

import math
import statistics
from typing import Any


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("percentile of no samples")
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def cv(samples: list[float]) -> float:
    """Coefficient of variation (stdev / mean); 0 for fewer than two samples."""
    if len(samples) < 2:
        return 0.0
    mean = statistics.fmean(samples)
    return statistics.stdev(samples) / mean if mean else math.inf


def summarize(samples: list[float]) -> dict[str, Any]:
    """Median, extremes, mean, stdev, CV and p95 of one metric's samples."""
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "mean": statistics.fmean(samples),
        "stdev": statistics.stdev(samples) if len(samples) > 1 else 0.0,
        "cv": cv(samples),
        "p95": percentile(samples, 95),
    }


def latency_summary(samples: list[float]) -> dict[str, Any]:
    """Percentiles that matter for per-token latency: p50, p95, p99."""
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "p50": percentile(samples, 50),
        "p95": percentile(samples, 95),
        "p99": percentile(samples, 99),
        "max": max(samples),
    }
