"""The matching index carries what the ranking weighs (home district, gender, car),
so suggestions can be ranked from the best-placed rows without reading every
eligible volunteer (issue #18)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_preferences(apps, schema_editor):
    """Existing index rows take what the ranking weighs from their profile."""
    MatchingSlot = apps.get_model("volunteers", "MatchingSlot")
    VolunteerProfile = apps.get_model("volunteers", "VolunteerProfile")
    profile = VolunteerProfile.objects.filter(pk=OuterRef("profile_id"))
    MatchingSlot.objects.update(
        gender=Subquery(profile.values("gender")[:1]),
        has_car=Subquery(profile.values("has_car")[:1]),
    )
    MatchingSlot.objects.filter(
        district_id=Subquery(profile.values("home_district_id")[:1])
    ).update(home=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_district_is_active"),
        ("volunteers", "0014_insurance_and_training"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="matchingslot",
            name="volunteers_matching_idx",
        ),
        migrations.AddField(
            model_name="matchingslot",
            name="gender",
            field=models.CharField(blank=True, default="", max_length=8),
        ),
        migrations.AddField(
            model_name="matchingslot",
            name="has_car",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="matchingslot",
            name="home",
            field=models.BooleanField(default=False),
        ),
        migrations.AddIndex(
            model_name="matchingslot",
            index=models.Index(
                fields=[
                    "district",
                    "category",
                    "day_key",
                    "starts",
                    "ends",
                    "profile",
                    "home",
                    "gender",
                    "has_car",
                ],
                name="volunteers_matching_idx",
            ),
        ),
        # Last: PostgreSQL refuses DDL on a table with pending (deferred FK) trigger
        # events from the UPDATE in the same transaction.
        migrations.RunPython(copy_preferences, migrations.RunPython.noop, elidable=True),
    ]
