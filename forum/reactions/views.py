"""Reacting to a post: a plain form, no JavaScript needed."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user

from forum.discussions.models import Post
from forum.discussions.services import POST_WITH_THREAD
from forum.discussions.views import posting_limit
from forum.extensions import db
from forum.forms import ActionForm
from forum.permissions import require
from forum.reactions import bp, services
from forum.reactions.models import KINDS


@bp.route("/posts/<int:post_id>/reactions", methods=["POST"])
@posting_limit
def react(post_id: int):
    """Mark a post "merci" or "+1", or take it back (posting again); back to the post."""
    post = db.get_or_404(Post, post_id, options=POST_WITH_THREAD)
    require("post.react", post)
    form = ActionForm()
    kind = request.form.get("kind", "")
    if not form.validate_on_submit() or kind not in KINDS:
        abort(400)
    services.toggle(current_user, post, kind)
    db.session.commit()
    return redirect(url_for("discussions.permalink", post_id=post.id))
