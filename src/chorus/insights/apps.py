from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "chorus.insights"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chorus.insights.services import actions  # noqa: F401 (registers the overdue scan)
