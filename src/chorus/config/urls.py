from django.urls import include, path

from chorus.accounts.views import account, invitations, leaving, lifecycle, members, power, signin
from chorus.ledger import views as ledger_views
from chorus.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz/", web_views.healthz, name="healthz"),
    path("language/", web_views.language, name="language"),
    path("sign-in/", signin.sign_in, name="sign_in"),
    path("sign-in/two-factor/", signin.sign_in_two_factor, name="sign_in_two_factor"),
    path("sign-out/", signin.sign_out, name="sign_out"),
    path("quick-exit/", signin.quick_exit, name="quick_exit"),
    path("invitations/<str:token>/", invitations.invitation_accept_view, name="invitation_accept"),
    path("password-reset/", account.password_reset_request, name="password_reset_request"),
    path("password-reset/<str:token>/", account.password_reset_complete, name="password_reset_complete"),
    path("account/", account.account, name="account"),
    path("account/password/", account.account_password, name="account_password"),
    path("account/two-factor/", account.account_two_factor, name="account_two_factor"),
    path("account/two-factor/backup-codes/", account.account_backup_codes, name="account_backup_codes"),
    path("account/recovery-code/", account.account_recovery_code, name="account_recovery_code"),
    path("account/delete/", leaving.account_delete_view, name="account_delete"),
    path("account/deleted/", leaving.account_deleted_view, name="account_deleted"),
    path("account/membership-ended/", leaving.membership_ended_view, name="membership_ended"),
    path("organization/members/", members.members, name="members"),
    path("organization/members/<uuid:member_id>/roles/", members.member_roles, name="member_roles"),
    path("organization/members/<uuid:member_id>/suspend/", lifecycle.member_suspend_view, name="member_suspend"),
    path("organization/members/<uuid:member_id>/reinstate/", lifecycle.member_reinstate_view, name="member_reinstate"),
    path("organization/members/<uuid:member_id>/remove/", lifecycle.member_remove_view, name="member_remove"),
    path("organization/members/<uuid:member_id>/offboard/", leaving.member_offboard_view, name="member_offboard"),
    path("organization/power/", power.power, name="power"),
    path(
        "organization/power/<uuid:proposal_id>/approve/", power.role_proposal_approve, name="role_proposal_approve"
    ),
    path(
        "organization/power/<uuid:proposal_id>/decline/", power.role_proposal_decline, name="role_proposal_decline"
    ),
    path(
        "organization/power/changes/<uuid:change_id>/approve/",
        lifecycle.membership_change_approve_view,
        name="membership_change_approve",
    ),
    path(
        "organization/power/changes/<uuid:change_id>/decline/",
        lifecycle.membership_change_decline_view,
        name="membership_change_decline",
    ),
    path("organization/memberships/", power.memberships, name="memberships"),
    path("organization/invitations/new/", members.invitation_new, name="invitation_new"),
    path(
        "organization/invitations/<uuid:invitation_id>/revoke/",
        members.invitation_revoke_view,
        name="invitation_revoke",
    ),
    path("ledger/", ledger_views.ledger, name="ledger"),
    path("ledger/events/", ledger_views.ledger_events, name="ledger_events"),
    path("ledger/log/head/", ledger_views.ledger_log_head, name="ledger_log_head"),
    path("ledger/log/consistency/", ledger_views.ledger_log_consistency, name="ledger_log_consistency"),
    path("ledger/log/receipt/<int:seq>/", ledger_views.ledger_log_receipt, name="ledger_log_receipt"),
    path("", include("chorus.records.urls")),
    path("", include("chorus.escrow.urls")),
    path("", include("chorus.cases.urls")),
    path("", include("chorus.insights.urls")),
    path("", include("chorus.retention.urls")),
    path("", include("chorus.guidance.urls")),
    path("", include("chorus.preparation.urls")),
]

handler400 = "chorus.web.views.bad_request"
handler403 = "chorus.web.views.permission_denied"
handler404 = "chorus.web.views.page_not_found"
handler500 = "chorus.web.views.server_error"
