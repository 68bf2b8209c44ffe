#!/usr/bin/env python
"""The forum benchmark, run by hand (not a test): `bench/README.md` says how.

For each database (SQLite, then PostgreSQL) it
1. creates a fresh database (a temporary SQLite file; a new PostgreSQL database), brings the
   schema up with the migrations, and bulk-loads a forum: 1,000,000 posts in 50,000 threads by
   5,000 users across 20 groups at --scale 1 (executemany on SQLite, COPY on PostgreSQL; the ORM
   services are bypassed but every column is filled as they would fill it: rendered and
   sanitized body_html, post numbers, thread counters, revisions of edited posts, follows);
2. builds the search index through forum.search.services when it offers a bulk path;
3. serves the app with gunicorn (2 sync workers) on 127.0.0.1, with a bare "hello" Flask route
   mounted beside it in the same process (bench/bench_wsgi.py): the ceiling;
4. measures each page with wrk (requests/s, p50/p95/p99 under load) and alone (one connection,
   sequential requests: p50/p95);
5. drops the database, and finally prints one table with each page's ratio to the ceiling.

This machine is noisy: compare ratios measured in one run, not absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

FULL = {"posts": 1_000_000, "threads": 50_000, "users": 5_000}
GROUPS = 20
PASSWORD = "bench-password-2026"  # noqa: S105 - the generated member's password
MEMBER_EMAIL = "bench.member@example.org"
USER_AGENT = "forum-bench/1"  # the same for the sign-in and wrk: the session is bound to it
SEARCH_QUERY = "logement"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- Data ------------------------------------------------------------------------------

COMMUNES = [
    ("92023", "Clamart", "92"),
    ("92048", "Meudon", "92"),
    ("92019", "Châtenay-Malabry", "92"),
    ("78640", "Vélizy-Villacoublay", "78"),
    ("91534", "Saclay", "91"),
]
FIRST_NAMES = [
    *("Nadia", "Karim", "Claire", "Jean", "Inès", "Mathieu", "Aïcha", "Paul", "Sofia", "Lucas"),
    *("Fatou", "Hugo", "Léa", "Yanis", "Chloé", "Romain", "Amina", "Julien", "Sarah", "Mehdi"),
    *("Camille", "Thomas", "Zoé", "Samir", "Emma", "Louis", "Rania", "Nicolas", "Anaïs", "Omar"),
]
TOPICS = [
    "Un logement pour cet hiver",
    "Réunion avec la mairie",
    "Collecte de vêtements chauds",
    "Scolarisation des enfants",
    "Permanence juridique du samedi",
    "Transport vers l'hôpital",
    "Cours de français pour adultes",
    "Recherche d'un terrain",
    "Lettre au préfet",
    "Hébergement d'urgence",
    "Logements vacants de la commune",
    "Fête de quartier et solidarité",
    "Dossier de domiciliation",
    "Accès à l'eau et à l'électricité",
]
SENTENCES = [
    "Nous avons rencontré l'adjointe au maire chargée du logement jeudi dernier.",
    "Les familles attendent toujours une réponse sur les logements passerelles.",
    "Qui peut accompagner Mme D. à la préfecture mardi matin ?",
    "Le bailleur social propose deux appartements à Meudon-la-Forêt.",
    "Il faudrait relancer l'association pour la domiciliation des enfants.",
    "J'ai **trois couvertures** et un lit pliant à donner, disponibles ce week-end.",
    "La réunion publique aura lieu à la salle des fêtes à 19 h.",
    "Merci à tous pour la collecte : 42 cartons ont été triés.",
    "Voir le compte rendu : https://example.org/compte-rendu-mous",
    "Le diagnostic social de la MOUS avance, six ménages ont été reçus.",
    "Nous cherchons des bénévoles pour l'aide aux devoirs le mercredi.",
    "Un logement d'insertion s'est libéré, le dossier doit partir avant vendredi.",
    "La mairie demande la liste des besoins en *logement* et en scolarité.",
    "Je peux conduire deux personnes à l'hôpital Béclère lundi.",
    "Le juge a accordé un délai de trois mois avant l'expulsion.",
    "Pensez à apporter vos justificatifs pour la demande de logement social.",
]


def make_bodies(rng: random.Random, count: int) -> list[tuple[str, str]]:
    """(Markdown, sanitized HTML) pairs, rendered by the app's own renderer."""
    from forum.markup import render_markdown

    bodies = []
    for i in range(count):
        paragraphs = []
        for _ in range(rng.randint(1, 4)):
            paragraphs.append(" ".join(rng.sample(SENTENCES, rng.randint(1, 3))))
        if i % 7 == 0:
            paragraphs.append("- un point\n- un autre point\n- `code 12`")
        if i % 11 == 0:
            paragraphs.insert(0, "> Je cite le message précédent :\n> il faut agir vite.")
        text = "\n\n".join(paragraphs)
        bodies.append((text, render_markdown(text).html))
    return bodies


