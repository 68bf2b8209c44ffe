"""The audit log: `record()` from any service, in the transaction of the change."""

from flask import Blueprint

bp = Blueprint("audit", __name__)


def record(*args, **kwargs):
    """Add an audit entry (see forum.audit.services.record)."""
    from forum.audit.services import record as _record

    return _record(*args, **kwargs)


from forum.audit import views  # noqa: E402, F401
