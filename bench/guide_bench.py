#!/usr/bin/env python
"""The solidarity guide, measured by hand (not a test): `.venv/bin/python bench/guide_bench.py`.

Builds a temporary SQLite database with communes whose guides hold 10, 100 and 1,000
entries (as tests/test_guide_speed.py does), then prints, for a visitor and for a signed-in
coordinator, each page's SQL statements and time per request (in-process test client,
median of 30) beside a bare "hello" route's: compare ratios, not absolute numbers.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402

SIZES = {"92023": 10, "92048": 100, "92019": 1000}


def median_ms(fn, runs: int = 30) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    from tests.conftest import IsolatedClient, login_as
    from tests.test_guide_speed import build
    from tests.test_speed import statements

    folder = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "bench-" + "x" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
        },
        instance_path=str(folder / "instance"),
    )
    app.add_url_rule("/__hello/", "hello", lambda: "hello")
    app.test_client_class = IsolatedClient  # each request its own `g`, as in production
    with app.app_context():
        db.create_all()
        coordinators = {insee: build(db, insee, n) for insee, n in SIZES.items()}
        visitor = app.test_client()
        hello = median_ms(lambda: visitor.get("/__hello/"))
        print(f"hello route: {hello:.2f} ms/request")
        for who in ("visitor", "coordinator"):
            for insee, n in SIZES.items():
                client = app.test_client()
                if who == "coordinator":
                    login_as(client, coordinators[insee])
                for page, url in {
                    "guide": f"/communes/{insee}/guide",
                    "print": f"/communes/{insee}/guide/print",
                    "csv": f"/communes/{insee}/guide.csv",
                    "ods": f"/communes/{insee}/guide.ods",
                }.items():
                    with statements(db) as seen:
                        assert client.get(url).status_code == 200, url
                    ms = median_ms(lambda url=url, client=client: client.get(url))
                    print(
                        f"{who:11} {n:5} entries  {page:6} {len(seen):2} statements"
                        f"  {ms:7.2f} ms/request  {ms / hello:6.1f}× hello"
                    )


if __name__ == "__main__":
    main()
