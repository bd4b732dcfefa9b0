"""The answer: the sentences of the best passages closest to the question, quoted verbatim, one
citation each; for "what did X say about Y", sentences in which X is the one speaking. A question
asking for a name, date or amount prefers the sentences holding one of that kind near its words, and
the nearest is the short answer; a question of a period prefers that period's sentences; the best
sentence comes with the one that completes it. When the evidence is weak the answer is an abstention
with its reason, and the passages are still listed."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from index.records import EntityRecord, SpeechRecord
from qa.answering.answer_types import AnswerType, answer_type, asking_sentence
from qa.answering.discourse import next_sentence, previous_sentence
from qa.answering.periods import asked_period, older_penalties, period_penalty
from qa.answering.typed_spans import AskedWords, TypedSpan, typed_spans
from qa.embedding.embedder import Embedder
from qa.models import Abstention, Answer, Citation, Passage, ShortAnswer, Source, Span
from qa.retrieval.retriever import Retrieval
from qa.text.sentences import adjacent_sentences, sentence_spans
from qa.speech.finder import QuoteFinder
from qa.speech.names import same_person
from qa.speech.questions import AskedSpeech, asked_speech
from qa.speech.topics import TOPIC_CLOSENESS, names_topic
from qa.text.words import NAME_MARKS, STOPWORDS, content_words, words

# Embedding the candidate sentences is most of a new question's cost. Reading the two best passages
# rather than three embeds about 30% fewer (9 against 13 a question on realtimeqa); the share of
# realtimeqa answers holding a gold string and every seed result stayed the same (docs/benchmarks.md).
PASSAGES_TO_READ = 2
MIN_SENTENCE_WORDS = 4
# Headlines, subheads and lead-ins ("Key areas included:") name a topic without saying anything
# about it; a line that does not end like a sentence is only a candidate when it is long.
SENTENCE_ENDINGS = (".", "!", "?", "…", '"', "”", "’", "'", ")")
MIN_UNPUNCTUATED_WORDS = 15
# A further sentence must score nearly as well as the best one to be worth adding. The preferences
# added to closeness (a name of the kind asked for, the period asked about) spread the scores by up
# to 0.2 more than closeness alone, for which 0.1 was set: with 0.15 two more realtimeqa dev answers
# hold their gold string and none loses it (docs/benchmarks.md).
FURTHER_SENTENCE_MARGIN = 0.15
# An answer tells something the question does not: a sentence naming people, places or numbers the
# question does not name gains up to this much; one that only restates the question loses the other.
NOVELTY_BONUS = 0.1
RESTATEMENT_PENALTY = 0.2
# Two sentences sharing this much of their words say the same thing (a reprint's copy).
SAME_FACT_OVERLAP = 0.8
# "Key areas of focus included:" answers with the list that follows it; at most this many items.
LIST_ITEMS = 3
# The best sentences handed to a writing model as evidence.
EVIDENCE_SENTENCES = 8
# "What did X say about Y": X's statements naming Y come first, then those close to Y in meaning
# (TOPIC_CLOSENESS); of all X said in the articles, this many best on the topic are read.
STATEMENTS_READ = 50
NAMES_TOPIC, NEAR_TOPIC, OFF_TOPIC = 2, 1, 0
# Beyond the passages read whole, a sentence is read when it holds a name of the kind asked for this
# near the question's words (qa.answering.typed_spans: within three words). Each sentence read costs
# an embedding; on the realtimeqa dev questions reading every one holding a name of the kind gave
# the same answers at a third more cost per new question (docs/benchmarks.md).
NEAR_ENOUGH = 0.6
# A sentence holding a name or number of the kind the question asks for, not named by the question,
# gains up to TYPE_BONUS: all of it right beside the question's words, TYPE_BASE of it however far.
TYPE_BONUS = 0.2
TYPE_BASE = 0.3
LIST_ITEM = re.compile(r"^\s*(?:[-–—•*▪●]|\d{1,2}[.)])\s+\S")
# What a sentence names: capitalised words, with the marks names keep, and numbers with theirs.
NAMES_AND_NUMBERS = re.compile(rf"[A-Z][\w{re.escape(NAME_MARKS)}]*|\d[\d,.$%]*")


@dataclass(frozen=True)
class _Candidate:
    """A sentence that may answer; a lead-in line ("…included:") answers with its list `items`. `lead`
    is the sentence before a statement that says what it is about, when the statement only points
    back to it ("Netanyahu's discussion highlighted Israel's right to self-defense." before "He
    emphasized that any nation … would respond")."""

    origin: Source
    span: Span
    quote: str
    speaker: str | None
    items: tuple[tuple[Span, str], ...] = ()
    typed: tuple[TypedSpan, ...] = ()
    lead: Citation | None = None


class _Articles:
    """The texts, speech rows and entities (of the kinds asked for) of the articles one answer reads:
    each article is read from the store once for the question, however many steps need it."""

    def __init__(
        self, texts_of: Callable[[Sequence[str]], dict[str, str]],
        speech_of: Callable[[Sequence[str]], dict[str, list[SpeechRecord]]],
        entities_of: Callable[[Sequence[str], Sequence[str]], dict[str, list[EntityRecord]]], kind: AnswerType | None,
    ) -> None:
        self._texts_of, self._speech_of, self._entities_of = texts_of, speech_of, entities_of
        self._labels = sorted(kind.labels) if kind is not None else None
        self._read: set[str] = set()
        self.texts: dict[str, str] = {}
        self.speech: dict[str, list[SpeechRecord]] = {}
        self.entities: dict[str, list[EntityRecord]] = {}

    def read(self, article_ids: Sequence[str]) -> None:
        missing = [i for i in dict.fromkeys(article_ids) if i not in self._read]
        if not missing:
            return
        self._read.update(missing)
        self.texts.update(self._texts_of(missing))
        self.speech.update(self._speech_of(missing))
        if self._labels is not None:
            self.entities.update(self._entities_of(missing, self._labels))

    def text(self, article_id: str) -> str | None:
        self.read([article_id])
        return self.texts.get(article_id)


class AnswerComposer:
    def __init__(
        self, embedder: Embedder, article_texts: Callable[[Sequence[str]], dict[str, str]],
        speech: Callable[[Sequence[str]], dict[str, list[SpeechRecord]]], quotes: QuoteFinder,
        min_passage_score: float, min_answer_score: float, max_sentences: int,
        entities: Callable[[Sequence[str], Sequence[str]], dict[str, list[EntityRecord]]],
    ) -> None:
        self._entities = entities
        self._embedder = embedder
        self._article_texts = article_texts
        self._speech = speech
        self._quotes = quotes
        self._min_passage_score = min_passage_score
        self._min_answer_score = min_answer_score
        self._max_sentences = max_sentences

    def compose(self, retrieval: Retrieval) -> Answer:
        listed = retrieval.passages[: retrieval.top_k]
        asked = asked_speech(retrieval.question)
        # The best passages by score, not the first listed: those take one article at a time.
        relevant = [p for p in retrieval.best if p.score >= self._min_passage_score][:PASSAGES_TO_READ]
        if asked is not None:
            # What X said is found by speaker and topic among X's statements, not among the passages:
            # a statement on the topic answers even when its article's passages score low.
            articles = self._articles(None)
            statements = self._statements(retrieval, asked, relevant, articles)
            if statements or (relevant and not asked.sourced):
                return self._answer_from(statements, retrieval, asked, listed, None, articles)
            # A source no article quotes ("according to Google ratings") is data, not a speaker: the
            # question of fact is answered from the passages.
        if not relevant:
            return Answer(retrieval.question, None, (), listed, Abstention.NO_RELEVANT_PASSAGES)
        kind = answer_type(retrieval.question)
        if kind is not None:
            # A name or a number is asked for: the listed passages are read too for sentences holding
            # one of its kind, which cost no embedding unless they do.
            relevant = relevant + [p for p in listed if p.score >= self._min_passage_score and p not in relevant]
        articles, asked_words = self._articles(kind), AskedWords.of(retrieval.question)
        candidates = self._candidates(relevant, kind, asked_words, articles)
        return self._answer_from(candidates, retrieval, None, listed, kind, articles)

    def _articles(self, kind: AnswerType | None) -> _Articles:
        return _Articles(self._article_texts, self._speech, self._entities, kind)

    def _answer_from(
        self, candidates: list[_Candidate], retrieval: Retrieval, asked: AskedSpeech | None,
        listed: tuple[Passage, ...], kind: AnswerType | None, articles: _Articles,
    ) -> Answer:
        closeness, tiers = self._scores(candidates, retrieval, asked)
        on_topic = np.flatnonzero(tiers > OFF_TOPIC)
        candidates, closeness, tiers = [candidates[i] for i in on_topic], closeness[on_topic], tiers[on_topic]
        # A statement by the asked speaker naming the topic answers however it scores against the
        # question; one only near the topic in meaning may follow it, but does not answer alone (a
        # speaker's words on the subject of the whole article are near any question about it).
        # Whether to answer at all is judged on closeness alone: the preferences below order the
        # sentences, they do not make a weak one answer.
        if not candidates or (asked is None and float(closeness.max()) < self._min_answer_score) \
                or (asked is not None and asked.topic and int(tiers.max()) < NAMES_TOPIC):
            return Answer(retrieval.question, None, (), listed, Abstention.LOW_CONFIDENCE)
        scores = closeness + self._preferences(candidates, retrieval, asked is None)
        chosen = self._choose(candidates, scores, tiers)
        chosen = self._completed(chosen, kind, retrieval.question, asked is None, articles)
        citations = tuple(citation for c in chosen for citation in _citations(c))
        evidence = tuple(dict.fromkeys(
            [*citations, *(x for i in np.argsort(-scores)[:EVIDENCE_SENTENCES] for x in _citations(candidates[i]))]
        ))
        return Answer(retrieval.question, " ".join(c.quote for c in citations), citations, listed, evidence=evidence,
                      short_answer=_short_answer(chosen))

    @staticmethod
    def _preferences(candidates: list[_Candidate], retrieval: Retrieval, of_fact: bool) -> np.ndarray:
        """What moves a sentence up or down besides its closeness: a name or number of the kind asked for
        near the question's words, and the period asked about (for a question of fact, the latest
        reporting)."""
        period = asked_period(retrieval.question, retrieval.as_of)
        moved = np.array([_type_bonus(c) - period_penalty(c.quote, c.origin, period) for c in candidates])
        return moved - np.array(older_penalties([c.origin for c in candidates])) if of_fact else moved

    @staticmethod
    def _candidates(
        passages: list[Passage], kind: AnswerType | None, asked: AskedWords, articles: _Articles
    ) -> list[_Candidate]:
        """The sentences of the passages; beyond the first PASSAGES_TO_READ passages, only those holding
        a name or number of the kind asked for right beside the question's words."""
        articles.read([p.origin.article_id for p in passages])
        texts, speech, entities = articles.texts, articles.speech, articles.entities
        candidates: dict[str, _Candidate] = {}
        for rank, passage in enumerate(passages):
            text = texts.get(passage.origin.article_id)
            if text is None or text[passage.start : passage.end] != passage.text:
                continue  # the article was replaced or deleted since the search: its offsets no longer hold
            said = {(s.start, s.end): s.speaker for s in speech[passage.origin.article_id]}
            named = entities.get(passage.origin.article_id, [])
            for span in sentence_spans(text, Span(passage.start, passage.end)):
                quote = text[span.start : span.end]
                items = tuple((item, text[item.start : item.end]) for item in _list_after(text, span)) \
                    if quote.endswith(":") else ()
                typed = tuple(typed_spans(text, span, named, kind, asked, passage.origin.source)) if kind else ()
                if rank >= PASSAGES_TO_READ and not (typed and typed[0].nearness >= NEAR_ENOUGH):
                    continue
                # The same sentence reached twice, or through a reprint, is one candidate.
                candidates.setdefault(
                    _normalized(quote),
                    _Candidate(passage.origin, span, quote, said.get((span.start, span.end)), items, typed),
                )
        return [c for c in candidates.values() if c.items or _says_something(c.quote)]

    def _completed(
        self, chosen: list[_Candidate], kind: AnswerType | None, question: str, of_fact: bool, articles: _Articles
    ) -> list[_Candidate]:
        """The chosen sentences with what the best one needs beside it: the sentence next to it that
        holds the name asked for when it holds none ("'Squid Game' is officially coming back." before
        "Netflix announced … the wildly popular South Korean show is green lit"), or the next sentence
        when it does not stand alone (qa.answering.discourse); within the most sentences quoted."""
        best = chosen[0]
        if best.items:
            return chosen
        article_id = best.origin.article_id
        text = articles.text(article_id)
        if text is None or text[best.span.start : best.span.end] != best.quote:
            return chosen
        beside = None
        if kind is not None and not best.typed:
            beside = _typed_neighbour(text, best, articles.entities.get(article_id, []), kind, question)
        if beside is None:
            span = next_sentence(text, best.span, articles.speech[article_id], question if of_fact else None)
            if span is None and of_fact:
                span = previous_sentence(text, best.span)
            if span is not None:
                beside = _Candidate(best.origin, span, text[span.start : span.end], None)
        if beside is None or any(c.span == beside.span and c.origin == beside.origin for c in chosen):
            return chosen
        pair = [beside, best] if beside.span.start < best.span.start else [best, beside]
        return pair + chosen[1:][: max(0, self._max_sentences - 2)] if self._max_sentences > 1 else chosen

    def _statements(
        self, retrieval: Retrieval, asked: AskedSpeech, relevant: list[Passage], articles: _Articles
    ) -> list[_Candidate]:
        """The asked speaker's own statements within the question's filters and date, on its topic:
        a sentence that merely mentions X, quoted as the answer, would put someone else's words, or
        the reporter's, in X's mouth."""
        quotes = self._quotes.find(asked.speaker, asked.topic, retrieval.limits,
                                   STATEMENTS_READ, "relevance")
        found = [_Candidate(q.origin, Span(q.start, q.end), q.quote, q.speaker, lead=q.lead) for q in quotes]
        return found or self._titled_statements(asked, relevant, articles)

    @staticmethod
    def _titled_statements(asked: AskedSpeech, passages: list[Passage], articles: _Articles) -> list[_Candidate]:
        """Statements by whoever the articles of these passages give the asked title ("the Israeli
        prime minister"): a title is not a name to look speakers up by, so it is looked for in the
        articles the question found."""
        article_ids = list(dict.fromkeys(p.origin.article_id for p in passages))
        articles.read(article_ids)
        texts, speech = articles.texts, articles.speech
        origins = {p.origin.article_id: p.origin for p in passages}
        return [
            _Candidate(origins[article_id], Span(s.start, s.end), texts[article_id][s.start : s.end], s.speaker)
            for article_id in article_ids if article_id in texts
            for s in speech[article_id] if same_person(asked.speaker, s.speaker, s.titles)
        ]

    def _scores(
        self, candidates: list[_Candidate], retrieval: Retrieval, asked: AskedSpeech | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each candidate's score, and its tier: for "what did X say about Y", whether it names Y, is
        near Y in meaning, or is about something else (never quoted: X on another subject does not
        answer, and an honest "the articles do not say" does)."""
        texts = [c.quote for c in candidates]
        asked_words = content_words(retrieval.question)
        informative = np.array([_informativeness(text, asked_words) for text in texts])
        if asked is None or not asked.topic:
            asking = asking_sentence(retrieval.question)
            if not texts:
                return np.zeros(0), np.zeros(0, dtype=int)
            if asking is None:
                closeness = self._embedder.embed(texts) @ retrieval.vector
            else:
                # A question given with its background ("Aaron Judge hit … this week. Who holds …?") is
                # answered by a sentence close to what it asks, not only to its background.
                vectors = self._embedder.embed([*texts, asking])
                closeness = (vectors[:-1] @ retrieval.vector + vectors[:-1] @ vectors[-1]) / 2
            return closeness + informative, np.full(len(texts), NAMES_TOPIC)
        vectors = self._embedder.embed([*texts, asked.topic])
        to_topic = vectors[:-1] @ vectors[-1]
        # What X said *about Y*: closeness to the topic counts as much as to the whole question.
        scores = (vectors[:-1] @ retrieval.vector + to_topic) / 2 + informative
        tiers = np.array([
            NAMES_TOPIC if names_topic(c.lead.quote if c.lead else c.quote, asked.topic, asked.speaker)
            else NEAR_TOPIC if near >= TOPIC_CLOSENESS
            else OFF_TOPIC
            for c, near in zip(candidates, to_topic)
        ], dtype=int)
        return scores, tiers

    def _choose(self, candidates: list[_Candidate], scores: np.ndarray, tiers: np.ndarray) -> list[_Candidate]:
        """The best candidates, a better tier first; a further one only if nearly as good as the first."""
        order = np.lexsort((-scores, -tiers))
        best = float(scores[order[0]])
        chosen: list[_Candidate] = []
        for index in order:
            candidate = candidates[index]
            if len(chosen) == self._max_sentences:
                break
            if scores[index] < best - FURTHER_SENTENCE_MARGIN:
                continue  # a lower tier may still hold one as good
            if candidate.items and chosen:
                continue  # a list answers alone
            if not any(_overlap(candidate.quote, c.quote) >= SAME_FACT_OVERLAP for c in chosen):
                chosen.append(candidate)
            if candidate.items:
                break
        return chosen


def _typed_neighbour(
    text: str, best: _Candidate, entities: list[EntityRecord], kind: AnswerType, question: str
) -> _Candidate | None:
    """The sentence after the best one, or else the one before, when it holds a name of the kind asked for."""
    before, after = adjacent_sentences(text, best.span)
    asked = AskedWords.of(question)  # only when the best sentence holds no name of the kind: seldom
    for span in (after, before):
        if span is not None:
            typed = tuple(typed_spans(text, span, entities, kind, asked, best.origin.source))
            if typed:
                return _Candidate(best.origin, span, text[span.start : span.end], None, (), typed)
    return None


def _short_answer(chosen: list[_Candidate]) -> ShortAnswer | None:
    """The name or number of the kind asked for nearest the question's words, in the first chosen
    sentence that holds one."""
    for candidate in chosen:
        if candidate.typed and not candidate.items:
            span, offset = candidate.typed[0], candidate.span.start
            text = candidate.quote[span.start - offset : span.end - offset]
            return ShortAnswer(candidate.origin, span.start, span.end, text)
    return None


def _type_bonus(candidate: _Candidate) -> float:
    """TYPE_BONUS for a name of the kind asked for right beside the question's words, less the farther."""
    if not candidate.typed:
        return 0.0
    return TYPE_BONUS * (TYPE_BASE + (1 - TYPE_BASE) * candidate.typed[0].nearness)


def _citations(candidate: _Candidate) -> list[Citation]:
    """The candidate's own sentence (after its lead, if any), or for a lead-in, the items of its list."""
    if not candidate.items:
        own = Citation(candidate.origin, candidate.span.start, candidate.span.end, candidate.quote, candidate.speaker)
        return [own] if candidate.lead is None else [candidate.lead, own]
    return [Citation(candidate.origin, span.start, span.end, quote) for span, quote in candidate.items]


def _list_after(text: str, lead_in: Span) -> tuple[Span, ...]:
    """The bulleted or numbered lines right after a lead-in line, up to LIST_ITEMS of them."""
    items = []
    start = text.find("\n", lead_in.end)
    while start != -1 and len(items) < LIST_ITEMS:
        end = text.find("\n", start + 1)
        end = len(text) if end == -1 else end
        line = text[start + 1 : end]
        if not LIST_ITEM.match(line):
            break
        stripped = line.strip()
        offset = start + 1 + line.index(stripped)
        items.append(Span(offset, offset + len(stripped)))
        start = end if end < len(text) else -1
    return tuple(items)


def _informativeness(sentence: str, asked: set[str]) -> float:
    """How much the sentence tells beyond the question's own words (`asked`)."""
    said = content_words(sentence)
    if said and len(said & asked) / len(said) > SAME_FACT_OVERLAP:
        return -RESTATEMENT_PENALTY
    names = {n.lower().strip(".,") for n in NAMES_AND_NUMBERS.findall(sentence)[1:]}
    return NOVELTY_BONUS * min(1.0, len(names - asked - STOPWORDS) / 2)


def _says_something(quote: str) -> bool:
    """A sentence, or a line long enough to be one; a lead-in ("…, the mayor said:") is quoted with the
    sentence it announces (qa.answering.discourse)."""
    words = len(quote.split())
    return words >= MIN_UNPUNCTUATED_WORDS or (words >= MIN_SENTENCE_WORDS and quote.endswith((*SENTENCE_ENDINGS, ":")))


def _normalized(quote: str) -> str:
    return " ".join(quote.lower().split())


def _overlap(first: str, second: str) -> float:
    a, b = set(words(first)), set(words(second))
    return len(a & b) / max(1, len(a | b))
