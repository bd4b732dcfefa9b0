"""What following a source costs: realtimeqa articles published as web pages on a local site with an
RSS feed, synced into an empty index (`qa sync`: fetch, read the page with trafilatura, chunk, embed,
parse) and synced again with nothing changed; beside, in the same run, `qa ingest` of the same
articles as JSON Lines into another empty index, which reads no pages.

Run by hand, from the repository root, on a quiet machine:

    .venv/bin/python bench/sync.py --articles 200
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from html import escape
from pathlib import Path

from common import PYTHON, REPO, commit

sys.path.insert(0, str(REPO))
from tests.local_site import LocalSite  # noqa: E402

CORPUS = REPO.parent / "shared" / "eval" / "realtimeqa" / "corpus.jsonl"


def main() -> None:
    args = _arguments()
    articles = [json.loads(line) for line in CORPUS.read_text().splitlines()[: args.articles]]
    with tempfile.TemporaryDirectory() as work, LocalSite() as site:
        for number, article in enumerate(articles):
            site.page(f"/story/{number}", _page(article), etag=f'"{number}"')
        site.page("/feed.xml", _feed(site, articles), content_type="application/rss+xml", etag='"feed"')
        jsonl = Path(work) / "articles.jsonl"
        jsonl.write_text("".join(json.dumps({**a, "id": f"story-{i}"}) + "\n" for i, a in enumerate(articles)))
        env = {**os.environ, "QA_SYNC_HOST_DELAY_SECONDS": "0", "PYTHONPATH": str(REPO)}
        rows = [
            ("qa ingest, JSON Lines (no pages)", _timed(["ingest", "-q", str(jsonl)], Path(work) / "ingest", env)),
            ("qa sync, first (every page fetched and read)", _timed(["sync", "-q", site.url("/feed.xml")],
                                                                     Path(work) / "sync", env)),
        ]
        site.clear_requests()
        rows.append(("qa sync, again (nothing changed)", _timed(["sync", "-q"], Path(work) / "sync", env)))
        again = len(site.requests)
    print(f"Commit `{commit()}`, {os.cpu_count()} cores, `python bench/sync.py --articles {args.articles}`: "
          f"{len(articles)} realtimeqa articles as pages on a loopback site, no delay between requests.\n")
    print("| run | wall (s) | CPU (s) | per article, CPU (ms) | what it said |")
    print("| --- | --- | --- | --- | --- |")
    for name, (wall, cpu, said) in rows:
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {1000 * cpu / len(articles):.0f} | {said} |")
    print(f"\nRequests made by the second sync: {again} (robots.txt, and the feed, answered 304).")


def _timed(command: list[str], index: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of a `qa` command, and the last line it printed (what it did)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([PYTHON, "-m", "qa", *command, "--index-dir", str(index)], env=env, cwd=REPO, check=False,
                          stdout=subprocess.PIPE, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    said = (done.stdout.strip().splitlines() or [""])[-1]
    return time.perf_counter() - started, cpu, said.split(": ", 1)[-1]


def _page(article: dict) -> str:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in article["text"].split("\n") if p.strip())
    title = escape(article.get("title") or "")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{paragraphs}</article></body></html>")


def _feed(site: LocalSite, articles: list[dict]) -> str:
    items = "".join(f"<item><title>{escape(a.get('title') or '')}</title><link>{site.url(f'/story/{i}')}</link>"
                    f"<pubDate>{a.get('published_at') or ''}</pubDate></item>" for i, a in enumerate(articles))
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Bench</title>{items}</channel></rss>"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    return parser.parse_args()


if __name__ == "__main__":
    main()
