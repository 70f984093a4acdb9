from django.urls import path

from chorus.insights import views, views_accountability

urlpatterns = [
    path("insights/", views.insights, name="insights"),
    path("insights/report.pdf", views.insights_report, name="insights_report"),
    path("insights/assessment/", views.assessment, name="assessment"),
    path("insights/action-points/", views.action_points, name="action_points"),
    path("insights/action-points/<int:number>/", views.action_point, name="action_point"),
    path("transparency/", views.transparency, name="transparency"),
    path("stories/", views.my_stories, name="my_stories"),
    path("stories/<uuid:story_id>/", views.story, name="story"),
    path("stories/<uuid:story_id>/show/", views.story_show, name="story_show"),
    path("stories/<uuid:story_id>/withdraw/", views.story_withdraw, name="story_withdraw"),
    path("stories/<uuid:story_id>/delete/", views.story_delete, name="story_delete"),
    path("commission/stories/", views.commission_stories, name="commission_stories"),
    path("stories/accountability/", views_accountability.accountability_mine, name="accountability_mine"),
    path("accountability-stories/", views_accountability.accountability_stories, name="accountability_stories"),
    path(
        "organization/accountability-stories/",
        views_accountability.accountability_readers,
        name="accountability_readers",
    ),
]
