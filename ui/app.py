"""The Gradio page: a chat over the stored articles, and a side panel to add, list and remove them
and to follow news feeds.

It calls the public ``qa`` API only; answering, rewriting and ingesting live behind it.
"""
# No `from __future__ import annotations`: Gradio finds a handler's `request: gr.Request` parameter
# by evaluating its annotation, and `gr` is imported inside build() only.
import contextlib
import ipaddress
import json
import os
from pathlib import Path
from urllib.parse import urlparse

from qa import MODES, Assistant

from . import chat, feeds, render, upload

SEED_QA = Path(__file__).resolve().parents[1] / "seeds" / "seed_qa.jsonl"
# Retrieval runs in parallel; the model itself serves one answer at a time (it holds a lock).
ASK_CONCURRENCY = 4


def build(assistant: Assistant):
    import gradio as gr

    answering = chat.Answering()

    def on_ask(question, turns, as_of, sites, mode, request: gr.Request):
        # closing(): should Gradio drop this handler (the page went away), the answer stream is closed too.
        with answering.run(request.session_hash) as stop, \
                contextlib.closing(chat.ask(assistant, question, turns, as_of, sites or (), mode, stop)) as updates:
            for k, now in enumerate(updates):
                if now is None:  # nothing new: Gradio may check on the connection
                    yield gr.skip(), gr.skip(), gr.skip()
                else:  # empty the box once; later it may hold the next question being typed
                    yield ("" if k == 0 else gr.skip()), now, render.chat(now)

    def on_stop(request: gr.Request):
        answering.end(request.session_hash)  # the answer shows itself stopped

    def on_clear(request: gr.Request):
        answering.end(request.session_hash)  # first, so that its last transcript comes before the empty one
        return [], render.chat([])

    def on_upload(paths, progress=gr.Progress()):
        if not paths:
            return "<p>Choose one or more files first.</p>", None
        return render.results(upload.ingest_files(assistant, paths, progress)), None

    def on_paste(title, text, date, url):
        if not text.strip():
            return "<p>Paste the article's text first.</p>", title, text, date, url
        return render.results([upload.ingest_pasted(assistant, title, text, date, url)]), "", "", "", ""

    def on_remove(article_id):
        if not article_id:
            return "<p>Pick an article first.</p>"
        n = assistant.remove(article_id)
        row = render.FileResult(article_id, "removed" if n else "rejected", f"{n} chunks removed" if n else "not found")
        return render.results([row])

    def on_follow(url):
        if not url.strip():
            return "<p>Enter a feed's URL first.</p>", url
        return render.results(feeds.follow(assistant, url.strip())), ""

    def on_refresh_feeds(progress=gr.Progress()):
        progress(0.0, "fetching the followed feeds")
        return render.results(feeds.refresh(assistant))

    def on_unfollow(url):
        if not url:
            return "<p>Pick a feed first.</p>"
        gone = assistant.unfollow(url)
        return render.results([render.FileResult(url, "removed" if gone else "rejected",
                                                 "no longer followed; its articles stay" if gone else "not followed")])

    def refresh():
        articles = assistant.articles()
        sites = sorted({site(a.url) for a in articles} - {""})
        choices = [(f"{a.title or a.id} ({a.date_label})", a.id) for a in articles]
        followed = assistant.feeds()
        return (render.stats(assistant.stats()), render.articles(articles),
                gr.Dropdown(choices=choices, value=None), gr.Dropdown(choices=sites), render.feeds(followed),
                gr.Dropdown(choices=[(f.title or f.url, f.url) for f in followed], value=None))

    def answer(question: str, as_of: str = "", sites: list[str] | None = None, mode: str = "") -> dict:
        """One final answer as JSON (the Answer dataclass), for programmatic clients."""
        return assistant.ask(question, as_of=as_of.strip() or None, sites=sites or (), mode=mode or None).to_dict()

    with gr.Blocks(title="newsqa") as demo:
        turns = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                gr.Markdown("## newsqa: answers from your news articles, with cited passages")
                transcript = gr.HTML(render.chat([]), elem_id="nq-transcript", js_on_load=None)
                question = gr.Textbox(label="Question", placeholder="Ask about the stored articles…  (Enter to send)",
                                      elem_id="nq-question", autofocus=True)
                with gr.Row():
                    ask_btn = gr.Button("Ask", variant="primary", elem_id="nq-ask")
                    stop_btn = gr.Button("Stop", variant="stop", elem_id="nq-stop")
                    clear_btn = gr.Button("New chat", elem_id="nq-clear")
                if examples := seed_questions():
                    gr.Examples([[q] for q in examples], inputs=[question], label="Example questions")
            with gr.Column(scale=2, elem_id="nq-side"):
                with gr.Accordion("Answer settings", open=True):
                    mode = gr.Radio(list(MODES), value=assistant.config.mode, label="Answer mode", elem_id="nq-mode",
                                    info="default: quote at once, then the model; generate: model only; extract: quote only")
                    as_of = gr.Textbox(label="As of (YYYY-MM-DD)", placeholder="any date", elem_id="nq-as-of",
                                       info="ignore articles published after this date")
                    sites = gr.Dropdown([], multiselect=True, allow_custom_value=True, label="Only these sites",
                                        elem_id="nq-sites")
                with gr.Accordion("Add articles", open=True):
                    files = gr.File(file_count="multiple", type="filepath", elem_id="nq-files",
                                    label="Upload txt, md, html, jsonl, jsonl.gz (several at once)")
                    upload_btn = gr.Button("Add files", elem_id="nq-upload")
                    with gr.Accordion("…or paste an article", open=False, elem_id="nq-paste"):
                        p_title = gr.Textbox(label="Title", elem_id="nq-paste-title")
                        p_text = gr.Textbox(label="Text", lines=6, elem_id="nq-paste-text")
                        p_date = gr.Textbox(label="Date (optional)", placeholder="YYYY-MM-DD", elem_id="nq-paste-date")
                        p_url = gr.Textbox(label="URL (optional)", elem_id="nq-paste-url")
                        paste_btn = gr.Button("Add article", elem_id="nq-paste-add")
                    results = gr.HTML(elem_id="nq-results", js_on_load=None)
                with gr.Accordion("News feeds", open=True):
                    feed_url = gr.Textbox(label="Follow a feed", elem_id="nq-feed-url",
                                          placeholder="https://…/feed.xml (RSS, Atom, JSON Feed) or an OPML list")
                    with gr.Row():
                        follow_btn = gr.Button("Follow", elem_id="nq-follow")
                        refresh_btn = gr.Button("Refresh now", elem_id="nq-refresh-feeds")
                    feed_results = gr.HTML(elem_id="nq-feed-results", js_on_load=None)
                    feed_list = gr.HTML(elem_id="nq-feeds", js_on_load=None)
                    feed_pick = gr.Dropdown([], label="Feed to unfollow", elem_id="nq-feed-pick")
                    unfollow_btn = gr.Button("Unfollow", elem_id="nq-unfollow")
                with gr.Accordion("Store", open=True):
                    stats = gr.HTML(elem_id="nq-stats", js_on_load=None)
                    listing = gr.HTML(elem_id="nq-articles", js_on_load=None)
                    pick = gr.Dropdown([], label="Article to remove", elem_id="nq-pick")
                    remove_btn = gr.Button("Remove article", variant="stop", elem_id="nq-remove")

        store_views = [stats, listing, pick, sites, feed_list, feed_pick]
        gr.on([ask_btn.click, question.submit], on_ask, [question, turns, as_of, sites, mode],
                       [question, turns, transcript], api_name="ask", concurrency_limit=ASK_CONCURRENCY,
                       concurrency_id="ask", trigger_mode="always_last")
        # Not cancels=[asking]: see chat.Answering. No queueing behind other sessions' Stop.
        stop_btn.click(on_stop, None, None, api_name=False, concurrency_limit=None)
        clear_btn.click(on_clear, None, [turns, transcript], api_name=False, concurrency_limit=None)
        # Ingest and remove write the store: one at a time.
        upload_btn.click(on_upload, files, [results, files], concurrency_id="write", api_name=False
                         ).then(refresh, None, store_views, api_name=False)
        paste_btn.click(on_paste, [p_title, p_text, p_date, p_url], [results, p_title, p_text, p_date, p_url],
                        concurrency_id="write", api_name=False).then(refresh, None, store_views, api_name=False)
        remove_btn.click(on_remove, pick, results, concurrency_id="write", api_name=False
                         ).then(refresh, None, store_views, api_name=False)
        follow_btn.click(on_follow, feed_url, [feed_results, feed_url], concurrency_id="write", api_name=False
                         ).then(refresh, None, store_views, api_name=False)
        refresh_btn.click(on_refresh_feeds, None, feed_results, concurrency_id="write", api_name=False
                          ).then(refresh, None, store_views, api_name=False)
        unfollow_btn.click(on_unfollow, feed_pick, feed_results, concurrency_id="write", api_name=False
                           ).then(refresh, None, store_views, api_name=False)
        demo.load(refresh, None, store_views, api_name=False)
        gr.api(answer, api_name="answer", concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask")
    return demo


def seed_questions() -> list[str]:
    """Example questions from seeds/seed_qa.jsonl (none when the seeds are not there)."""
    if not SEED_QA.is_file():
        return []
    return [json.loads(line)["question"] for line in SEED_QA.read_text(encoding="utf-8").splitlines() if line.strip()]


def site(url: str) -> str:
    """The site filter's key for a URL, as the store records it: host without "www."."""
    return urlparse(url).netloc.lower().removeprefix("www.")


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``user:password`` as Gradio's auth pair."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not (user and sep and password):
        raise ValueError("--auth must be USER:PASSWORD")
    return user, password


def exposure_warning(host: str, auth: str | None) -> str | None:
    """A warning when the UI is reachable beyond this machine with no login; None when it is fine."""
    if auth or is_loopback(host):
        return None
    return (f"newsqa: warning: serving on {host} without --auth: anyone who can reach this port "
            "can read, add and remove articles")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(assistant: Assistant, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None,
          max_upload_mb: float = 64) -> None:
    """Serve the UI (loopback unless told otherwise); uploads above ``max_upload_mb`` are refused."""
    credentials = parse_auth(auth)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry calls
    import gradio as gr

    # System fonts: the default theme would fetch Google Fonts, and there is no internet.
    theme = gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])
    build(assistant).queue().launch(server_name=host, server_port=port, auth=credentials, share=False,
                                    max_file_size=int(max_upload_mb * 2**20), theme=theme, css=render.CSS,
                                    show_error=True)
