"""The chat page in real headless Chromium: ask, read the cited answer, open the source with the quote
highlighted; filters and "as of"; source details and safe links; untrusted article text stays text;
the stream shown as it arrives; keyboard only; phone and desktop screens."""

import threading

import pytest

from qa.errors import ModelUnavailable
from tests.api.page.helpers import (
    NETANYAHU, REQUIRE_BROWSER, STRIKE, STRIKE_BEGINS, STRIKE_ENDS, WRITTEN, ask, browsing, cited_lines, fits_across,
    focused, in_viewport, missing_browser, passage_of, passage_titles, screenshot, send, serve_stream, set_filters,
    the_original, written_by,
)

pytestmark = pytest.mark.integration


def test_ask_see_citation_open_it_and_see_the_quote_highlighted(page) -> None:
    ask(page, NETANYAHU)
    turn = page.locator(".turn").last
    first_sentence = turn.locator(".sentence").first.inner_text()
    assert "gratitude towards Putin" in first_sentence
    assert turn.locator(".passages > li").count() >= 1
    turn.locator(".marker").first.click()
    dialog = page.locator("#source-view")
    dialog.wait_for(state="visible")
    mark = dialog.locator("mark")
    assert mark.inner_text() == first_sentence
    assert page.locator("#source-title").inner_text() == "Netanyahu’s Firm Stance in Diplomatic Dialogue with Putin"
    assert mark.is_visible() and in_viewport(page, mark)
    screenshot(page, "chat-source-open.png", full_page=True)


def test_the_short_answer_is_marked_within_the_answer(page) -> None:
    ask(page, "Who did Netanyahu thank for the release of Israeli citizens?")
    answer = page.locator(".turn").last.locator(".answer")
    mark = answer.locator("mark.short-answer")
    assert mark.count() == 1 and mark.inner_text() == "Putin"
    assert "gratitude towards Putin" in answer.locator(".sentence").first.inner_text()
    screenshot(page, "chat-short-answer.png")


def test_the_short_answer_mark_counts_characters_as_the_api_does(page) -> None:
    # The API's offsets count code points; an emoji before the name is two UTF-16 units in the page.
    text = "Crowds 🎉 cheered as Maria Alvarez opened the ferry line on Monday."
    start = text.index("Maria")
    source = {k: v for k, v in passage_of(STRIKE_ENDS).items() if k not in ("text", "score", "also_reported_by")}
    citation = {**source, "start": 0, "end": len(text), "quote": text, "speaker": None}
    short = {"text": "Maria Alvarez", "article_id": source["article_id"], "start": start,  # Python counts code points
             "end": start + len("Maria Alvarez")}
    serve_stream(
        page, ("passages", {"passages": [passage_of(STRIKE_ENDS)]}),
        ("answer", {"answerable": True, "reason": None, "answer": text, "short_answer": short, "generated": False}),
        ("citations", {"citations": [citation]}), ("done", {"elapsed_ms": 1}),
    )
    ask(page, "Who opened the ferry line?")
    mark = page.locator(".turn").last.locator(".answer mark.short-answer")
    assert mark.inner_text() == "Maria Alvarez"


def test_hostile_article_text_is_shown_as_text_and_never_runs(page) -> None:
    ask(page, "What did Ruiz announce about the bridge toll?")
    answer = page.locator(".turn").last
    assert "bridge toll" in answer.locator(".answer").inner_text()
    hostile = answer.locator(".passages > li", has_text="<b>Bridge</b> toll")
    assert hostile.count() >= 1 and hostile.locator("a").count() == 0, "a javascript: URL is never made a link"
    answer.locator(".marker").first.click()
    page.locator("#source-view").wait_for(state="visible")
    text = page.locator("#source-text").inner_text()
    assert "<script>window.__pwned = 'script'</script>" in text and "<img src=x onerror=" in text
    assert page.locator("#source-title").inner_text().startswith("<b>Bridge</b> toll <script>")
    assert page.locator("#source-meta").inner_text() == "<i>City desk</i>"
    assert page.locator("img").count() == 0 and page.locator("body script").count() == 0
    assert page.locator("#source-meta a").count() == 0, "a javascript: URL is never made a link"
    assert page.evaluate("window.__pwned") is None
    screenshot(page, "chat-hostile-article.png", full_page=True)


