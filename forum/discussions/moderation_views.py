"""Moderation pages of the discussions: the report queue, hiding and showing posts again,
closing reports, locking, pinning and moving threads. The rules are
`forum.discussions.moderation`'s; who may is `permissions.py`'s ("post.moderate",
"thread.moderate", "group.coordinate")."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from forum.discussions import bp, moderation
from forum.discussions.forms import HideForm, MoveForm
from forum.discussions.views import _post, _thread
from forum.extensions import db
from forum.forms import ActionForm, choices, form_status
from forum.groups.models import Group
from forum.groups.services import group_or_404
from forum.permissions import is_moderator, require
from forum.urls import safe_next


@bp.route("/groups/<slug>/flags")
def flag_queue(slug: str):
    """Reports waiting for the group's moderators."""
    group = group_or_404(slug)
    require("group.coordinate", group)
    return render_template(
        "discussions/flags.html",
        group=group,
        flags=moderation.open_flags(group),
        hide_form=HideForm(formdata=None),
        action_form=ActionForm(formdata=None),
    )


@bp.route("/posts/<int:post_id>/hide", methods=["POST"])
def hide(post_id: int):
    """Hide a post, with the moderator's reason shown in its place."""
    post = _post(post_id, "post.moderate")
    form = HideForm()
    if form.validate_on_submit():
        moderation.hide_post(current_user, post, category=form.category.data, note=form.note.data)
        db.session.commit()
        flash(_("The message is hidden."), "success")
    else:
        flash(_("Choose the reason to show in place of the message."), "error")
    back = safe_next(request.form.get("back"))
    return redirect(back or url_for("discussions.permalink", post_id=post.id))


@bp.route("/posts/<int:post_id>/restore", methods=["POST"])
def restore(post_id: int):
    """Show a hidden post again."""
    post = _post(post_id, "post.moderate")
    moderation.restore_post(current_user, post)
    db.session.commit()
    flash(_("The message is visible again."), "success")
    return redirect(url_for("discussions.permalink", post_id=post.id))


@bp.route("/posts/<int:post_id>/dismiss-flags", methods=["POST"])
def dismiss(post_id: int):
    """Close the reports on a post, leaving it visible."""
    post = _post(post_id, "post.moderate")
    moderation.dismiss_flags(current_user, post)
    db.session.commit()
    flash(_("The reports are closed."), "info")
    return redirect(url_for("discussions.flag_queue", slug=post.thread.group.slug))


THREAD_ACTIONS = {
    "lock": (moderation.set_locked, True),
    "unlock": (moderation.set_locked, False),
    "pin": (moderation.set_pinned, True),
    "unpin": (moderation.set_pinned, False),
}


@bp.route("/threads/<int:thread_id>/<any(lock, unlock, pin, unpin):action>", methods=["POST"])
def thread_action(thread_id: int, action: str):
    """Lock, unlock, pin or unpin a thread."""
    thread = _thread(thread_id)
    require("thread.moderate", thread)
    change, value = THREAD_ACTIONS[action]
    change(current_user, thread, value)
    db.session.commit()
    flash(_("The thread is updated."), "success")
    return redirect(url_for("discussions.show_thread", thread_id=thread.id))


@bp.route("/threads/<int:thread_id>/move", methods=["GET", "POST"])
def move(thread_id: int):
    """Move a thread to another group."""
    thread = _thread(thread_id)
    require("thread.moderate", thread)
    form = MoveForm()
    targets = [
        g
        for g in db.session.scalars(select(Group).order_by(Group.name))
        if g.id != thread.group_id and is_moderator(current_user, g)
    ]
    form.group.choices = choices([(g.slug, g.name) for g in targets])
    if form.validate_on_submit():
        target = next(g for g in targets if g.slug == form.group.data)
        moderation.move_thread(current_user, thread, target)
        db.session.commit()
        flash(_("The thread is moved to %(group)s.", group=target.name), "success")
        return redirect(url_for("discussions.show_thread", thread_id=thread.id))
    status = form_status()
    return render_template(
        "discussions/move.html", thread=thread, form=form, targets=targets
    ), status
