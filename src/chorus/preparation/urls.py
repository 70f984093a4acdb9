from django.urls import path

from chorus.preparation import views

urlpatterns = [
    path("organization/preparation/", views.preparation, name="preparation"),
    path("organization/preparation/record/", views.preparation_record, name="preparation_record"),
    path("organization/preparation/settings/", views.preparation_settings, name="preparation_settings"),
    path(
        "organization/preparation/<uuid:record_id>/withdraw/",
        views.preparation_withdraw,
        name="preparation_withdraw",
    ),
]
