from flask import Blueprint

bp = Blueprint("contactlog", __name__)

from forum.contactlog import helper_views, views  # noqa: E402, F401
