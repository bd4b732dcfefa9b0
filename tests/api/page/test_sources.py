"""The chat page as a reporter reads it: every cited article among the sources, first, in the order of
first citation; one entry per article with its passages beneath; citation markers grouped by article;
each cited sentence copied with its attribution by button and by keyboard; the dates an answer holds for."""

import json

import httpx
import pytest

from api.pages import PAGE_POLICY
from tests.api.page.helpers import (
    NETANYAHU, STRIKE, STRIKE_BEGINS, STRIKE_ENDS, ask, browsing, fits_across, focused, passage_of, screenshot,
    serve_stream, set_filters,
)

pytestmark = pytest.mark.integration

CLIPBOARD = ["clipboard-read", "clipboard-write"]
SPEAKER = "Maria Alvarez"  # who says a quote, as the who-said-what work names them
# Without the clipboard API (a page served over plain http is not a secure context), the page falls back
# to the copy command; what that copies is caught where it happens.
NO_CLIPBOARD_API = """
    Object.defineProperty(Navigator.prototype, "clipboard", { get: () => undefined });
    document.addEventListener("copy", (event) => { window.__copied = event.target.value; }, true);
"""


SCREENS = {"phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
           "desktop": {"viewport": {"width": 1280, "height": 900}}}


@pytest.fixture(params=list(SCREENS))
def screen(request, browser, newsroom):
    """The newsroom's page on a phone and on a desktop screen, allowed the clipboard."""
    with browsing(browser, newsroom.base, permissions=CLIPBOARD, **SCREENS[request.param]) as page:
        page.screen_name = request.param
        yield page


