"""Notification list, follow buttons and one-click unsubscribe."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.discussions.models import Thread
from forum.extensions import csrf, db
from forum.forms import ActionForm
from forum.groups.services import group_or_404
from forum.notifications import bp, services
from forum.notifications.forms import SubscriptionForm
from forum.permissions import require
from forum.urls import safe_next


@bp.route("/notifications")
@login_required
def list_notifications():
    """The signed-in member's notifications, newest first."""
    listing = services.notifications_page(current_user, request.args.get("page", 1, type=int))
    return render_template(
        "notifications/list.html", listing=listing, action_form=ActionForm(formdata=None)
    )


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    """Mark all the member's notifications as read."""
    services.mark_all_read(current_user)
    db.session.commit()
    flash(_("All your notifications are marked as read."), "success")
    return redirect(url_for("notifications.list_notifications"))


@bp.route("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int):
    """Follow a notification to what it is about, marking it read."""
    notification = services.open_notification(current_user, notification_id)
    if notification is None:
        abort(404)
    target = services.target_url(current_user, notification)
    db.session.commit()
    return redirect(target or url_for("notifications.list_notifications"))


@bp.route("/threads/<int:thread_id>/subscription", methods=["POST"])
def thread_subscription(thread_id: int):
    """Follow a thread, or stop following it (`action` = subscribe or unsubscribe)."""
    thread = db.get_or_404(Thread, thread_id)
    require("thread.follow", thread)
    form = SubscriptionForm()
    if form.validate_on_submit():
        if form.action.data == "subscribe":
            services.follow_thread(current_user, thread)
            flash(_("You follow this thread: replies will be notified to you."), "success")
        else:
            services.unfollow_thread(current_user, thread)
            flash(_("You no longer follow this thread."), "info")
        db.session.commit()
    else:  # the token was checked before the view (CSRF): the action is not one we know
        abort(400)
    back = safe_next(request.form.get("next"))
    return redirect(back or url_for("discussions.show_thread", thread_id=thread.id))


@bp.route("/groups/<slug>/subscription", methods=["POST"])
def group_subscription(slug: str):
    """Follow a group's new threads, or stop (`action` = subscribe or unsubscribe)."""
    group = group_or_404(slug)
    require("group.follow", group)
    form = SubscriptionForm()
    if form.validate_on_submit():
        if form.action.data == "subscribe":
            services.follow_group(current_user, group)
            flash(
                _("You follow %(group)s: new threads will be notified to you.", group=group.name),
                "success",
            )
        else:
            services.unfollow_group(current_user, group)
            flash(_("You no longer follow %(group)s.", group=group.name), "info")
        db.session.commit()
    else:  # the token was checked before the view (CSRF): the action is not one we know
        abort(400)
    back = safe_next(request.form.get("next"))
    return redirect(back or url_for("groups.show_group", slug=group.slug))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # mail clients' one-click POST (RFC 8058) carries no CSRF token: the signed
# token is the proof, and all it can do is send its owner less mail.
def unsubscribe(token: str):
    """GET asks for confirmation (link scanners open links); POST stops the mail."""
    asked = services.read_unsubscribe_token(token)
    if asked is None:
        return render_template("notifications/unsubscribe.html", asked=None), 400
    # The page speaks the language of the mail the link came in: its owner's.
    with force_locale(asked.user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if request.method == "POST":
            services.unsubscribe(asked)
            db.session.commit()
            return render_template("notifications/unsubscribe.html", asked=asked, done=True)
        stop_all_url = None
        if asked.scope != services.SCOPE_ALL and asked.user.notify_email != services.NEVER:
            all_token = services.unsubscribe_token(asked.user, services.SCOPE_ALL)
            stop_all_url = url_for("notifications.unsubscribe", token=all_token)
        return render_template(
            "notifications/unsubscribe.html", asked=asked, done=False, stop_all_url=stop_all_url
        )
