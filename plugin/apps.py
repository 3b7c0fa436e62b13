from django.apps import AppConfig


class PersonalizationConfig(AppConfig):
    name = "saleor_personalization"
    label = "saleor_personalization"
    verbose_name = "Personalization"
    default_auto_field = "django.db.models.BigAutoField"
