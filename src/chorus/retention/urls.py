from django.urls import path

from chorus.retention import views

urlpatterns = [
    path("organization/retention/", views.retention, name="retention"),
    path("organization/retention/settings/", views.retention_settings, name="retention_settings"),
    path("organization/retention/hold/", views.retention_hold, name="retention_hold"),
]
