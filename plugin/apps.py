import logging

from django.apps import AppConfig, apps

logger = logging.getLogger(__name__)


class PersonalizationConfig(AppConfig):
    name = "saleor_personalization"
    label = "saleor_personalization"
    verbose_name = "Personalization"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        if not apps.is_installed("saleor.graphql"):
            return  # standalone: no Saleor API to extend
        try:
            from .saleor_adapter.graphql.schema import install

            install()
        except Exception:  # Saleor must start even if our API cannot be attached
            logger.exception("Personalization GraphQL fields not installed")
