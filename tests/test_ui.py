"""The chat UI in real headless Chromium against a real `newsqa serve` (SmolLM2, real store, no mocks).

Also unit tests of follow-up rewriting, the exposure warning and the HTML escaping.
"""
from __future__ import annotations

import contextlib
import gzip
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import ATTRIBUTION_Q, REPO, free_port, running

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
START_TIMEOUT = 240  # seconds for the server to answer HTTP (imports + models on a busy 2-core box)
ANSWER_TIMEOUT = 300_000  # ms for a final answer in the browser


@contextlib.contextmanager
def served(store: Path, log: Path, *extra: str):
    """`newsqa serve` on a free loopback port; yields its base URL, stops it on exit."""
    port = free_port()
    cmd = [str(REPO / ".venv" / "bin" / "newsqa"), "serve", "--store", str(store), "--port", str(port),
           "--model", "smollm2-135m", *extra]
    url = f"http://127.0.0.1:{port}/"
    with running(cmd, url, log, START_TIMEOUT, cwd=store.parent):
        yield url


@pytest.fixture(scope="module")
def server(seeded_store, tmp_path_factory):
    """A copy of the seeded store (uploads must not leak into other tests), served."""
    root = tmp_path_factory.mktemp("ui")
    store = root / "store"
    shutil.copytree(seeded_store, store)
    with served(store, root / "serve.log") as url:
        yield url, store


