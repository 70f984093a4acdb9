from django.apps import AppConfig


class PreparationConfig(AppConfig):
    name = "chorus.preparation"
    default_auto_field = "django.db.models.BigAutoField"
