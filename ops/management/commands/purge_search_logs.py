"""Delete search records older than the retention period."""
import datetime

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

#: Models that keep family searches, with the date field that ages them.
RETAINED_MODELS = [("geoservices.SearchRecord", "created_on")]
#: Rows deleted per statement, so a long backlog does not lock the table at once.
BATCH_SIZE = 5000


class Command(BaseCommand):
    help = (
        "Delete search records older than GEOSALUD_SEARCH_LOG_RETENTION_DAYS "
        "(default 365 days). Example: manage.py purge_search_logs --dry-run; "
        "manage.py purge_search_logs --days 180"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Retention period in days; records from before today minus DAYS are deleted.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count the records that would go, delete nothing.")

    def handle(self, *args, days=None, dry_run=False, **options):
        days = settings.GEOSALUD_SEARCH_LOG_RETENTION_DAYS if days is None else days
        if days < 1:
            msg = f"--days must be at least 1, got {days}. Use a retention period of one day or more."
            raise CommandError(msg)
        cutoff = timezone.localdate() - datetime.timedelta(days=days)
        self.stdout.write(f"Deleting search records dated before {cutoff.isoformat()} ({days} days retention)")

        deleted_total = 0
        for label, date_field in RETAINED_MODELS:
            model = apps.get_model(label)
            old_rows = model.objects.filter(**{f"{date_field}__lt": cutoff})
            if dry_run:
                count = old_rows.count()
                self.stdout.write(f"  {label}: {count} would be deleted")
            else:
                count = self._delete_in_batches(old_rows)
                self.stdout.write(f"  {label}: {count} deleted")
            deleted_total += count

        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(self.style.SUCCESS(f"Done: {deleted_total} {verb}, 0 failed."))

    def _delete_in_batches(self, queryset) -> int:
        deleted = 0
        while True:
            with transaction.atomic():
                ids = list(queryset.values_list("pk", flat=True)[:BATCH_SIZE])
                if not ids:
                    return deleted
                count, _ = queryset.model.objects.filter(pk__in=ids).delete()
            deleted += count
