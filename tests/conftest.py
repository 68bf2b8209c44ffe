"""Fixtures: a fresh database per test (SQLite by default, PostgreSQL with
FORUM_TEST_DATABASE_URI), the app, its client and CLI runner, and a real SMTP sink."""

from __future__ import annotations

import contextvars
import os
import re
import shutil
import uuid

import flask
import jinja2
import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text

from forum import create_app
from forum.extensions import db as _db
from tests import factories
from tests.services import SMTPSink

DATABASE_URI = os.environ.get("FORUM_TEST_DATABASE_URI")
ON_POSTGRES = bool(DATABASE_URI and DATABASE_URI.startswith("postgresql"))


APPEND_ONLY_TABLES = {"audit_entries"}


class PostgresSchema:
    """One schema per test session; tables created once, emptied after each test."""

    def __init__(self, uri: str):
        self.uri = uri
        self.name = f"t_{uuid.uuid4().hex[:10]}"
        self.created = False
        engine = create_engine(uri)
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.name}"'))
        engine.dispose()

    def engine_options(self) -> dict:
        return {"connect_args": {"options": f"-csearch_path={self.name}"}}

    def empty(self, engine, tables) -> None:
        """Empty the tables after a test and restart their ids, as a fresh schema would be.

        DELETE, not TRUNCATE: TRUNCATE makes new files for every table and index (about 0.2 s
        a test), DELETE of a test's few rows takes milliseconds. Only the audit log, which
        refuses DELETE (its append-only trigger), is emptied with TRUNCATE, which no row
        trigger sees."""
        names = [t.name for t in tables]  # the models' own names, never user input
        filled = " UNION ALL ".join(
            f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")"  # noqa: S608
            for name in names
        )
        with engine.begin() as conn:
            with_rows = set(conn.execute(text(filled)).scalars())
            for name in reversed(names):  # children before the rows they point to
                if name in with_rows:
                    verb = "TRUNCATE" if name in APPEND_ONLY_TABLES else "DELETE FROM"
                    conn.execute(text(f'{verb} "{name}"'))
            conn.execute(
                text(
                    "SELECT setval(s.seqrelid, s.seqstart, false) FROM pg_sequence s"
                    " JOIN pg_class c ON c.oid = s.seqrelid"
                    " WHERE c.relnamespace = current_schema()::regnamespace"
                )
            )

    def drop(self) -> None:
        engine = create_engine(self.uri)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{self.name}" CASCADE'))
        engine.dispose()


@pytest.fixture(autouse=True)
def isolated_from_the_developer(tmp_path, monkeypatch):
    """No FORUM_* variable of the shell and no `instance/` of the working copy reach a test:
    every app a test builds, even with `create_app` directly, gets a fresh instance folder."""
    for name in list(os.environ):
        if name.startswith("FORUM_") and not name.startswith("FORUM_TEST_"):
            monkeypatch.delenv(name)
    instance = str(tmp_path / "instance")
    monkeypatch.setattr(flask.Flask, "auto_find_instance_path", lambda self: instance)


def _sqlite_without_sync(dbapi_connection, connection_record) -> None:
    # A test database need not survive a power cut: no fsync makes the suite faster.
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture(scope="session")
def pg_schema():
    if not ON_POSTGRES:
        yield None
        return
    schema = PostgresSchema(DATABASE_URI)
    yield schema
    schema.drop()


def base_config(tmp_path, pg_schema, database=None) -> dict:
    config = {
        "ENV": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "BASE_URL": "http://localhost",
        "SERVER_NAME": None,
        "MAIL_SERVER": None,
        "MAIL_SUPPRESS_SEND": False,  # Flask-Mail would drop mail under TESTING
        "OUTBOX_SEND_INLINE": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Off unless a test turns it on (tests/test_page_cache.py): most tests count the
        # statements of a rendered page.
        "PAGE_CACHE": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        # Hundreds of passwords are hashed: cheaply (scrypt is tested in test_accounts).
        "TEST_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    if pg_schema is not None:
        config["SQLALCHEMY_DATABASE_URI"] = DATABASE_URI
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, **pg_schema.engine_options()}
    else:
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database or tmp_path / 'test.sqlite3'}"
    return config