def api_answer(base: str, question: str, **body) -> dict:
    response = httpx.post(f"{base}/v1/ask", json={"question": question, **body}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def source_titles(turn) -> list[str]:
    return turn.locator(".passages > li > .link-button").all_inner_texts()


def in_order_of_appearance(items, key) -> list:
    return list(dict.fromkeys(key(item) for item in items))


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def citation_of(article: dict, quote: str, speaker: str | None = None) -> dict:
    start = article["text"].index(quote)
    return {"article_id": article["id"], "title": article["title"], "url": article["url"],
            "source": article["source"], "published_at": article["published_at"],
            "start": start, "end": start + len(quote), "quote": quote, "speaker": speaker}


def passage_at(article: dict, text: str, also: list[dict] = ()) -> dict:
    start = article["text"].index(text)
    return {**passage_of(article), "chunk_id": f"{article['id']}-{start}", "start": start, "end": start + len(text),
            "match_start": start, "match_end": start + len(text), "text": text,
            "also_reported_by": [{k: a[k] for k in ("title", "url", "source", "published_at")} | {"article_id": a["id"]}
                                 for a in also]}


ENDS_FIRST = "The ferry strike ended on Thursday after ferry workers accepted a pay rise of six percent."
ENDS_SECOND = "Ferry crossings to the island restart on Monday, the operator said."
BEGINS_FIRST = "Ferry workers at the harbour began a strike on Tuesday over pay."


def press(button) -> None:
    """A tap on a touch screen, a click elsewhere."""
    button.tap() if button.page.screen_name == "phone" else button.click()


def serve_answer(page, passages: list[dict], citations: list[dict], dates: dict | None = None) -> None:
    serve_stream(
        page, ("passages", {"passages": passages}),
        ("answer", {"answerable": True, "reason": None, "answer": " ".join(c["quote"] for c in citations),
                    "short_answer": None, "generated": False, "dates": dates}),
        ("citations", {"citations": citations}), ("done", {"elapsed_ms": 1}),
    )


def test_the_cited_article_is_the_first_source_and_each_article_is_listed_once(page, site) -> None:
    expected = api_answer(site.base, NETANYAHU)
    ask(page, NETANYAHU)
    turn = page.locator(".turn").last
    titles = source_titles(turn)
    # The page lists the API's passages, one entry per article, in the API's order.
    assert titles == in_order_of_appearance(expected["passages"], lambda p: p["title"])
    assert len(titles) == len(set(titles))
    cited = in_order_of_appearance(expected["citations"], lambda c: c["title"])
    assert titles[: len(cited)] == cited
    first = turn.locator(".passages > li").first
    own = [p for p in expected["passages"] if p["title"] == titles[0]]
    assert first.locator(".snippets li").count() == len(own) > 1, "the article's passages beneath it"
    screenshot(page, "chat-sources-grouped.png", full_page=True)


def test_the_citation_list_groups_an_article_s_markers(page, site) -> None:
    expected = api_answer(site.base, NETANYAHU)
    assert len({c["article_id"] for c in expected["citations"]}) == 1 and len(expected["citations"]) == 3
    ask(page, NETANYAHU)
    cited = page.locator(".turn").last.locator(".cited > li")
    assert cited.count() == 1
    assert cited.locator(".numbers").inner_text() == "[1–3]"
    assert cited.locator(".quotes li").count() == 3
    assert page.locator(".turn").last.locator(".answer .marker").all_inner_texts() == ["[1]", "[2]", "[3]"]


def test_sources_group_passages_by_article_with_their_other_reports(screen) -> None:
    page = screen
    passages = [passage_at(STRIKE_ENDS, ENDS_FIRST, also=[STRIKE_BEGINS]), passage_at(STRIKE_BEGINS, BEGINS_FIRST),
                passage_at(STRIKE_ENDS, ENDS_SECOND)]
    citations = [citation_of(STRIKE_ENDS, ENDS_FIRST), citation_of(STRIKE_ENDS, ENDS_SECOND),
                 citation_of(STRIKE_BEGINS, BEGINS_FIRST), citation_of(STRIKE_ENDS, ENDS_FIRST),
                 citation_of(STRIKE_ENDS, ENDS_SECOND), citation_of(STRIKE_ENDS, ENDS_SECOND)]
    serve_answer(page, passages, citations)
    ask(page, STRIKE)
    turn = page.locator(".turn").last
    assert source_titles(turn) == [STRIKE_ENDS["title"], STRIKE_BEGINS["title"]]
    ends = turn.locator(".passages > li").first
    assert ends.locator(".snippets li").all_inner_texts() == [ENDS_FIRST, ENDS_SECOND]
    assert ends.locator(".also").inner_text().startswith("Also reported by: Harbour Gazette · 2024-03-05 · ")
    assert ends.locator(".also a").get_attribute("href") == STRIKE_BEGINS["url"]
    assert turn.locator(".cited .numbers").all_inner_texts() == ["[1, 2, 4–6]", "[3]"]
    ends.locator(".link-button").click()
    page.locator("#source-view").wait_for(state="visible")
    assert page.locator("#source-text mark").all_inner_texts() == [ENDS_FIRST, ENDS_SECOND]
    assert page.locator("#source-text .stale").count() == 0
    screenshot(page, f"chat-sources-other-reports-{page.screen_name}.png", full_page=True)


def test_the_sources_follow_the_answer_s_order_once_it_is_known(newsroom_page) -> None:
    page = newsroom_page
    first, then = [passage_at(STRIKE_BEGINS, BEGINS_FIRST), passage_at(STRIKE_ENDS, ENDS_FIRST)], [
        passage_at(STRIKE_ENDS, ENDS_FIRST), passage_at(STRIKE_BEGINS, BEGINS_FIRST)]
    serve_stream(
        page, ("passages", {"passages": first}), ("passages", {"passages": then}),
        ("answer", {"answerable": True, "reason": None, "answer": ENDS_FIRST, "short_answer": None,
                    "generated": False, "dates": None}),
        ("citations", {"citations": [citation_of(STRIKE_ENDS, ENDS_FIRST)]}), ("done", {"elapsed_ms": 1}),
    )
    ask(page, STRIKE)
    assert source_titles(page.locator(".turn").last) == [STRIKE_ENDS["title"], STRIKE_BEGINS["title"]]


EMOJI = {"id": "parade", "title": "Parade 🎉 report", "source": "City desk", "url": "https://city.example/parade",
         "published_at": "2024-07-01",
         "text": "Crowds 🎉 cheered the parade on Monday. The mayor 🎺 led the band. Rain 🌧 held off all day."}


def test_passages_after_characters_outside_the_basic_plane_are_cut_and_marked_where_the_api_says(newsroom_page) -> None:
    page = newsroom_page
    text = EMOJI["text"]
    # The API counts code points; Python's str does too, so these offsets are the API's.
    led, rain = "The mayor 🎺 led the band.", "Rain 🌧 held off all day."
    passages = [passage_at(EMOJI, led), passage_at(EMOJI, rain)]
    serve_answer(page, passages, [citation_of(EMOJI, led)])
    page.route("**/v1/articles/parade", lambda route: route.fulfill(
        content_type="application/json", body=json.dumps({**EMOJI, "authors": [], "text": text})))
    ask(page, "Who led the band?")
    turn = page.locator(".turn").last
    assert turn.locator(".snippets li").all_inner_texts() == [led, rain]
    turn.locator(".passages .link-button").click()
    page.locator("#source-view").wait_for(state="visible")
    assert page.locator("#source-text mark").all_inner_texts() == [led, rain]
    assert page.locator("#source-text .stale").count() == 0


def test_a_quote_is_copied_with_its_attribution_by_button(screen) -> None:
    page = screen
    serve_answer(page, [passage_at(STRIKE_ENDS, ENDS_FIRST)],
                 [citation_of(STRIKE_ENDS, ENDS_SECOND, SPEAKER), citation_of(STRIKE_ENDS, ENDS_FIRST)])
    ask(page, STRIKE)
    assert page.locator(".cited .said-by").all_inner_texts() == [f"— {SPEAKER}"]
    copy = page.locator(".turn").last.locator(".cited .copy")
    press(copy.first)
    assert clipboard(page) == f"“{ENDS_SECOND}” — {SPEAKER}, Island Times, 20 June 2024, {STRIKE_ENDS['url']}"
    copy.first.filter(has_text="Copied").wait_for()
    page.locator("#announcer", has_text="Copied the quote with its attribution.").wait_for(state="attached")
    press(copy.nth(1))  # no speaker known: the article's own sentence, attributed to the outlet
    assert clipboard(page) == f"“{ENDS_FIRST}” — Island Times, 20 June 2024, {STRIKE_ENDS['url']}"
    screenshot(page, f"chat-copy-quote-{page.screen_name}.png")


def test_the_copied_quote_is_the_verified_one_from_the_api(browser, site) -> None:
    expected = api_answer(site.base, NETANYAHU)["citations"]
    with browsing(browser, site.base, permissions=CLIPBOARD) as page:
        ask(page, NETANYAHU)
        copies = page.locator(".turn").last.locator(".cited .copy")
        for n, citation in enumerate(expected):
            copies.nth(n).click()
            # The seeds give no outlet, date or link: the quote and who said it, exactly as the article has it.
            who = f" — {citation['speaker']}" if citation["speaker"] else ""
            assert clipboard(page) == f"“{citation['quote']}”{who}"


def test_a_quote_is_copied_by_keyboard(screen) -> None:
    page = screen
    serve_answer(page, [passage_at(STRIKE_ENDS, ENDS_FIRST)],
                 [citation_of(STRIKE_ENDS, ENDS_FIRST), citation_of(STRIKE_ENDS, ENDS_SECOND, SPEAKER)])
    ask(page, STRIKE)
    markers = 0
    for _ in range(40):  # Tab to the second marker, then C
        page.keyboard.press("Tab")
        markers += focused(page) == ".marker"
        if markers == 2:
            break
    assert page.evaluate("document.activeElement.textContent") == "[2]"
    page.keyboard.press("c")
    assert clipboard(page) == f"“{ENDS_SECOND}” — {SPEAKER}, Island Times, 20 June 2024, {STRIKE_ENDS['url']}"
    assert page.evaluate("document.activeElement.textContent") == "[2]", "focus stays on the marker"
    page.evaluate("navigator.clipboard.writeText('')")
    for _ in range(10):  # on to the first copy button, then Enter
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.className") == "copy":
            break
    page.keyboard.press("Enter")
    assert clipboard(page) == f"“{ENDS_FIRST}” — Island Times, 20 June 2024, {STRIKE_ENDS['url']}"


def test_without_the_clipboard_api_the_copy_command_copies_the_same(browser, newsroom) -> None:
    with browsing(browser, newsroom.base) as page:
        page.add_init_script(NO_CLIPBOARD_API)
        page.reload()
        serve_answer(page, [passage_at(STRIKE_ENDS, ENDS_FIRST)], [citation_of(STRIKE_ENDS, ENDS_SECOND, SPEAKER)])
        ask(page, STRIKE)
        page.locator(".turn").last.locator(".cited .copy").click()
        assert page.evaluate("window.__copied") == (
            f"“{ENDS_SECOND}” — {SPEAKER}, Island Times, 20 June 2024, {STRIKE_ENDS['url']}")
        assert page.locator(".offscreen").count() == 0, "the text copied from is removed again"


@pytest.mark.parametrize(
    ("filters", "said"),
    [
        ({"as_of": "2024-04-01"}, "As of 1 April 2024."),
        ({"published_after": "2024-03-01", "published_before": "2024-04-01"},
         "Published between 1 March 2024 and 1 April 2024."),
        ({"published_after": "2024-06-01"}, "Published from 1 June 2024 on."),
    ],
    ids=["as-of", "between", "after"],
)
def test_an_answer_within_dates_says_so(screen, newsroom, filters, said) -> None:
    set_filters(screen, **filters)
    ask(screen, STRIKE)
    turn = screen.locator(".turn").last
    assert turn.locator(".answer .marker").count() >= 1
    assert turn.locator(".dates").inner_text() == said
    as_of = {k: v for k, v in filters.items() if k == "as_of"}
    expected = api_answer(newsroom.base, STRIKE, filters={k: v for k, v in filters.items() if k != "as_of"}, **as_of)
    assert f"{expected['dates']['text'][0].upper()}{expected['dates']['text'][1:]}." == said


def test_an_answer_without_dates_says_none(newsroom_page) -> None:
    ask(newsroom_page, STRIKE)
    assert newsroom_page.locator(".turn").last.locator(".dates").is_hidden()


def test_not_found_within_dates_says_which_dates(page) -> None:
    set_filters(page, published_before="2001-01-01")
    ask(page, NETANYAHU)
    turn = page.locator(".turn").last
    assert turn.locator(".dates").inner_text() == "Published up to 1 January 2001."
    assert turn.locator(".status").inner_text().startswith("Not found in the articles")


@pytest.mark.parametrize(
    ("name", "viewport", "mobile"),
    [("phone", {"width": 390, "height": 844}, True), ("desktop", {"width": 1280, "height": 900}, False)],
    ids=["phone", "desktop"],
)
def test_sources_and_copying_read_well_on_phone_and_desktop(browser, site, name, viewport, mobile) -> None:
    options = {"viewport": viewport, "is_mobile": mobile, "has_touch": mobile, "permissions": CLIPBOARD}
    with browsing(browser, site.base, **options) as page:
        set_filters(page, as_of="2024-06-03")
        ask(page, NETANYAHU)
        turn = page.locator(".turn").last
        assert fits_across(page)
        assert turn.locator(".dates").inner_text() == "As of 3 June 2024."
        copy = turn.locator(".cited .copy").first
        box = copy.bounding_box()
        if mobile:
            assert min(box["width"], box["height"]) >= 44, "a thumb-sized target"
        copy.tap() if mobile else copy.click()
        assert clipboard(page).startswith("“")
        turn.locator(".cited").scroll_into_view_if_needed()
        screenshot(page, f"chat-sources-{name}.png", full_page=True)


def test_the_page_keeps_its_content_security_policy(site) -> None:
    response = httpx.get(site.base)
    assert response.headers["content-security-policy"] == PAGE_POLICY
    assert "'unsafe-inline'" not in PAGE_POLICY and "'unsafe-eval'" not in PAGE_POLICY