def test_a_data_url_is_never_a_link(newsroom_page) -> None:
    ask(newsroom_page, "What did the lighthouse keepers write in their logbook?")
    turn = newsroom_page.locator(".turn").last
    log = turn.locator(".passages > li", has_text="Lighthouse keepers' log").first
    assert "Archive desk" in log.inner_text()
    assert log.locator("a").count() == 0 and turn.locator("a[href^='data:']").count() == 0
    log.locator(".link-button").click()
    newsroom_page.locator("#source-view").wait_for(state="visible")
    assert newsroom_page.locator("#source-meta").inner_text() == "Archive desk"
    assert newsroom_page.locator("#source-meta a").count() == 0
    assert newsroom_page.evaluate("window.__pwned") is None


def test_sources_show_title_source_date_and_a_safe_working_link(newsroom_page) -> None:
    set_filters(newsroom_page, published_before="2024-03-31")
    ask(newsroom_page, STRIKE)
    turn = newsroom_page.locator(".turn").last
    source = turn.locator(".passages > li", has_text=STRIKE_BEGINS["title"]).first
    assert source.locator(".link-button").inner_text() == STRIKE_BEGINS["title"]
    assert source.locator(".meta").inner_text().startswith("Harbour Gazette · 2024-03-05 · ")
    assert cited_lines(turn)[0].startswith(f"{STRIKE_BEGINS['title']} · Harbour Gazette · 2024-03-05 · ")
    link = source.locator("a")
    assert link.get_attribute("href") == STRIKE_BEGINS["url"] and link.get_attribute("target") == "_blank"
    assert "noopener" in link.get_attribute("rel").split()
    screenshot(newsroom_page, "chat-source-details.png", full_page=True)

    # The link opens the original in a new tab that cannot reach back into the page.
    newsroom_page.context.route("https://harbour-gazette.example/**", the_original)
    with newsroom_page.context.expect_page() as opened:
        link.click()
    original = opened.value
    original.wait_for_load_state()
    assert original.url == STRIKE_BEGINS["url"] and original.title() == "the original"
    assert original.evaluate("window.opener") is None
    original.close()

    turn.locator(".marker").first.click()
    newsroom_page.locator("#source-view").wait_for(state="visible")
    assert newsroom_page.locator("#source-title").inner_text() == STRIKE_BEGINS["title"]
    assert newsroom_page.locator("#source-meta").inner_text() == "Harbour Gazette · 2024-03-05 · original article"
    assert newsroom_page.locator("#source-meta a").get_attribute("href") == STRIKE_BEGINS["url"]


def test_a_moment_is_shown_as_its_date_and_time_in_utc(newsroom_page) -> None:
    set_filters(newsroom_page, published_after="2024-06-01")
    ask(newsroom_page, STRIKE)
    source = newsroom_page.locator(".turn").last.locator(".passages > li", has_text=STRIKE_ENDS["title"]).first
    assert source.locator(".meta").inner_text().startswith("Island Times · 2024-06-20 09:30 UTC · ")
    assert source.locator("time").get_attribute("datetime") == STRIKE_ENDS["published_at"]


def test_without_dates_both_reports_of_the_strike_are_found(newsroom_page) -> None:
    ask(newsroom_page, STRIKE)
    titles = passage_titles(newsroom_page.locator(".turn").last)
    assert STRIKE_BEGINS["title"] in titles and STRIKE_ENDS["title"] in titles