class IsolatedClient(FlaskClient):
    """Each request runs in its own context, as in production: its own `g` and its own
    database session, not the test's. Tests commit before requests and refresh after."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


_TEMPLATE: dict[str, str] = {}


def _copy_sqlite_template(config: dict, factory, *, fresh: bool) -> bool:
    """A fresh SQLite database is a copy of one built once per session (create_all costs
    ~70 ms a test). Only for the test's own default file; `fresh` replaces what an earlier
    test left there (a new file: a connection still open on the old one never sees it)."""
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///"):
        return False
    target = uri.removeprefix("sqlite:///")
    if os.path.exists(target) and not fresh:
        return True  # a second app of the same test: the same database
    if "path" not in _TEMPLATE:
        path = str(factory.mktemp("template") / "template.sqlite3")
        app = create_app({**config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
        with app.app_context():
            _db.create_all()
            _db.engine.dispose()
        _TEMPLATE["path"] = path
    _ENGINES.dispose(uri)
    shutil.copyfile(_TEMPLATE["path"], target + ".new")
    os.chmod(target + ".new", 0o600)
    os.replace(target + ".new", target)
    return True


class SharedEngines:
    """The tests' apps share one engine per database and options, as the processes of a
    real deployment keep theirs: SQLAlchemy caches each statement's compiled SQL in its
    engine, and a new engine per test compiled every statement again (a sixth of the
    suite's time). Only apps built by `make_app` share; each test still gets a fresh
    database (a new SQLite file, or the PostgreSQL schema emptied)."""

    def __init__(self):
        self.engines: dict[tuple[str, str], object] = {}
        self.sharing = False

    def install(self) -> None:
        make_engine = _db._make_engine

        def shared(bind_key, options, app):
            if not self.sharing:
                return make_engine(bind_key, options, app)
            key = (str(options["url"]), repr(sorted(options.items(), key=lambda kv: kv[0])))
            if key not in self.engines:
                self.engines[key] = make_engine(bind_key, options, app)
            return self.engines[key]

        _db._make_engine = shared

    def dispose(self, uri: str) -> None:
        for (url, _), engine in self.engines.items():
            if url == uri:
                engine.dispose()


_ENGINES = SharedEngines()
_ENGINES.install()


class SharedBytecode(jinja2.BytecodeCache):
    """The templates' compiled code, kept for the session: each test's app would compile
    again every template it renders (a fifth of the suite's time). Jinja checks the
    template's source against the checksum stored with its code before using it."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = SharedBytecode()


def _share_url_builders() -> None:
    """Werkzeug writes and compiles Python code for each URL rule's builder when a rule is
    added: about 40 of the 55 ms that building an app takes, repeated by every test. The
    code depends only on the rule's parsed parts, its defaults and its converters' kinds,
    so the suite builds each once and shares it between its apps (it still binds to each
    rule, and the URLs built are the same). Skipped if a Werkzeug release renames it."""
    from werkzeug.routing.rules import Rule

    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "shared", False):
        return
    built: dict[tuple, object] = {}

    def compile_builder(self, append_unknown: bool = True):
        key = (
            append_unknown,
            self.rule,
            tuple(self._trace),
            repr(sorted((self.defaults or {}).items())),
            tuple((name, type(c).__name__) for name, c in self._converters.items()),
        )
        if key not in built:
            built[key] = original(self, append_unknown)
        return built[key]

    compile_builder.shared = True
    Rule._compile_builder = compile_builder


_share_url_builders()


def _share_rule_parsing() -> None:
    """What is left of building an app's URL map is parsing each rule's pattern (regular
    expressions over its text): three quarters of the 11 ms an app takes, for every test.
    The suite parses each rule once and replays the result on the same rule of later apps:
    its parts and trace as they were, its converters built anew for the new map, its
    builders through the shared ones above. Skipped if a Werkzeug release renames them."""
    from werkzeug.routing.rules import Rule

    original = getattr(Rule, "compile", None)
    if original is None or getattr(original, "shared", False) or not hasattr(Rule, "_parse_rule"):
        return
    parsed: dict[tuple, tuple] = {}

    def compile_rule(self) -> None:
        converters = self.map.converters
        key = (
            self.rule,
            self.subdomain,
            self.host,
            self.merge_slashes,
            self.map.host_matching,
            tuple(sorted((name, id(kind)) for name, kind in converters.items())),
        )
        known = parsed.get(key)
        if known is None:
            specs = []
            get_converter = self.get_converter

            def recording(name, converter, args, kwargs):
                specs.append((name, converter, args, dict(kwargs)))
                return get_converter(name, converter, args, kwargs)

            self.get_converter = recording
            try:
                original(self)
            finally:
                del self.get_converter
            parsed[key] = (tuple(self._parts), tuple(self._trace), tuple(specs))
            return
        parts, trace, specs = known
        self._parts = list(parts)
        self._trace = list(trace)
        self._converters = {}
        for name, converter, args, kwargs in specs:
            self._converters[name] = self.get_converter(name, converter, args, kwargs)
            self.arguments.add(name)
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    compile_rule.shared = True
    Rule.compile = compile_rule


_share_rule_parsing()


class AppMaker:
    """Builds apps with extra settings on one fresh database, in `folder`: a test's database,
    or one of a module's (`make_module_app`). `close()` empties it (PostgreSQL) or drops its
    own schema, and lets go."""

    def __init__(
        self,
        folder,
        pg_schema,
        tmp_path_factory,
        *,
        own_schema: bool = False,
        database=None,
        share_engines: bool = False,
    ):
        self.folder = folder
        self.pg_schema = pg_schema
        self.own_schema = own_schema
        self.tmp_path_factory = tmp_path_factory
        self.database = database
        self.share_engines = share_engines
        self.apps = []

    def __call__(self, **overrides):
        pg_schema = self.pg_schema
        config = {**base_config(self.folder, pg_schema, self.database), **overrides}
        copied = pg_schema is None and _copy_sqlite_template(
            config, self.tmp_path_factory, fresh=not self.apps
        )
        _ENGINES.sharing = self.share_engines
        try:
            app = create_app(config, instance_path=str(self.folder / "instance"))
        finally:
            _ENGINES.sharing = False
        app.test_client_class = IsolatedClient
        app.jinja_env.bytecode_cache = _BYTECODE
        with app.app_context():
            engine = _db.engine
            if engine.dialect.name == "sqlite" and not event.contains(
                engine, "connect", _sqlite_without_sync
            ):
                event.listen(engine, "connect", _sqlite_without_sync)
            if not copied and (pg_schema is None or not pg_schema.created):
                _db.create_all()
                if pg_schema is not None:
                    pg_schema.created = True
        self.apps.append(app)
        return app

    def close(self) -> None:
        pg_schema = self.pg_schema
        for app in self.apps[:1]:
            with app.app_context():
                _db.session.remove()
                if pg_schema is not None and not self.own_schema:
                    pg_schema.empty(_db.engine, _db.metadata.sorted_tables)
                if not self.share_engines:  # a shared one keeps its connections
                    _db.engine.dispose()
        for app in self.apps[1:]:
            with app.app_context():
                _db.session.remove()
                if not self.share_engines:
                    _db.engine.dispose()
        if pg_schema is not None and self.own_schema:
            pg_schema.drop()


@pytest.fixture
def make_app(tmp_path, pg_schema, tmp_path_factory):
    """Build an app with extra settings; its database is fresh for the test."""
    maker = AppMaker(
        tmp_path,
        pg_schema,
        tmp_path_factory,
        # One file per worker, replaced for each test, so that its engine can be shared.
        database=tmp_path_factory.getbasetemp() / "tests.sqlite3",
        share_engines=True,
    )
    yield maker
    maker.close()


@pytest.fixture(scope="module")
def make_module_app(tmp_path_factory):
    """Build an app for a whole module, on a fresh database of its own (its own PostgreSQL
    schema): for tests that only read what was seeded once. Each call, a new database."""
    makers = []

    def _make(**overrides):
        schema = PostgresSchema(DATABASE_URI) if ON_POSTGRES else None
        folder = tmp_path_factory.mktemp("module")
        makers.append(AppMaker(folder, schema, tmp_path_factory, own_schema=True))
        return makers[-1](**overrides)

    yield _make
    for maker in makers:
        maker.close()


@pytest.fixture
def postgres_app(tmp_path):
    """An app on its own PostgreSQL schema, whatever engine the suite runs on: for what
    only PostgreSQL does (row locks, SKIP LOCKED). Skips, or fails under CI, without it."""
    from tests.services import POSTGRES_URI, need, postgres_available

    need(postgres_available(), "PostgreSQL is not reachable on 127.0.0.1:5432")
    schema = PostgresSchema(POSTGRES_URI)
    apps = []

    def _make(**overrides):
        config = {
            **base_config(tmp_path, None),
            "SQLALCHEMY_DATABASE_URI": POSTGRES_URI,
            "SQLALCHEMY_ENGINE_OPTIONS": schema.engine_options(),
            **overrides,
        }
        app = create_app(config)
        app.test_client_class = IsolatedClient
        with app.app_context():
            _db.create_all()
        apps.append(app)
        return app

    yield _make
    for app in apps:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
    schema.drop()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def smtp():
    sink = SMTPSink().start()
    yield sink
    sink.stop()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, url: str = "/auth/login") -> str:
    """The CSRF token from a page's form, as a browser would send it back."""
    page = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client, url: str, data: dict, *, form_url: str | None = None, **kwargs):
    """POST a form with a valid CSRF token taken from `form_url` (default: `url`)."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def login_as(client, user, password: str = factories.PASSWORD):
    """Sign in through the real form."""
    _db.session.commit()  # the request runs in its own session: make the user visible
    response = post_form(client, "/auth/login", {"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response
