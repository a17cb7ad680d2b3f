#!/usr/bin/env python3
"""Trains the crash classifier (multinomial logistic regression over binary sparse features) from
the committed corpus and writes the versioned model file the coordinator loads.

usage: scripts/train_classifier.py [--corpus models/corpus/crashes.jsonl]
                                   [--out models/crash_classifier.v1.json] [--heldout clang-O2]

Held-out evaluation is by build, not by random rows: every row of the held-out build(s) is left
out of training, so the accuracy is that on binaries the model never saw (other compiler
and optimisation level: other inlining, other frames). Also reports leave-one-build-out
accuracy. The final model is then trained on the training builds only (so the held-out rows
stay unseen by the committed model, and the C++ test can check them).

Writes, besides the model, models/crash_classifier.v1.eval.json: each held-out row's index in the
corpus, true class and predicted class and confidence (the C++ side must predict the same), plus
the confusion matrix. Prints the Markdown tables for docs/analysis.md. Standard library only.
"""
import argparse
import json
import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crash_features  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLASSES = ["null_dereference", "invalid_address", "stack_overflow", "assertion_failure", "heap_corruption",
           "stack_smashing", "uncaught_exception", "division_by_zero", "illegal_instruction", "bus_error", "abort",
           "deadlock", "busy_hang", "unknown"]
MODEL_VERSION = 1
THRESHOLD = 0.45   # below this confidence the answer is "unknown"
L2 = 1e-3
EPOCHS = 200
RATE = 0.5
MIN_ROWS = 2       # a feature must occur in this many training rows to enter the vocabulary


def softmax(z):
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = sum(e)
    return [v / s for v in e]


def train(rows):
    """rows: [(feature list, class index)] -> (vocabulary {feature: [w per class]}, bias)."""
    counts = {}
    for feats, _ in rows:
        for x in feats:
            counts[x] = counts.get(x, 0) + 1
    vocab = sorted(x for x, c in counts.items() if c >= MIN_ROWS)
    index = {x: i for i, x in enumerate(vocab)}
    k = len(CLASSES)
    w = [[0.0] * k for _ in vocab]
    b = [0.0] * k
    data = [([index[x] for x in feats if x in index], y) for feats, y in rows]
    # Adagrad on the full batch: deterministic, converges in a few hundred passes on this size.
    gw2 = [[1e-8] * k for _ in vocab]
    gb2 = [1e-8] * k
    n = len(data)
    for _ in range(EPOCHS):
        grad_w = {}
        grad_b = [0.0] * k
        for xs, y in data:
            z = list(b)
            for i in xs:
                wi = w[i]
                for c in range(k):
                    z[c] += wi[c]
            p = softmax(z)
            p[y] -= 1.0
            for c in range(k):
                grad_b[c] += p[c] / n
            for i in xs:
                g = grad_w.setdefault(i, [0.0] * k)
                for c in range(k):
                    g[c] += p[c] / n
        for i in range(len(vocab)):
            g = grad_w.get(i, [0.0] * k)
            for c in range(k):
                gi = g[c] + L2 * w[i][c]
                gw2[i][c] += gi * gi
                w[i][c] -= RATE * gi / math.sqrt(gw2[i][c])
        for c in range(k):
            gb2[c] += grad_b[c] ** 2
            b[c] -= RATE * grad_b[c] / math.sqrt(gb2[c])
    return {x: w[index[x]] for x in vocab}, b


def predict(model, feats):
    weights, bias = model
    z = list(bias)
    for x in feats:
        wx = weights.get(x)
        if wx:
            for c in range(len(z)):
                z[c] += wx[c]
    p = softmax(z)
    best = max(range(len(p)), key=lambda c: p[c])
    if p[best] < THRESHOLD:
        return "unknown", p[best]
    return CLASSES[best], p[best]


def rounded_model(model):
    # What the file holds (6 significant digits): evaluate that, not the unrounded floats.
    weights, bias = model
    return ({x: [float(f"{v:.6g}") for v in ws] for x, ws in weights.items()}, [float(f"{v:.6g}") for v in bias])


def confusion(pairs):
    m = {t: {p: 0 for p in CLASSES} for t in CLASSES}
    for t, p in pairs:
        m[t][p] += 1
    return m


