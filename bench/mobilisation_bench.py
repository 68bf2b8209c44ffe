#!/usr/bin/env python
"""The mobilisation benchmark, run by hand (not a test): `bench/README.md` says how.

For each database (SQLite, then PostgreSQL) it creates a fresh one, brings the schema up with
the migrations, and fills it through the features' own services: a project taken part in by
one group, with --pledges pledges (each from its own member, over ten forms of help and
four communes), and --meetings meetings of that group, the first of them answered by
--answers members. Then it serves the app with gunicorn beside a bare "hello" route (the
ceiling, bench/bench_wsgi.py) and measures, as a visitor, the project page, the meeting page,
the group's meetings list and the group's calendar (.ics), alone and under wrk, as ratios of
the ceiling measured in the same run.

The figures that a test can hold (a fixed number of SQL statements whatever the number of
pledges, meetings and answers) are in tests/test_projects.py and tests/test_meetings_speed.py;
this measures the rest.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from forum_bench import (  # noqa: E402 - the shared serving and measuring machinery
    Measure,
    alone,
    get,
    gunicorn,
    load,
    log,
    postgres_database,
    print_table,
    schema,
    sqlite_database,
)

HELP_KINDS = [
    ("shelter", "Hébergement temporaire"),
    ("transport", "Transport"),
    ("translation", "Traduction"),
    ("school", "Soutien scolaire"),
    ("health", "Accompagnement santé"),
    ("paperwork", "Démarches administratives"),
    ("work", "Emploi et formation"),
    ("gifts", "Dons en nature"),
    ("meetings", "Réunions et négociations"),
    ("funds", "Collecte de fonds"),
]
COMMUNES = [
    ("92023", "Clamart"),
    ("92048", "Meudon"),
    ("91272", "Igny"),
    ("92071", "Sceaux"),
]


def fill(uri: str, args) -> dict:
    """The project, its pledges, the meetings and their answers, through the services."""
    from werkzeug.security import generate_password_hash

    from forum import create_app
    from forum.accounts.models import User
    from forum.db import utcnow
    from forum.extensions import db
    from forum.groups import services as groups
    from forum.groups.models import Role
    from forum.meetings import services as meetings
    from forum.projects import services as projects

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench-" + "k" * 40, "TESTING": False}
    )
    password_hash = generate_password_hash("bench", method="pbkdf2:sha256:1000")
    with app.app_context():
        communes = [
            groups.create_commune(insee=insee, name=name, department=insee[:2])
            for insee, name in COMMUNES
        ]
        group = groups.create_group(slug="bench", name="Collectif du banc", commune=communes[0])
        now = utcnow()

        def person(n: int) -> User:
            user = User(
                email=f"bench{n}@example.org",
                display_name=f"Membre {n}",
                username=f"membre-{n}",
                password_hash=password_hash,
                locale="fr",
                email_verified_at=now,
            )
            db.session.add(user)
            return user

        people = [person(n) for n in range(max(args.pledges, args.answers) + 1)]
        db.session.flush()
        coordinator = people[0]
        groups.set_role(coordinator, group, Role.COORDINATOR)
        project = projects.create_project(
            slug="mous",
            title="Un toit pour quinze familles",
            goal="reloger 15 familles",
            description="Le projet **MOUS** des collectifs.",
            groups=[group],
            help_kinds=HELP_KINDS,
            target_participants=args.pledges * 2,
        )
        for n, user in enumerate(people[1 : args.pledges + 1]):
            projects.save_pledge(
                user,
                project,
                projects.PledgeData(
                    help_kinds=[HELP_KINDS[n % 10][0], HELP_KINDS[(n * 7 + 3) % 10][0]],
                    hours_per_month=n % 20 + 1,
                    commune=COMMUNES[n % 4][0],
                    availability=["evenings"] if n % 2 else ["weekdays", "weekends"],
                    message=f"Message {n}",
                    show_name=n % 3 == 0,
                    threshold=10 if n % 25 == 0 else None,
                ),
            )
        start = (now + timedelta(days=7)).replace(hour=17, minute=0, second=0, microsecond=0)
        first = None
        for n in range(args.meetings):
            meeting = meetings.create_meeting(
                coordinator,
                group,
                meetings.MeetingData(
                    title=f"Réunion {n + 1}",
                    starts_at=start + timedelta(days=n),
                    ends_at=start + timedelta(days=n, hours=2),
                    location="Salle des fêtes",
                    agenda="1. Le point sur les familles\n2. La mairie",
                    capacity=args.answers // 2,
                ),
                now=now,
            )
            first = first or meeting
        for user in people[1 : args.answers + 1]:
            groups.set_role(user, group, Role.MEMBER)
            meetings.answer(user, first, "yes" if user.id % 3 else "maybe")
        db.session.commit()
        figures = {"meeting": first.id, "group": group.slug, "project": project.slug}
        db.engine.dispose()
    return figures


def measure(database: str, base: str, data: dict, args, notes: list[str]) -> list[Measure]:
    pages = [
        ("hello (ceiling)", "/__hello/"),
        ("project page", f"/projects/{data['project']}/"),
        ("meeting page", f"/meetings/{data['meeting']}"),
        ("meeting .ics", f"/meetings/{data['meeting']}.ics"),
        ("group meetings list", f"/groups/{data['group']}/meetings/"),
        ("group calendar .ics", f"/groups/{data['group']}/meetings.ics"),
        ("group page", f"/groups/{data['group']}/"),
        ("home page", "/"),
    ]
    results = []
    for label, path in pages:
        status, _body, _headers = get(base, path)
        if status != 200:
            notes.append(f"{database}: {label}: {path} answered {status}, skipped")
            continue
        for _ in range(20):  # warm both workers
            get(base, path)
        log(f"  {label}: {path}")
        m = Measure(database, label)
        m.alone_p50, m.alone_p95 = alone(base, path, {}, args.sequential, args.duration * 2)
        stats = load(base, path, {}, args)
        m.rps = stats["requests"] / (stats["duration_us"] / 1e6)
        m.p50, m.p95, m.p99 = (stats[k] / 1000 for k in ("p50", "p95", "p99"))
        m.errors = stats["errors"] + stats["non2xx"]
        results.append(m)
    return results


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pledges", type=int, default=2000)
    p.add_argument("--meetings", type=int, default=200)
    p.add_argument("--answers", type=int, default=300, help="answers to the measured meeting")
    p.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    p.add_argument(
        "--pg",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="a PostgreSQL server on 127.0.0.1 (a new database is created on it)",
    )
    p.add_argument("--duration", type=int, default=5, help="seconds of wrk per page")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--wrk-threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    p.add_argument("--sequential", type=int, default=200, help="requests for the alone figures")
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
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
            started = time.perf_counter()
            schema(uri)
            data = fill(uri, args)
            log(f"{database}: filled in {time.perf_counter() - started:.0f} s")
            with gunicorn(uri, args.workers) as base:
                results += measure(database, base, data, args, notes)
    notes.append(
        f"{args.pledges:,} pledges, {args.meetings} meetings, {args.answers} answers to the "
        f"measured meeting; wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s; "
        f"gunicorn {args.workers} sync workers; {os.cpu_count()} CPUs; "
        f"wall time {time.perf_counter() - wall:.0f} s"
    )
    print_table(results, notes)


if __name__ == "__main__":
    main()
