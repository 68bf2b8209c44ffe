from flask import Blueprint

bp = Blueprint("admin", __name__)

from forum.admin import places, projects, users, views  # noqa: E402, F401
