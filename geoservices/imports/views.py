"""Staff pages: upload with preview then confirm, road network uploads, and the data-quality page.

The views are mounted by ``geoservices.admin`` under the admin site, so
they inherit its login, staff check and CSRF protection. Each upload is
previewed first, which writes nothing, and applied on confirmation. An
upload with more than ``LARGE_IMPORT_ROWS`` rows is applied by a
background job instead of inside the request.
"""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geoservices.loaders.facilities import BLOCKING_FLAGS
from geoservices.models import DataReport, Facility, ImportRecord
from geoservices.quality_flags import describe_flag
from ops.jobs import enqueue

from . import staging
from .archive import copy_upload, upload_limits
from .display import counts_text, preview_rows
from .errors import ImportRejected
from .layers import PERU_CRS
from .services import BoundaryOptions, import_boundaries, import_facilities

logger = logging.getLogger(__name__)

#: Uploads with more rows than this are applied by a background job.
LARGE_IMPORT_ROWS = 500

#: Rows of the diff shown on the preview page; the counts cover every row.
PREVIEW_ROWS = 300

CRS_CHOICES = [("", gettext_lazy("Detect from the file"))] + [
    (str(code), f"EPSG:{code} {name}") for code, name in PERU_CRS.items()
]


class BoundaryUploadForm(forms.Form):
    """A boundary layer upload and the choices that override detection."""

    file = forms.FileField(label=gettext_lazy("Layer file"), help_text=gettext_lazy(
        "A zip with the shapefile (.shp, .shx, .dbf, .prj, optional .cpg), a GeoJSON or a GeoPackage."))
    level = forms.ChoiceField(label=gettext_lazy("Boundary level"), choices=[
        ("district", gettext_lazy("Districts")), ("province", gettext_lazy("Provinces")),
        ("department", gettext_lazy("Departments"))])
    srid = forms.TypedChoiceField(label=gettext_lazy("Coordinate reference system"), choices=CRS_CHOICES,
                                  coerce=int, empty_value=None, required=False)
    encoding = forms.CharField(label=gettext_lazy("Text encoding of the .dbf"), required=False, max_length=20,
                               help_text=gettext_lazy("Leave empty to use the .cpg or detect it, e.g. 1252."))
    layer = forms.CharField(label=gettext_lazy("GeoPackage layer"), required=False, max_length=100)
    ubigeo_field = forms.CharField(label=gettext_lazy("Ubigeo field"), required=False, max_length=60,
                                   help_text=gettext_lazy("Leave empty to detect it."))
    name_field = forms.CharField(label=gettext_lazy("Name field"), required=False, max_length=60,
                                 help_text=gettext_lazy("Leave empty to detect it."))


class FacilityUploadForm(forms.Form):
    """A facility registry upload."""

    file = forms.FileField(label=gettext_lazy("Registry file"), help_text=gettext_lazy(
        "The MINSA IPRESS registry, the SERUMS list or the RENIPRESS coordinates, as CSV or .xlsx."))
    strict = forms.BooleanField(label=gettext_lazy("Reject the whole file when any row has a problem"),
                                required=False)


