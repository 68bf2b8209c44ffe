"""Reactions: a member marks a post "merci" or "+1"."""

from flask import Blueprint

bp = Blueprint("reactions", __name__)

from forum.reactions import rules, views  # noqa: E402, F401
