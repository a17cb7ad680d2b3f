"""The classifier's features of an error event: feature set "crash-features" version 1.

The C++ coordinator computes the same set (coordinator/analysis/features.cpp); the two must
agree token for token, which tests/unit/coordinator_analysis_model_test.cpp checks on the whole
committed corpus (the C++ predictions must equal the ones this side recorded at training time).
docs/analysis.md describes each feature and why it is there.
"""

TOP_FRAMES = 8          # frames (innermost first) whose modules and function tokens count
MAX_MESSAGE_TOKENS = 32
MIN_TOKEN = 3
MAX_TOKEN = 24
RECURSION_MIN = 4       # one function this many times among the frames: "recursion"
MAX_RECURSION_FRAMES = 64


def tokens(text):
    """Lower-case runs of ASCII letters, MIN_TOKEN..MAX_TOKEN long, in order, without repeats.
    Everything else (digits, punctuation, non-ASCII) separates tokens."""
    out, seen, cur = [], set(), []
    for ch in text + " ":
        c = ch.lower() if "A" <= ch <= "Z" else ch
        if "a" <= c <= "z":
            cur.append(c)
            continue
        if cur:
            t = "".join(cur)
            cur = []
            if MIN_TOKEN <= len(t) <= MAX_TOKEN and t not in seen:
                seen.add(t)
                out.append(t)
    return out


def module_class(module):
    base = (module or "").rsplit("/", 1)[-1]
    if not base:
        return "none"
    if base.startswith("libc.so") or base.startswith("libc-"):
        return "libc"
    if base.startswith("libstdc++"):
        return "libstdcxx"
    if base.startswith("libgcc_s"):
        return "libgcc"
    if base.startswith("ld-linux") or base.startswith("ld-"):
        return "ld"
    if "vdso" in base:
        return "vdso"
    if base.startswith("lib") and ".so" in base:
        return "lib"
    return "app"


def _str(v):
    return v if isinstance(v, str) else None


def features(event):
    f = set()
    f.add("src:" + (event.get("source") or ""))
    f.add("kind:" + (event.get("kind") or ""))
    type_ = event.get("type") or ""
    ctx = event.get("context")
    if not isinstance(ctx, dict):
        ctx = {}
    sig = _str(ctx.get("signal_name"))
    code = _str(ctx.get("code_name"))
    if type_.startswith("SIG"):
        head, _, tail = type_.partition("/")
        sig = sig or head
        code = code or (tail or None)
    if sig:
        f.add("sig:" + sig)
        if code:
            f.add("code:" + code)
        fault = ctx.get("fault")
        if isinstance(fault, dict) and isinstance(fault.get("class"), str):
            f.add("fault:" + fault["class"])
        else:
            f.add("fault:none")
    else:
        f.add("type:" + "".join(c.lower() if "A" <= c <= "Z" else c for c in type_.partition("/")[0]))
    if isinstance(ctx.get("abort_message"), str):
        f.add("abort_message")
    if isinstance(ctx.get("exception"), dict):
        f.add("exception")
    for t in tokens(event.get("message") or "")[:MAX_MESSAGE_TOKENS]:
        f.add("msg:" + t)
    frames = event.get("frames") or []
    if not frames:
        f.add("frames:none")
    for i, fr in enumerate(frames[:TOP_FRAMES]):
        mc = module_class(fr.get("module"))
        f.add("mod:" + mc)
        if i == 0:
            f.add("top_mod:" + mc)
        fn = fr.get("function") or ""
        if not fn:
            f.add("fn:?")
            if i == 0:
                f.add("top_fn:?")
        elif mc == "app":
            if i == 0:
                f.add("top_fn:app")
        else:
            for t in tokens(fn):
                f.add("fn:" + t)
                if i == 0:
                    f.add("top:" + t)
    counts = {}
    for fr in frames[:MAX_RECURSION_FRAMES]:
        fn = fr.get("function") or ""
        if fn:
            counts[fn] = counts.get(fn, 0) + 1
    if any(c >= RECURSION_MIN for c in counts.values()):
        f.add("recursion")
    threads = ctx.get("threads")
    if isinstance(threads, list):
        lock_waiters = 0
        for t in threads:
            if not isinstance(t, dict):
                continue
            st = _str(t.get("state"))
            if st:
                f.add("tstate:" + st)
            tf = t.get("frames")
            if isinstance(tf, list) and any(
                    isinstance(x, dict) and isinstance(x.get("function"), str)
                    and ("lll_lock_wait" in x["function"] or "pthread_mutex_lock" in x["function"]) for x in tf):
                lock_waiters += 1
        if lock_waiters:
            f.add("lock_waiters:" + ("2+" if lock_waiters >= 2 else "1"))
    return sorted(f)