@dataclass
class Forum:
    """Rows to load, as dicts keyed by column name, per table, in insertion order."""

    tables: dict[str, list[dict]] = field(default_factory=dict)
    bench_thread: int = 0  # a thread with 60 posts or more: its first page is full
    bench_group: str = ""
    group_pages: int = 1

    def add(self, table: str, row: dict) -> None:
        self.tables.setdefault(table, []).append(row)


def generate(sizes: dict[str, int], seed: int = 2026) -> Forum:
    """The whole forum in memory, consistent as the services would have left it."""
    from forum import models as _every_model  # noqa: F401 - every table on the metadata
    from forum.accounts.passwords import hash_password
    from forum.discussions.models import THREADS_PER_PAGE
    from forum.extensions import db

    known_tables = set(db.metadata.tables)  # (the same script measures older revisions)
    rng = random.Random(seed)
    n_users, n_threads, n_posts = sizes["users"], sizes["threads"], sizes["posts"]
    now = datetime.now(UTC).replace(microsecond=0)
    origin = now - timedelta(days=730)
    forum = Forum()
    password_hash = hash_password(PASSWORD)
    bodies = make_bodies(rng, 400)

    for i, (insee, name, dept) in enumerate(COMMUNES, start=1):
        forum.add("communes", {"id": i, "insee": insee, "name": name, "department": dept})
    for g in range(1, GROUPS + 1):
        commune = (g - 1) % len(COMMUNES) + 1 if g <= GROUPS - 2 else None
        forum.add(
            "groups",
            {
                "id": g,
                "slug": f"groupe-{g:02d}",
                "name": f"Groupe solidaire n° {g}",
                "commune_id": commune,
                "description": "Un groupe local de soutien aux familles.",
                "created_at": origin,
            },
        )
    for u in range(1, n_users + 1):
        first = FIRST_NAMES[u % len(FIRST_NAMES)]
        forum.add(
            "users",
            {
                "id": u,
                "email": MEMBER_EMAIL if u == 1 else f"membre{u}@example.org",
                "display_name": f"{first} {chr(65 + u % 26)}.",
                "username": f"membre-{u}",
                "password_hash": password_hash,
                "locale": "fr",
                "notify_email": ("immediate", "daily", "never")[u % 3],
                "last_digest_on": None,
                "is_admin": False,
                "email_verified_at": origin + timedelta(hours=u),
                "last_login_at": now - timedelta(hours=u % 500),
                "suspended_at": None,
                "deleted_at": None,
                "created_at": origin + timedelta(minutes=u),
            },
        )
    # Memberships: every user in one to three groups; two coordinators per group.
    members_of: dict[int, list[int]] = {g: [] for g in range(1, GROUPS + 1)}
    mid = 0
    for u in range(1, n_users + 1):
        groups = {1} if u == 1 else set(rng.sample(range(1, GROUPS + 1), rng.randint(1, 3)))
        for g in sorted(groups):
            mid += 1
            role = "member"
            if u > 1 and len([m for m in members_of[g] if m < 0]) < 2:
                role = "coordinator"
                members_of[g].append(-u)  # marked as coordinator
            else:
                members_of[g].append(u)
            forum.add(
                "memberships",
                {
                    "id": mid,
                    "user_id": u,
                    "group_id": g,
                    "role": role,
                    "created_at": origin + timedelta(minutes=u),
                },
            )
    coordinators = {g: [-m for m in ms if m < 0] for g, ms in members_of.items()}

    # Posts per thread: exponential around the mean, at least one; the total is exact.
    mean = n_posts / n_threads
    counts = [1 + int(rng.expovariate(1 / max(mean - 1, 0.01))) for _ in range(n_threads)]
    diff = n_posts - sum(counts)
    while diff:
        i = rng.randrange(n_threads)
        if diff > 0:
            step = min(diff, 5)
            counts[i] += step
            diff -= step
        elif counts[i] > 1:
            counts[i] -= 1
            diff += 1
    # The measured thread (group 1): the longest of the first threads, at least 60 posts.
    bench_index = max(range(0, n_threads, GROUPS), key=lambda i: counts[i])
    if counts[bench_index] < 60:
        donor = max(range(n_threads), key=lambda i: counts[i] if i != bench_index else -1)
        moved = min(60 - counts[bench_index], counts[donor] - 1)
        counts[bench_index] += moved
        counts[donor] -= moved
    forum.bench_thread = bench_index + 1
    forum.bench_group = "groupe-01"

    span = (now - timedelta(days=2) - origin).total_seconds()
    posts = []  # (created_at, thread_id, number, author_id)
    pinned = {g: None for g in range(1, GROUPS + 1)}
    for t in range(n_threads):
        tid = t + 1
        gid = t % GROUPS + 1
        start = origin + timedelta(seconds=span * t / n_threads)
        pool = [abs(m) for m in members_of[gid]] or [1]
        author = rng.choice(pool)
        gap = min(6 * 3600, 20 * 86400 / counts[t])
        at = start
        last_author = author
        for number in range(1, counts[t] + 1):
            if number > 1:
                at += timedelta(seconds=1 + rng.expovariate(1 / gap))
                last_author = rng.choice(pool)
            posts.append((min(at, now - timedelta(seconds=1)), tid, number, last_author))
        hidden = tid != forum.bench_thread and rng.random() < 0.002
        if pinned[gid] is None and t >= GROUPS * 3 and not hidden:
            pinned[gid] = tid
        forum.add(
            "threads",
            {
                "id": tid,
                "group_id": gid,
                "author_id": author,
                "title": f"{TOPICS[t % len(TOPICS)]} ({tid})",
                "is_pinned": pinned[gid] == tid,
                "locked_at": at if rng.random() < 0.01 else None,
                "hidden_at": at if hidden else None,
                "hidden_reason": "Hors sujet" if hidden else None,
                "post_count": counts[t],
                "last_number": counts[t],
                "last_posted_at": min(at, now - timedelta(seconds=1)),
                "last_poster_id": last_author,
                "created_at": start,
            },
        )
    # Group 1's last page is full, like its first: the two compare like with like.
    group1 = [r for r in forum.tables["threads"] if r["group_id"] == 1 and not r["hidden_at"]]
    extra = len(group1) % THREADS_PER_PAGE if len(group1) > THREADS_PER_PAGE else 0
    for row in [r for r in group1 if r["id"] != forum.bench_thread and not r["is_pinned"]][:extra]:
        row["hidden_at"], row["hidden_reason"] = row["last_posted_at"], "Hors sujet"
    forum.group_pages = max((len(group1) - extra - 1) // THREADS_PER_PAGE + 1, 1)

    # Post ids follow time across threads, as they would on a live site.
    posts.sort()
    follows: set[tuple[int, int]] = set()
    revision_id = 0
    threads = forum.tables["threads"]
    for pid, (at, tid, number, author) in enumerate(posts, start=1):
        body, html = bodies[rng.randrange(len(bodies))]
        roll = rng.random()
        edited = roll < 0.02
        deleted = number > 1 and 0.02 <= roll < 0.023
        hidden = number > 1 and 0.023 <= roll < 0.028
        gid = threads[tid - 1]["group_id"]
        forum.add(
            "posts",
            {
                "id": pid,
                "thread_id": tid,
                "author_id": author,
                "number": number,
                "body": body,
                "body_html": html,
                "edited_at": at + timedelta(minutes=5) if edited else None,
                "edit_count": 1 if edited else 0,
                "deleted_at": at + timedelta(hours=1) if deleted else None,
                "hidden_at": at + timedelta(hours=2) if hidden else None,
                "hidden_reason": "Propos injurieux" if hidden else None,
                "hidden_by_id": (coordinators[gid] or [1])[0] if hidden else None,
                "created_at": at,
            },
        )
        if edited:
            old_body, old_html = bodies[(pid * 7) % len(bodies)]
            revision_id += 1
            forum.add(
                "post_revisions",
                {
                    "id": revision_id,
                    "post_id": pid,
                    "body": old_body,
                    "body_html": old_html,
                    "written_at": at,
                    "replaced_at": at + timedelta(minutes=5),
                    "editor_id": author,
                },
            )
        # Reactions ("merci", "+1") on one post in five, from one to three members.
        if pid % 5 == 0 and not (deleted or hidden) and "reactions" in known_tables:
            for k in range(1 + pid % 3):
                fan = (pid * 31 + k * 997) % n_users + 1
                if fan != author:
                    kind = ("thanks", "plus_one")[k % 2]
                    forum.add(
                        "reactions",
                        {"post_id": pid, "user_id": fan, "kind": kind, "created_at": at},
                    )
        # Authors and repliers follow the thread automatically.
        if (author, tid) not in follows:
            follows.add((author, tid))
            forum.add(
                "thread_subscriptions",
                {"user_id": author, "thread_id": tid, "active": True, "created_at": at},
            )
    # Read positions: each member has read a few threads of their groups, the bench member
    # half of group 1 (so that the group page shows both read and unread rows).
    seen: set[tuple[int, int]] = set()
    for t in range(0, n_threads, GROUPS * 2):
        seen.add((1, t + 1))
    for _ in range(n_users * 20):
        u = rng.randint(2, n_users)
        seen.add((u, rng.randint(1, n_threads)))
    for u, tid in sorted(seen):
        last = threads[tid - 1]["last_number"]
        forum.add(
            "read_states",
            {"user_id": u, "thread_id": tid, "last_read_number": rng.randint(1, last)},
        )
    return forum


# --- Loading ---------------------------------------------------------------------------

LOAD_ORDER = [
    "communes",
    "groups",
    "users",
    "memberships",
    "threads",
    "posts",
    "post_revisions",
    "reactions",
    "thread_subscriptions",
    "read_states",
]


def columns_for(table) -> list[str]:
    return [c.name for c in table.columns]


def complete(table, row: dict) -> dict:
    """Every column of the table: generated value, else NULL or the column's plain default.

    A column the generator does not know (added since) fails loudly unless it may be empty."""
    full = {}
    for column in table.columns:
        if column.name in row:
            full[column.name] = row[column.name]
        elif column.default is not None and not callable(column.default.arg):
            full[column.name] = column.default.arg
        elif column.nullable:
            full[column.name] = None
        else:
            raise SystemExit(f"the generator does not fill {table.name}.{column.name}")
    return full


def schema(uri: str) -> None:
    """The production schema: the migrations, as `flask db upgrade` runs them."""
    from flask_migrate import upgrade

    from forum import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench-" + "k" * 40, "TESTING": False}
    )
    with app.app_context():
        upgrade()
        from forum.extensions import db

        db.engine.dispose()


