from django.apps import AppConfig


class EscrowConfig(AppConfig):
    name = "chorus.escrow"
    default_auto_field = "django.db.models.BigAutoField"
