from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.usersessions.adapter import DefaultUserSessionsAdapter
from allauth.usersessions.models import UserSession
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from comptoir.core.clientip import client_ip
from comptoir.dossiers.access import dossiers_for_user
from comptoir.dossiers.selectors import user_serves_dossiers


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        """The client's address as `core/clientip.py` reads it: allauth's rate limits (ten
        wrong passwords per address) and sessions must not see the proxy as everyone."""
        ip = client_ip(request)
        if ip is None:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Accountants (firm staff, Comptable members) land on their board (/comptable/);
        others on the dossier last opened, if they still have access to it; else the home.

        allauth calls this only when there is no explicit `?next=` (see
        `allauth.account.utils.get_login_redirect_url`), which therefore still wins.
        """
        user = request.user
        if user_serves_dossiers(user=user):  # type: ignore[arg-type]
            return reverse("dossiers:accountant_home")
        dossier_id = getattr(user, "last_dossier_id", None)
        if dossier_id is not None:
            slug = (
                dossiers_for_user(user)  # type: ignore[arg-type]
                .filter(pk=dossier_id)
                .values_list("slug", flat=True)
                .first()
            )
            if slug:
                return reverse("dossiers:dossier_home", args=[slug])
        return super().get_login_redirect_url(request)

    def render_mail(
        self,
        template_prefix: str,
        email: str,
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        """Every allauth email gets an HTML part: its text, in Comptoir's email layout.

        allauth ships text templates only; one layout here beats fourteen HTML copies.
        """
        message = super().render_mail(template_prefix, email, context, headers=headers)
        if isinstance(message, EmailMultiAlternatives) and message.alternatives:
            return message
        html = render_to_string(
            "email/from_text.html", {"body": message.body, "subject": message.subject}
        )
        wrapped = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=message.from_email,
            to=message.to,
            headers=message.extra_headers,
        )
        wrapped.attach_alternative(html, "text/html")
        return wrapped


class UserSessionsAdapter(DefaultUserSessionsAdapter):
    """Ending sessions ("Sessions" page) is audited: allauth sends no signal for it."""

    def end_sessions(self, sessions: Iterable[UserSession]) -> None:
        from django.db import transaction

        from comptoir.audit.actions import record

        from .signals import actor_for

        request = self.request
        for session in list(sessions):
            user = session.user
            acting = request.user if request is not None else None
            details = {
                "email": user.email,
                "session": session.pk,
                "ip": session.ip,
                "user_agent": session.user_agent[:300],
                "created_at": session.created_at.isoformat(),
            }
            with transaction.atomic():
                session.end()
                record(
                    actor=actor_for(
                        request,
                        acting if acting is not None and acting.is_authenticated else user,  # type: ignore[arg-type]
                    ),
                    action="account.session_revoked",
                    target=user,
                    details=details,
                )
