"""Wagtail's own migrations create a root page and a root collection called "Root",
the groups "Moderators" and "Editors", and a workflow and task called "Moderators
approval". They are data, so no catalogue translates them: the back office showed
"Moderators approvalに提出する". Rename them (only while they keep Wagtail's names)."""

from django.db import migrations

RENAMES = [
    ("auth", "Group", "name", "Moderators", "承認担当者"),
    ("auth", "Group", "name", "Editors", "編集者"),
    ("wagtailcore", "Workflow", "name", "Moderators approval", "承認担当者による承認"),
    ("wagtailcore", "Task", "name", "Moderators approval", "承認担当者による承認"),
    ("wagtailcore", "Page", "title", "Root", "ルート"),
    ("wagtailcore", "Collection", "name", "Root", "ルート"),
]


def rename(apps, schema_editor, *, backwards=False):
    for app_label, model_name, field, english, japanese in RENAMES:
        model = apps.get_model(app_label, model_name)
        old, new = (japanese, english) if backwards else (english, japanese)
        if not model.objects.filter(**{field: new}).exists():
            changes = {field: new}
            if model_name == "Page":  # the admin shows the draft title
                changes["draft_title"] = new
            model.objects.filter(**{field: old}).update(**changes)


def forwards(apps, schema_editor):
    rename(apps, schema_editor)


def backwards(apps, schema_editor):
    rename(apps, schema_editor, backwards=True)


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0010_scheme_names"),
        ("wagtailcore", "0098_apitoken"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
