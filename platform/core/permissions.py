"""Model permissions for role groups, granted after every migrate (and flush)."""

from __future__ import annotations

from functools import partial

from django.db.models.signals import post_migrate


def grant_role_permissions(
    app_label: str, role_permissions: dict[str, list[str]], *, apps=None, using="default", **_
):
    """Give each role group the listed permissions of ``app_label``. Idempotent.

    Runs from post_migrate, possibly before auth's own receiver (app order), so the
    permissions are created first. ``flush`` sends post_migrate without ``apps``.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or global_apps
    create_permissions(global_apps.get_app_config(app_label), verbosity=0, using=using, apps=apps)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for group_name, codenames in role_permissions.items():
        group = group_model.objects.using(using).filter(name=group_name).first()
        if group is not None:
            group.permissions.add(
                *permission_model.objects.using(using).filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )


def connect(app_config, role_permissions: dict[str, list[str]]) -> None:
    """Wire :func:`grant_role_permissions` for ``app_config`` (call from ``ready``)."""
    receiver = partial(_receive, app_config.label, role_permissions)
    app_config._grant_role_permissions = receiver  # a strong reference for the signal
    post_migrate.connect(receiver, sender=app_config, weak=False)


def _receive(app_label, role_permissions, sender=None, **kwargs):
    grant_role_permissions(app_label, role_permissions, **kwargs)
