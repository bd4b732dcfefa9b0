"""The one number an undated article sorts as (index.records.UNDATED), as each engine's newest-first
key writes it: the key repeats the expression its engine's index was built on, so it cannot be
written from the constant, and this checks the two agree."""

import sqlite3

import pytest

from index.records import UNDATED
from index.sql.postgres import PostgresDatabase
from index.sql.sqlite import SqliteDatabase


@pytest.mark.parametrize("engine", [SqliteDatabase, PostgresDatabase])
def test_the_newest_first_key_of_an_undated_article_is_undated(engine) -> None:
    conn = sqlite3.connect(":memory:")  # both expressions are plain SQL that SQLite evaluates alike
    (key,) = conn.execute(f"SELECT {engine.NEWEST_FIRST_KEY} FROM (SELECT NULL AS published_ts)").fetchone()
    assert key == UNDATED
    conn.close()
