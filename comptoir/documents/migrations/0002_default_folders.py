from django.db import migrations

DEFAULT_FOLDERS = ("Comptabilité", "Fiscal", "Juridique", "Social", "Factures")


def create_default_folders(apps, schema_editor):
    """Dossiers created before documents existed get the default folders too."""
    Dossier = apps.get_model("dossiers", "Dossier")
    Folder = apps.get_model("documents", "Folder")
    for dossier in Dossier.objects.filter(folders__isnull=True):
        for name in DEFAULT_FOLDERS:
            Folder.objects.create(dossier=dossier, name=name)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial"), ("dossiers", "0001_initial")]

    operations = [migrations.RunPython(create_default_folders, migrations.RunPython.noop)]
