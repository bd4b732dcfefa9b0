"""Follow-up questions, measured on the "What did X say about Y?" questions of ../shared/eval/speech:
each is asked again as a follow-up of another question of the set, in three forms, and must be made
into the question itself and answered with the same citations.

- pronoun: after "What did X say about Z?", "And what did he say about Y?"
- topic:   after "What did X say about Z?", "What about Y?"
- person:  after "What did W say about Y?", "And X?"

Z is the topic of the next question in the file, W its speaker (the forms are built from the
questions' wording; the rewriting never sees the expected question). Reported: how many follow-ups
are rewritten exactly into the question (case and spaces aside), how many get the same answer as
the question asked alone (and, for comparison, how many would get it answered as typed, without the
earlier question), and the CPU time of a rewriting by the parse (the pipeline loaded first).

Run by hand, from the repository root:

    .venv/bin/python bench/followups.py --work-dir ../bench-data/followups-run
"""

import argparse
import json
import re
import shutil
import sys
import time
from pathlib import Path

from common import REPO, commit

SPEECH = REPO.parent / "shared" / "eval" / "speech"
SAYS = re.compile(r"^What did (?P<speaker>.+?) (?P<verb>say|announce) about (?P<topic>.+)\?$")


def followups(questions: list[str]) -> list[tuple[str, list[str], str, str]]:
    """(form, history, follow-up, the question it stands for)."""
    parsed = [m for q in questions if (m := SAYS.match(q))]
    made = []
    for match, other in zip(parsed, parsed[1:] + parsed[:1]):
        speaker, verb, topic = match["speaker"], match["verb"], match["topic"]
        question = match.string
        made.append(("pronoun", [f"What did {speaker} {verb} about {other['topic']}?"],
                     f"And what did he {verb} about {topic}?", question))
        made.append(("topic", [f"What did {speaker} {verb} about {other['topic']}?"], f"What about {topic}?",
                     question))
        if other["speaker"] != speaker:
            made.append(("person", [f"What did {other['speaker']} {verb} about {topic}?"], f"And {speaker}?",
                         question))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from qa.composition import open_service
    from qa.conversation.followups import ParsedFollowUps
    from qa.query import Query
    from qa.settings import Settings
    from qa.text.pipeline import DEFAULT_PIPELINE, load_pipeline

    parse = ParsedFollowUps(lambda: load_pipeline(DEFAULT_PIPELINE))

    index = args.work_dir / "index"
    shutil.rmtree(index, ignore_errors=True)
    service = open_service(Settings(index_dir=index))
    service.ingest_paths([SPEECH / "articles.jsonl", REPO / "seeds"])
    with (SPEECH / "questions-dev.jsonl").open() as lines:
        questions = [json.loads(line)["question"] for line in lines]
    rows: dict[str, dict[str, float]] = {}
    misses = []
    for form, history, follow_up, question in followups(questions):
        started = time.process_time()
        parse.standalone(follow_up, history)
        elapsed = time.process_time() - started
        answer = service.ask(Query(follow_up, history=tuple(history)))
        alone = service.ask(Query(question))
        # What answering the follow-up as it was typed would give, as before follow-ups were read.
        as_typed = service.ask(Query(follow_up))
        row = rows.setdefault(form, {"follow_ups": 0, "rewritten": 0, "same_answer": 0, "same_answer_as_typed": 0,
                                     "rewrite_cpu_ms": 0.0})
        row["follow_ups"] += 1
        rewritten = " ".join(answer.question.split()).casefold() == " ".join(question.split()).casefold()
        row["rewritten"] += rewritten
        quoted = [c.quote for c in alone.citations]
        row["same_answer"] += [c.quote for c in answer.citations] == quoted
        row["same_answer_as_typed"] += [c.quote for c in as_typed.citations] == quoted
        row["rewrite_cpu_ms"] += elapsed * 1000
        if not rewritten:
            misses.append({"form": form, "history": history, "follow_up": follow_up, "got": answer.question,
                           "expected": question})
    service.close()
    for row in rows.values():
        row["rewrite_cpu_ms"] = round(row["rewrite_cpu_ms"] / row["follow_ups"], 1)
    print(json.dumps({"commit": commit(), "forms": rows, "not_rewritten": misses}, indent=2))


if __name__ == "__main__":
    main()
