"""Follow-up questions made standalone from the questions before them, on questions as reporters and
readers ask them."""

import pytest

from qa.answering.generation import GenerationFailed
from qa.articles import Article
from qa.composition import open_service
from qa.conversation.followups import ModelFollowUps, ParsedFollowUps
from qa.query import Query
from qa.text.pipeline import DEFAULT_PIPELINE, load_pipeline
from tests.qa.answering.test_generation import FakeChatServer

NETANYAHU_ON_HAMAS = "What did Netanyahu say about Hamas?"


@pytest.fixture(scope="module")
def followups() -> ParsedFollowUps:
    return ParsedFollowUps(lambda: load_pipeline(DEFAULT_PIPELINE))


@pytest.mark.parametrize(
    ("history", "question", "standalone"),
    [
        # A pronoun stands for the person asked about before.
        ([NETANYAHU_ON_HAMAS], "And what did he say about Iran?", "What did Netanyahu say about Iran?"),
        ([NETANYAHU_ON_HAMAS], "Did he thank Putin?", "Did Netanyahu thank Putin?"),
        (["What did Boris Johnson say about Brexit?"], "Why did he resign?", "Why did Boris Johnson resign?"),
        # Possessives keep their form.
        ([NETANYAHU_ON_HAMAS], "What did his government decide?", "What did Netanyahu's government decide?"),
        # "it" is the topic, or whoever spoke when it is the subject of a verb of speaking.
        (["What did the White House say about the ceasefire?"], "When did it start?",
         "When did the ceasefire start?"),
        (["What did the White House say about the ceasefire?"], "And what did it say about Iran?",
         "What did the White House say about Iran?"),
        (["What did Macron say about pensions?"], "What did the unions say about it?",
         "What did the unions say about pensions?"),
        # "they" is the organisation or group that spoke or acted.
        (["What did police say about the shooting?"], "Who did they arrest?", "Who did police arrest?"),
        (["What did the protesters demand?"], "Where did they march?", "Where did the protesters march?"),
        # A fragment takes the place of its counterpart: the topic, the person, or the same preposition's phrase.
        ([NETANYAHU_ON_HAMAS], "What about Iran?", "What did Netanyahu say about Iran?"),
        (["What did the Kremlin say about the drone attack?"], "What about Ukraine?",
         "What did the Kremlin say about Ukraine?"),
        ([NETANYAHU_ON_HAMAS], "And Putin?", "What did Putin say about Hamas?"),
        (["Why did Boris Johnson resign?"], "And Theresa May?", "Why did Theresa May resign?"),
        (["Who won the election in Georgia?"], "And in Ohio?", "Who won the election in Ohio?"),
        # Questions typed in lower case, as chat boxes get them.
        (["what did netanyahu say about iran"], "and what did he say about russia",
         "What did netanyahu say about russia"),
        # A chain: each earlier question is made standalone first.
        ([NETANYAHU_ON_HAMAS, "And about Iran?"], "Did he mention Russia?", "Did Netanyahu mention Russia?"),
    ],
)
def test_a_follow_up_is_filled_from_the_questions_before(followups, history, question, standalone) -> None:
    assert followups.standalone(question, history) == standalone


@pytest.mark.parametrize(
    ("history", "question"),
    [
        # Questions that stand alone stay as they are.
        ([NETANYAHU_ON_HAMAS], "What did Biden say about Iran?"),
        ([NETANYAHU_ON_HAMAS], "How many hostages were released?"),
        # A pronoun that looks back to a person of its own question.
        (["What did Zelensky say about Russia?"], "What did Biden say about his plan?"),
        # An "it" that stands for nothing.
        ([NETANYAHU_ON_HAMAS], "Is it raining in Kyiv?"),
        # Words alone are a search of their own, not a fragment of the question before.
        ([NETANYAHU_ON_HAMAS], "storm harbour"),
    ],
)
def test_a_question_that_stands_alone_is_kept(followups, history, question) -> None:
    assert followups.standalone(question, history) == question


def test_without_history_nothing_is_parsed() -> None:
    def no_pipeline():
        raise AssertionError("parsed a question with no history")

    assert ParsedFollowUps(no_pipeline).standalone("Did he resign?", []) == "Did he resign?"


class Replying:
    def __init__(self, reply: str | Exception) -> None:
        self.reply = reply
        self.messages: list[dict[str, str]] = []

    def complete(self, messages: list[dict[str, str]]) -> str:
        self.messages = messages
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


class Parsed:
    def standalone(self, question, history) -> str:
        return "parsed"


def test_a_model_rewrites_from_the_history_it_is_shown() -> None:
    model = Replying('"What did Netanyahu say about Iran?"\n')
    rewritten = ModelFollowUps(model, Parsed()).standalone("And about Iran?", [NETANYAHU_ON_HAMAS])
    assert rewritten == "What did Netanyahu say about Iran?"
    assert NETANYAHU_ON_HAMAS in model.messages[-1]["content"] and "And about Iran?" in model.messages[-1]["content"]


@pytest.mark.parametrize("reply", [GenerationFailed("timed out"), "", "One.\nTwo.", "x" * 1000])
def test_the_parse_stands_when_the_model_fails_or_does_not_rewrite(reply) -> None:
    assert ModelFollowUps(Replying(reply), Parsed()).standalone("And about Iran?", [NETANYAHU_ON_HAMAS]) == "parsed"


def test_with_a_model_configured_the_service_asks_it_to_rewrite(settings, embedder) -> None:
    server = FakeChatServer()
    configured = settings.model_copy(update={"llm_base_url": server.url, "llm_model": "m"})
    service = open_service(configured, embedder)
    try:
        service.ingest_articles([Article("talks", "Netanyahu said Iran was behind the attacks.")])
        server.reply = "What did Netanyahu say about Iran?"
        rewritten = service.retrieve(Query("And about Iran?", history=(NETANYAHU_ON_HAMAS,)))
        assert rewritten.question == "What did Netanyahu say about Iran?"
        assert "And about Iran?" in server.requests[0]["body"]["messages"][-1]["content"]
        server.reply = None  # the model fails: the parse stands in
        assert service.retrieve(Query("What about Iran?", history=(NETANYAHU_ON_HAMAS,))).question == \
            "What did Netanyahu say about Iran?"
    finally:
        service.close()
        server.close()
