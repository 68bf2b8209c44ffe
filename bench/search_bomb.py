"""How long an anonymous `/search?q=1` takes when one reply is 50,000 characters of "1 1 1 …".

Run by hand; it prints figures and asserts nothing. The extract builder used to weigh every
match of the post against every other (25,000 matches here): compare this script's figures
on a commit before the fix and after it, in one sitting (the machine drifts between runs).

    .venv/bin/python bench/search_bomb.py                      # a temporary SQLite file
    .venv/bin/python bench/search_bomb.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402

BODY = ("1 " * 25_000).strip()  # 49,999 characters, 25,000 matches of "1"


def build(uri: str | None, folder: str):
    config = {
        "ENV": "testing",
        "SECRET_KEY": "bench-" + "x" * 40,
        "SQLALCHEMY_DATABASE_URI": uri or f"sqlite:///{folder}/bomb.sqlite3",
        "RATELIMIT_ENABLED": False,
        "OUTBOX_SEND_INLINE": False,
    }
    schema = None
    if uri and uri.startswith("postgresql"):
        schema = f"bomb_{int(time.time())}"
        options = {"options": f"-csearch_path={schema}"}
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": options}
    app = create_app(config)
    with app.test_request_context():  # the services read the request (signals, locale)
        if schema:
            with db.engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        db.create_all()
        from forum.accounts.services import create_user
        from forum.discussions import services as discussions
        from forum.groups import services as groups

        author = create_user("bomb@example.org", "Bombe", "correct horse battery", verified=True)
        group = groups.create_group(name="Banc", slug="banc", commune=None, description="Banc.")
        thread = discussions.create_thread(author, group, title="Un fil", body="Premier.")
        discussions.reply(author, thread, body=BODY)
        db.session.commit()
    return app, schema


def drop(app, schema: str | None) -> None:
    with app.app_context():
        db.session.remove()
        if schema:
            with db.engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a database URI (default: a temporary SQLite file)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, schema = build(args.db, folder)
        try:
            client = app.test_client()
            timings = []
            for _ in range(args.runs):
                start = time.perf_counter()
                response = client.get("/search?q=1")
                timings.append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
            page = response.get_data(as_text=True)
            engine = (args.db or "sqlite").split(":")[0]
            print(f"engine: {engine}; reply: {len(BODY):,} characters, {BODY.count('1'):,} matches")
            print(
                f"GET /search?q=1, {args.runs} runs: median {statistics.median(timings):.3f} s, "
                f"max {max(timings):.3f} s; page {len(page):,} characters, "
                f"{page.count('<mark>')} <mark>"
            )
        finally:
            drop(app, schema)


if __name__ == "__main__":
    main()
