from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

#: Model permissions each role group gets on the points app.
ROLE_PERMISSIONS = {
    "city_staff": [
        "view_entry",
        "view_transaction",
        "view_account",
        "view_earningrule",
        "add_earningrule",
        "change_earningrule",
    ],
}


def grant_role_permissions(sender, apps=None, using="default", **kwargs):
    """Give role groups their points permissions (post_migrate is also sent after
    ``flush``). Idempotent."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    apps = apps or global_apps  # flush sends post_migrate without an apps registry
    # This receiver may run before auth's own: make sure the permissions exist.
    create_permissions(global_apps.get_app_config("points"), verbosity=0, using=using, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.using(using).filter(name=group_name).first()
        if group is None:
            continue
        permissions = Permission.objects.using(using).filter(
            content_type__app_label="points", codename__in=codenames
        )
        group.permissions.add(*permissions)


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("Ikiiki points")

    def ready(self):
        # Wiring of access rights, not domain logic: runs after every migrate/flush.
        post_migrate.connect(grant_role_permissions, sender=self)
