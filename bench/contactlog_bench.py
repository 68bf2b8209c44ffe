#!/usr/bin/env python
"""The contact log, measured by hand (not a test): `.venv/bin/python bench/contactlog_bench.py`.

Builds a temporary SQLite database with a group of 500 households of 20 contacts each (as
tests/test_contactlog_speed.py does), then prints: the time to decrypt a page of 50
summaries (median of 50 runs), the SQL statements of the group's list and of a household
page, and each page's time per request (in-process test client, median) beside a bare
"hello" route's: compare ratios, not absolute numbers.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402


def median_ms(fn, runs: int = 50) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    from forum.contactlog import crypto
    from tests.conftest import login_as
    from tests.test_contactlog_speed import build
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
    with app.app_context():
        db.create_all()
        group, keeper, first = build(db, households=500, contacts=20)
        # The stored tokens, read as plain text (no decrypting column type in the way).
        tokens = list(db.session.scalars(text("SELECT summary FROM household_contacts LIMIT 50")))
        decrypt = median_ms(lambda: [crypto.decrypt(t) for t in tokens])
        print(f"decrypt a page of {len(tokens)} summaries: {decrypt:.2f} ms (median)")
        client = app.test_client()
        login_as(client, keeper)
        pages = {
            "hello": "/__hello/",
            "group list": f"/groups/{group.slug}/households/",
            "household page": f"/households/{first.public_id}",
        }
        timings = {}
        for name, url in pages.items():
            with statements(db) as seen:
                assert client.get(url).status_code == 200, url
            timings[name] = median_ms(lambda url=url: client.get(url), runs=30)
            print(f"{name:15} {len(seen):3} statements  {timings[name]:7.2f} ms/request")
        if "--profile" in sys.argv:
            import cProfile

            cProfile.runctx("client.get(pages['group list'])", globals(), locals(), sort="cumtime")
        for name in ("group list", "household page"):
            print(f"{name}: {timings[name] / timings['hello']:.1f}× the hello route's time")


if __name__ == "__main__":
    main()
