"""Answer composition through the service with the fake model: who said what, lists, reprints,
abstention with its reason, and citations checked before they leave."""

from datetime import datetime, timezone

import pytest

from qa.answering.generation import AnswerWriter
from qa.articles import Article
from qa.models import Abstention
from qa.query import Filters, Query
from qa.composition import open_service
from qa.service import QAService
from qa.settings import Settings
from tests.fakes import DecliningModel, FakeEmbedder

CALL = Article("call", (
    "Israeli Prime Minister Benjamin Netanyahu spoke with Russian President Vladimir Putin on Sunday.\n\n"
    "Putin said that Iran wanted peace and trade with Israel and the region.\n\n"
    "The Israeli Prime Minister warned that Iran and its drones were a danger to Israel and the region.\n\n"
    "Netanyahu also said that the hostages held in Gaza must come home soon.\n\n"
    "Topics of the call about Iran and Gaza included:\n"
    "- Drone deliveries from Iran to Russia.\n"
    "- Hostages held in Gaza.\n"
    "- Humanitarian aid for Gaza."
), title="Netanyahu and Putin talk", published_at="2024-03-01")
THRESHOLDS = {"min_passage_score": 0.1, "min_answer_score": 0.1}


@pytest.fixture
def service(settings: Settings, embedder: FakeEmbedder) -> QAService:
    service = open_service(settings.model_copy(update=THRESHOLDS), embedder)
    service.ingest_articles([CALL])
    return service


def quotes(answer) -> list[str]:
    return [c.quote for c in answer.citations]


def test_what_someone_said_cites_that_speaker_not_others(service: QAService) -> None:
    answer = service.ask(Query("What did Netanyahu say about Iran?"))
    assert quotes(answer)[0].startswith("The Israeli Prime Minister warned that Iran")
    assert all("Putin said" not in q for q in quotes(answer))


def test_what_someone_said_about_a_topic_quotes_them_on_that_topic_only(service: QAService) -> None:
    answer = service.ask(Query("What did Netanyahu say about Iran?"))
    assert all("Iran" in q for q in quotes(answer)), "his words on the hostages are not about Iran"
    assert quotes(service.ask(Query("What did Netanyahu say about the hostage?"))) == [
        "Netanyahu also said that the hostages held in Gaza must come home soon.",
    ]


def test_a_speaker_who_says_nothing_on_the_topic_gets_an_honest_no(service: QAService) -> None:
    answer = service.ask(Query("What did Netanyahu say about Syria?"))
    assert answer.abstention is Abstention.LOW_CONFIDENCE and answer.citations == () and answer.passages


@pytest.mark.parametrize("question", [
    "According to Netanyahu, what danger do Iran and its drones pose?",
    "What danger do Iran and its drones pose, according to the Israeli prime minister?",
    "What has Netanyahu said about Iran?",
    "What did Netanyahu tell Putin about Iran?",
    "How did Netanyahu describe Iran and its drones?",
    "What was Netanyahu’s reaction to the drones from Iran?",
])
def test_other_ways_of_asking_what_someone_said(service: QAService, question: str) -> None:
    assert quotes(service.ask(Query(question))) == [
        "The Israeli Prime Minister warned that Iran and its drones were a danger to Israel and the region.",
    ]


def test_a_speaker_the_articles_do_not_quote_gets_an_honest_no(service: QAService) -> None:
    answer = service.ask(Query("What did Macron say about Iran?"))
    assert not answer.answerable and answer.abstention is Abstention.LOW_CONFIDENCE and answer.passages


def test_a_lead_in_answers_with_its_list(service: QAService) -> None:
    answer = service.ask(Query("What topics of the call about Iran and Gaza were included?"))
    assert quotes(answer) == ["- Drone deliveries from Iran to Russia.", "- Hostages held in Gaza.",
                              "- Humanitarian aid for Gaza."]


def test_a_reprint_does_not_repeat_the_same_sentence(service: QAService) -> None:
    service.ingest_articles([Article("reprint", "From the wire: " + CALL.text, published_at="2024-03-01")])
    answer = service.ask(Query("What did Putin say Iran wanted?"))
    assert len({" ".join(q.split()) for q in quotes(answer)}) == len(quotes(answer))


def test_every_quote_is_its_article_text(service: QAService) -> None:
    for question in ("What did Netanyahu say about Iran?", "Which topics were included?", "What did Putin say?"):
        for citation in service.ask(Query(question)).citations:
            assert service.article(citation.origin.article_id).text[citation.start : citation.end] == citation.quote


def test_a_citation_that_no_longer_matches_its_article_is_dropped_and_reported(settings: Settings,
                                                                              embedder: FakeEmbedder) -> None:
    corrected = Article("call", CALL.text.replace("Putin said", "Putin claimed"))
    # The correction lands while a model is writing: after the answer was composed, before its quotes are checked.
    model = DecliningModel(meanwhile=lambda: service.ingest_articles([corrected]))
    service = open_service(settings.model_copy(update=THRESHOLDS), embedder, writer=AnswerWriter(model))
    service.ingest_articles([CALL])
    dropped = []
    service.on_dropped_citation(dropped.append)
    answer = service.ask(Query("What did Putin say about Iran?"))
    assert dropped and all("Putin said" not in q for q in quotes(answer))
    service.close()


BEFORE_THE_CALL = Filters(published_before=datetime(2023, 1, 1, tzinfo=timezone.utc))