@pytest.fixture(scope="module")
def page(server):
    from playwright import sync_api  # a test dependency: missing means a broken install, not a skip
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make install` (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server[0])
        page.wait_for_selector("#nq-question textarea")
        yield page
        browser.close()


def ask(page, question: str, seen: str = "", timeout: int = ANSWER_TIMEOUT) -> tuple[float, float]:
    """Ask in the browser; seconds until answer text is visible and until the answer is final.

    ``seen``: a selector inside the answer that must show up at some point while it streams.
    """
    turn = f'#nq-transcript [data-turn="{page.locator("#nq-transcript .nq-user").count()}"]'
    started = time.perf_counter()
    page.fill("#nq-question textarea", question)
    page.click("#nq-ask")
    page.locator(f"{turn} .nq-text").wait_for(timeout=timeout)
    first = time.perf_counter() - started
    if seen:
        page.locator(f"{turn} {seen}").first.wait_for(timeout=timeout)
    page.locator(f"{turn}[data-done]").wait_for(timeout=timeout)
    return first, time.perf_counter() - started


def last_answer(page):
    return page.locator("#nq-transcript [data-turn]").last


def upload(page, *paths: Path) -> None:
    page.locator("#nq-files input[type=file]").set_input_files([str(p) for p in paths])
    page.wait_for_function(f"() => document.querySelectorAll('#nq-files .file-preview tr, #nq-files .file').length"
                           f" >= {len(paths)} || document.querySelector('#nq-files')?.textContent.includes("
                           f"'{paths[-1].name}')", timeout=60_000)
    page.click("#nq-upload")
    page.wait_for_function(f"() => document.querySelectorAll('#nq-results tr').length === {len(paths)}",
                           timeout=ANSWER_TIMEOUT)


def result_of(page, name: str) -> tuple[str, str]:
    row = page.locator("#nq-results tr", has_text=name)
    return row.locator("td").nth(1).inner_text(), row.locator("td").nth(2).inner_text()


def test_answer_with_highlighted_citation_and_followup(page, tmp_path):
    # The quoted answer comes at once with its card; the model's verified answer may replace it.
    first, full = ask(page, ATTRIBUTION_Q, seen=".nq-card mark:has-text('offered no proof')")
    answer = last_answer(page)
    print(f"\nbrowser: first answer text after {first:.1f}s, final answer after {full:.1f}s: "
          f"{answer.locator('.nq-text').inner_text()!r}")
    page.screenshot(path=str(tmp_path / "answer.png"), full_page=True)
    # SmolLM2, checked by words only, may abstain or quote another sentence of the article (on an
    # AVX2 machine, "They said further attacks would depend ..."): the page must show it cited.
    assert "US Conducts Airstrikes" in answer.locator(".nq-card").first.inner_text()
    if answer.get_attribute("class") != "nq-abstained":
        marks = answer.locator(".nq-card mark").all_inner_texts()
        assert any(m.strip(" .") in answer.locator(".nq-text").inner_text() for m in marks), answer.inner_text()

    # Quoting mode from here: the checks are of the page, not of SmolLM2's judgement.
    page.click("#nq-mode label:has-text('extract')")
    # A pronoun follow-up is searched with the previous question's topic.
    ask(page, "How many people were killed in the strikes?")
    ask(page, "and how many were wounded?")
    searched = page.locator("#nq-transcript .nq-searched").last.inner_text()
    assert "strikes" in searched, searched
    assert "50" in last_answer(page).locator(".nq-text").inner_text()

    # [n] is a link to its card: following it brings the card into view.
    link = last_answer(page).locator("a.nq-cite").first
    card_id = link.get_attribute("href").removeprefix("#")
    page.evaluate("window.scrollTo(0, 0)")
    link.click()
    page.wait_for_function(f"() => {{ const r = document.getElementById('{card_id}').getBoundingClientRect();"
                           " return r.top >= 0 && r.top < window.innerHeight; }")
    page.click("#nq-mode label:has-text('default')")
    page.screenshot(path=str(tmp_path / "followup.png"), full_page=True)


def test_upload_then_ask_and_rejections(page, tmp_path):
    article = tmp_path / "lighthouse.txt"
    article.write_text("Coastal town gets a beacon\n\nDate: 2021-03-04\n\n"
                       "The town of Fennick Bay opened a beacon on Thursday. "
                       "The new lighthouse in Fennick Bay was designed by the engineer Marta Kowalczyk. "
                       "Its lamp can be seen from 30 kilometres away.\n", encoding="utf-8")
    binary = tmp_path / "scan.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 8)
    packed = tmp_path / "feed.jsonl.gz"
    packed.write_bytes(gzip.compress(b'{"title": "Harbour dues rise", "text": "Harbour dues in Fennick Bay rise '
                                     b'by 4 percent from May.", "date": "2021-04-01"}\n'))
    upload(page, article, binary, packed)
    page.screenshot(path=str(tmp_path / "upload.png"), full_page=True)
    assert result_of(page, "lighthouse.txt")[0] == "ingested"
    assert result_of(page, "feed.jsonl.gz")[0] == "ingested"
    status, reason = result_of(page, "scan.txt")
    assert status == "rejected" and "binary" in reason, reason
    page.wait_for_function("() => document.querySelector('#nq-articles').textContent.includes('Coastal town gets a beacon')")

    upload(page, article)
    assert result_of(page, "lighthouse.txt")[0] == "duplicate"

    page.click("#nq-mode label:has-text('extract')")
    ask(page, "Who designed the new lighthouse in Fennick Bay?")
    page.click("#nq-mode label:has-text('default')")
    answer = last_answer(page)
    assert "Kowalczyk" in " ".join(answer.locator(".nq-card mark").all_inner_texts()), answer.inner_text()
    assert "Coastal town gets a beacon" in answer.locator(".nq-card-head").first.inner_text()


def test_article_markup_is_shown_as_text(page, tmp_path):
    """Article text with <script> and <img onerror> renders literally, and nothing of it runs."""
    page.click("#nq-paste")  # open the accordion
    page.fill("#nq-paste-title textarea, #nq-paste-title input", 'Quillan ferry <img src=x onerror="window.__pwned=1">')
    page.fill("#nq-paste-text textarea", "The Quillan River ferry <script>window.__pwned=2</script> carries "
              'forty cars. <img src=x onerror="window.__pwned=3"> It sails every hour.')
    page.fill("#nq-paste-date textarea, #nq-paste-date input", "2022-05-06")
    page.click("#nq-paste-add")
    page.wait_for_function("() => document.querySelector('#nq-results')?.textContent.includes('ingested')",
                           timeout=ANSWER_TIMEOUT)
    page.wait_for_function("() => document.querySelector('#nq-articles').textContent.includes('Quillan ferry <img')")

    ask(page, "How many cars does the Quillan River ferry carry?")
    answer = last_answer(page)
    shown = answer.inner_text()
    assert "<script>window.__pwned=2</script>" in shown, shown
    assert "Quillan ferry <img" in shown
    assert page.evaluate("() => window.__pwned") is None
    assert answer.locator("script, img").count() == 0
    page.screenshot(path=str(tmp_path / "markup.png"), full_page=True)


def test_stop_then_ask_again(page):
    """Stop ends the answer in progress; the model is free again, and the next question is answered."""
    page.click("#nq-mode label:has-text('generate')")
    before = page.locator("#nq-transcript .nq-user").count()
    page.fill("#nq-question textarea", "What kind of aircraft carried out the strikes?")
    page.click("#nq-ask")
    page.locator("#nq-transcript .nq-user").nth(before).wait_for()
    page.click("#nq-stop")
    page.locator(f'#nq-transcript [data-turn="{before}"][data-done]').wait_for(timeout=ANSWER_TIMEOUT)
    # Quoting mode: what is checked here is that the next answer comes, not SmolLM2's judgement.
    page.click("#nq-mode label:has-text('extract')")
    ask(page, "How many PMU bases did the strikes target?", timeout=120_000)
    assert "five PMU bases" in last_answer(page).locator(".nq-text").inner_text()
    page.click("#nq-mode label:has-text('default')")


def test_no_files_outside_uploads(server):
    """Gradio's file route serves neither system files nor the store."""
    url, store = server
    for target in ("/etc/passwd", str(store / "chroma.sqlite3"), str(REPO / "pyproject.toml")):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{url}gradio_api/file={target}", timeout=10)
        assert err.value.code in (403, 404), target


@pytest.mark.fast
def test_followup_rewriting():
    from qa.followup import is_followup, rewrite

    history = ["Who ordered the US airstrikes on the militia bases?"]
    assert rewrite("and how many were killed?", history) == \
        "How many were killed (about ordered, US airstrikes, militia bases)?"
    assert "US airstrikes" in rewrite("who ordered them?", history)
    standalone = "What kind of aircraft carried out the strikes?"
    assert not is_followup(standalone) and rewrite(standalone, history) == standalone
    assert rewrite("who ordered them?", []) == "who ordered them?"
    # A chain of follow-ups keeps the topic.
    second = rewrite("and how many were wounded?", [history[0], rewrite("and how many were killed?", history)])
    assert "militia bases" in second and "wounded" in second


@pytest.mark.fast
@pytest.mark.parametrize("question, earlier, read", [
    ("did she say how big their strike fund is", "Who is Denise Okafor?", "did Denise Okafor say how big their strike fund is"),
    ("does he think it's a fake", "who's jonathan price", "does Jonathan Price think it's a fake"),
    ("How many places turned her down?", "What does Dolores Okafor do for a living?",
     "How many places turned Dolores Okafor down?"),
    ("what did her lawyer say", "What did Maria Lopez tell the court?", "what did Maria Lopez's lawyer say"),
    ("and how long has he been doing this?", "What's Jason Ditz's job?", "and how long has Jason Ditz been doing this?"),
    # No one person named before: the question as asked.
    ("How long has she been running the company?", "Who's Kestrel's boss?", "How long has she been running the company?"),
    ("what did she say", "What did Helen Varga and Tom Reyes say?", "what did she say"),
    ("did she apologise", "Who leads Northgate Health?", "did she apologise"),  # "she" is the answer
])
def test_a_pronoun_names_the_person_the_previous_question_named(question, earlier, read):
    from qa.followup import resolve

    assert resolve(question, [earlier]) == read
    assert resolve(question, []) == question
    # A follow-up naming no one in between: the person named before it.
    assert resolve(question, [earlier, "What does she do?"]) == read


@pytest.mark.fast
def test_exposure_warning_and_auth():
    from ui.app import exposure_warning, parse_auth

    assert exposure_warning("0.0.0.0", None) and "--auth" in exposure_warning("192.168.1.5", None)
    assert exposure_warning("0.0.0.0", "me:secret") is None
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        assert exposure_warning(host, None) is None, host
    assert parse_auth("me:se:cret") == ("me", "se:cret")
    with pytest.raises(ValueError):
        parse_auth("nopassword")


@pytest.mark.fast
def test_render_escapes_article_text():
    import datetime as dt

    from qa import Answer, Citation
    from ui import render

    passage = "Intro. <b>Bold</b> claim here. After."
    quote = "<b>Bold</b> claim here."
    start = 100 + passage.index(quote)
    c = Citation(1, "a1", "<i>T</i>", "javascript:alert(1)", dt.date(2020, 1, 2), passage, 100, start,
                 start + len(quote), quote)
    out = render.answer(0, Answer("q", f"{quote} [1] [7] [1, 7]", False, [c]), "done")
    assert "<b>Bold</b>" not in out and "<i>T</i>" not in out and "javascript:" not in out
    assert "<mark>&lt;b&gt;Bold&lt;/b&gt; claim here.</mark>" in out
    assert 'href="#nq-t0-c1"' in out and 'id="nq-t0-c1"' in out and "[7]" in out and "#nq-t0-c7" not in out
    assert out.count('href="#nq-t0-c1"') == 2  # [1, 7]: its known number linked too


@pytest.mark.fast
def test_an_upload_says_what_became_of_each_file():
    """A file whose article is stored with the same text but another date or byline was updated, not
    rejected for holding no article."""
    from qa import IngestReport
    from ui.upload import verdict

    assert verdict("a.txt", IngestReport(updated=1), []).status == "updated"
    assert verdict("a.txt", IngestReport(skipped=1), []).status == "duplicate"
    assert verdict("a.txt", IngestReport(articles=1, chunks=2, replaced=1), []).status == "replaced"
    assert verdict("a.txt", IngestReport(), []).status == "rejected"
