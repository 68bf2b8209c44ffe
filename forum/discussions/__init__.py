from flask import Blueprint

bp = Blueprint("discussions", __name__)

from forum.discussions import feeds, moderation_views, rows, views  # noqa: E402, F401
