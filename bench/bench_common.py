"""Helpers shared by the bench summarizers (summarize.py, api_bench.py)."""
import os


def load_meta(run_dir):
    """The KEY=VALUE lines of RUN_DIR/meta.env (written by the bench scripts) as a dict."""
    meta = {}
    with open(os.path.join(run_dir, "meta.env")) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    return meta
