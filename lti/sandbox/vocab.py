"""LTI vocabulary the sandbox speaks: claim names, scopes, media types, roles, placements."""

from __future__ import annotations

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
CLAIM_MESSAGE_TYPE = LTI + "message_type"
CLAIM_VERSION = LTI + "version"
CLAIM_DEPLOYMENT_ID = LTI + "deployment_id"
CLAIM_TARGET_LINK_URI = LTI + "target_link_uri"
CLAIM_RESOURCE_LINK = LTI + "resource_link"
CLAIM_ROLES = LTI + "roles"
CLAIM_CONTEXT = LTI + "context"
CLAIM_TOOL_PLATFORM = LTI + "tool_platform"
CLAIM_LAUNCH_PRESENTATION = LTI + "launch_presentation"
CLAIM_CUSTOM = LTI + "custom"
CLAIM_LIS = LTI + "lis"
CLAIM_EXT = LTI + "ext"
CLAIM_LTI11_LEGACY_USER_ID = LTI + "lti11_legacy_user_id"
CLAIM_LTI1P1 = LTI + "lti1p1"
CLAIM_AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CLAIM_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
CLAIM_BASIC_OUTCOME = "https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"
CLAIM_DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
CLAIM_DL_CONTENT_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
CLAIM_DL_DATA = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
CLAIM_DL_MSG = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"
CLAIM_DL_LOG = "https://purl.imsglobal.org/spec/lti-dl/claim/log"
CLAIM_DL_ERRORMSG = "https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"
CLAIM_DL_ERRORLOG = "https://purl.imsglobal.org/spec/lti-dl/claim/errorlog"
CLAIM_CANVAS_PLACEMENT = "https://www.instructure.com/placement"

MSG_RESOURCE_LINK = "LtiResourceLinkRequest"
MSG_DEEP_LINKING = "LtiDeepLinkingRequest"
MSG_DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCOPE_CANVAS_PROGRESS = "https://canvas.instructure.com/lti-ags/progress/scope/show"
# Order of the AGS claim's scope list in both products' launches.
AGS_SCOPES = (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    SCOPE_CANVAS_PROGRESS,
)
DEFAULT_TOOL_SCOPES = (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    SCOPE_NRPS,
)

MT_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MT_LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MT_RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
MT_SCORE = "application/vnd.ims.lis.v1.score+json"
MT_NRPS_V2 = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
# What Canvas's names_and_roles controller answers with (canvas/service-semantics.json).
MT_CANVAS_NRPS = "application/vnd.ims.lis.v2.membershipcontainer+json"

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

ROLE_LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ROLE_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
ROLE_TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
ROLE_INST_STUDENT = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"
ROLE_INST_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"
ROLE_INST_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"
ROLE_SYS_USER = "http://purl.imsglobal.org/vocab/lis/v2/system/person#User"
ROLE_SYS_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin"

ACTIVITY_PROGRESS = ("Initialized", "Started", "InProgress", "Submitted", "Completed")
GRADING_PROGRESS = ("FullyGraded", "Pending", "PendingManual", "Failed", "NotReady")

# Canvas lib/lti/messages/deep_linking_request.rb DEEP_LINKING_DETAILS (transcribed in
# shared/lti/canvas/deep-linking-placement-settings.json).
CANVAS_DL_PLACEMENTS: dict[str, dict[str, object]] = {
    "assignment_selection": {
        "accept_multiple": False,
        "accept_types": ["ltiResourceLink"],
        "auto_create": False,
        "document_targets": ["iframe", "window"],
        "media_types": ["application/vnd.ims.lti.v1.ltilink"],
    },
    "collaboration": {
        "accept_multiple": False,
        "accept_types": ["ltiResourceLink"],
        "auto_create": True,
        "document_targets": ["iframe"],
        "media_types": ["application/vnd.ims.lti.v1.ltilink"],
    },
    "conference_selection": {
        "accept_multiple": False,
        "accept_types": ["link", "html"],
        "auto_create": True,
        "document_targets": ["iframe", "window"],
        "media_types": ["text/html", "*/*"],
    },
    "course_assignments_menu": {
        "accept_multiple": True,
        "accept_types": ["ltiResourceLink"],
        "auto_create": False,
        "document_targets": ["iframe", "window"],
        "media_types": ["application/vnd.ims.lti.v1.ltilink"],
    },
    "editor_button": {
        "accept_multiple": True,
        "accept_types": ["link", "file", "html", "ltiResourceLink", "image"],
        "auto_create": False,
        "document_targets": ["embed", "iframe", "window"],
        "media_types": ["image/*", "text/html", "application/vnd.ims.lti.v1.ltilink", "*/*"],
    },
    "homework_submission": {
        "accept_multiple": False,
        "accept_types": ["file", "ltiResourceLink"],
        "auto_create": False,
        "document_targets": ["iframe"],
        "media_types": ["*/*"],
    },
    "link_selection": {
        "accept_multiple": True,
        "accept_types": ["ltiResourceLink"],
        "auto_create": False,
        "document_targets": ["iframe", "window"],
        "media_types": ["application/vnd.ims.lti.v1.ltilink"],
    },
    "migration_selection": {
        "accept_multiple": False,
        "accept_types": ["file"],
        "auto_create": False,
        "document_targets": ["iframe"],
        "media_types": [
            "application/vnd.ims.imsccv1p1",
            "application/vnd.ims.imsccv1p2",
            "application/vnd.ims.imsccv1p3",
            "application/zip",
            "application/xml",
        ],
    },
    "module_index_menu_modal": {
        "accept_multiple": True,
        "accept_types": ["ltiResourceLink"],
        "auto_create": True,
        "document_targets": ["iframe", "window"],
        "media_types": ["application/vnd.ims.lti.v1.ltilink"],
    },
    "module_menu_modal": {
        "accept_multiple": True,
        "accept_types": ["ltiResourceLink"],
        "auto_create": True,
        "document_targets": ["iframe", "window"],
        "media_types": ["application/vnd.ims.lti.v1.ltilink"],
    },
    "submission_type_selection": {
        "accept_multiple": False,
        "accept_types": ["ltiResourceLink"],
        "auto_create": False,
        "document_targets": ["iframe", "window"],
        "media_types": ["application/vnd.ims.lti.v1.ltilink"],
    },
}