@pytest.mark.parametrize(
    ("filters", "kept", "left_out"),
    [
        ({"published_before": "2024-03-31"}, STRIKE_BEGINS, STRIKE_ENDS),
        ({"published_after": "2024-04-01"}, STRIKE_ENDS, STRIKE_BEGINS),
        ({"published_after": "2024-03-01", "published_before": "2024-04-01"}, STRIKE_BEGINS, STRIKE_ENDS),
        ({"as_of": "2024-04-01"}, STRIKE_BEGINS, STRIKE_ENDS),  # before the deal was reported
    ],
    ids=["published-before", "published-after", "between", "as-of"],
)
def test_date_filters_keep_the_answer_and_passages_within_the_dates(newsroom_page, filters, kept, left_out) -> None:
    set_filters(newsroom_page, **filters)
    ask(newsroom_page, STRIKE)
    turn = newsroom_page.locator(".turn").last
    titles, cited = passage_titles(turn), cited_lines(turn)
    assert kept["title"] in titles and left_out["title"] not in titles
    assert cited and all(line.startswith(kept["title"]) for line in cited)
    assert all(left_out["published_at"][:10] not in line for line in turn.locator(".meta").all_inner_texts())


def test_not_found_is_said_plainly_with_the_nearest_passages(page) -> None:
    ask(page, "What is the boiling point of liquid nitrogen in a vacuum chamber?")
    turn = page.locator(".turn").last
    assert turn.locator(".status").inner_text() == "Not found in the articles."
    assert turn.locator(".passages-title").inner_text() == "Nearest passages"
    assert turn.locator(".passages > li").count() >= 1 and turn.locator(".passages > li").first.is_visible()
    assert turn.locator(".marker").count() == 0 and turn.locator(".answer").inner_text() == ""


def test_source_filter_narrows_the_articles(page) -> None:
    set_filters(page, source="no-such-source.example")
    ask(page, NETANYAHU)
    turn = page.locator(".turn").last
    assert turn.locator(".status").inner_text() in {"Not found in the articles.", "No passages match."}
    assert turn.locator(".passages > li").count() == 0


def test_passages_show_as_soon_as_they_arrive_before_the_answer(browser, site) -> None:
    released = threading.Event()

    class HeldBack:
        def complete(self, messages):
            released.wait(timeout=120)  # the test releases it once it has seen the passages
            return WRITTEN

    with written_by(site, HeldBack()) as base, browsing(browser, base) as page:
        try:
            send(page, NETANYAHU)
            turn = page.locator(".turn").last
            turn.locator(".passages > li").first.wait_for()
            assert turn.locator(".status").inner_text() == "Reading the best passages…"
            assert turn.locator(".answer").inner_text() == "" and page.locator("#send").is_disabled()
            screenshot(page, "chat-passages-before-answer.png")
        finally:
            released.set()
        page.locator(".turn.done").wait_for(timeout=30_000)
        assert turn.locator(".written").inner_text().startswith("Netanyahu thanked Putin for the release")
        assert turn.locator(".status").is_hidden() and page.locator("#send").is_enabled()


def test_an_error_event_is_shown_plainly_with_the_passages_kept(browser, site) -> None:
    class Unreachable:
        def complete(self, messages):
            raise ModelUnavailable("the answer model cannot be reached")

    with written_by(site, Unreachable()) as base, browsing(browser, base) as page:
        send(page, NETANYAHU)
        turn = page.locator(".turn.failed")
        turn.wait_for(timeout=30_000)
        assert turn.locator(".status.error").inner_text() == "Error: the answer model cannot be reached."
        assert turn.locator(".passages > li").count() >= 1 and turn.locator(".answer").inner_text() == ""
        assert page.locator("#send").is_enabled()


def test_a_stream_that_stops_early_says_the_answer_was_cut_off(page) -> None:
    serve_stream(page, ("passages", {"passages": [passage_of(STRIKE_ENDS)]}))
    send(page, STRIKE)
    turn = page.locator(".turn").last
    turn.locator(".status.error").wait_for()
    assert turn.locator(".status").inner_text() == "The answer was cut off before it was complete: ask again."
    assert passage_titles(turn) == [STRIKE_ENDS["title"]] and page.locator("#send").is_enabled()


