"""Flask extensions, created unbound; the factory binds them."""

import os
import sqlite3
from hashlib import sha512

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event
from sqlalchemy.engine import Engine

from forum.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
mail = Mail()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)


def session_identifier() -> str:
    """What "strong" session protection ties a session to: the client's address and agent.

    Flask-Login's own reads X-Forwarded-For, which any client can send; this takes
    `request.remote_addr`, which ProxyFix sets from the proxy's header only when
    FORUM_PROXY_FIX is on.
    """
    agent = request.headers.get("User-Agent", "")
    return sha512(f"{request.remote_addr}|{agent}".encode()).hexdigest()


@event.listens_for(Engine, "connect")
def _sqlite_file_for_the_owner_only(dbapi_connection, connection_record) -> None:
    """A SQLite file that SQLite itself just created (mode 0644 under the usual umask) is
    made readable by the owner only; the configuration pre-creates it so in the usual case."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    for _seq, name, path in dbapi_connection.execute("PRAGMA database_list").fetchall():
        if name == "main" and path:
            try:
                if os.stat(path).st_mode & 0o077:
                    os.chmod(path, 0o600)
            except OSError:
                pass
