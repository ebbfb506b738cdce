"""The benchmark's one table: every figure beside its target (issue 6), if it has one."""
from __future__ import annotations

GIB = 2**30
STAGES = ("load+clean", "chunk", "embed", "insert", "bm25")


def table(r: dict) -> str:
    ing, srv = r["ingest"], r["serve"]
    rate = ing["chunks"] / ing["seconds"] if ing["seconds"] else 0.0
    ratio = rate / ing["raw_chunks_per_s"]
    rows = [
        ("load average (1/5/15 min)", r["load"], ""),
        ("embedder", ing["embedder"], ""),
        ("raw embedding limit", f"{ing['raw_chunks_per_s']:.1f} chunks/s ({ing['raw_sample_chunks']} chunks)", ""),
        ("ingest", f"{ing['articles']} articles, {ing['chunks']} chunks in {ing['seconds']:.1f}s", ""),
        ("ingest throughput", f"{ing['articles'] / ing['seconds']:.2f} articles/s, {rate:.1f} chunks/s", ""),
        ("ingest / raw limit", f"{ratio:.0%}", _mark(ratio >= 0.9, ">= 90%")),
        ("stage busy time (s, overlapping)",
         ", ".join(f"{s} {ing['stages_s'].get(s, 0.0):.1f}" for s in STAGES), ""),
        ("re-ingest unchanged", f"{ing['reingest_s']:.1f}s, {ing['reingest_embedded_chunks']} chunks embedded",
         _mark(ing["reingest_s"] < 60, "< 60 s")),
        ("embedder load", f"{ing['model_load_s']:.1f}s", ""),
    ]
    for kind, ms in srv["retrieval_ms"].items():
        target = _mark(ms["p95"] <= 50, "p95 <= 50 ms") if kind == "hybrid" else ""
        rows.append((f"retrieval {kind} ({srv['latency_questions']} q)", _ms(ms), target))
    n = srv["recall_questions"]
    if n:
        rows.append(("answer-recall@5", f"{srv['answer_recall_at_5']:.1%} of {n} answerable questions", ""))
        rows.append(("article-recall@5", f"{srv['article_recall_at_5']:.1%}", ""))
    if rk := r.get("rankers"):
        rows += _rankers(rk)
    if a := srv.get("answers"):
        rows += [
            ("extract answer", f"{_ms(a['extract_ms'])} ({a['extract_questions']} q)",
             _mark(_le(a["extract_ms"]["p50"], 1000), "p50 <= 1 s")),
            (f"default answer, {a['model']}", f"{_ms(a['default_ms'])} ({a['default_cited']}/"
             f"{a['default_questions']} cited)", _mark(_le(a["default_ms"]["p50"], 10000), "p50 <= 10 s")),
            ("model's first token", _ms(a["first_token_ms"]), ""),
            ("first verified text", _ms(a["first_text_ms"]), _mark(_le(a["first_text_ms"]["p50"], 1000), "p50 <= 1 s")),
        ]
    rows += [
        ("peak RSS ingest / serving", f"{ing['peak_rss_bytes'] / GIB:.2f} / {srv['peak_rss_bytes'] / GIB:.2f} GiB",
         _mark(max(ing["peak_rss_bytes"], srv["peak_rss_bytes"]) <= 3 * GIB, "<= 3 GiB")),
        ("store on disk", f"{ing['store_bytes'] / 2**20:.1f} MiB", ""),
    ]
    width = max(len(name) for name, _, _ in rows)
    vwidth = max(len(value) for _, value, _ in rows)
    return "\n".join(f"{name:<{width}}  {value:<{vwidth}}  {target}".rstrip() for name, value, target in rows)


def _rankers(rk: dict) -> list[tuple[str, str, str]]:
    """Answer-recall@1/5/10 and article-recall@5 per ranker; the hybrid against frozen BM25 (issue 17)."""
    s = rk["summary"]
    rows = []
    for name, x in s.items():
        value = (f"@1/5/10 {x['answer_recall@1']:.1%} / {x['answer_recall@5']:.1%} / {x['answer_recall@10']:.1%}, "
                 f"article@5 {x['article_recall@5']:.1%}") if x["n"] else "-"
        target = ""
        if name == "hybrid" and x["n"]:
            gain = x["answer_recall@5"] - s["bm25"]["answer_recall@5"]
            target = _mark(gain >= 0.05 and x["answer_recall@5"] >= 0.9, ">= BM25 + 5 points and >= 90% @5")
        rows.append((f"{name} answer-recall ({rk['split']}, {rk['questions']} q)", value, target))
    return rows


def _ms(p: dict[str, float | None]) -> str:
    return " ".join(f"{k} {v:.0f} ms" if v is not None else f"{k} -" for k, v in p.items())


def _le(value: float | None, limit: float) -> bool:
    return value is not None and value <= limit


def _mark(ok: bool, target: str) -> str:
    return f"{'ok' if ok else 'MISSED'} (target {target})"


def comparison(runs: dict[str, dict]) -> str:
    """Embedders side by side on the same articles, each against the first: speed, vectors, recall."""
    first = next(iter(runs.values()))["ingest"]
    lines = ["embedder            raw chunks/s  ingest s  ingest vs first  cosine to first mean / min  "
             "answer-recall@5  article-recall@5"]
    for label, r in runs.items():
        ing, srv = r["ingest"], r["serve"]
        recall = (f"{srv['answer_recall_at_5']:.1%}", f"{srv['article_recall_at_5']:.1%}") \
            if srv["recall_questions"] else ("-", "-")
        lines.append(f"{label:<18}  {ing['raw_chunks_per_s']:>12.1f}  {ing['seconds']:>8.1f}  "
                     f"{ing['seconds'] / first['seconds']:>15.2f}  {r['cosine_mean']:>12.5f} / {r['cosine_min']:.5f}  "
                     f"{recall[0]:>15}  {recall[1]:>16}")
    return "\n".join(lines)
