"""Factories for notifications. Rows are built directly; tests of sending call the action."""

from __future__ import annotations

import factory

from comptoir.accounts.tests.factories import UserFactory
from comptoir.notifications.models import Notification, NotificationKind


class NotificationFactory(factory.django.DjangoModelFactory[Notification]):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    kind = NotificationKind.TASK_COMPLETED
    title = factory.Sequence(lambda n: f"Tâche terminée n° {n}")
    body = "Le client a terminé la tâche « Pièces du mois »."
    url = "/dossiers/"
    dossier = None
