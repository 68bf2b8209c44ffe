"""Every model, imported in one place so that metadata and migrations see them all."""

from forum.accounts.models import User
from forum.groups.models import Commune, Group, Membership, Role
from forum.mail import OutboxMail

__all__ = ["Commune", "Group", "Membership", "OutboxMail", "Role", "User"]
