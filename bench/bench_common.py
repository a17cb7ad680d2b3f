"""Helpers shared by the bench summarizers (summarize.py, api_bench.py) and the run_*_bench.sh
scripts (write-section: python3 bench/bench_common.py write-section BENCHMARKS.md NAME SECTION)."""
import math
import os
import statistics
import sys


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


def write_section(path, name, section):
    """Puts `section` between BENCHMARKS.md's NAME-bench markers (written by bench/run_NAME_bench.sh),
    replacing what was there, or appends it with its markers at the end of the file."""
    begin = "<!-- %s-bench:begin (written by bench/run_%s_bench.sh; do not edit by hand) -->" % (name, name)
    end = "<!-- %s-bench:end -->" % name
    with open(path) as f:
        text = f.read()
    block = begin + "\n" + section.rstrip("\n") + "\n\n" + end + "\n"
    b = text.find("<!-- %s-bench:begin" % name)
    if b >= 0:
        e = text.find(end, b)
        text = text[:b] + block + text[e + len(end):].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] != "write-section":
        sys.exit("usage: bench_common.py write-section BENCHMARKS.md NAME SECTION")
    write_section(sys.argv[2], sys.argv[3], sys.argv[4])
