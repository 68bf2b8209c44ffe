"""Every model, imported in one place so that metadata and migrations see them all."""

# Not a model: registers the search table's DDL on the metadata's create_all and drop_all.
import forum.search.models  # noqa: F401
from forum.accounts.models import User, UsernameHistory
from forum.audit.models import AuditEntry
from forum.contactlog.models import (
    Contact,
    ContactLogSettings,
    ContactPerson,
    Handover,
    Household,
    HouseholdReferent,
    Need,
    Phase,
)
from forum.discussions.models import (
    Draft,
    Flag,
    Post,
    PostRevision,
    PostSubmission,
    ReadState,
    Thread,
)
from forum.documents.models import Document, DocumentText, DocumentVersion
from forum.groups.models import Commune, Group, Membership, Role
from forum.guide.models import Change as GuideChange
from forum.guide.models import Proposal as GuideProposal
from forum.guide.models import Resource
from forum.mail import OutboxAttachment, OutboxMail
from forum.meetings.models import (
    Attendance,
    Decision,
    Meeting,
    MeetingAnswer,
    MeetingSeries,
    ReminderSent,
)
from forum.notifications.models import GroupSubscription, Notification, ThreadSubscription
from forum.projects.models import (
    HelpKind,
    Pledge,
    PledgeHelp,
    PledgeRevision,
    Project,
    ProjectGroup,
)
from forum.reactions.models import Reaction

__all__ = [
    "Contact",
    "ContactLogSettings",
    "ContactPerson",
    "Handover",
    "Household",
    "HouseholdReferent",
    "Need",
    "Phase",
    "Attendance",
    "AuditEntry",
    "PostSubmission",
    "Commune",
    "Decision",
    "Document",
    "DocumentText",
    "DocumentVersion",
    "Draft",
    "Flag",
    "HelpKind",
    "Group",
    "GuideChange",
    "GuideProposal",
    "GroupSubscription",
    "Meeting",
    "MeetingAnswer",
    "MeetingSeries",
    "Membership",
    "Notification",
    "OutboxAttachment",
    "OutboxMail",
    "Pledge",
    "PledgeHelp",
    "PledgeRevision",
    "Post",
    "PostRevision",
    "Project",
    "ProjectGroup",
    "Reaction",
    "ReadState",
    "ReminderSent",
    "Resource",
    "Role",
    "Thread",
    "ThreadSubscription",
    "User",
    "UsernameHistory",
]
