from flask import Blueprint

bp = Blueprint("admin", __name__)

from forum.admin import places, users, views  # noqa: E402, F401
