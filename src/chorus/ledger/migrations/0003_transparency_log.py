"""Each chain becomes an append-only Merkle tree (a transparency log). Chains that exist
already get their tree built from their events, in order, so their first tree head covers
every event ever written; the new tables refuse UPDATE and DELETE like the events."""

from typing import Any

from django.db import migrations, models

from chorus.crypto import merkle
from chorus.ledger import triggers

NEW_TABLES = ("ledger_ledgernode", "ledger_ledgertreehead")


def build_trees(apps: Any, schema_editor: Any) -> None:
    LedgerEvent = apps.get_model("ledger", "LedgerEvent")
    LedgerHead = apps.get_model("ledger", "LedgerHead")
    LedgerNode = apps.get_model("ledger", "LedgerNode")
    for head in LedgerHead.objects.all():
        frontier = merkle.Frontier()
        batch = []
        events = LedgerEvent.objects.filter(chain=head.chain, seq__lte=head.seq).order_by("seq")
        for event_hash in events.values_list("hash", flat=True).iterator(chunk_size=5000):
            for node in frontier.append(merkle.leaf_hash(bytes.fromhex(event_hash))):
                batch.append(
                    LedgerNode(chain=head.chain, position=merkle.position(node.level, node.index), hash=node.hash)
                )
            if len(batch) >= 5000:
                LedgerNode.objects.bulk_create(batch)
                batch = []
        LedgerNode.objects.bulk_create(batch)
        LedgerHead.objects.filter(chain=head.chain).update(frontier=b"".join(frontier.hashes))


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0002_append_only_triggers"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgerhead",
            name="frontier",
            field=models.BinaryField(default=b""),
        ),
        migrations.CreateModel(
            name="LedgerNode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("chain", models.CharField(max_length=64)),
                ("position", models.BigIntegerField()),
                ("hash", models.BinaryField(max_length=32)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("chain", "position"), name="ledger_node_chain_position")
                ],
            },
        ),
        migrations.CreateModel(
            name="LedgerTreeHead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("chain", models.CharField(max_length=64)),
                ("origin", models.CharField(max_length=255)),
                ("size", models.BigIntegerField()),
                ("root_hash", models.CharField(max_length=64)),
                ("timestamp", models.BigIntegerField(help_text="POSIX seconds, as signed.")),
                ("log_key", models.CharField(max_length=64)),
                ("signature", models.CharField(max_length=128)),
                ("witness_key", models.CharField(blank=True, default="", max_length=64)),
                ("witness_timestamp", models.BigIntegerField(blank=True, null=True)),
                ("cosignature", models.CharField(blank=True, default="", max_length=128)),
            ],
            options={
                "ordering": ["chain", "size", "timestamp"],
                "indexes": [models.Index(fields=["chain", "size"], name="ledger_tree_head_chain_size")],
            },
        ),
        migrations.RunPython(build_trees, migrations.RunPython.noop),
        triggers.migration_operation(*NEW_TABLES),
    ]
