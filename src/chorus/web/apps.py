from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "chorus.web"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chorus.web import checks  # noqa: F401  (registers Chorus's system checks)
