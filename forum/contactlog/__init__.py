from flask import Blueprint

bp = Blueprint("contactlog", __name__)

from forum.contactlog import views  # noqa: E402, F401