def load_sqlite(path: Path, forum: Forum) -> None:
    import sqlite3

    from forum.extensions import db

    conn = sqlite3.connect(path)
    try:
        for name in LOAD_ORDER:
            rows = forum.tables.get(name, [])
            if not rows:
                continue
            table = db.metadata.tables[name]
            cols = columns_for(table)
            sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            started = time.perf_counter()
            conn.executemany(
                sql, (tuple(_sqlite_value(v) for v in complete(table, r).values()) for r in rows)
            )
            conn.commit()
            log(f"  {name}: {len(rows):,} rows in {time.perf_counter() - started:.1f} s")
        conn.execute("ANALYZE")
        conn.commit()
    finally:
        conn.close()


def _sqlite_value(value):
    # As SQLAlchemy stores them on SQLite: naive UTC text with microseconds; booleans as 0/1.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def load_postgres(dsn: str, forum: Forum) -> None:
    import psycopg

    from forum.extensions import db

    with psycopg.connect(dsn) as conn:
        for name in LOAD_ORDER:
            rows = forum.tables.get(name, [])
            if not rows:
                continue
            table = db.metadata.tables[name]
            cols = columns_for(table)
            started = time.perf_counter()
            with conn.cursor() as cur:
                with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(tuple(complete(table, row).values()))
                if "id" in cols:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
            conn.commit()
            log(f"  {name}: {len(rows):,} rows in {time.perf_counter() - started:.1f} s")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def build_search_index(uri: str) -> str:
    """Fill the search index through forum.search.services' bulk path, if it has one."""
    import forum.search.services as search

    builder = None
    for name in ("rebuild_index", "reindex_all", "rebuild", "build_index"):
        if callable(getattr(search, name, None)):
            builder = getattr(search, name)
            break
    if builder is None:
        return "no bulk indexing in forum.search.services: search measured on an empty index"
    from forum import create_app
    from forum.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench-" + "k" * 40})
    started = time.perf_counter()
    with app.app_context():
        builder()
        db.session.commit()
        db.engine.dispose()
    took = time.perf_counter() - started
    return f"search index built by search.{builder.__name__}() in {took:.0f} s"


