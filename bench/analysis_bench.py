#!/usr/bin/env python3
"""Error analysis against a running dbgcoord (driven by bench/run_analysis_bench.sh).

  analysis_bench.py replay --url URL --token-file FILE --out RESULT.json [--events N] [--groups G] [--batch B]
                           [--churn PERCENT]
  analysis_bench.py reads  --url URL --token-file FILE --out RESULT.json --label NAME
  analysis_bench.py section RESULT_DIR META.env        # prints the BENCHMARKS.md section

`replay` POSTs N events in batches of B (bodies built before the clock starts) into G groups:
event i belongs to group i % G, whose frames are a site function of its own under shared
callers; G/4 "families" share a second frame, so similar groups exist. Every analysis the
coordinator runs in the background for the groups each batch touched goes through the pattern
cache; --churn percent of the events carry a message with other words (other features), which
invalidates that group's cached analysis. Afterwards it waits until the coordinator's analysis
counters stop moving and records /api/v1/stats' "analysis" block: cache hits, misses, hit rate,
and the per-analysis histograms (classify, similar, whole analysis).

`reads` GETs /api/v1/errors/{id}/analysis once for every group and records each answer's own
response_us (exact, per error) and whether it came from the cache. Run once against the
coordinator that did the replay (cache of 1,000: hits), once against one restarted on the same
data with --analysis-cache 1 (every read a miss: features, model, similar-groups scan).
"""
import argparse
import http.client
import json
import random
import sys
import time
import urllib.parse

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from bench_common import pct  # noqa: E402


