#!/usr/bin/env python
"""The contact log, measured by hand (not a test).

In process (the default): `.venv/bin/python bench/contactlog_bench.py`
    Builds a SQLite database with a group of 500 households of 20 contacts each (as
    tests/test_contactlog_speed.py does), then prints: the time to decrypt a page of 50
    summaries (median of 50 runs), the SQL statements of the group's list and of a
    household page, and each page's time per request (in-process test client: median and
    minimum of `--runs`) beside a bare "hello" route's. The database lives on tmpfs
    (/dev/shm) when there is one, so that the household page's commit (its audit entry)
    measures the code and not the fsync of a disk shared with other work; `--disk` puts it
    in the temporary folder instead. `--profile` prints cProfile's view of both pages.

Served (`--gunicorn`): `.venv/bin/python bench/contactlog_bench.py --gunicorn`
    The same data, in a fresh database per engine (`--db sqlite,postgres`; the schema from
    the migrations), served by gunicorn (2 sync workers) beside the bare hello route, as
    bench/forum_bench.py serves the forum; signed in once as the keeper through the real
    form, each page is measured alone (sequential requests: p50, p95) and under `wrk`
    (requests/s, p50, p95, p99), each as a ratio of hello in the same run.

Compare ratios, not absolute numbers: the machine drifts up to 2x between runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

HOUSEHOLDS, CONTACTS = 500, 20


def timings_ms(fn, runs: int) -> tuple[float, float, float]:
    """(median, minimum, median CPU time of this process) in ms of `runs` calls. On a
    machine shared with other work the CPU time is the steadiest of the three."""
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(times), min(times), statistics.median(cpu)


def fill(db) -> dict:
    """The group, its keeper and households (tests/test_contactlog_speed.py's build)."""
    from tests.test_contactlog_speed import build

    group, keeper, first = build(db, households=HOUSEHOLDS, contacts=CONTACTS)
    return {"group": group.slug, "household": first.public_id, "email": keeper.email}


def in_process(args) -> None:
    from sqlalchemy import text

    from forum import create_app
    from forum.contactlog import crypto
    from forum.extensions import db
    from tests.conftest import login_as
    from tests.test_speed import statements

    shm = Path("/dev/shm")
    parent = None if args.disk or not shm.is_dir() else str(shm)
    folder = Path(tempfile.mkdtemp(prefix="contactlog-bench-", dir=parent))
    try:
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
            data = fill(db)
            # The stored tokens, read as plain text (no decrypting column type in the way).
            tokens = list(
                db.session.scalars(text("SELECT summary FROM household_contacts LIMIT 50"))
            )
            decrypt, _fastest, _cpu = timings_ms(lambda: [crypto.decrypt(t) for t in tokens], 50)
            print(f"decrypt a page of {len(tokens)} summaries: {decrypt:.2f} ms (median)")
            client = app.test_client()
            from forum.accounts.models import User

            login_as(client, db.session.scalar(db.select(User).filter_by(email=data["email"])))
        # Each request in its own application context, as when served.
        pages = {
            "hello": "/__hello/",
            "group list": f"/groups/{data['group']}/households/",
            "household page": f"/households/{data['household']}",
        }
        timings = {}
        print(f"{'page':15} {'statements':>10} {'median ms':>10} {'min ms':>8} {'CPU ms':>8}")
        for name, url in pages.items():
            with app.app_context(), statements(db) as seen:
                assert client.get(url).status_code == 200, url
            for _ in range(5):
                client.get(url)
            timings[name] = timings_ms(lambda url=url: client.get(url), args.runs)
            median, fastest, cpu = timings[name]
            print(f"{name:15} {len(seen):>10} {median:>10.2f} {fastest:>8.2f} {cpu:>8.2f}")
        for name in ("group list", "household page"):
            median, fastest, cpu = (
                a / b for a, b in zip(timings[name], timings["hello"], strict=True)
            )
            print(
                f"{name}: {median:.1f}× the hello route's time (median), {fastest:.1f}× (min), "
                f"{cpu:.1f}× (CPU)"
            )
        if args.profile:
            import cProfile

            for name in ("group list", "household page"):
                print(f"\n--- {name}, 20 requests ---")
                cProfile.runctx(
                    "for _ in range(20): client.get(url)",
                    {"client": client, "url": pages[name]},
                    {},
                    sort="cumtime",
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def served(args) -> None:
    """gunicorn + wrk, with forum_bench.py's machinery."""
    import forum_bench
    from cryptography.fernet import Fernet
    from forum_bench import (
        Measure,
        alone,
        get,
        gunicorn,
        load,
        log,
        postgres_database,
        print_table,
        schema,
        sign_in,
        sqlite_database,
    )

    from forum import create_app
    from forum.extensions import db
    from tests import factories

    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    # One key for the filling app and the served one (production wants it set).
    os.environ["FORUM_CONTACTLOG_KEYS"] = Fernet.generate_key().decode()
    wall = time.perf_counter()
    results: list[Measure] = []
    notes: list[str] = []
    for database in [d.strip() for d in args.db.split(",") if d.strip()]:
        if database == "sqlite":
            context = sqlite_database(False)
        elif database == "postgres":
            context = postgres_database(args.pg, False)
        else:
            raise SystemExit(f"unknown database {database!r}")
        with context as (uri, _target):
            log(f"{database}: schema and data")
            schema(uri)
            app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench-" + "k" * 40})
            with app.app_context():
                data = fill(db)
                db.engine.dispose()
            with gunicorn(uri, args.workers) as base:
                forum_bench.MEMBER_EMAIL, forum_bench.PASSWORD = data["email"], factories.PASSWORD
                keeper = {"Cookie": sign_in(base)}
                pages = [
                    ("hello (ceiling)", "/__hello/", {}),
                    ("contact log: group list", f"/groups/{data['group']}/households/", keeper),
                    ("contact log: household", f"/households/{data['household']}", keeper),
                ]
                for label, path, headers in pages:
                    status, _body, _h = get(base, path, headers)
                    if status != 200:
                        raise SystemExit(f"{label}: {path} answered {status}")
                    for _ in range(20):  # warm both workers
                        get(base, path, headers)
                    log(f"  {label}: {path}")
                    m = Measure(database, label)
                    m.alone_p50, m.alone_p95 = alone(
                        base, path, headers, args.sequential, args.duration * 2
                    )
                    stats = load(base, path, headers, args)
                    m.rps = stats["requests"] / (stats["duration_us"] / 1e6)
                    m.p50, m.p95, m.p99 = (stats[k] / 1000 for k in ("p50", "p95", "p99"))
                    m.errors = stats["errors"] + stats["non2xx"]
                    results.append(m)
    notes.append(
        f"{HOUSEHOLDS} households x {CONTACTS} contacts; signed in as a keeper; "
        f"wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s; gunicorn "
        f"{args.workers} sync workers; {os.cpu_count()} CPUs; "
        f"wall time {time.perf_counter() - wall:.0f} s"
    )
    print_table(results, notes)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gunicorn", action="store_true", help="serve and measure with wrk")
    parser.add_argument("--runs", type=int, default=50, help="in process: requests per page")
    parser.add_argument("--disk", action="store_true", help="in process: not on tmpfs")
    parser.add_argument("--profile", action="store_true", help="in process: cProfile")
    parser.add_argument("--db", default="sqlite,postgres", help="served: sqlite,postgres")
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sequential", type=int, default=200)
    return parser.parse_args(argv)


if __name__ == "__main__":
    arguments = parse_args()
    served(arguments) if arguments.gunicorn else in_process(arguments)