# --- Databases -------------------------------------------------------------------------


@contextlib.contextmanager
def sqlite_database(keep: bool):
    folder = Path(tempfile.mkdtemp(prefix="forum-bench-"))
    path = folder / "bench.sqlite3"
    try:
        yield f"sqlite:///{path}", path
    finally:
        if keep:
            log(f"kept {path}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def postgres_database(server_uri: str, keep: bool):
    """A new database on the server, dropped afterwards."""
    import psycopg

    parts = urlsplit(server_uri.replace("postgresql+psycopg://", "postgresql://"))
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the benchmark only runs against 127.0.0.1")
    name = f"forum_bench_{uuid.uuid4().hex[:8]}"
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = parts._replace(path=f"/{name}").geturl()
    try:
        yield f"postgresql+psycopg://{dsn.removeprefix('postgresql://')}", dsn
    finally:
        if keep:
            log(f"kept database {name}")
        else:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- Serving ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(uri: str, workers: int):
    port = free_port()
    env = {
        **os.environ,
        "FORUM_ENV": "production",
        "FORUM_SECRET_KEY": uuid.uuid4().hex * 2,
        "FORUM_SQLALCHEMY_DATABASE_URI": uri,
        "FORUM_RATELIMIT_STORAGE_URI": "memory://",
        # The search page is measured, not its flood limit (30 a minute would answer 429).
        "FORUM_RATELIMIT_SEARCH": "1000000 per minute",
        "FORUM_BASE_URL": f"http://127.0.0.1:{port}",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "bench_wsgi:app",
    ]
    process = subprocess.Popen(command, env=env, cwd=HERE, start_new_session=True)
    base = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(base, "/__hello/")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def get(base: str, path: str, headers: dict | None = None, method="GET", body=None):
    host, port = base.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read(), response.getheaders()
    finally:
        conn.close()


def cookies_from(headers, jar: dict) -> dict:
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            if val:
                jar[key] = val
            else:
                jar.pop(key, None)
    return jar


def sign_in(base: str) -> str:
    """The member's Cookie header, from one real sign-in through the form."""
    jar: dict = {}
    status, body, headers = get(base, "/auth/login")
    cookies_from(headers, jar)
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
    form = urlencode({"csrf_token": token, "email": MEMBER_EMAIL, "password": PASSWORD})
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    status, body, headers = get(
        base,
        "/auth/login",
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
        body=form,
    )
    if status != 302:
        raise SystemExit(f"the bench member could not sign in ({status})")
    cookies_from(headers, jar)
    return "; ".join(f"{k}={v}" for k, v in jar.items())


# --- Measuring -------------------------------------------------------------------------

WRK_SCRIPT = HERE / "wrk_report.lua"


@dataclass
class Measure:
    database: str
    page: str
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    errors: int = 0
    alone_p50: float = 0.0
    alone_p95: float = 0.0
    note: str = ""


def load(base: str, path: str, headers: dict, args) -> dict:
    command = ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections)]
    command += ["-d", f"{args.duration}s", "--timeout", "10s", "-s", str(WRK_SCRIPT)]
    for key, value in {"User-Agent": USER_AGENT, **headers}.items():
        command += ["-H", f"{key}: {value}"]
    command.append(f"http://{base}{path}")
    out = subprocess.run(
        command, capture_output=True, text=True, timeout=args.duration + 60, check=True
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("JSON "))
    return json.loads(line[5:])