def test_a_passage_shows_the_part_that_matched_not_the_sentences_around_it(page) -> None:
    text = "The union met on Monday. Workers voted to end the strike on Friday. Talks went on for weeks."
    matched = text.index("Workers"), text.index(" Talks")
    passage = {**passage_of(STRIKE_ENDS), "start": 100, "end": 100 + len(text), "text": text,
               "match_start": 100 + matched[0], "match_end": 100 + matched[1]}
    serve_stream(page, ("passages", {"passages": [passage]}))
    send(page, STRIKE)
    turn = page.locator(".turn").last
    turn.locator(".status.error").wait_for()
    assert turn.locator(".passages .snippet").inner_text() == "Workers voted to end the strike on Friday."


def test_no_answer_within_the_dates_says_so_and_lists_the_passages_sent_instead(page) -> None:
    serve_stream(
        page, ("passages", {"passages": []}), ("passages", {"passages": [passage_of(STRIKE_ENDS)]}),
        ("answer", {"answerable": False, "reason": "outside_date_range", "answer": None, "generated": False}),
        ("citations", {"citations": []}), ("done", {"elapsed_ms": 1}),
    )
    ask(page, STRIKE)
    turn = page.locator(".turn").last
    assert turn.locator(".status").inner_text() == "Not found in the articles within those dates."
    assert turn.locator(".passages-title").inner_text() == "Nearest passages, outside those dates"
    assert passage_titles(turn) == [STRIKE_ENDS["title"]]


def test_each_quoted_sentence_shows_who_says_it_as_text(page) -> None:
    text = STRIKE_ENDS["text"]
    said, unsaid = text.index("Ferry crossings"), text.index("The ferry strike")
    source = {k: v for k, v in passage_of(STRIKE_ENDS).items() if k not in ("text", "score", "also_reported_by")}
    citations = [
        {**source, "start": said, "end": len(text), "quote": text[said:], "speaker": "Maria Alvarez"},
        {**source, "start": unsaid, "end": said - 1, "quote": text[unsaid : said - 1], "speaker": None},
        {**source, "start": said, "end": len(text), "quote": text[said:],
         "speaker": "<img src=x onerror=\"window.__pwned = 'speaker'\">"},
    ]
    serve_stream(
        page, ("passages", {"passages": [passage_of(STRIKE_ENDS)]}),
        ("answer", {"answerable": True, "reason": None, "answer": "…", "generated": False}),
        ("citations", {"citations": citations}), ("done", {"elapsed_ms": 1}),
    )
    ask(page, STRIKE)
    answer = page.locator(".turn").last.locator(".answer")
    assert answer.locator(".speaker").all_inner_texts() == [
        "— Maria Alvarez", "— <img src=x onerror=\"window.__pwned = 'speaker'\">"]
    assert answer.inner_text().startswith(f"{text[said:]} — Maria Alvarez [1] {text[unsaid : said - 1]} [2] ")
    assert page.locator("img").count() == 0 and page.evaluate("window.__pwned") is None
    screenshot(page, "chat-speakers.png")


def test_a_written_answer_shows_its_markers_as_sources(browser, site) -> None:
    class Writes:
        def complete(self, messages):
            return WRITTEN

    with written_by(site, Writes()) as base, browsing(browser, base) as page:
        ask(page, NETANYAHU)
        written = page.locator(".turn .written")
        assert written.inner_text().startswith("Netanyahu thanked Putin for the release")
        written.locator(".marker").click()
        page.locator("#source-view").wait_for(state="visible")
        assert page.locator("mark").inner_text().startswith("Netanyahu’s gratitude towards Putin")


def test_a_follow_up_is_answered_as_the_question_it_continues_until_a_new_conversation(page) -> None:
    sent: list[dict] = []
    page.on("request", lambda request: sent.append(request.post_data_json) if "/v1/ask" in request.url else None)
    ask(page, "What did Netanyahu say about Iran?")
    send(page, "And what did he say about Putin?")
    page.locator(".turn.done").nth(1).wait_for(timeout=30_000)
    follow_up = page.locator(".turn").last
    assert sent[-1]["history"] == ["What did Netanyahu say about Iran?"]
    assert follow_up.locator(".rewritten").inner_text() == "Answered as: What did Netanyahu say about Putin?"
    assert "Putin" in follow_up.locator(".answer").inner_text()
    screenshot(page, "chat-follow-up.png")
    page.click("#new-conversation")
    assert page.locator(".turn").count() == 0
    ask(page, "And what did he say about Putin?")
    assert "history" not in sent[-1]
    assert page.locator(".turn").last.locator(".rewritten").is_hidden()


