#!/usr/bin/env python
"""Instructions per request of one page, counted by callgrind: the same count from one run
to the next whatever else the machine is doing, unlike a time (run by hand, not a test).

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=functools_reduce \\
        --callgrind-out-file=/tmp/cg.out .venv/bin/python bench/instructions.py URI PAGE 10

URI is a database kept by `forum_bench.py --keep`; PAGE is hello, thread, group or home,
with "-member" for a signed-in member's (thread-member…). Only the requests inside
functools.reduce are counted: the "I refs" valgrind prints, divided by the number of
requests, is the page's cost (about 80 s for 10 requests). Compare two versions of the code
with a git worktree of each, one run of each.
"""

from __future__ import annotations

import functools
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from forum_bench import MEMBER_EMAIL, PASSWORD, describe  # noqa: E402


def main() -> None:
    uri, page, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    from forum import create_app

    forum = describe(uri)
    app = create_app(
        {
            "ENV": "testing",
            "TESTING": True,
            "SECRET_KEY": "bench-" + "x" * 40,
            "SQLALCHEMY_DATABASE_URI": uri,
            "RATELIMIT_STORAGE_URI": "memory://",
            "PAGE_CACHE": False,
        },
        instance_path=tempfile.mkdtemp(prefix="forum-instructions-"),
    )
    app.add_url_rule("/__hello/", "hello", lambda: "hello")
    client = app.test_client()
    if page.endswith("-member"):
        login = client.get("/auth/login").get_data(as_text=True)
        token = login.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
        signed = client.post(
            "/auth/login", data={"csrf_token": token, "email": MEMBER_EMAIL, "password": PASSWORD}
        )
        assert signed.status_code == 302, signed.status_code
    url = {
        "hello": "/__hello/",
        "thread": f"/threads/{forum.bench_thread}?page=1",
        "group": f"/groups/{forum.bench_group}/",
        "home": "/",
    }[page.removesuffix("-member")]
    for _ in range(5):  # templates compiled, statements cached, read marks written
        assert client.get(url).status_code == 200, url
    functools.reduce(lambda _, __: client.get(url), range(runs), None)  # what callgrind counts


if __name__ == "__main__":
    main()