def markdown_confusion(m):
    present = [c for c in CLASSES if sum(m[c].values()) or any(m[t][c] for t in CLASSES)]
    abbrev = {c: c.replace("_", " ") for c in present}
    lines = ["| true \\ predicted | " + " | ".join(abbrev[c] for c in present) + " |",
             "|---|" + "---|" * len(present)]
    for t in present:
        lines.append(f"| {abbrev[t]} | " + " | ".join(str(m[t][p]) if m[t][p] else "." for p in present) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(ROOT, "models", "corpus", "crashes.jsonl"))
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "crash_classifier.v1.json"))
    ap.add_argument("--heldout", default="clang-O2", help="comma-separated builds left out of training")
    args = ap.parse_args()
    random.seed(1)
    corpus = [json.loads(line) for line in open(args.corpus)]
    heldout = set(args.heldout.split(","))
    for r in corpus:
        r["features"] = crash_features.features(r["event"])
        r["y"] = CLASSES.index(r["label"])
    builds = sorted({r["build"] for r in corpus})

    # Leave-one-build-out: each build in turn is the unseen one.
    lobo = {}
    for b in builds:
        model = rounded_model(train([(r["features"], r["y"]) for r in corpus if r["build"] != b]))
        test = [r for r in corpus if r["build"] == b]
        ok = sum(predict(model, r["features"])[0] == r["label"] for r in test)
        lobo[b] = (ok, len(test))
        print(f"leave out {b}: {ok}/{len(test)} = {ok / len(test):.3f}", file=sys.stderr)

    # Unseen bugs: the modes (programs' crash sites) cut into 4 folds; each fold's modes are left
    # out in every build. Harder than unseen builds: the model never saw that bug at all.
    modes = sorted({r["variant"].split("/", 1)[1] for r in corpus})
    fold_of = {m: i % 4 for i, m in enumerate(modes)}
    lmo_ok = lmo_n = 0
    lmo_wrong = []
    for fold in range(4):
        model = rounded_model(train([(r["features"], r["y"]) for r in corpus
                                     if fold_of[r["variant"].split("/", 1)[1]] != fold]))
        for r in corpus:
            if fold_of[r["variant"].split("/", 1)[1]] == fold:
                p = predict(model, r["features"])[0]
                lmo_ok += p == r["label"]
                lmo_n += 1
                if p != r["label"]:
                    lmo_wrong.append(f"{r['variant']}: {r['label']} -> {p}")
    print(f"unseen modes (4 folds): {lmo_ok}/{lmo_n} = {lmo_ok / lmo_n:.3f}", file=sys.stderr)
    for w in lmo_wrong:
        print("  unseen-mode miss: " + w, file=sys.stderr)

    train_rows = [r for r in corpus if r["build"] not in heldout]
    model = rounded_model(train([(r["features"], r["y"]) for r in train_rows]))
    held = []
    for i, r in enumerate(corpus):
        if r["build"] in heldout:
            cls, conf = predict(model, r["features"])
            held.append({"row": i, "variant": r["variant"], "label": r["label"], "predicted": cls,
                         "confidence": round(conf, 6)})
    ok = sum(h["predicted"] == h["label"] for h in held)
    acc = ok / len(held)
    cm = confusion([(h["label"], h["predicted"]) for h in held])

    weights, bias = model
    doc = {
        "format": "dbgcoord-crash-classifier",
        "version": MODEL_VERSION,
        "model": "multinomial logistic regression over binary features",
        "features": {"name": "crash-features", "version": 1, "top_frames": crash_features.TOP_FRAMES,
                     "max_message_tokens": crash_features.MAX_MESSAGE_TOKENS,
                     "min_token": crash_features.MIN_TOKEN, "max_token": crash_features.MAX_TOKEN,
                     "recursion_min": crash_features.RECURSION_MIN,
                     "max_recursion_frames": crash_features.MAX_RECURSION_FRAMES},
        "classes": CLASSES,
        "threshold": THRESHOLD,
        "bias": bias,
        "weights": {x: weights[x] for x in sorted(weights)},
        "training": {"corpus": "models/corpus/crashes.jsonl", "rows": len(train_rows),
                     "builds": sorted({r["build"] for r in train_rows}), "heldout_builds": sorted(heldout),
                     "heldout_rows": len(held), "heldout_accuracy": round(acc, 4),
                     "leave_one_build_out": {b: round(o / n, 4) for b, (o, n) in lobo.items()},
                     "unseen_modes_4_folds": round(lmo_ok / lmo_n, 4),
                     "l2": L2, "epochs": EPOCHS, "min_rows_per_feature": MIN_ROWS},
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"), sort_keys=False)
        f.write("\n")
    eval_path = args.out.replace(".json", ".eval.json")
    with open(eval_path, "w") as f:
        json.dump({"heldout_builds": sorted(heldout), "accuracy": round(acc, 4), "rows": held,
                   "confusion": cm}, f, indent=1)
        f.write("\n")
    print(f"vocabulary {len(weights)} features; train {len(train_rows)} rows; held-out {ok}/{len(held)} = {acc:.3f}",
          file=sys.stderr)
    print(f"model -> {args.out}, evaluation -> {eval_path}", file=sys.stderr)
    print(markdown_confusion(cm))
    wrong = [h for h in held if h["predicted"] != h["label"]]
    for h in wrong:
        print(f"  wrong: {h['variant']}: {h['label']} -> {h['predicted']} ({h['confidence']:.2f})", file=sys.stderr)


if __name__ == "__main__":
    main()
