"""A member's reaction to a post: one row per member, post and kind."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import TimestampMixin
from forum.extensions import db

THANKS = "thanks"
PLUS_ONE = "plus_one"
# The kinds, in the order the page shows them (templates/discussions/_post.html writes them
# out, and thread.html translates their words once per page).
KINDS = (THANKS, PLUS_ONE)


class Reaction(TimestampMixin, db.Model):
    """The primary key is the rule "one per member, post and kind": a double click (or two
    at once) inserts one row. Counted per post from the same key (post_id first)."""

    __tablename__ = "reactions"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)

    __table_args__ = (CheckConstraint("kind IN ('thanks', 'plus_one')", name="known_kind"),)
