from django.urls import path

from chorus.escrow.views import entries, groups, matches

urlpatterns = [
    path("escrow/", entries.escrow, name="escrow"),
    path("escrow/new/", entries.escrow_new, name="escrow_new"),
    path("escrow/evaluate/", entries.escrow_evaluate, name="escrow_evaluate"),
    path("escrow/entries/<uuid:entry_id>/", entries.escrow_entry, name="escrow_entry"),
    path("escrow/entries/<uuid:entry_id>/withdraw/", entries.escrow_withdraw, name="escrow_withdraw"),
    path("escrow/groups/<uuid:group_id>/", groups.escrow_group, name="escrow_group"),
    path("escrow/groups/<uuid:group_id>/respond/", groups.escrow_group_respond, name="escrow_group_respond"),
    path("escrow/groups/<uuid:group_id>/choice/", groups.escrow_group_choice, name="escrow_group_choice"),
    path("organization/escrow/", entries.escrow_settings, name="escrow_settings"),
    path("advocates/matches/", matches.match_list, name="match_list"),
    path("advocates/matches/<uuid:match_id>/", matches.match_detail, name="match_detail"),
    path("advocates/matches/<uuid:match_id>/invite/", matches.match_invite, name="match_invite"),
    path("advocates/matches/<uuid:match_id>/tell/", matches.match_tell, name="match_tell"),
    path("advocates/groups/<uuid:group_id>/", matches.team_group, name="team_group"),
]
