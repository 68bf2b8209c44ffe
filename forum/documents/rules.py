"""Who may see and change documents, registered into `forum.permissions` at import, and
`visible_documents(user)`, the same rule as query criteria (lists, search, cards).

- public: everyone; site: any signed-in account; group: the group's members (site admins);
- a deleted document is seen (and restored) by the group's coordinators only, until purged;
- uploading: a member of the group who may post, in a group that is not archived;
- replacing, editing, deleting: the uploader (while a member who may post) or a coordinator.
Anyone else gets 404 for what they may not see: the URL of a private file tells nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_

from forum import permissions
from forum.permissions import (
    FORBIDDEN,
    HIDDEN,
    LOGIN,
    _can_participate,
    _in,
    _signed_in,
    _writable,
    is_moderator,
    is_site_admin,
    role_in,
)


def _member(user: Any, group: Any) -> bool:
    return role_in(user, group) is not None or is_site_admin(user)


def _visible(user: Any, document: Any) -> bool:
    if document.visibility == "public":
        return True
    if document.visibility == "site":
        return _signed_in(user)
    return _member(user, document.group)


def _view_document(user: Any, document: Any) -> str | None:
    if document.is_deleted and not is_moderator(user, document.group):
        return HIDDEN
    return None if _visible(user, document) else HIDDEN


def _upload(user: Any, group: Any) -> str | None:
    refused = _can_participate(user) or _writable(group)
    if refused:
        return refused
    return None if _member(user, group) else FORBIDDEN


def _change_document(user: Any, document: Any) -> str | None:
    refused = _view_document(user, document)
    if refused:
        return refused
    if not _signed_in(user):
        return LOGIN
    refused = _writable(document.group)
    if refused:
        return refused
    if is_moderator(user, document.group):
        return None
    if document.is_deleted or document.uploaded_by_id != user.id:
        return FORBIDDEN
    return _can_participate(user) or (None if _member(user, document.group) else FORBIDDEN)


def _restore_document(user: Any, document: Any) -> str | None:
    refused = _view_document(user, document)
    if refused:
        return refused
    if not _signed_in(user):
        return LOGIN
    return None if is_moderator(user, document.group) else FORBIDDEN


def _see_deleted(user: Any, group: Any) -> str | None:
    """The list of deleted documents that can still be restored: coordinators."""
    if not _signed_in(user):
        return LOGIN
    return None if is_moderator(user, group) else HIDDEN


def visible_documents(user: Any) -> list:
    """Criteria on Document: the documents the user may see (`document.view`), not deleted.
    (A coordinator sees the deleted ones of their group on its own page, not in lists.)"""
    from forum.documents.models import Document

    criteria = [Document.deleted_at.is_(None)]
    if is_site_admin(user):
        return criteria
    if not _signed_in(user):
        return [*criteria, Document.visibility == "public"]
    member_of = {m.group_id for m in user.memberships}
    return [
        *criteria,
        or_(
            Document.visibility.in_(("public", "site")),
            _in(Document.group_id, member_of),
        ),
    ]


permissions.register(
    {
        "document.view": _view_document,
        "document.upload": _upload,
        "document.edit": _change_document,
        "document.replace": _change_document,
        "document.delete": _change_document,
        "document.restore": _restore_document,
        "group.see_deleted_documents": _see_deleted,
    }
)