def test_tab_reaches_the_question_box_send_filters_and_markers(page) -> None:
    ask(page, NETANYAHU)
    visited = [focused(page)]  # the question box: the page leaves focus there after an answer
    for _ in range(40):
        page.keyboard.press("Tab")
        visited.append(focused(page))
        if visited[-1] == "summary":
            page.keyboard.press("Enter")  # opens the filters, so their fields come next
        if visited[-1] == visited[0]:
            break
    # A date field is one stop per part (month, day, year); "body" is the browser's own controls in between.
    stops = list(dict.fromkeys(step for step in visited if step != "body"))
    assert stops[:11] == ["#question", "#send", "#new-conversation", "summary", "#source", "#published-after",
                          "#published-before", "#as-of", "#top-k", "#api-key", ".marker"]
    assert visited[-1] == "#question" and visited.count(".marker") == page.locator(".marker").count()


def test_a_marker_opens_by_keyboard_and_escape_closes_it(page) -> None:
    page.keyboard.type(NETANYAHU)  # the question box has focus on load
    page.keyboard.press("Enter")
    page.locator(".turn.done").last.wait_for(timeout=30_000)
    for _ in range(10):
        if focused(page) == ".marker":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "[1]"
    page.keyboard.press("Enter")
    page.locator("#source-view").wait_for(state="visible")
    assert page.locator("mark").is_visible() and in_viewport(page, page.locator("mark"))
    assert page.evaluate("document.getElementById('source-view').contains(document.activeElement)")
    page.keyboard.press("Escape")
    page.locator("#source-view").wait_for(state="hidden")
    assert page.evaluate("document.activeElement.textContent") == "[1]", "focus returns to the marker"


@pytest.mark.parametrize(
    ("name", "viewport", "mobile"),
    [
        ("small-phone", {"width": 320, "height": 568}, True),
        ("phone", {"width": 390, "height": 844}, True),
        ("desktop", {"width": 1280, "height": 900}, False),
    ],
    ids=["small-phone", "phone", "desktop"],
)
def test_readable_on_phone_and_desktop_screens(browser, site, name, viewport, mobile) -> None:
    with browsing(browser, site.base, viewport=viewport, is_mobile=mobile, has_touch=mobile) as page:
        page.click("summary")
        assert fits_across(page), "the open filters fit the screen's width"
        screenshot(page, f"chat-{name}-filters.png")
        page.click("summary")
        ask(page, "What did Ruiz announce about the bridge toll?")
        ask(page, NETANYAHU)
        assert fits_across(page)
        question = page.locator(".turn").last.locator(".you")
        assert in_viewport(page, question), "the latest question is in sight, its answer below it"
        screenshot(page, f"chat-{name}.png")
        page.locator(".turn").last.locator(".marker").first.click()
        page.locator("#source-view").wait_for(state="visible")
        assert page.locator("#source-view").bounding_box()["width"] <= viewport["width"]
        close = page.locator("#source-close")
        assert close.is_visible() and in_viewport(page, close)
        assert min(close.bounding_box()["width"], close.bounding_box()["height"]) >= 44, "a thumb-sized target"
        screenshot(page, f"chat-{name}-source.png")


def test_the_page_uses_nothing_from_other_hosts(browser, site) -> None:
    context = browser.new_context()
    page = context.new_page()
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.goto(site.base)
    page.wait_for_load_state("networkidle")
    assert hosts == {site.base.split("/")[2]}
    context.close()


def test_a_missing_browser_skips_an_ad_hoc_run() -> None:
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        missing_browser("no chromium", {})


def test_a_missing_browser_fails_a_run_that_requires_it() -> None:
    with pytest.raises(pytest.fail.Exception, match="no chromium, and QA_REQUIRE_BROWSER=1 requires"):
        missing_browser("no chromium", {REQUIRE_BROWSER: "1"})
