"""Helpers shared by the bench summarizers (summarize.py, api_bench.py)."""
import math
import os
import statistics


def load_meta(run_dir):
    """The KEY=VALUE lines of RUN_DIR/meta.env (written by the bench scripts) as a dict."""
    meta = {}
    with open(os.path.join(run_dir, "meta.env")) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    return meta


def median(xs):
    """Median of the values that are not None; None when there are none."""
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def pct(xs, p):
    """Nearest-rank percentile (p in 0..100) of the values that are not None."""
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, math.ceil(p / 100 * len(xs)) - 1))
    return xs[k]