def alone(base: str, path: str, headers: dict, count: int, budget: float) -> tuple[float, float]:
    """p50 and p95 in ms of sequential requests on one connection at a time: `count` of
    them, or fewer when they take more than `budget` seconds (a slow page stays bounded)."""
    times: list[float] = []
    deadline = time.monotonic() + budget
    while len(times) < count and (len(times) < 5 or time.monotonic() < deadline):
        started = time.perf_counter()
        status, _body, _h = get(base, path, headers)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return cuts[49], cuts[94]


NC = {"Cookie": "bench=rendered"}  # not a session: the visitor's page, never from the cache


def measure_all(database: str, base: str, forum: Forum, args, notes: list[str]) -> list[Measure]:
    thread, group = forum.bench_thread, forum.bench_group
    member = {"Cookie": sign_in(base)}
    status, body, _h = get(base, f"/threads/{forum.bench_thread}?page=1", member)
    if status != 200 or b'action="/auth/logout"' not in body:
        raise SystemExit("the member's cookie does not sign in")
    pages = [
        ("hello", "hello (ceiling)", "/__hello/", {}),
        ("thread", "thread p.1 (20 posts), visitor", f"/threads/{thread}?page=1", {}),
        # A cookie, any cookie, bypasses the anonymous page cache: the page is rendered.
        ("thread-rendered", "thread p.1, visitor, rendered", f"/threads/{thread}?page=1", NC),
        ("thread-member", "thread p.1 (20 posts), member", f"/threads/{thread}?page=1", member),
        ("group", "group, first page", f"/groups/{group}/", {}),
        ("group-rendered", "group, first page, rendered", f"/groups/{group}/", NC),
        ("group-last", "group, last page", f"/groups/{group}/?page={forum.group_pages}", {}),
        ("group-member", "group, first page, member", f"/groups/{group}/", member),
        ("home", "home, visitor", "/", {}),
        ("home-rendered", "home, visitor, rendered", "/", NC),
        ("home-member", "home, member", "/", member),
        ("search", "search", f"/search?q={SEARCH_QUERY}", {}),
        ("search-group", "search in a group", f"/search?q={SEARCH_QUERY}&group={group}", {}),
        ("thread-feed", "thread feed", f"/threads/{thread}/feed.atom", {}),
        ("group-feed", "group feed", f"/groups/{group}/feed.atom", {}),
    ]
    wanted = set(args.pages.split(",")) if args.pages else None
    pages = [(label, path, h) for key, label, path, h in pages if not wanted or key in wanted]
    results = []
    for label, path, headers in pages:
        status, body, _h = get(base, path, headers)
        if status != 200:
            note = f"{label}: {path} answered {status}, skipped"
            log(note)
            notes.append(f"{database}: {note}")
            continue
        warm_until = time.monotonic() + 5
        for _ in range(20):  # warm both workers' caches
            get(base, path, headers)
            if time.monotonic() > warm_until:
                break
        log(f"  {label}: {path}")
        m = Measure(database, label)
        m.alone_p50, m.alone_p95 = alone(
            base, path, headers, args.sequential, budget=args.duration * 2
        )
        stats = load(base, path, headers, args)
        m.rps = stats["requests"] / (stats["duration_us"] / 1e6)
        m.p50, m.p95, m.p99 = (stats[k] / 1000 for k in ("p50", "p95", "p99"))
        m.errors = stats["errors"] + stats["non2xx"]
        results.append(m)
    return results


