"""What kind of thing a question asks for, read from its question word and the noun that follows it:
"who" asks for a person or a body, "how much" for money or an amount, "which country" for a place.

The kinds are the entity labels of spaCy's English pipelines (OntoNotes 5): the sentences of every
article carry those labels from ingest (qa.text.entities), so a sentence holding a thing of the kind
asked for can be found without parsing anything when the question comes. The question itself is read
with a few patterns and a table of category nouns, the classic answer-type taxonomy of question
answering: it costs nothing per question, where parsing it would cost a few milliseconds.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass

from qa.text.sentences import question_sentences
from qa.text.words import words

PERSON = frozenset({"PERSON"})
BODY = frozenset({"ORG"})
PLACE = frozenset({"GPE", "LOC", "FAC"})
WHO = frozenset({"PERSON", "ORG", "NORP"})
DATE = frozenset({"DATE", "TIME"})
AMOUNT = frozenset({"CARDINAL", "QUANTITY"})
MONEY = frozenset({"MONEY"})
PERCENT = frozenset({"PERCENT"})
WORK = frozenset({"WORK_OF_ART"})
PRODUCT = frozenset({"PRODUCT"})
EVENT = frozenset({"EVENT"})
LAW = frozenset({"LAW"})
NATIONALITY = frozenset({"NORP"})
LANGUAGE = frozenset({"LANGUAGE"})
ORDINAL = frozenset({"ORDINAL"})
# Any name at all: "what is it called", "what is the name of …".
NAMED = PERSON | BODY | PLACE | WORK | PRODUCT | EVENT | LAW | NATIONALITY

# Category nouns, singular, and the kinds of name that answer "which <noun>". General English, not
# any one archive's wording: people by role, bodies by kind, places, works, amounts and times.
CATEGORY_NOUNS: dict[str, frozenset[str]] = {
    **dict.fromkeys("""
        person individual man woman boy girl star celebrity singer rapper actor actress musician artist comedian
        host presenter anchor journalist reporter author writer poet novelist director producer designer
        player athlete golfer driver coach manager captain quarterback pitcher slugger striker goalkeeper
        champion winner finalist nominee candidate politician president leader official lawmaker senator
        congressman congresswoman representative governor mayor minister secretary ambassador diplomat
        chancellor premier king queen prince princess monarch emperor pope bishop cleric judge justice
        prosecutor lawyer attorney member head chief founder owner executive ceo chairman chairwoman
        spokesperson spokesman spokeswoman billionaire businessman businesswoman entrepreneur investor
        scientist researcher doctor physician astronaut activist dictator general commander officer suspect
        victim shooter gunman killer survivor hero legend icon figure successor predecessor heir whistleblower
        character role
        """.split(), PERSON),
    **dict.fromkeys("""
        company firm business corporation conglomerate brand retailer chain restaurant store shop supermarket
        airline carrier bank lender insurer automaker carmaker manufacturer maker startup platform website app
        network broadcaster channel outlet newspaper magazine publication publisher studio label franchise
        team club organization organisation group agency department ministry office bureau committee
        party union league federation association charity nonprofit foundation university college school
        institution court parliament congress legislature regulator watchdog service provider operator
        developer giant
        """.split(), BODY),
    **dict.fromkeys("""
        country nation state city town village county province region area capital continent island
        territory place location destination neighborhood neighbourhood district suburb border coast
        """.split(), PLACE),
    **dict.fromkeys("""
        airport building stadium arena bridge landmark attraction monument park museum venue prison
        hospital highway road street square palace castle tower mall
        """.split(), PLACE),
    **dict.fromkeys("""
        show series movie film song album book novel play musical painting documentary sitcom drama
        episode sequel podcast opera poem
        """.split(), WORK),
    **dict.fromkeys("product device phone smartphone car vehicle model gadget toy console drug vaccine weapon".split(),
                    PRODUCT),
    **dict.fromkeys("""
        event hurricane storm typhoon cyclone tornado earthquake tournament championship cup festival holiday
        war battle election race contest competition ceremony awards summit
        """.split(), EVENT),
    **dict.fromkeys("law bill act amendment treaty legislation".split(), LAW),
    **dict.fromkeys("nationality religion ethnicity".split(), NATIONALITY),
    "language": LANGUAGE,
    **dict.fromkeys("year month day date time decade century season period age".split(), DATE),
    **dict.fromkeys("price cost amount fine salary fee sum value worth budget revenue payment penalty".split(),
                    MONEY | AMOUNT),
    **dict.fromkeys("percentage percent proportion share rate".split(), PERCENT),
    **dict.fromkeys("number magnitude total count population score toll".split(), AMOUNT),
    **dict.fromkeys("rank position".split(), ORDINAL),
    "name": NAMED,
}
# Units of time: "how many months" is answered by "six months", a date to spaCy.
TIME_UNITS = frozenset("second minute hour day week month year decade century".split())
# A question word with the kinds that answer it alone.
QUESTION_WORDS: dict[str, frozenset[str]] = {
    "who": WHO, "whom": WHO, "whose": WHO, "where": PLACE, "when": DATE,
}
# "how much", "how long", …: the kinds that answer each.
HOW: dict[str, frozenset[str]] = {
    "many": AMOUNT, "much": MONEY | AMOUNT | PERCENT, "long": DATE | AMOUNT, "old": DATE | AMOUNT,
    "far": AMOUNT, "soon": DATE, "often": DATE, "big": AMOUNT, "large": AMOUNT, "high": AMOUNT | MONEY,
    "tall": AMOUNT, "fast": AMOUNT, "deep": AMOUNT,
}
# Words that end the noun phrase after "which"/"what": verbs that are auxiliaries, prepositions,
# determiners and conjunctions. The category noun is the last known noun before them.
PHRASE_ENDS = frozenset("""
is was are were be been being am do does did has have had will would can could should may might must shall
of in on at to for from by with about as into over after before during than that this these those the a an
and or but if while since because his her its their our my your
""".split())
# Words between "what is" / "which of" and the noun asked about: "which of the following cities".
FILLERS = frozenset("the a an following her his its their".split())
PREPOSITIONS = frozenset("of in on at to for from by with about".split())
LONGEST_PHRASE = 6
POSSESSIVE = re.compile(r"['’]s$")


@dataclass(frozen=True)
class AnswerType:
    """The entity labels that answer a question, and the category noun that asked for them ("show"
    in "which show …"), which an answer names near its entity; None for a question word alone."""

    labels: frozenset[str]
    noun: str | None = None


def answer_type(question: str) -> AnswerType | None:
    """The kind of name or number that answers `question`, or None when it asks for something else
    (a reason, a description, what someone said). In a question of several sentences, the last one
    asking something decides."""
    for sentence in reversed(_asking_sentences(question)):
        found = _typed(sentence)
        if found is not None:
            return found
    return None


def asking_sentence(question: str) -> str | None:
    """The sentence that asks, when the question gives background before it ("Aaron Judge hit his 62nd
    home run this week. Who holds the record?"); None for a question of one sentence."""
    sentences = question_sentences(question)
    if len(sentences) < 2:
        return None
    return next((s for s in reversed(sentences) if s.rstrip().endswith("?")), sentences[-1])


def _asking_sentences(question: str) -> list[list[str]]:
    """The question's sentences as lists of raw lower-cased tokens (possessives kept as "x's")."""
    return [re.findall(r"[\w’'.&-]+", sentence.lower()) for sentence in question_sentences(question)]


def _typed(tokens: list[str]) -> AnswerType | None:
    tokens = [token.strip(".") for token in tokens]
    for i, token in enumerate(tokens):
        if token == "how" and i + 1 < len(tokens) and tokens[i + 1] in HOW:
            following = _noun_phrase(tokens[i + 2 :])
            if following and _singular(following[-1], TIME_UNITS) in TIME_UNITS:
                # "187 minutes" is a time to spaCy, "six months" a date
                return AnswerType(DATE | AMOUNT, _singular(following[-1], TIME_UNITS))
            noun = _category_noun(following)
            if tokens[i + 1] in ("many", "much") and noun is not None and CATEGORY_NOUNS[noun] <= PERCENT:
                return AnswerType(PERCENT, noun)
            return AnswerType(HOW[tokens[i + 1]], following[-1] if following else None)
        if token in ("which", "what"):
            phrase = tokens[i + 1 :]
            if phrase[:1] in (["is"], ["was"], ["are"], ["were"]) and "called" in phrase[2:4]:
                return AnswerType(NAMED)  # "What is it called?", "what was the variant called"
            # "What is the magnitude of …", "Which of the following cities …", "what was her name"
            if phrase[:1] and phrase[0] in ("is", "was", "are", "were", "of"):
                phrase = [t for t in phrase[1:] if t not in FILLERS]
            noun = _category_noun(_noun_phrase(phrase))
            if noun is not None:
                return AnswerType(CATEGORY_NOUNS[noun], noun)
            return None
    # "Who", "where", "when" ask at the start of a sentence or after a preposition ("to whom"); inside
    # one they are mostly relative ("Nichols, who passed away …, played which role?").
    for i, token in enumerate(tokens):
        if token in QUESTION_WORDS and (i == 0 or tokens[i - 1] in PREPOSITIONS):
            return AnswerType(QUESTION_WORDS[token])
    return None


def _noun_phrase(tokens: list[str]) -> list[str]:
    """The words after a question word up to the end of its noun phrase; a possessive ends it
    ("which company's stock": company), and so does a verb in -s after a singular noun ("which city
    hosts": city; "which awards show" goes on to its noun)."""
    phrase: list[str] = []
    for token in tokens[:LONGEST_PHRASE]:
        if token in PHRASE_ENDS or not words(token):
            break
        if phrase and phrase[-1] in CATEGORY_NOUNS and token.endswith("s") and not POSSESSIVE.search(token):
            break  # "which city hosts …": after a singular noun, a word in -s is its verb
        if POSSESSIVE.search(token):
            phrase.append(POSSESSIVE.sub("", token))
            break
        phrase.append(token)
    return phrase


def _category_noun(phrase: list[str]) -> str | None:
    """The last word of the phrase that names a category ("which popular singer": singer)."""
    for token in reversed(phrase):
        noun = _singular(token)
        if noun in CATEGORY_NOUNS:
            return noun
    return None


def _singular(word: str, known: Collection[str] = CATEGORY_NOUNS) -> str:
    """The singular of a plural noun among `known` ("countries": country), else the word as it is."""
    if word in known or len(word) < 4:
        return word
    for plural, singular in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(plural) and word[: -len(plural)] + singular in known:
            return word[: -len(plural)] + singular
    return word
