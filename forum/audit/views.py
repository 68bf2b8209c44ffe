"""Reading the audit log: a group's coordinators read their group's, admins all."""

from __future__ import annotations

from flask import render_template, request

from forum.audit import bp, services
from forum.groups.services import group_or_404
from forum.permissions import require


@bp.route("/groups/<slug>/audit")
def group_log(slug: str):
    """What the group's moderators and the admins did in the group, newest first."""
    group = group_or_404(slug)
    require("group.read_audit", group)
    listing = services.entries(request.args.get("page", 1, type=int), group=group)
    return render_template("audit/log.html", group=group, listing=listing)


@bp.route("/admin/audit")
def site_log():
    """Every entry of the audit log, for the site's admins."""
    require("site.administer")
    listing = services.entries(request.args.get("page", 1, type=int))
    return render_template("audit/log.html", group=None, listing=listing)
