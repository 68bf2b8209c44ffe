"""Threads and posts: reading, writing, editing, reporting (moderation: moderation_views.py)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from forum.db import utcnow
from forum.discussions import activity, bp, drafts, moderation, services
from forum.discussions.forms import (
    EditForm,
    FlagForm,
    ReplyForm,
    ThreadForm,
)
from forum.discussions.models import DRAFT_LIFETIME, Post, Thread
from forum.errors import on_session_ended
from forum.extensions import db, limiter
from forum.forms import ActionForm, form_status
from forum.groups.services import group_or_404
from forum.markup import count_links, render_markdown
from forum.permissions import (
    can,
    is_moderator,
    refusal_message,
    require,
    require_visible,
    signed_in_user,
)
from forum.urls import db_int


def _is_new_account() -> bool:
    return current_user.is_authenticated and current_user.created_at > utcnow() - timedelta(days=1)


def _posting_limit() -> str:
    """Flood limit per account; lower for accounts less than a day old."""
    if _is_new_account():
        return current_app.config["RATELIMIT_POST_NEW_ACCOUNT"]
    return current_app.config["RATELIMIT_POST"]


def _poster_key() -> str:
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{request.remote_addr}"


posting_limit = limiter.limit(_posting_limit, key_func=_poster_key, methods=["POST"])


def _thread(thread_id: int) -> Thread:
    return require_visible(services.load_thread(thread_id), "thread.view")


def _post(post_id: int, action: str = "post.read") -> Post:
    """The one loader of a post for every view: 404 unless the user may `action` it
    (reading its text by default: a deleted post's text is gone for everyone)."""
    post = db.get_or_404(Post, post_id, options=services.POST_WITH_THREAD)
    require(action, post)
    return post


def _post_if(post_id: int | None, action: str) -> Post | None:
    """The same rule, for an optional post named in the URL: None instead of 404."""
    post = db.session.get(Post, post_id, options=services.POST_WITH_THREAD) if post_id else None
    return post if post is not None and can(action, post) else None


def _new_submission_key() -> str:
    return secrets.token_urlsafe(24)


DRAFT_COOKIE = "draft"


def _login_keeping_draft(next_url: str, **draft):
    """The session ended while writing: keep the text, sign in, then give it back.

    The draft's token goes in the sign-in link and in a cookie of this browser: only the
    browser that wrote the text gets it back (a link seen elsewhere gives nothing)."""
    saved = drafts.save_draft(None, **draft)
    db.session.commit()
    flash(_("Your session has ended. Sign in again: what you wrote is kept."), "info")
    sep = "&" if "?" in next_url else "?"
    response = redirect(url_for("accounts.login", next=f"{next_url}{sep}draft={saved.token}"))
    response.set_cookie(
        DRAFT_COOKIE,
        saved.token,
        max_age=int(DRAFT_LIFETIME.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


def _claim_draft(user, **place):
    """The draft named in the URL, when this browser wrote it (see _login_keeping_draft)."""
    token = request.args.get("draft")
    if not token or request.cookies.get(DRAFT_COOKIE) != token:
        return None
    return drafts.claim_draft(token, user, **place)


def _keep_reply(thread_id: int):
    thread = _thread(thread_id)
    return _login_keeping_draft(
        url_for("discussions.show_thread", thread_id=thread.id, page=thread.page_count),
        body=request.form.get("body", ""),
        thread=thread,
    )


def _keep_new_thread(slug: str):
    group = group_or_404(slug)
    return _login_keeping_draft(
        url_for("discussions.new_thread", slug=group.slug),
        body=request.form.get("body", ""),
        title=request.form.get("title", ""),
        group=group,
    )


def _keep_edit(post_id: int):
    post = _post(post_id)
    return _login_keeping_draft(
        url_for("discussions.edit", post_id=post.id), body=request.form.get("body", ""), post=post
    )


def _limit_links(form, text: str) -> bool:
    """New accounts may put only a few links in a post (spam)."""
    limit = current_app.config["NEW_ACCOUNT_MAX_LINKS"]
    if _is_new_account() and count_links(render_markdown(text).html) > limit:
        form.body.errors.append(
            _("New accounts may put at most %(n)s links in a message.", n=limit)
        )
        return False
    return True


# --- Reading ---------------------------------------------------------------------------


@bp.route("/threads/<int:thread_id>")
def show_thread(thread_id: int):
    """A thread, 20 posts a page; members land on their first unread post."""
    user = signed_in_user()
    if user is None:
        thread, position = _thread(thread_id), None
    else:  # with their reading position and follow state, in the same statement
        thread, position = activity.members_thread(thread_id, user)
        require_visible(thread, "thread.view")
    if (
        position is not None
        and position.last_read  # never opened: from the start
        and position.first_unread_id is not None
        and "page" not in request.args
        and "draft" not in request.args
    ):
        return redirect(_first_unread_url(thread, position))
    return _render_thread(thread, request.args.get("page", 1, type=int), position=position)


def _first_unread_url(thread: Thread, position) -> str:
    return url_for(
        "discussions.show_thread",
        thread_id=thread.id,
        page=position.first_unread_page,
        _anchor=f"post-{position.first_unread_id}",
    )


def _render_thread(
    thread: Thread,
    page: int,
    form: ReplyForm | None = None,
    *,
    status=200,
    preview=None,
    problem=None,
    position=None,
):
    from forum.documents.cards import document_cards  # links to documents show as cards
    from forum.reactions import services as reactions

    user = signed_in_user()
    # The posts come with their reactions' counts (and the member's own), in one statement.
    listing = services.thread_page(
        thread,
        page,
        extra=reactions.count_columns(user is not None),
        values={"viewer": user.id} if user is not None else None,
        keep_as="reactions, member" if user is not None else "reactions, visitor",
    )
    unread = None
    if position is not None and position.last_read and position.first_unread_id is not None:
        # Read before this page was shown: where the member's unread posts begin.
        url = _first_unread_url(thread, position)
        if position.first_unread_page == listing.page:
            url = f"#post-{position.first_unread_id}"  # on this page: no reload
        unread = {"count": thread.last_number - position.last_read, "url": url}
    moderator = user is not None and is_moderator(user, thread.group)
    claimed = False  # a draft given back leaves the store: that needs the commit
    if form is None:
        form = ReplyForm(formdata=None) if user is not None else None  # no CSRF cookie
        if user is not None:
            draft = _claim_draft(user, thread=thread)
            if draft is not None:
                form.body.data = draft.body
                claimed = True
            quoted = _post_if(request.args.get("quote", type=db_int), "post.quote")
            if quoted is not None and quoted.thread_id == thread.id:
                form.body.data = services.quote_text(quoted)
            form.submission.data = _new_submission_key()
    html = render_template(
        "discussions/thread.html",
        thread=thread,
        listing=listing,
        tools=services.post_tools(user, thread, listing.items),
        reactions=reactions.counted_by_post(listing.extras),
        form=form,
        unread_since=unread,
        preview=preview,
        problem=problem or (refusal_message("thread.reply", thread, user) if user else None),
        moderator=moderator,
        open_flags=moderation.open_flag_count(thread.group) if moderator else 0,
        cards=document_cards(listing.items, user),
    )
    if user is not None and listing.items:
        # After rendering: a commit expires every loaded row, which the page would reload.
        # Read already and no draft claimed: nothing to write, no commit (nor its expiry).
        known = {"state": position.state} if position is not None else {}
        if services.read_up_to(user, thread, listing.items[-1].number, **known) or claimed:
            db.session.commit()
    return html, status


@bp.route("/posts/<int:post_id>")
def permalink(post_id: int):
    """A post's permanent address: its thread's page, at the post."""
    post = _post(post_id, "post.view")
    return redirect(
        url_for(
            "discussions.show_thread",
            thread_id=post.thread_id,
            page=post.page,
            _anchor=f"post-{post.id}",
        )
    )


@bp.route("/posts/<int:post_id>/history")
def history(post_id: int):
    """Earlier versions of a post, newest first, paginated."""
    post = _post(post_id, "post.read")
    listing = services.revisions(post, request.args.get("page", 1, type=int))
    return render_template(
        "discussions/history.html",
        post=post,
        listing=listing,
        current_editor_id=services.current_editor_id(post, listing),
    )


# --- Writing ---------------------------------------------------------------------------


@bp.route("/groups/<slug>/threads/new", methods=["GET", "POST"])
@on_session_ended(_keep_new_thread)
@posting_limit
def new_thread(slug: str):
    """Start a thread in a group."""
    group = group_or_404(slug)
    if request.method == "POST" and not current_user.is_authenticated:
        return _keep_new_thread(slug)
    require("thread.create", group)
    form = ThreadForm()
    if request.method == "GET":
        form.submission.data = _new_submission_key()
        draft = _claim_draft(current_user, group=group)
        if draft is not None:
            form.title.data, form.body.data = draft.title, draft.body
            db.session.commit()
    preview = None
    if request.method == "POST" and "preview" in request.form:
        form.validate()
        preview = render_markdown(form.body.data or "").html
    elif form.validate_on_submit() and _limit_links(form, form.body.data):
        try:
            thread = services.create_thread(
                current_user,
                group,
                title=form.title.data,
                body=form.body.data,
                submission=form.submission.data,
            )
        except services.PostingError as exc:
            flash(str(exc.message), "error")
        else:
            db.session.commit()
            flash(_("Your thread is published."), "success")
            return redirect(url_for("discussions.show_thread", thread_id=thread.id))
    status = form_status(failed=preview is None)
    return render_template(
        "discussions/new_thread.html", group=group, form=form, preview=preview
    ), status


@bp.route("/threads/<int:thread_id>/posts", methods=["POST"])
@on_session_ended(_keep_reply)
@posting_limit
def create_post(thread_id: int):
    """Reply to a thread; "Preview" shows the rendered text without posting."""
    thread = _thread(thread_id)
    if not current_user.is_authenticated:
        return _keep_reply(thread_id)
    form = ReplyForm()
    last_page = thread.page_count
    if "preview" in request.form:
        form.validate()
        return _render_thread(
            thread, last_page, form, preview=render_markdown(form.body.data or "").html
        )
    problem = refusal_message("thread.reply", thread)
    if problem:
        return _render_thread(thread, last_page, form, status=403, problem=problem)
    require("thread.reply", thread)
    if not (form.validate_on_submit() and _limit_links(form, form.body.data)):
        return _render_thread(thread, last_page, form, status=400)
    post = services.reply(
        current_user, thread, body=form.body.data, submission=form.submission.data
    )
    db.session.commit()
    return redirect(url_for("discussions.permalink", post_id=post.id))


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@on_session_ended(_keep_edit)
@posting_limit
def edit(post_id: int):
    """Edit a post (its author, or the group's moderators); previews count as posts for
    the flood limit, like replies."""
    post = _post(post_id)
    if request.method == "POST" and not current_user.is_authenticated:
        return _keep_edit(post_id)
    require("post.edit", post)
    form = EditForm(obj=post) if request.method == "GET" else EditForm()
    if request.method == "GET":
        draft = _claim_draft(current_user, post=post)
        if draft is not None:
            form.body.data = draft.body
            db.session.commit()
    preview = None
    if request.method == "POST" and "preview" in request.form:
        form.validate()
        preview = render_markdown(form.body.data or "").html
    elif form.validate_on_submit() and _limit_links(form, form.body.data):
        services.edit_post(current_user, post, body=form.body.data)
        db.session.commit()
        flash(_("Your changes are saved."), "success")
        return redirect(url_for("discussions.permalink", post_id=post.id))
    status = form_status(failed=preview is None)
    return render_template("discussions/edit.html", post=post, form=form, preview=preview), status


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
def delete(post_id: int):
    """Delete a post after a confirmation page of its own (GET asks, POST deletes): it stays
    in place as "deleted", by its author or the moderation."""
    post = _post(post_id, "post.delete")
    form = ActionForm()
    if form.validate_on_submit():
        services.delete_post(current_user, post)
        db.session.commit()
        flash(_("The message is deleted."), "info")
        return redirect(url_for("discussions.permalink", post_id=post.id))
    return render_template("discussions/delete.html", post=post, form=form)


@bp.route("/posts/<int:post_id>/flag", methods=["GET", "POST"])
def flag(post_id: int):
    """Report a post to the group's moderators."""
    post = _post(post_id, "post.flag")
    form = FlagForm()
    if form.validate_on_submit():
        try:
            flagged = moderation.flag_post(
                current_user, post, category=form.category.data, reason=form.reason.data or ""
            )
        except services.PostingError as exc:
            form.category.errors.append(exc.message)
        else:
            db.session.commit()
            if flagged is None:
                flash(_("You have already reported this message; the moderators will see it."))
            else:
                flash(_("Thank you: the group's moderators will look at this message."), "success")
            return redirect(url_for("discussions.permalink", post_id=post.id))
    status = form_status()
    return render_template("discussions/flag.html", post=post, form=form), status
