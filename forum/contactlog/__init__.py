from flask import Blueprint

bp = Blueprint("contactlog", __name__)

from forum.contactlog import helper_views, household_views, views  # noqa: E402, F401
