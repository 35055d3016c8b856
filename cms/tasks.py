"""Thin Celery tasks of the public site: they take ids and call a service.

A task imports its service inside its body: the services import the tasks by name to
enqueue them after commit, so the other direction at module level would be a cycle.
"""

from celery import shared_task


@shared_task(name="cms.send_proposal_confirmation")
def send_proposal_confirmation(proposal_id: int) -> bool:
    """Email the applicant that their proposal arrived (sent at most once)."""
    from cms.services.proposals import proposal_send_confirmation

    return proposal_send_confirmation(proposal_id=proposal_id)


@shared_task(name="cms.send_proposal_status_notice")
def send_proposal_status_notice(step_id: int) -> bool:
    """Email the applicant their proposal's new status and the reviewer's message
    (sent at most once per review step)."""
    from cms.services.proposals import proposal_status_notice_send

    return proposal_status_notice_send(step_id=step_id)


@shared_task(name="cms.send_volunteer_welcome")
def send_volunteer_welcome(application_id: int) -> bool:
    """Email an approved volunteer how to sign in (sent at most once)."""
    from cms.services.applications import volunteer_application_welcome_send

    return volunteer_application_welcome_send(application_id=application_id)
