import json
from pathlib import Path

import pytest

from qa.errors import InvalidInput
from qa.evaluation import EvalQuestion, Hit, evaluate, load_questions


def test_measures_follow_the_definitions() -> None:
    questions = [
        EvalQuestion("q1", ("Squid Game",), frozenset({"gold1"})),
        EvalQuestion("q2", ("Europe",), frozenset({"gold2"})),
        EvalQuestion("q3", ("nowhere",), frozenset({"gold3"})),
    ]
    results = {
        "q1": [Hit("gold1", "Squid Game renewed"), Hit("x", "other")],
        "q2": [Hit("x", "a"), Hit("y", "b"), Hit("gold2", "the EU, i.e. Europe")],
        "q3": [Hit("x", "a")] * 10 + [Hit("gold3", "late")],
    }
    report = evaluate(lambda item, k: results[item.question][:k], questions)
    assert (report.n, report.hits_at_1, report.hits_at_5, report.hits_at_10) == (3, 0.3333, 0.6667, 0.6667)
    assert report.mrr_at_10 == round((1 + 1 / 3 + 0) / 3, 4)
    assert report.answer_at_5 == 0.6667
    top_fives = [["Squid Game renewed", "other"], ["a", "b", "the EU, i.e. Europe"], ["a"] * 5]
    assert report.passage_chars == round(sum(len(t) for five in top_fives for t in five) / 10, 1)


def test_questions_are_read_from_jsonl_with_answers_or_expect(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join([
        json.dumps({"question": "A?", "answers": ["x"], "gold_article_ids": ["a"], "asked_on": "2022-06-16"}),
        json.dumps({"question": "B?", "expect": "y"}),
        json.dumps({"question": "C?", "expect": None}),
    ]))
    first, second, third = load_questions(path)
    assert (first.asked_on, first.gold_article_ids, second.answers, third.answers) == (
        "2022-06-16", frozenset({"a"}), ("y",), ())


@pytest.mark.parametrize("content", ["", "not json\n", '{"answers": []}\n'])
def test_bad_question_files_are_clear_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(content)
    with pytest.raises(InvalidInput):
        load_questions(path)