def test_no_answer_inside_the_dates_asked_says_so_and_lists_what_there_is_and_when(service: QAService) -> None:
    answer = service.ask(Query("What did Netanyahu say about Iran?", filters=BEFORE_THE_CALL))
    assert answer.abstention is Abstention.OUTSIDE_DATE_RANGE and answer.citations == () and answer.text is None
    assert answer.passages, "the nearest passages without the dates are listed"
    assert {p.origin.published_at for p in answer.passages} == {"2024-03-01"}


def test_weak_passages_inside_the_dates_still_say_the_answer_is_outside_them(service: QAService) -> None:
    service.ingest_articles([Article("earlier", "Iran tested drones in the desert.", published_at="2022-06-01")])
    limited = Query("What did Netanyahu say about Iran?", filters=BEFORE_THE_CALL)
    assert [p.origin.article_id for p in service.search(limited)] == ["earlier"]
    answer = service.ask(limited)
    assert answer.abstention is Abstention.OUTSIDE_DATE_RANGE
    assert {p.origin.article_id for p in answer.passages} == {"call", "earlier"}


def test_asked_as_of_a_day_nothing_published_later_is_listed(service: QAService) -> None:
    service.ingest_articles([Article("earlier", "Iran tested drones in the desert.", published_at="2022-06-01")])
    answer = service.ask(Query("What did Netanyahu say about Iran?", as_of=datetime(2023, 1, 1, tzinfo=timezone.utc)))
    assert answer.abstention is Abstention.OUTSIDE_DATE_RANGE
    assert [p.origin.article_id for p in answer.passages] == ["earlier"]


def test_an_abstention_the_dates_do_not_explain_keeps_its_reason(service: QAService) -> None:
    answer = service.ask(Query("What did Macron say about Iran?", filters=BEFORE_THE_CALL))
    assert answer.abstention is Abstention.NO_RELEVANT_PASSAGES and answer.passages == ()


CALL_ABOUT_CITIZENS = Article("thanks", (
    "Netanyahu and Putin\nNetanyahu on Putin, Putin on Netanyahu\nThe two leaders spoke by phone for an hour.\n\n"
    "Netanyahu said he wanted to thank Putin for the release of Israeli citizens with dual Russian citizenship "
    "held in Gaza, a gesture both offices welcomed after months of quiet talks."
), title="The call")
UNRELATED = [Article(f"brief-{n}", text) for n, text in enumerate([
    "Rain is expected over the coast on Tuesday.", "The museum reopens its east wing in June.",
    "Local bakers won a regional prize for rye bread.", "The ferry timetable changes next month.",
])]


def test_the_answer_reads_the_best_passages_not_the_first_listed(settings: Settings, embedder: FakeEmbedder) -> None:
    # Passages listed as their chunks alone, so that what is listed is only what matched.
    service = open_service(settings.model_copy(update={"passage_chars": 0}), embedder)
    service.ingest_articles([CALL_ABOUT_CITIZENS, *UNRELATED])
    retrieval = service.retrieve(Query("Why did Netanyahu thank Putin?"))
    listed = retrieval.passages[: retrieval.top_k]
    # One article at a time: the unrelated briefs come before the call's second passage in the list.
    assert [p.origin.article_id for p in listed][0] == "thanks"
    assert {p.origin.article_id for p in listed[1:]} == {a.id for a in UNRELATED}
    assert all("release of Israeli citizens" not in p.text for p in listed)
    answer = service.answer(retrieval)
    assert answer.answerable and any("release of Israeli citizens" in q for q in quotes(answer))
    service.close()


LONG_NEWS = [
    Article(f"budget-{n}", " ".join(
        f"The city budget for {year} spends more on roads, schools and the harbour, the council report shows."
        for year in range(2000 + n, 2040 + n)
    ), title=f"City budget {n}") for n in range(3)
]
SHORT = Article("weapons", (
    "Secretary of State Antony Blinken said in a statement Saturday that this third authorization for "
    "weapons shipments to Ukraine in less than a year was unprecedented."
), title="Weapons for Ukraine")
HEARING = Article("hearing", (
    "Cassidy Hutchinson testified on Tuesday about the events of January 6. "
    "Trump said on Truth Social during Hutchinson's testimony that he hardly knew her."
), title="The hearing")


@pytest.fixture
def archive(settings: Settings, embedder: FakeEmbedder) -> QAService:
    service = open_service(settings, embedder)
    service.ingest_articles([*LONG_NEWS, SHORT, HEARING])
    return service


def test_a_statement_in_a_short_article_answers_whatever_its_passage_scores(archive: QAService) -> None:
    answer = archive.ask(Query("What did Blinken say about Ukraine?"))
    assert answer.answerable and quotes(answer) == [SHORT.text]
    assert answer.citations[0].speaker == "Antony Blinken"


def test_someone_elses_words_are_never_given_as_theirs(archive: QAService) -> None:
    # The article quotes Trump on Hutchinson; Hutchinson herself is not quoted.
    answer = archive.ask(Query("What did Hutchinson say about Trump?"))
    assert not answer.answerable and answer.citations == ()


def test_the_speaker_asked_about_matches_by_possessive_accents_and_case(archive: QAService) -> None:
    for question in ("What were Blinken's remarks on Ukraine?", "What did BLINKEN say about Ukraine?",
                     "What did Antony Blinkén say about Ukraine?"):
        assert quotes(archive.ask(Query(question))) == [SHORT.text], question
