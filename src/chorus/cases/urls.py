from django.urls import path

from chorus.cases import views, views_repair

urlpatterns = [
    path("cases/", views.cases, name="cases"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/self/", views.case_self, name="case_self"),
    path("cases/deadlines/", views.case_deadlines, name="case_deadlines"),
    path("cases/process-report/", views.process_report_new, name="process_report_new"),
    path("cases/join/<str:token>/", views.case_join, name="case_join"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/act/<slug:name>/", views.case_act, name="case_act"),
    path("cases/<uuid:case_id>/repair/", views_repair.case_repair, name="case_repair"),
    path("cases/<uuid:case_id>/repair/new/", views_repair.case_repair_new, name="case_repair_new"),
    path(
        "cases/<uuid:case_id>/repair/<uuid:request_id>/review/",
        views_repair.case_repair_review,
        name="case_repair_review",
    ),
    path("cases/repair/", views_repair.repair_team, name="repair_team"),
    path("cases/repair/asked/", views_repair.repair_asked, name="repair_asked"),
    path("cases/repair/asked/<uuid:request_id>/", views_repair.repair_asked_one, name="repair_asked_one"),
    path("cases/repair/asked/<uuid:request_id>/more/", views_repair.repair_asked_more, name="repair_asked_more"),
    path("cases/repair/<uuid:request_id>/", views_repair.repair_team_request, name="repair_team_request"),
    path("escrow/groups/<uuid:group_id>/case/", views.group_case, name="group_case"),
    path("oversight/process-reports/", views.process_reports, name="process_reports"),
]
