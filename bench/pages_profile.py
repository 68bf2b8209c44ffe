#!/usr/bin/env python
"""CPU time per request of the forum's main pages, in process, on a database kept by
`forum_bench.py --keep`; with --profile, cProfile's view of each page (run by hand).

    .venv/bin/python bench/pages_profile.py sqlite:////tmp/forum-bench-XXXX/bench.sqlite3
    .venv/bin/python bench/pages_profile.py URI --profile thread --top 40

On a machine shared with other work, the CPU time of the process is the steadiest figure:
each page's is printed beside a bare "hello" route's, served by the same app.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from forum_bench import MEMBER_EMAIL, PASSWORD, describe  # noqa: E402


def cpu_ms(call, runs: int) -> tuple[float, float, float]:
    """(median wall ms, median CPU ms, first-quartile CPU ms) of `runs` calls. On a shared
    machine the first quartile moves least from one run to the next."""
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return statistics.median(walls), statistics.median(cpus), statistics.quantiles(cpus, n=4)[0]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("uri", help="a database kept by forum_bench.py --keep")
    p.add_argument("--runs", type=int, default=60)
    p.add_argument("--profile", help="profile one page: thread, thread-member, group, home…")
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--cache", action="store_true", help="leave the anonymous page cache on")
    args = p.parse_args(argv)

    from forum import create_app

    forum = describe(args.uri)
    app = create_app(
        {
            "ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "bench-" + "x" * 40,
            "SQLALCHEMY_DATABASE_URI": args.uri,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PAGE_CACHE": args.cache,
        },
        instance_path=tempfile.mkdtemp(prefix="forum-profile-"),
    )
    app.add_url_rule("/__hello/", "hello", lambda: "hello")
    visitor = app.test_client()
    member = app.test_client()
    login = member.get("/auth/login").get_data(as_text=True)
    token = login.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    signed = member.post(
        "/auth/login", data={"csrf_token": token, "email": MEMBER_EMAIL, "password": PASSWORD}
    )
    assert signed.status_code == 302, signed.status_code
    thread, group = forum.bench_thread, forum.bench_group
    pages = {
        "hello": (visitor, "/__hello/"),
        "thread": (visitor, f"/threads/{thread}?page=1"),
        "thread-member": (member, f"/threads/{thread}?page=1"),
        "group": (visitor, f"/groups/{group}/"),
        "group-member": (member, f"/groups/{group}/"),
        "home": (visitor, "/"),
        "home-member": (member, "/"),
    }
    if args.profile:
        client, url = pages[args.profile]
        for _ in range(5):
            client.get(url)
        profile = cProfile.Profile()
        profile.runcall(lambda: [client.get(url) for _ in range(args.runs)])
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        return
    hello = None
    print(f"{'page':15} {'median ms':>10} {'CPU ms':>8} {'CPU p25':>8} {'p25 × hello':>12}")
    for name, (client, url) in pages.items():
        for _ in range(5):
            assert client.get(url).status_code == 200, url
        wall, cpu, low = cpu_ms(lambda client=client, url=url: client.get(url), args.runs)
        hello = hello or low
        print(f"{name:15} {wall:>10.2f} {cpu:>8.2f} {low:>8.2f} {low / hello:>12.1f}")


if __name__ == "__main__":
    main()
