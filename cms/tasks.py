"""Thin Celery tasks of the public site: they take ids and call a service."""

from celery import shared_task

from cms.services import proposal_send_confirmation


@shared_task(name="cms.send_proposal_confirmation")
def send_proposal_confirmation(proposal_id: int) -> bool:
    """Email the applicant that their proposal arrived (sent at most once)."""
    return proposal_send_confirmation(proposal_id=proposal_id)
