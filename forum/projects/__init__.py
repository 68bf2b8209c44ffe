from flask import Blueprint

bp = Blueprint("projects", __name__)

# `rules` registers the project editing rule into forum.permissions.
from forum.projects import rules, views  # noqa: E402, F401
