"""Model versions stored the model's whole addressee table, whose row 0 ("<anyone>") the chat
page then offered beside its own "anyone"; keep only the names."""

from django.db import migrations

ANYONE_ROW = "<anyone>"


def drop_anyone_row(apps, schema_editor):
    ModelVersion = apps.get_model("personas", "ModelVersion")
    for version in ModelVersion.objects.all().only("addressees"):
        if version.addressees[:1] == [ANYONE_ROW]:
            version.addressees = version.addressees[1:]
            version.save(update_fields=["addressees"])


class Migration(migrations.Migration):
    dependencies = [("personas", "0001_initial")]
    operations = [migrations.RunPython(drop_anyone_row, migrations.RunPython.noop)]
