from django.urls import path

from chorus.cases import views

urlpatterns = [
    path("cases/", views.cases, name="cases"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/self/", views.case_self, name="case_self"),
    path("cases/deadlines/", views.case_deadlines, name="case_deadlines"),
    path("cases/process-report/", views.process_report_new, name="process_report_new"),
    path("cases/join/<str:token>/", views.case_join, name="case_join"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/act/<slug:name>/", views.case_act, name="case_act"),
    path("escrow/groups/<uuid:group_id>/case/", views.group_case, name="group_case"),
    path("oversight/process-reports/", views.process_reports, name="process_reports"),
]