def print_table(results: list[Measure], notes: list[str]) -> None:
    header = (
        f"{'database':<10} {'page':<32} {'req/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} "
        f"{'ratio':>7} {'alone p50':>9} {'alone p95':>9} {'errors':>6}"
    )
    print()
    print("Loaded: wrk, latency in ms. Alone: one connection, sequential requests, in ms.")
    print(header)
    print("-" * len(header))
    ceilings = {m.database: m.rps for m in results if m.page.startswith("hello")}
    for m in results:
        ratio = m.rps / ceilings[m.database] * 100 if ceilings.get(m.database) else 0
        print(
            f"{m.database:<10} {m.page:<32} {m.rps:>8.0f} {m.p50:>7.1f} {m.p95:>7.1f} "
            f"{m.p99:>7.1f} {ratio:>6.1f}% {m.alone_p50:>9.1f} {m.alone_p95:>9.1f} "
            f"{m.errors:>6}"
        )
    for note in notes:
        print(f"note: {note}")


# --- Main ------------------------------------------------------------------------------


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="1 = 1,000,000 posts (default)")
    p.add_argument("--posts", type=int, help="override the number of posts")
    p.add_argument("--threads", type=int, help="override the number of threads")
    p.add_argument("--users", type=int, help="override the number of users")
    p.add_argument("--db", default="sqlite,postgres", help="sqlite, postgres or both")
    p.add_argument(
        "--pg",
        default=os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="a PostgreSQL server on 127.0.0.1 (a new database is created on it, then dropped)",
    )
    p.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--wrk-threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    p.add_argument("--sequential", type=int, default=200, help="requests for the alone figures")
    p.add_argument("--keep", action="store_true", help="keep the databases (to profile)")
    p.add_argument("--serve", action="store_true", help="generate, serve, wait for Ctrl-C")
    p.add_argument(
        "--pages",
        help="only these, comma-separated: hello, thread, thread-rendered, thread-member, "
        "group, group-rendered, group-last, group-member, home, home-rendered, home-member, "
        "search, search-group, thread-feed, group-feed (default: all)",
    )
    p.add_argument(
        "--existing",
        action="append",
        metavar="URI",
        help="measure a database kept by --keep (no generation); may be repeated",
    )
    return p.parse_args(argv)


