"""The solidarity guide per commune: the services people in need can use, kept up to date
by members' proposals that the coordinators of the commune's groups accept or refuse."""

from flask import Blueprint

bp = Blueprint("guide", __name__)

# `rules` registers the guide's permission rules into forum.permissions.
from forum.guide import rules, views  # noqa: E402, F401
