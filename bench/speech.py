"""Who said what, measured on the hand-labelled articles of ../shared/eval/speech: the labelled
articles and the seeds are ingested into a new index, `qa serve` answers on loopback, and the
evaluation's own score.py scores it through the HTTP API (attribution precision and recall, "what did
X say about Y" answered with a gold sentence first, abstention, citations of someone else's words).
Then the cost at ingest: attribution's CPU time on realtimeqa articles, beside the sentences it parses,
and the entity recognition's over the same articles (every line of them).

Run by hand, from the repository root:

    .venv/bin/python bench/speech.py --work-dir ../bench-data/speech-run [--cost-articles 200]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import PYTHON, REPO, Server, commit

SHARED = REPO.parent / "shared" / "eval"
SPEECH = SHARED / "speech"


def scored(work_dir: Path) -> dict:
    index = work_dir / "index"
    shutil.rmtree(index, ignore_errors=True)
    env = {**os.environ, "QA_INDEX_DIR": str(index), "QA_WORKERS": "1"}
    subprocess.run([PYTHON, "-m", "qa", "ingest", str(SPEECH / "articles.jsonl"), str(REPO / "seeds")],
                   env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    with Server(env, work_dir / "serve.log") as (base, _):
        output = subprocess.run(
            [PYTHON, str(SPEECH / "score.py"), "--base-url", base, "--labels", str(SPEECH / "labels.jsonl"),
             "--questions", str(SPEECH / "questions-dev.jsonl")], check=True, capture_output=True, text=True,
        ).stdout
    return json.loads(output)


def cost(articles: int) -> dict:
    """CPU seconds of attribution alone over the first realtimeqa articles, the share of sentences it
    parses, and the CPU seconds of finding their entities."""
    sys.path.insert(0, str(REPO))
    from qa.text.sentences import sentence_spans
    from qa.speech.attribution import attributions
    from qa.speech.cues import CUE_WORDS
    from qa.text.entities import EntityReader
    from qa.text.pipeline import DEFAULT_PIPELINE, load_pipeline

    nlp = load_pipeline(DEFAULT_PIPELINE)
    with (SHARED / "realtimeqa" / "corpus.jsonl").open(encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line, _ in zip(lines, range(articles))]
    sentences = parsed = 0
    for text in texts:
        for span in sentence_spans(text):
            sentences += 1
            parsed += CUE_WORDS.search(text, span.start, span.end) is not None
    started = time.process_time()
    for text in texts:
        attributions(text, nlp)
    attribution = time.process_time() - started
    entities, started = EntityReader(DEFAULT_PIPELINE), time.process_time()
    found = sum(len(entities(text)) for text in texts)
    return {"articles": articles, "cpu_seconds": round(attribution, 1), "sentences": sentences,
            "parsed_share": round(parsed / sentences, 3), "words": sum(len(text.split()) for text in texts),
            "entities_cpu_seconds": round(time.process_time() - started, 1), "entities": found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--cost-articles", type=int, default=200)
    args = parser.parse_args()
    if not (SPEECH / "score.py").exists():
        raise SystemExit(f"{SPEECH} is absent: it lies beside the checkout as ../shared/eval/speech")
    args.work_dir.mkdir(parents=True, exist_ok=True)
    result = {"commit": commit(), "score": scored(args.work_dir), "cost": cost(args.cost_articles)}
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