class RoadNetworkUploadForm(forms.Form):
    """An OpenStreetMap extract to build a road region from."""

    file = forms.FileField(label=gettext_lazy("Road network file"),
                           help_text=gettext_lazy("An OpenStreetMap extract: .osm.pbf, .osm or .graphml."))
    slug = forms.SlugField(label=gettext_lazy("Region code"), max_length=60,
                           help_text=gettext_lazy("Lower-case letters, digits and hyphens, e.g. huamanga-centro."))
    name = forms.CharField(label=gettext_lazy("Region name"), max_length=120)
    osm_date = forms.DateField(label=gettext_lazy("Date of the OpenStreetMap data"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not re.search(r"\.(osm\.pbf|pbf|osm|graphml)$", upload.name.lower()):
            raise forms.ValidationError(_(
                "The file %(file)s is not an OpenStreetMap extract. Upload an .osm.pbf, .osm or .graphml file."
            ) % {"file": upload.name})
        return upload


def _context(admin_site, request, title: str, **extra) -> dict:
    return {**admin_site.each_context(request), "title": title, "opts": ImportRecord._meta,
            "tiles_url": settings.LEAFLET_CONFIG["TILES"], **extra}


def _preview_context(result, staged) -> dict:
    plan = result.plan
    return {
        "plan": plan,
        "counts": plan.counts(),
        "rows": preview_rows([row for row in plan.rows if row.action != "unchanged"][:PREVIEW_ROWS]),
        "failures": plan.failures(),
        "warnings": plan.warnings(),
        "token": staged.token,
        "preview": plan.details.get("preview"),
        "runs_as_job": len(plan.rows) > LARGE_IMPORT_ROWS,
    }


def boundary_upload_view(admin_site, request):
    """Show the boundary upload form, its preview, and apply it on confirmation."""
    title = _("Import a boundary layer")
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request, "boundaries")

    form = BoundaryUploadForm(request.POST or None, request.FILES or None)
    context = _context(admin_site, request, title, form=form, kind="boundaries")
    if request.method == "POST" and form.is_valid():
        options = {key: value for key, value in form.cleaned_data.items() if key != "file"}
        options = {key: (value or None) for key, value in options.items()}
        options["level"] = form.cleaned_data["level"]
        try:
            staged = staging.stage(form.cleaned_data["file"], form.cleaned_data["file"].name, "boundaries", options)
            with staged.path.open("rb") as source:
                result = import_boundaries(source, staged.name, BoundaryOptions(**options), with_preview=True)
        except ImportRejected as exc:
            context["errors"] = exc.messages
            _discard_if_staged(locals())
        else:
            staged.rows = len(result.plan.rows)
            staging.save(staged)
            context.update(_preview_context(result, staged))
    return TemplateResponse(request, "geoservices/admin/import_upload.html", context)


def facility_upload_view(admin_site, request):
    """Show the facility registry upload form, its preview, and apply it on confirmation."""
    title = _("Import a facility registry")
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request, "facilities")

    form = FacilityUploadForm(request.POST or None, request.FILES or None)
    context = _context(admin_site, request, title, form=form, kind="facilities")
    if request.method == "POST" and form.is_valid():
        options = {"strict": form.cleaned_data["strict"]}
        try:
            staged = staging.stage(form.cleaned_data["file"], form.cleaned_data["file"].name, "facilities", options)
            with staged.path.open("rb") as source:
                result = import_facilities(source, staged.name, strict=options["strict"])
        except ImportRejected as exc:
            context["errors"] = exc.messages
            _discard_if_staged(locals())
        else:
            staged.rows = len(result.plan.rows)
            staging.save(staged)
            context.update(_preview_context(result, staged))
    return TemplateResponse(request, "geoservices/admin/import_upload.html", context)


def _discard_if_staged(scope: dict) -> None:
    staged = scope.get("staged")
    if staged is not None:
        staging.discard(staged.token)


def _confirm(request, kind: str):
    token = request.POST.get("token", "")
    back = reverse(f"admin:geoservices_import_{kind}")
    if "cancel" in request.POST:
        staging.discard(token)
        messages.info(request, _("The upload was cancelled; nothing was changed."))
        return HttpResponseRedirect(back)
    try:
        staged = staging.load(token, kind)
        if staged.rows > LARGE_IMPORT_ROWS:
            return _enqueue_import(request, staged)
        with staged.path.open("rb") as source:
            if kind == "boundaries":
                result = import_boundaries(source, staged.name, BoundaryOptions(**staged.options), commit=True,
                                           user=request.user)
            else:
                result = import_facilities(source, staged.name, commit=True, user=request.user, **staged.options)
    except ImportRejected as exc:
        for message in exc.messages[:20]:
            messages.error(request, message)
        staging.discard(token)
        return HttpResponseRedirect(back)
    staging.discard(token)
    messages.success(request, _("The file %(file)s was applied: %(summary)s.") % {
        "file": staged.name, "summary": counts_text(result.plan.counts())})
    return HttpResponseRedirect(reverse("admin:geoservices_importrecord_change", args=[result.record.pk]))


