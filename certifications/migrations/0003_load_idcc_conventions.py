from django.db import migrations


def load(apps, schema_editor):
    from certifications.reference_data import load_idcc_conventions

    load_idcc_conventions(apps.get_model("certifications", "IdccConvention"))


class Migration(migrations.Migration):
    dependencies = [("certifications", "0002_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
