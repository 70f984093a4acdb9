from django.urls import path

from chorus.records.views import anonymous, inbox, records, sharing

urlpatterns = [
    path("records/", records.records, name="records"),
    path("records/new/", records.record_new, name="record_new"),
    path("records/new/draft/", records.record_new_draft, name="record_new_draft"),
    path("records/<uuid:record_id>/", records.record_edit, name="record_edit"),
    path("records/<uuid:record_id>/draft/", records.record_draft, name="record_draft"),
    path("records/<uuid:record_id>/history/", records.record_history, name="record_history"),
    path(
        "records/<uuid:record_id>/files/<uuid:attachment_id>/",
        records.record_attachment,
        name="record_attachment",
    ),
    path(
        "records/<uuid:record_id>/files/<uuid:attachment_id>/remove/",
        records.record_attachment_remove,
        name="record_attachment_remove",
    ),
    path("records/<uuid:record_id>/register/", records.record_register, name="record_register"),
    path("records/<uuid:record_id>/export.<str:kind>", records.record_export, name="record_export"),
    path("records/<uuid:record_id>/destroy/", records.record_destroy, name="record_destroy"),
    path("records/<uuid:record_id>/share/", sharing.record_share, name="record_share"),
    path("records/<uuid:record_id>/shares/<uuid:grant_id>/stop/", sharing.grant_revoke, name="grant_revoke"),
    path("records/<uuid:record_id>/access/", sharing.record_access, name="record_access"),
    path(
        "records/<uuid:record_id>/access/<int:seq>/receipt/",
        sharing.record_access_receipt,
        name="record_access_receipt",
    ),
    path("records/<uuid:record_id>/messages/", sharing.record_messages, name="record_messages"),
    path("records/<uuid:record_id>/messages/notices/", sharing.record_notices, name="record_notices"),
    path("report/<slug:slug>/", anonymous.report_start, name="report_start"),
    path("report/<slug:slug>/return/", anonymous.report_return, name="report_return"),
    path("report-leave/", anonymous.report_leave, name="report_leave"),
    path("advocates/inbox/", inbox.inbox, name="inbox"),
    path("advocates/shared/<uuid:grant_id>/", inbox.shared_record, name="shared_record"),
    path(
        "advocates/shared/<uuid:grant_id>/files/<uuid:attachment_id>/",
        inbox.shared_attachment,
        name="shared_attachment",
    ),
    path("advocates/conversations/<uuid:record_id>/", inbox.team_conversation, name="team_conversation"),
]
