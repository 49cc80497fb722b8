"""Load the public programmes and their eligibility rules from the rule file."""
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from matcher.models import Programme
from matcher.rule_file import RuleFileError, content_digest, read_rule_file
from matcher.services import save_rule_version

DEFAULT_RULE_FILE = Path(settings.DATA_DIR) / "programs" / "rules.json"


class _DryRunRollback(Exception):
    """Raised inside the transaction to undo a dry run."""


class Command(BaseCommand):
    help = (
        "Create or update the programmes and their eligibility rules from data/programs/rules.json. "
        "A rule gets a new version only when its content in the file changed, so reruns are cheap. "
        "Example: python manage.py load_programs --dry-run"
    )

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=DEFAULT_RULE_FILE,
                            help="Rule file to read (default: data/programs/rules.json).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Report what would change and write nothing.")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            entries = read_rule_file(path)
        except RuleFileError as exc:
            raise CommandError(str(exc)) from exc

        counts = {"created": 0, "updated": 0, "skipped": 0, "rule_versions": 0, "failed": 0}
        try:
            with transaction.atomic():
                for entry in entries:
                    self._load_entry(entry, path, counts)
                if options["dry_run"]:
                    raise _DryRunRollback
        except _DryRunRollback:
            self.stdout.write("Dry run: nothing was written.")

        self.stdout.write(
            "Programmes: {created} created, {updated} updated, {skipped} skipped, {failed} failed; "
            "{rule_versions} new rule versions.".format(**counts)
        )

    def _load_entry(self, entry: dict, path: Path, counts: dict) -> None:
        fields = _programme_fields(entry)
        digest = content_digest({key: value for key, value in entry.items() if key != "rule"})
        programme = Programme.objects.filter(code=entry["code"]).first()
        if programme is None:
            programme = Programme.objects.create(code=entry["code"], source_sha256=digest, **fields)
            counts["created"] += 1
            self.stdout.write(f"  {entry['code']}: created")
        elif programme.source_sha256 != digest:
            Programme.objects.filter(pk=programme.pk).update(source_sha256=digest, **fields)
            counts["updated"] += 1
            self.stdout.write(f"  {entry['code']}: updated")
        else:
            counts["skipped"] += 1

        last_from_file = programme.rules.filter(source="file").order_by("-version").first()
        if last_from_file is not None and last_from_file.source_sha256 == content_digest(entry["rule"]):
            return
        active = programme.rules.filter(is_active=True).first()
        if active is not None and active.source == "admin":
            self.stderr.write(
                f"  {entry['code']}: the rule file changed, so its rule replaces the admin's version "
                f"{active.version} as the active rule."
            )
        version = save_rule_version(programme, entry["rule"], source="file",
                                    change_note=f"Loaded from {path.name}")
        counts["rule_versions"] += 1
        self.stdout.write(f"  {entry['code']}: rule version {version.version}")


def _programme_fields(entry: dict) -> dict:
    fields = {
        "source_id": entry["source_id"],
        "sort_order": entry["sort_order"],
        "entity": entry["entity"],
        "kind": entry["kind"],
        "sources": entry["sources"],
        "documents_es": entry["documents"]["es"],
        "documents_en": entry["documents"]["en"],
    }
    for name in ("name", "description", "benefit", "next_step", "notes"):
        fields[f"{name}_es"] = entry[name]["es"]
        fields[f"{name}_en"] = entry[name]["en"]
    return fields
