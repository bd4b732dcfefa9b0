"""The words that show reported speech: verbs of communication with all their forms, and the nouns
that stand for a speaker or a source. One list, from which both the cheap search for sentences worth
parsing and the reading of the parse are made."""

import re

# Verbs that report speech whatever follows them.
SPEECH_VERBS = {
    "say", "tell", "add", "tweet", "announce", "warn", "insist", "note", "argue", "claim", "explain",
    "state", "report", "reply", "respond", "comment", "assert", "contend", "stress", "emphasize",
    "emphasise", "acknowledge", "admit", "concede", "deny", "confirm", "predict", "estimate", "urge", "caution",
    "complain", "reveal", "vow", "pledge", "promise", "suggest", "reiterate", "maintain", "remark", "observe",
    "express", "address", "forecast", "recommend", "blame",
}
# Verbs that report speech only with what was said after them (a clause or a quotation): "wrote
# that …", but not "wrote a foreword"; "called it “a disgrace”", but not "called a meeting".
SPEECH_WITH_CLAUSE = {
    "write", "post", "call", "describe", "highlight", "praise", "criticize", "criticise", "accuse", "propose",
    "thank", "declare", "testify", "ask", "question", "point", "speak", "agree", "indicate",
}
IRREGULAR = {"say": ("said",), "tell": ("told",), "write": ("wrote", "written"), "speak": ("spoke", "spoken"),
             "forecast": ("forecasted",)}
# Verbs that double their last consonant: "admitted", "admitting".
DOUBLING = {"admit"}
VOWELS = set("aeiou")


def forms(verb: str) -> set[str]:
    """The verb's forms in running text: "deny" -> deny, denies, denied, denying."""
    if verb.endswith("y") and verb[-2] not in VOWELS:
        found = {verb, verb[:-1] + "ies", verb[:-1] + "ied", verb + "ing"}
    elif verb.endswith("e"):
        found = {verb, verb + "s", verb + "d", verb[:-1] + "ing"}
    elif verb.endswith(("s", "sh", "ch", "x", "z")):
        found = {verb, verb + "es", verb + "ed", verb + "ing"}
    elif verb in DOUBLING:
        found = {verb, verb + "s", verb + verb[-1] + "ed", verb + verb[-1] + "ing"}
    else:
        found = {verb, verb + "s", verb + "ed", verb + "ing"}
    return found | set(IRREGULAR.get(verb, ()))


# Each form to its verb: the parser tells a verb from a noun ("states", "reports"); this tells which verb.
VERB_OF = {form: verb for verb in SPEECH_VERBS | SPEECH_WITH_CLAUSE for form in forms(verb)}
# Verbs whose plain and -s forms are mostly nouns in news ("a report", "points", "the post"): only
# their past and -ing forms make a sentence worth parsing.
NOUN_LIKE = {"report", "point", "question", "call", "post", "claim", "comment", "estimate", "address", "note",
             "state", "pledge", "promise", "vow", "stress", "remark", "praise", "blame", "thank", "tweet"}
# A sentence without one of these forms (in lower case, as verbs are within a sentence) or "according
# to" reports nobody's speech, and is not parsed: parsing is most of attribution's cost.
CUE_FORMS = {form for form, verb in VERB_OF.items() if verb not in NOUN_LIKE or form.endswith(("ed", "ing", "told"))}
# Their -s forms count right after what may be a subject: "Bahney reports", "the CDC estimates", "he calls".
SUBJECT_THEN_FORMS = {form for form, verb in VERB_OF.items() if verb in NOUN_LIKE and form.endswith("s")}
CUE_WORDS = re.compile(
    r"\b(?:" + "|".join(sorted(CUE_FORMS, key=len, reverse=True)) + r"|[Aa]ccording to)\b"
    r"|(?:\b[A-Z][\w.’']*|\bhe|\bshe|\bit|,) (?:" + "|".join(sorted(SUBJECT_THEN_FORMS, key=len, reverse=True)) + r")\b"
)

# Subjects that speak for someone they refer back to.
PERSON_PRONOUNS = {"he", "she"}
THING_PRONOUNS = {"it"}
# "the company said": the organisation the article is about.
ORGANISATION_NOUNS = {
    "company", "automaker", "carmaker", "firm", "retailer", "airline", "carrier", "agency", "ministry",
    "department", "organization", "organisation", "bank",
}
# "the newspaper reported", "the statement added": the source just quoted.
SOURCE_NOUNS = {"site", "website", "newspaper", "paper", "broadcaster", "outlet", "publication", "statement"}
# What carries someone's words or figures: "according to estimates from the CDC".
DOCUMENT_NOUNS = {"estimates", "estimate", "data", "figures", "statement", "report", "analysis", "survey", "study",
                  "records"}
# Verbs whose subject may follow them ("…, said X"); after "told", "asked" or "warned" comes the listener.
INVERTING = {"say", "write", "add", "report", "note", "argue", "explain", "claim", "insist", "state", "tweet",
             "post", "declare", "observe", "remark"}
# News agencies relay what others said: "X said …, Reuters reported" is X speaking.
RELAY_VERBS = {"report"}
