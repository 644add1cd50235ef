from .applications import (
    Application,
    ApplicationAttachment,
    ApplicationEvent,
    ApplicationRevision,
    DraftReminder,
)
from .calls import CallIndexPage, CallPage, CallPageForm, Project, ServiceCategory, ServiceItem
from .needs import CommunityNeed, NeedPhoto, NeedSupport

__all__ = [
    "Application",
    "ApplicationAttachment",
    "ApplicationEvent",
    "ApplicationRevision",
    "CallIndexPage",
    "CallPage",
    "CallPageForm",
    "CommunityNeed",
    "DraftReminder",
    "NeedPhoto",
    "NeedSupport",
    "Project",
    "ServiceCategory",
    "ServiceItem",
]
