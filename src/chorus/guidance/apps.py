from django.apps import AppConfig


class GuidanceConfig(AppConfig):
    name = "chorus.guidance"
    default_auto_field = "django.db.models.BigAutoField"
