from django.urls import path

from chorus.guidance import views

# The directory's addresses come before the pages' so no page can take the name "resources".
urlpatterns = [
    path("guidance/<slug:slug>/", views.guidance, name="guidance"),
    path("guidance/<slug:slug>/resources/", views.guidance_resources, name="guidance_resources"),
    path("guidance/<slug:slug>/resources/new/", views.guidance_resource_new, name="guidance_resource_new"),
    path(
        "guidance/<slug:slug>/resources/<uuid:resource_id>/",
        views.guidance_resource_edit,
        name="guidance_resource_edit",
    ),
    path(
        "guidance/<slug:slug>/resources/<uuid:resource_id>/remove/",
        views.guidance_resource_remove,
        name="guidance_resource_remove",
    ),
    path("guidance/<slug:slug>/<slug:page_slug>/", views.guidance_page, name="guidance_page"),
    path("guidance/<slug:slug>/<slug:page_slug>/edit/", views.guidance_edit, name="guidance_edit"),
    path("guidance/<slug:slug>/<slug:page_slug>/history/", views.guidance_history, name="guidance_history"),
    path(
        "guidance/<slug:slug>/<slug:page_slug>/versions/<uuid:version_id>/",
        views.guidance_version,
        name="guidance_version",
    ),
    path(
        "guidance/<slug:slug>/<slug:page_slug>/versions/<uuid:version_id>/restore/",
        views.guidance_version_restore,
        name="guidance_version_restore",
    ),
]
