from flask import Blueprint

bp = Blueprint("meetings", __name__)

# `rules` registers the meetings' permission rules into forum.permissions.
from forum.meetings import rules, views  # noqa: E402, F401
