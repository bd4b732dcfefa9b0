import json
import socket
from contextlib import contextmanager
from pathlib import Path

import pytest

from api.server.run import CannotListen
from qa.cli import exits, main as cli
from qa.errors import QAError
from tests.error_codes import domain_error_codes
from tests.fakes import FakeEmbedder


@pytest.fixture(autouse=True)
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("qa.composition.embedder_for", lambda settings: FakeEmbedder())


@pytest.fixture
def index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("QA_INDEX_DIR", str(tmp_path / "index"))
    return tmp_path / "index"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "budget.txt").write_text("Budget passes\n\nThe senate passed the budget by 51 votes to 49 on Tuesday.\n")
    return folder


def test_ingest_then_ask_as_json(index_dir: Path, docs: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["ingest", "-q", str(docs)]) == 0
    assert "1 added, 0 updated, 0 unchanged, 0 skipped" in capsys.readouterr().out
    assert cli.main(["ask", "How did the senate vote on the budget?", "--json", "--top-k", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"question", "answerable", "reason", "answer", "citations", "passages"}
    assert result["answerable"] is True and "51 votes to 49" in result["answer"]
    citation = result["citations"][0]
    assert set(citation) >= {"article_id", "title", "url", "source", "published_at", "start", "end", "quote"}
    assert (docs / "budget.txt").read_text()[citation["start"] : citation["end"]] == citation["quote"]
    passage = result["passages"][0]
    assert set(passage) >= {"article_id", "chunk_id", "title", "url", "source", "published_at", "start", "end", "text", "score"}


def test_ask_prints_answer_citations_and_passages(index_dir: Path, docs: Path, capsys: pytest.CaptureFixture) -> None:
    cli.main(["ingest", "-q", str(docs)])
    capsys.readouterr()
    assert cli.main(["ask", "By how many votes did the senate pass the budget?"]) == 0
    out = capsys.readouterr().out
    assert "Answer" in out and "[1] Budget passes · id budget, characters" in out and "Passages" in out


def test_ask_after_an_earlier_question_says_what_it_answered(index_dir: Path, docs: Path,
                                                             capsys: pytest.CaptureFixture) -> None:
    cli.main(["ingest", "-q", str(docs)])
    capsys.readouterr()
    assert cli.main(["ask", "And when did it pass?", "--after", "What did the senate decide about the budget?"]) == 0
    first, blank, *_ = capsys.readouterr().out.splitlines()
    assert first == "Answered as: When did the budget pass?" and blank == ""


def test_ask_as_of_a_day_says_so_before_the_answer(index_dir: Path, docs: Path, capsys: pytest.CaptureFixture) -> None:
    cli.main(["ingest", "-q", str(docs)])
    capsys.readouterr()
    assert cli.main(["ask", "By how many votes did the senate pass the budget?", "--as-of", "2099-06-03"]) == 0
    first, blank, *_ = capsys.readouterr().out.splitlines()
    assert first == "As of 3 June 2099." and blank == ""


def test_ask_prints_the_short_answer_first(index_dir: Path, docs: Path, capsys: pytest.CaptureFixture) -> None:
    cli.main(["ingest", "-q", str(docs)])
    capsys.readouterr()
    assert cli.main(["ask", "How many votes did the senate pass the budget by?"]) == 0
    first, *_ = capsys.readouterr().out.splitlines()
    assert first.startswith("Short answer: ") and "51" in first and first.endswith("[1]")
    assert cli.main(["ask", "Why did the senate pass the budget?"]) == 0
    assert "Short answer" not in capsys.readouterr().out


def test_index_dir_option_overrides_the_environment(tmp_path: Path, docs: Path, index_dir: Path) -> None:
    assert cli.main(["ingest", "-q", "--index-dir", str(tmp_path / "elsewhere"), str(docs)]) == 0
    assert (tmp_path / "elsewhere" / "manifest.json").exists() and not index_dir.exists()


def test_skipped_inputs_give_exit_code_3_and_are_listed(index_dir: Path, docs: Path, capsys: pytest.CaptureFixture) -> None:
    (docs / "broken.json").write_text("{")
    assert cli.main(["ingest", "-q", str(docs)]) == exits.EXIT_SKIPPED
    captured = capsys.readouterr()
    assert "1 added" in captured.out and "1 skipped" in captured.out
    assert f"skipped {docs / 'broken.json'}: invalid JSON" in captured.err


def test_reingest_reports_unchanged(index_dir: Path, docs: Path, capsys: pytest.CaptureFixture) -> None:
    cli.main(["ingest", "-q", str(docs)])
    cli.main(["ingest", "-q", str(docs)])
    assert "0 added, 0 updated, 1 unchanged" in capsys.readouterr().out


def test_ask_without_an_index_is_an_error_not_a_traceback(index_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["ask", "anything"]) == exits.EXIT_ERROR
    assert capsys.readouterr().err.startswith(f"qa: no index at {index_dir}")
    assert not index_dir.exists()


def test_bad_question_is_an_error(index_dir: Path, docs: Path, capsys: pytest.CaptureFixture) -> None:
    cli.main(["ingest", "-q", str(docs)])
    assert cli.main(["ask", "   "]) == exits.EXIT_ERROR
    assert "qa: question is empty" in capsys.readouterr().err


def test_delete_known_and_unknown_ids(index_dir: Path, docs: Path, capsys: pytest.CaptureFixture) -> None:
    cli.main(["ingest", "-q", str(docs)])
    assert cli.main(["delete", "budget", "nope"]) == exits.EXIT_ERROR
    captured = capsys.readouterr()
    assert "deleted budget" in captured.out and "qa: no article with id 'nope'" in captured.err
    assert "qa: deleted 1 of 2 articles; not deleted: nope" in captured.err
    assert cli.main(["info"]) == 0
    assert "articles: 0" in capsys.readouterr().out


def test_a_missing_input_path_is_an_error_and_nothing_is_ingested(index_dir: Path, docs: Path,
                                                                 capsys: pytest.CaptureFixture) -> None:
    missing = docs.parent / "no-such-folder"
    assert cli.main(["ingest", "-q", str(docs), str(missing)]) == exits.EXIT_ERROR
    assert f"qa: no such file or folder: {missing}" in capsys.readouterr().err
    assert not index_dir.exists()


def test_ingest_progress_has_a_total_and_counts_skips(index_dir: Path, docs: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture) -> None:
    (docs / "broken.json").write_text("{")
    (docs / "more.jsonl").write_text('{"id": "a", "text": "one"}\n\n{"id": "b", "text": "two"}\n{"id": "a", "text": "again"}\n')
    bars = []

    @contextmanager
    def progress(total: int, quiet: bool):
        bar = {"total": total, "ticks": 0}
        bars.append(bar)
        yield lambda: bar.update(ticks=bar["ticks"] + 1)

    monkeypatch.setattr("qa.cli.format.progress", progress)
    assert cli.main(["ingest", str(docs)]) == exits.EXIT_SKIPPED
    # budget.txt, broken.json and three lines, one a duplicate id: five inputs, each ticked once.
    assert bars == [{"total": 5, "ticks": 5}]


def test_the_progress_bar_stays_with_its_total(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    from qa.cli import format as cli_format

    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    with cli_format.progress(3, quiet=False) as tick:
        for _ in range(4):  # one more than counted: the total follows
            tick()
    shown = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert "4/4" in shown and "100%" in shown


def test_a_keys_setting_that_holds_no_key_is_a_usage_error(index_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("QA_WRITE_KEYS", " , ")
    monkeypatch.setenv("QA_READ_KEYS", ",")
    assert cli.main(["serve", "--workers", "1"]) == exits.EXIT_USAGE
    error = capsys.readouterr().err
    assert "QA_WRITE_KEYS: holds no key" in error and "QA_READ_KEYS: holds no key" in error
    assert not index_dir.exists()  # refused before anything was opened


def test_the_servers_settings_are_read_by_qa_serve_alone(index_dir: Path, docs: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("QA_PORT", "eighty")
    assert cli.main(["serve"]) == exits.EXIT_USAGE
    assert "qa: invalid settings: QA_PORT:" in capsys.readouterr().err
    assert cli.main(["ingest", "-q", str(docs)]) == exits.EXIT_DONE


def test_serve_on_a_busy_port_says_which_setting_to_change(index_dir: Path, capsys: pytest.CaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["serve", "--port", str(port), "--workers", "1"]) == exits.EXIT_ERROR
    error = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use" in error and "--port" in error and "QA_PORT" in error
    assert not index_dir.exists()  # refused before anything was opened


def test_invalid_setting_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("QA_TOP_K", "many")
    assert cli.main(["info"]) == exits.EXIT_USAGE
    assert "qa: invalid settings: QA_TOP_K:" in capsys.readouterr().err


def test_every_error_code_has_an_exit_status() -> None:
    assert domain_error_codes() <= set(exits.EXIT_BY_CODE)
    for own in (cli.InputMissing, CannotListen):  # the commands' own errors, not the domain's
        assert own.code in exits.EXIT_BY_CODE and not issubclass(own, QAError)


def test_missing_arguments_are_a_usage_error(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["ask"])
    assert exit_info.value.code == exits.EXIT_USAGE


def test_eval_prints_the_measures(index_dir: Path, docs: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cli.main(["ingest", "-q", str(docs)])
    questions = tmp_path / "q.jsonl"
    questions.write_text(json.dumps({"question": "How did the senate vote on the budget?", "answers": ["51 votes"],
                                     "gold_article_ids": ["budget"], "asked_on": "2030-01-01"}) + "\n")
    capsys.readouterr()
    assert cli.main(["eval", str(questions), "--retriever", "bm25", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["n"], report["hits@1"], report["answer@5"]) == (1, 1.0, 1.0)
    assert cli.main(["eval", str(questions)]) == 0
    assert "retriever hybrid, 1 questions" in capsys.readouterr().out


def test_eval_with_a_missing_file_is_an_error(index_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["eval", "/nonexistent/q.jsonl"]) == exits.EXIT_ERROR
    assert "cannot read /nonexistent/q.jsonl" in capsys.readouterr().err


def test_ask_as_of_leaves_out_later_articles(index_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "late", "text": "The senate vote happened.", "published_at": "2024-05-01"}) + "\n")
    cli.main(["ingest", "-q", str(feed)])
    capsys.readouterr()
    cli.main(["ask", "senate vote", "--as-of", "2024-04-01", "--json"])
    assert json.loads(capsys.readouterr().out)["passages"] == []
    assert cli.main(["ask", "senate vote", "--as-of", "April"]) == exits.EXIT_ERROR


def test_backup_copies_an_index_that_answers_the_same(index_dir: Path, docs: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    cli.main(["ingest", "-q", str(docs)])
    assert cli.main(["backup", str(tmp_path / "copy")]) == 0
    assert f"backed up 1 articles (1 chunks) to {tmp_path / 'copy'}" in capsys.readouterr().out
    assert cli.main(["ask", "How did the senate vote on the budget?", "--json", "--index-dir", str(tmp_path / "copy")]) == 0
    assert "51 votes to 49" in json.loads(capsys.readouterr().out)["answer"]
    assert cli.main(["backup", str(tmp_path / "copy")]) == exits.EXIT_ERROR
    assert "already exists and is not an empty folder" in capsys.readouterr().err


@pytest.fixture
def speeches(tmp_path: Path) -> Path:
    feed = tmp_path / "speeches.jsonl"
    lines = [
        {"id": "calm", "title": "Putin on the border", "source": "wire", "published_at": "2024-03-01",
         "text": "Russian President Vladimir Putin met his generals. Putin said Russia wanted calm on the border."},
        {"id": "gas", "title": "Gas exports", "source": "daily", "published_at": "2024-05-10",
         "text": "Russian President Vladimir Putin visited a gas plant. Putin said gas exports would grow."},
    ]
    feed.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return feed


def test_quotes_as_json_cite_the_exact_sentences(index_dir: Path, speeches: Path, capsys: pytest.CaptureFixture) -> None:
    cli.main(["ingest", "-q", str(speeches)])
    capsys.readouterr()
    assert cli.main(["quotes", "putin", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["speaker"], result["topic"]) == ("putin", None)
    texts = {json.loads(line)["id"]: json.loads(line)["text"] for line in speeches.read_text().splitlines()}
    assert [q["article_id"] for q in result["quotes"]] == ["gas", "calm"]
    for quote in result["quotes"]:
        assert texts[quote["article_id"]][quote["start"] : quote["end"]] == quote["quote"]
        assert (quote["speaker"], quote["score"]) == ("Vladimir Putin", None)


def test_quotes_on_a_topic_print_speaker_title_source_and_date(index_dir: Path, speeches: Path,
                                                              capsys: pytest.CaptureFixture) -> None:
    cli.main(["ingest", "-q", str(speeches)])
    capsys.readouterr()
    assert cli.main(["quotes", "Vladimir Putin", "the border", "--sort", "date", "--top-k", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. Vladimir Putin (") and "Putin on the border · id calm · wire · 2024-03-01" in out
    assert "Putin said Russia wanted calm on the border." in out and "gas" not in out
    assert cli.main(["quotes", "Putin", "--as-of", "2024-01-01"]) == 0
    assert capsys.readouterr().out.strip() == "No quotes of Putin."


def test_bad_quote_requests_are_errors(index_dir: Path, speeches: Path, capsys: pytest.CaptureFixture) -> None:
    cli.main(["ingest", "-q", str(speeches)])
    capsys.readouterr()
    assert cli.main(["quotes", "  "]) == exits.EXIT_ERROR
    assert "qa: speaker is empty, got '  '" in capsys.readouterr().err
    assert cli.main(["quotes", "Putin", "--top-k", "0"]) == exits.EXIT_ERROR
    assert "top_k must be between 1 and 100, got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["quotes", "Putin", "--sort", "newest"])
    assert exit_info.value.code == exits.EXIT_USAGE