def make_event(group, variant, churn):
    site = "inventory::Shard%d::apply(inventory::Delta const&)" % group
    family = "inventory::Family%d::commit()" % (group // 4)
    message = "vector::_M_range_check: __n (which is %d) >= this->size() (which is 3)" % (7 + variant)
    if churn:
        message = "journal replay failed after checkpoint %d: torn write detected" % variant
    return {
        "type": "std::out_of_range",
        "message": message,
        "pid": 5000 + variant,
        "comm": "inventoryd",
        "frames": [
            {"function": "__cxa_throw", "module": "libstdc++.so.6", "offset": "0xad218"},
            {"function": site, "module": "inventoryd", "offset": hex(0x10000 + 0x40 * group)},
            {"function": family, "module": "inventoryd", "offset": hex(0x80000 + 0x40 * (group // 4))},
            {"function": "inventory::Server::dispatch()", "module": "inventoryd", "offset": "0x3000"},
            {"function": "main", "module": "inventoryd", "offset": "0x3100"},
        ],
    }


def connect(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=120)


def call(conn, token, method, path, body=None):
    conn.request(method, path, body=body, headers={"Authorization": "Bearer " + token,
                                                   "Content-Type": "application/json"})
    r = conn.getresponse()
    data = r.read()
    return r.status, json.loads(data) if data else None


def analysis_stats(conn, token):
    _, s = call(conn, token, "GET", "/api/v1/stats")
    return s["analysis"]


def replay(args, token):
    # Which events churn: drawn at random (seeded), so every group sees some, now and then.
    rng = random.Random(1)
    bodies = []
    for b in range(args.events // args.batch):
        events = []
        for k in range(args.batch):
            i = b * args.batch + k
            churn = rng.random() < args.churn / 100
            events.append(make_event(i % args.groups, i // args.groups, churn))
        bodies.append(json.dumps({"events": events}, separators=(",", ":")).encode())
    conn = connect(args.url)
    t0 = time.monotonic()
    for body in bodies:
        status, answer = call(conn, token, "POST", "/api/v1/errors/events", body)
        if status != 201:
            raise SystemExit("POST answered %d: %s" % (status, answer))
    ingest_s = time.monotonic() - t0
    # The background analyses trail the commits: wait until the counters stop moving.
    last, still = None, 0
    while still < 4:
        a = analysis_stats(conn, token)
        now = (a["cache"]["hits"], a["cache"]["misses"])
        still = still + 1 if now == last else 0
        last = now
        time.sleep(0.25)
    a = analysis_stats(conn, token)
    _, groups = call(conn, token, "GET", "/api/v1/errors?limit=1000")
    result = {"events": args.events, "groups": args.groups, "batch": args.batch, "churn_percent": args.churn,
              "ingest_s": ingest_s, "events_per_s": args.events / ingest_s, "analysis": a,
              "groups_listed": len(groups["groups"]),
              "classified": sum(1 for g in groups["groups"] if g["class"] is not None)}
    json.dump(result, open(args.out, "w"), indent=1)
    print(json.dumps(result["analysis"]["cache"]))


def reads(args, token):
    conn = connect(args.url)
    _, groups = call(conn, token, "GET", "/api/v1/errors?limit=1000")
    ids = [g["id"] for g in groups["groups"]]
    us, cached, classes = [], 0, {}
    for gid in ids:
        status, a = call(conn, token, "GET", "/api/v1/errors/%d/analysis" % gid)
        if status != 200:
            raise SystemExit("analysis of %d answered %d" % (gid, status))
        us.append(a["response_us"])
        cached += a["cached"]
        classes[a["class"]] = classes.get(a["class"], 0) + 1
        if len(a["similar"]) == 0:
            raise SystemExit("group %d has no similar groups" % gid)
    result = {"label": args.label, "reads": len(ids), "cached": cached, "classes": classes,
              "response_us": {"p50": pct(us, 50), "p99": pct(us, 99), "max": max(us)},
              "analysis": analysis_stats(conn, token)}
    json.dump(result, open(args.out, "w"), indent=1)
    print(json.dumps(result["response_us"]), "cached", cached)


def section(args):
    import os
    meta = {}
    for line in open(args.meta):
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            meta[k] = v
    rep = json.load(open(os.path.join(args.dir, "replay.json")))
    off = json.load(open(os.path.join(args.dir, "replay_off.json")))
    hit = json.load(open(os.path.join(args.dir, "reads_cached.json")))
    miss = json.load(open(os.path.join(args.dir, "reads_uncached.json")))
    c = rep["analysis"]["cache"]

    def us(s, k):
        v = s.get(k)
        return "–" if v is None else ("%.0f" % v if v >= 10 else "%.1f" % v)

    lines = [
        "## Error analysis benchmark",
        "",
        "Machine: %s, %s CPUs, %s (shared with other engineers' builds and tests, so noisy:"
        " load at start %s; %s)." % (meta.get("cpu"), meta.get("nproc"), meta.get("kernel"), meta.get("load_start"),
                                      meta.get("cpu_note", "")),
        "Command: `%s` — %s." % (meta.get("command"), meta.get("date")),
        "",
        "Replay: %d events in batches of %d into %d groups (%d %% of the events with other message words),"
        " POSTed to a fresh dbgcoord; every batch's touched groups are analysed in the background through"
        " the pattern cache (capacity 1,000), one connection. Ingest rate with the background analysis: %.0f"
        " events/s; the same replay just before into a dbgcoord with `--analysis-background off`: %.0f"
        " events/s (one run each on a shared machine: the difference is within its noise unless large)."
        % (rep["events"], rep["batch"], rep["groups"], rep["churn_percent"], rep["events_per_s"], off["events_per_s"]),
        "",
        "| pattern cache over the replay | value |",
        "|---|---|",
        "| lookups (group touches by committed batches, minus those coalesced while the analysis thread was behind) | %d |" % (c["hits"] + c["misses"]),
        "| hits | %d |" % c["hits"],
        "| misses (first sight + invalidated) | %d |" % c["misses"],
        "| invalidations (features changed) | %d |" % c["invalidations"],
        "| evictions | %d |" % c["evictions"],
        "| **hit rate** | **%.4f** |" % (c["hit_rate"] or 0),
        "| groups classified (class stored) | %d of %d |" % (rep["classified"], rep["groups_listed"]),
        "",
        "Latency per error, µs. *Reads*: `GET /api/v1/errors/{id}/analysis` for each of the %d groups, each"
        " answer's own `response_us` (exact, nearest-rank percentiles); `miss` = a coordinator restarted on the"
        " same data with `--analysis-cache 1`, so every read extracts features, runs the model and scans the"
        " similarity index (%s groups). *Histograms*: the coordinator's own instruments over the replay"
        " (`/api/v1/stats`, bucket estimates, buckets double)."
        % (hit["reads"], rep["analysis"]["similarity_index_groups"]),
        "",
        "| what | p50 | p99 | max |",
        "|---|---|---|---|",
        "| read, cache hit (%d of %d cached) | %s | %s | %s |" % (hit["cached"], hit["reads"], us(hit["response_us"], "p50"),
                                                             us(hit["response_us"], "p99"), us(hit["response_us"], "max")),
        "| read, miss: classification + similar groups (%d cached) | %s | %s | %s |" % (
            miss["cached"], us(miss["response_us"], "p50"), us(miss["response_us"], "p99"), us(miss["response_us"], "max")),
        "| histogram: classification (features + model) | %s | %s | %s |" % (
            us(rep["analysis"]["classify_us"], "p50"), us(rep["analysis"]["classify_us"], "p99"),
            us(rep["analysis"]["classify_us"], "max")),
        "| histogram: similar-groups query | %s | %s | %s |" % (
            us(rep["analysis"]["similar_us"], "p50"), us(rep["analysis"]["similar_us"], "p99"),
            us(rep["analysis"]["similar_us"], "max")),
        "| histogram: whole background analysis (hit or miss) | %s | %s | %s |" % (
            us(rep["analysis"]["analysis_us"], "p50"), us(rep["analysis"]["analysis_us"], "p99"),
            us(rep["analysis"]["analysis_us"], "max")),
        "",
        "Classes of the %d groups: %s (the replay's events are application reports of C++ exceptions,"
        " kind `reported`, without a crash context: `unknown` by the class definitions in docs/analysis.md)."
        % (hit["reads"], ", ".join("%s %d" % kv for kv in sorted(hit["classes"].items()))),
    ]
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("replay")
    r.add_argument("--url", required=True)
    r.add_argument("--token-file", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--events", type=int, default=100000)
    r.add_argument("--groups", type=int, default=1000)
    r.add_argument("--batch", type=int, default=1000)
    r.add_argument("--churn", type=float, default=1.0)
    d = sub.add_parser("reads")
    d.add_argument("--url", required=True)
    d.add_argument("--token-file", required=True)
    d.add_argument("--out", required=True)
    d.add_argument("--label", required=True)
    s = sub.add_parser("section")
    s.add_argument("dir")
    s.add_argument("meta")
    args = ap.parse_args()
    if args.cmd == "section":
        return section(args)
    token = open(args.token_file).read().strip()
    (replay if args.cmd == "replay" else reads)(args, token)


if __name__ == "__main__":
    main()
