#!/usr/bin/env python
"""The project page in-process, run by hand (not a test): `bench/README.md` says how.

For each database (SQLite, then PostgreSQL) it brings a fresh schema up with the migrations,
writes one project with --pledges pledges straight to the tables (ten forms of help, four
communes, some conditional), refreshes the kept totals once, and prints the median time of
`project_figures()`, of the whole page through the test client (as a visitor), and of one
pledge change through `save_pledge` (which refreshes the totals in its transaction).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from forum_bench import postgres_database, schema, sqlite_database  # noqa: E402


def _median_ms(action, times: int) -> float:
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        action()
        spent.append((time.perf_counter() - start) * 1000)
    return statistics.median(spent)


def _fill(pledges: int):
    from forum.accounts.models import User
    from forum.db import utcnow
    from forum.extensions import db
    from forum.groups.models import Commune, Group
    from forum.projects import services
    from forum.projects.models import Pledge, PledgeHelp
    from forum.projects.totals import refresh_totals

    communes = [Commune(insee=f"920{n:02d}", name=f"C{n}", department="92") for n in range(4)]
    db.session.add_all(communes)
    db.session.flush()
    group = Group(slug="bench", name="Groupe", commune_id=communes[0].id)
    db.session.add(group)
    db.session.flush()
    project = services.create_project(
        title="MOUS",
        slug="mous",
        goal="reloger 15 familles",
        groups=[group],
        help_kinds=[(f"k{n}", f"Forme {n}") for n in range(10)],
        target_participants=500,
    )
    users = [
        User(
            email=f"u{n}@example.org",
            display_name=f"Membre {n}",
            username=f"membre-{n}",
            password_hash="!",
            email_verified_at=utcnow(),
        )
        for n in range(pledges)
    ]
    db.session.add_all(users)
    db.session.flush()
    rows = [
        Pledge(
            project_id=project.id,
            user_id=user.id,
            commune_id=communes[n % 4].id,
            hours_per_month=n % 20,
            show_name=n % 2 == 0,
            threshold=None if n % 50 else 3,
            threshold_met_at=None if n % 100 else utcnow(),
        )
        for n, user in enumerate(users)
    ]
    db.session.add_all(rows)
    db.session.flush()
    kinds = [k.id for k in project.help_kinds]
    db.session.execute(
        PledgeHelp.__table__.insert(),
        [
            {"pledge_id": p.id, "help_kind_id": kinds[(n + j) % 10]}
            for n, p in enumerate(rows)
            for j in range(1 + n % 3)
        ],
    )
    refresh_totals(project)
    db.session.commit()
    return users[0], communes[1]


def run(uri: str, pledges: int, times: int) -> str:
    from forum import create_app
    from forum.extensions import db

    schema(uri)
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "b" * 48, "TESTING": False})
    with app.app_context():
        from forum.projects import figures, services

        user, commune = _fill(pledges)
        project = services.load_project("mous")
        client = app.test_client()
        figures_ms = _median_ms(lambda: figures.project_figures(project), times)
        page_ms = _median_ms(lambda: client.get("/projects/mous/"), times)

        changes = iter(range(10**6))

        def change() -> None:
            # Each change moves the hours, so that the totals' rows really change.
            hours = next(changes) % 5
            data = services.PledgeData(
                help_kinds=["k1"], hours_per_month=hours, commune=commune.insee
            )
            services.save_pledge(user, project, data)
            db.session.commit()

        write_ms = _median_ms(change, 20)
        db.engine.dispose()
    return (
        f"project_figures {figures_ms:.1f} ms, project page {page_ms:.1f} ms, "
        f"a pledge change {write_ms:.1f} ms"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pledges", type=int, default=2000)
    p.add_argument("--times", type=int, default=60)
    p.add_argument("--db", default="sqlite,postgres")
    p.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = p.parse_args()
    lines = []
    for name in args.db.split(","):
        if name == "sqlite":
            with sqlite_database(False) as (uri, _path):
                lines.append(f"sqlite:     {run(uri, args.pledges, args.times)}")
        elif name == "postgres":
            with postgres_database(args.pg, False) as (uri, _dsn):
                lines.append(f"postgresql: {run(uri, args.pledges, args.times)}")
    print(f"{args.pledges} pledges, medians of {args.times} runs (a change: of 20)")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
