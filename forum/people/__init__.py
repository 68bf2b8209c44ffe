from flask import Blueprint

bp = Blueprint("people", __name__)

from forum.people import views  # noqa: E402, F401