def describe(uri: str) -> Forum:
    """What to measure in a database the benchmark generated and kept (--keep)."""
    from sqlalchemy import create_engine, text

    from forum.discussions.models import THREADS_PER_PAGE

    engine = create_engine(uri)
    with engine.connect() as conn:
        thread = conn.scalar(
            text(
                "SELECT id FROM threads WHERE group_id = 1 AND hidden_at IS NULL "
                "AND post_count >= 60 ORDER BY id LIMIT 1"
            )
        )
        visible = conn.scalar(
            text("SELECT count(*) FROM threads WHERE group_id = 1 AND hidden_at IS NULL")
        )
    engine.dispose()
    return Forum(
        bench_thread=thread,
        bench_group="groupe-01",
        group_pages=max((visible - 1) // THREADS_PER_PAGE + 1, 1),
    )


def measure_existing(args, wall: float) -> None:
    results: list[Measure] = []
    notes: list[str] = []
    for uri in args.existing:
        database = "postgres" if uri.startswith("postgresql") else "sqlite"
        with gunicorn(uri, args.workers) as base:
            results += measure_all(database, base, describe(uri), args, notes)
    notes.append(
        f"kept databases; wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s; "
        f"gunicorn {args.workers} sync workers; {os.cpu_count()} CPUs; "
        f"wall time {time.perf_counter() - wall:.0f} s"
    )
    print_table(results, notes)


def main(argv=None) -> None:
    args = parse_args(argv)
    # A SIGTERM (timeout, Ctrl-C from a supervisor) still stops gunicorn and drops databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not shutil.which("wrk") and not args.serve:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    sizes = {k: max(int(v * args.scale), 1) for k, v in FULL.items()}
    sizes["users"] = max(sizes["users"], 50)
    sizes["threads"] = max(sizes["threads"], GROUPS * 3)
    for key in sizes:
        if getattr(args, key):
            sizes[key] = getattr(args, key)
    sizes["posts"] = max(sizes["posts"], sizes["threads"])
    wall = time.perf_counter()
    if args.existing:
        measure_existing(args, wall)
        return
    log("generating {posts:,} posts, {threads:,} threads, {users:,} users".format(**sizes))
    started = time.perf_counter()
    forum = generate(sizes)
    log(f"generated in {time.perf_counter() - started:.0f} s")

    results: list[Measure] = []
    notes: list[str] = []
    for database in [d.strip() for d in args.db.split(",") if d.strip()]:
        if database == "sqlite":
            context = sqlite_database(args.keep)
        elif database == "postgres":
            context = postgres_database(args.pg, args.keep)
        else:
            raise SystemExit(f"unknown database {database!r}")
        with context as (uri, target):
            log(f"{database}: schema and load")
            started = time.perf_counter()
            schema(uri)
            if database == "sqlite":
                load_sqlite(target, forum)
            else:
                load_postgres(target, forum)
            note = build_search_index(uri)
            notes.append(f"{database}: {note}")
            log(f"{database}: loaded in {time.perf_counter() - started:.0f} s; {note}")
            with gunicorn(uri, args.workers) as base:
                if args.serve:
                    log(f"serving http://{base}/ (thread {forum.bench_thread}); Ctrl-C stops")
                    with contextlib.suppress(KeyboardInterrupt):
                        while True:
                            time.sleep(3600)
                    continue
                results += measure_all(database, base, forum, args, notes)
    notes.append(
        f"{sizes['posts']:,} posts, {sizes['threads']:,} threads, {sizes['users']:,} users, "
        f"{GROUPS} groups; wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration}s; "
        f"gunicorn {args.workers} sync workers; {os.cpu_count()} CPUs; "
        f"wall time {time.perf_counter() - wall:.0f} s"
    )
    print_table(results, notes)


if __name__ == "__main__":
    main()
