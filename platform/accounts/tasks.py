"""Thin Celery task: allauth's mail (sign-in codes, password resets, address
confirmations), rendered in the request and sent here, so that a slow or stalled
mail server never holds a web worker."""

from __future__ import annotations

from celery import shared_task
from django.core.mail import EmailMultiAlternatives

from core.outbox import send_once


@shared_task(name="accounts.send_email", bind=True)
def send_email(self, message: dict) -> int:
    """Send a rendered message (``subject``, ``body``, ``content_subtype``,
    ``from_email``, ``to``, ``alternatives``) once per task: a redelivered or
    retried task that already sent it does not send it again
    (:func:`core.outbox.send_once`, keyed by the task id)."""

    def prepare():
        mail = EmailMultiAlternatives(
            message["subject"], message["body"], message["from_email"], message["to"]
        )
        mail.content_subtype = message["content_subtype"]
        for content, kind in message["alternatives"]:
            mail.attach_alternative(content, kind)
        return mail.send

    return send_once(key=f"accounts.mail:{self.request.id}", prepare=prepare)
