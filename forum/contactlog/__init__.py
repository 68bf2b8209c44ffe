from flask import Blueprint

bp = Blueprint("contactlog", __name__)

# `rules` registers the contact log's permission rules into forum.permissions.
from forum.contactlog import helper_views, household_views, rules, views  # noqa: E402, F401