def _enqueue_import(request, staged):
    command = "import_boundaries" if staged.kind == "boundaries" else "import_facilities"
    options = {key: value for key, value in staged.options.items() if value not in (None, False)}
    job = enqueue(command, str(staged.path), user=request.user, commit=True, user_id=request.user.pk,
                  upload_name=staged.name, remove_staged=True, **options)
    messages.success(request, _(
        "The file %(file)s has %(rows)d rows, so it is applied by background job %(job)s. Follow its progress here."
    ) % {"file": staged.name, "rows": staged.rows, "job": job.pk})
    return HttpResponseRedirect(reverse("admin:ops_job_change", args=[job.pk]))


def road_network_upload_view(admin_site, request):
    """Store an OSM extract and queue the job that builds its road region."""
    form = RoadNetworkUploadForm(request.POST or None, request.FILES or None)
    context = _context(admin_site, request, _("Import a road network"), form=form, kind="road_network")
    if request.method != "POST" or not form.is_valid():
        return TemplateResponse(request, "geoservices/admin/road_network_upload.html", context)

    data = form.cleaned_data
    target = _store_road_network(data["file"], data["slug"])
    record = ImportRecord.objects.create(
        kind=ImportRecord.Kind.ROAD_NETWORK, target="road_region", status=ImportRecord.Status.QUEUED,
        file_name=data["file"].name[:255], user=request.user,
        messages=[_("Graph build of region %(slug)s queued.") % {"slug": data["slug"]}],
    )
    job = enqueue("build_uploaded_network", str(target), user=request.user, slug=data["slug"],
                  region_name=data["name"], record_id=record.pk,
                  osm_date=data["osm_date"].isoformat() if data["osm_date"] else None)
    ImportRecord.objects.filter(pk=record.pk).update(job=job)
    messages.success(request, _("The graph build of %(name)s was queued as job %(job)s.") % {
        "name": data["name"], "job": job.pk})
    return HttpResponseRedirect(reverse("admin:ops_job_change", args=[job.pk]))


def road_network_dir() -> Path:
    """Return the folder where uploaded OSM extracts are kept for their road regions."""
    return Path(settings.VAR_DIR) / "road_networks"


def _store_road_network(upload, slug: str) -> Path:
    name = upload.name.lower()
    suffix = ".osm.pbf" if name.endswith(".osm.pbf") else Path(name).suffix
    folder = road_network_dir()
    folder.mkdir(parents=True, exist_ok=True)
    limits = upload_limits()
    return copy_upload(upload, f"{slug}{suffix}", folder, replace(limits, max_upload_bytes=limits.max_road_network_bytes))


def data_quality_view(admin_site, request):
    """List facilities with quality flags and the families' open wrong-data reports."""
    flag = request.GET.get("flag", "")
    facilities = Facility.objects.exclude(quality_flags=[]).order_by("renaes_code")
    if flag:
        facilities = facilities.filter(quality_flags__contains=[flag])
    query = request.GET.get("q", "").strip()
    if query:
        facilities = facilities.filter(Q(renaes_code__startswith=query) | Q(name__icontains=query))
    page = Paginator(facilities.only(
        "id", "renaes_code", "name", "category", "declared_ubigeo", "spatial_ubigeo", "quality_flags",
        "is_searchable"), 100).get_page(request.GET.get("page"))
    for facility in page:
        facility.flag_descriptions = [(code, describe_flag(code)) for code in facility.quality_flags]

    flag_counts = _flag_counts()
    context = _context(
        admin_site, request, _("Data quality"),
        page=page, flag=flag, flag_description=describe_flag(flag) if flag else "", query=query,
        flag_counts=flag_counts, blocking=sorted(BLOCKING_FLAGS),
        reports=DataReport.objects.filter(status=DataReport.Status.OPEN)[:200],
        open_reports=DataReport.objects.filter(status=DataReport.Status.OPEN).count(),
        recent_imports=ImportRecord.objects.select_related("user")[:10],
    )
    return TemplateResponse(request, "geoservices/admin/data_quality.html", context)


def _flag_counts() -> list[tuple[str, str, int, bool]]:
    """Return each stored flag with its description, its number of facilities and whether it blocks search."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT flag, count(*) FROM geoservices_facility, unnest(quality_flags) AS flag GROUP BY flag ORDER BY 2 DESC"
        )
        return [(name, describe_flag(name), count, name in BLOCKING_FLAGS) for name, count in cursor.fetchall()]
