"""Admin for places, facilities, services and insurance, plus the staff import and data-quality pages."""
from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from leaflet.admin import LeafletGeoAdmin

from .imports import views as import_views
from .imports.display import counts_text, restore_sentence
from .imports.errors import ImportRejected
from .imports.versions import latest_applied, restore
from .models import (
    DataLoad, DataReport, Department, District, Facility, FacilityService, ImportRecord, InsuranceAcceptance, Need,
    PopulatedPlace, Province, SearchRecord, Service,
)
from .quality_flags import describe_flag
from .vocabulary import CATEGORIES, INSURANCE_CHOICES

INSURANCE_CODES = [code for code, _label in INSURANCE_CHOICES]


@admin.register(Department)
class DepartmentAdmin(LeafletGeoAdmin):
    list_display = ("ubigeo", "name", "poverty_rate")
    search_fields = ("ubigeo", "name")


@admin.register(Province)
class ProvinceAdmin(LeafletGeoAdmin):
    list_display = ("ubigeo", "name", "department", "poverty_rate")
    list_filter = ("department",)
    search_fields = ("ubigeo", "name")


@admin.register(District)
class DistrictAdmin(LeafletGeoAdmin):
    list_display = ("ubigeo", "name", "province", "population_2017", "poverty_rate")
    list_filter = ("province__department",)
    search_fields = ("ubigeo", "search_name")
    readonly_fields = ("search_name",)


@admin.register(PopulatedPlace)
class PopulatedPlaceAdmin(LeafletGeoAdmin):
    list_display = ("code", "name", "ubigeo", "is_urban")
    search_fields = ("code", "search_name")
    list_filter = ("is_urban",)


class FacilityForm(forms.ModelForm):
    """Facility edits checked like imports: an 8-digit RENAES code and a MINSA category."""

    class Meta:
        model = Facility
        fields = "__all__"

    def clean_renaes_code(self):
        code = self.cleaned_data["renaes_code"].strip()
        if not (code.isdigit() and len(code) == 8):
            raise forms.ValidationError(_(
                "The RENAES code %(code)s must have 8 digits, with leading zeros (e.g. 00007050)."
            ) % {"code": code})
        return code

    def clean_category(self):
        category = self.cleaned_data["category"].strip().upper()
        if category and category not in CATEGORIES:
            raise forms.ValidationError(_(
                "%(value)s is not a MINSA category. Use one of %(categories)s, or leave it empty."
            ) % {"value": category, "categories": ", ".join(CATEGORIES)})
        return category


@admin.register(Facility)
class FacilityAdmin(LeafletGeoAdmin):
    form = FacilityForm
    list_display = ("renaes_code", "name", "category", "institution", "spatial_ubigeo", "is_searchable", "flags")
    list_filter = ("is_searchable", "category", "institution", "is_operating")
    search_fields = ("renaes_code", "name")
    readonly_fields = ("spatial_ubigeo", "quality_flags", "is_searchable", "sources")

    @admin.display(description=gettext_lazy("quality flags"))
    def flags(self, facility):
        described = ((code, describe_flag(code)) for code in facility.quality_flags)
        return format_html_join("; ", '<span title="{}">{}</span>', described)

    def get_urls(self):
        quality = path(
            "data-quality/",
            self.admin_site.admin_view(lambda request: import_views.data_quality_view(self.admin_site, request)),
            name="geoservices_data_quality",
        )
        return [quality, *super().get_urls()]


class ServiceForm(forms.ModelForm):
    """Services may only name the MINSA categories."""

    class Meta:
        model = Service
        fields = "__all__"

    def clean_categories(self):
        categories = [value.strip().upper() for value in self.cleaned_data["categories"]]
        unknown = [value for value in categories if value not in CATEGORIES]
        if unknown:
            raise forms.ValidationError(_(
                "%(values)s are not MINSA categories. Use only %(categories)s."
            ) % {"values": ", ".join(unknown), "categories": ", ".join(CATEGORIES)})
        return categories


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    form = ServiceForm
    list_display = ("code", "name_es", "name_en", "categories")
    search_fields = ("code", "name_es", "name_en")


@admin.register(FacilityService)
class FacilityServiceAdmin(admin.ModelAdmin):
    list_display = ("facility", "service", "offered", "inferred")
    list_filter = ("service", "offered", "inferred")
    search_fields = ("facility__renaes_code", "facility__name")
    raw_id_fields = ("facility",)

    def save_model(self, request, obj, form, change):
        # An admin's correction is kept when services are inferred again from categories.
        obj.inferred = False
        super().save_model(request, obj, form, change)


@admin.register(Need)
class NeedAdmin(admin.ModelAdmin):
    list_display = ("code", "name_es", "is_urgent", "sort_order")
    filter_horizontal = ("services",)


class InsuranceAcceptanceForm(forms.ModelForm):
    """Insurance codes must be the ones the search form offers."""

    class Meta:
        model = InsuranceAcceptance
        fields = "__all__"

    def clean_insurance(self):
        insurance = self.cleaned_data["insurance"].strip()
        if insurance not in INSURANCE_CODES:
            raise forms.ValidationError(_(
                "%(value)s is not an insurance code. Use one of %(codes)s."
            ) % {"value": insurance, "codes": ", ".join(INSURANCE_CODES)})
        return insurance


@admin.register(InsuranceAcceptance)
class InsuranceAcceptanceAdmin(admin.ModelAdmin):
    form = InsuranceAcceptanceForm
    list_display = ("institution", "insurance", "terms")
    list_filter = ("institution", "insurance")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by loaders and searches; admins read them but do not edit them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DataLoad)
class DataLoadAdmin(ReadOnlyAdmin):
    list_display = ("loader", "loaded_at", "source_sha256")


@admin.register(SearchRecord)
class SearchRecordAdmin(ReadOnlyAdmin):
    list_display = ("created_on", "ubigeo", "insurance", "mode", "household_size", "results_count")
    list_filter = ("created_on", "mode", "insurance")


@admin.register(DataReport)
class DataReportAdmin(admin.ModelAdmin):
    list_display = ("created_at", "renaes_code", "topic", "status", "reviewed_by")
    list_filter = ("status", "topic")
    search_fields = ("renaes_code",)
    readonly_fields = ("renaes_code", "topic", "comment", "created_at", "reviewed_by")

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        obj.reviewed_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ImportRecord)
class ImportRecordAdmin(ReadOnlyAdmin):
    """The audit log, with the upload pages and the restore button."""

    list_display = (
        "created_at", "kind", "target", "status", "file_name", "user", "rows_changed_column", "restore_link",
    )
    list_filter = ("kind", "status", "target")
    search_fields = ("file_name", "file_sha256")
    fields = (
        "kind", "target", "status", "file_name", "file_sha256", "user", "created_at", "counts_list",
        "messages_list", "restores", "job",
    )
    readonly_fields = ("counts_list", "messages_list")
    change_list_template = "geoservices/admin/importrecord_change_list.html"

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("rows changed"))
    def rows_changed_column(self, record):
        return record.rows_changed

    @admin.display(description=gettext_lazy("row counts"))
    def counts_list(self, record):
        return counts_text(record.counts) or "—"

    @admin.display(description=gettext_lazy("messages"))
    def messages_list(self, record):
        if not record.messages:
            return "—"
        items = format_html_join("", "<li>{}</li>", ((message,) for message in record.messages))
        return format_html("<ul>{}</ul>", items)

    @admin.display(description=gettext_lazy("restore"))
    def restore_link(self, record):
        if latest_applied(record.target) != record:
            return ""
        url = reverse("admin:geoservices_import_restore", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, _("Restore previous version"))

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(lambda request, *args: function(self.admin_site, request, *args))

        urls = [
            path("upload-boundaries/", view(import_views.boundary_upload_view), name="geoservices_import_boundaries"),
            path("upload-facilities/", view(import_views.facility_upload_view), name="geoservices_import_facilities"),
            path("upload-road-network/", view(import_views.road_network_upload_view),
                 name="geoservices_import_road_network"),
            path("<int:record_id>/restore/", self.admin_site.admin_view(self.restore_view),
                 name="geoservices_import_restore"),
        ]
        return urls + super().get_urls()

    def restore_view(self, request, record_id: int):
        """Ask for confirmation, then restore the rows an import replaced."""
        record = self.get_object(request, str(record_id))
        if record is None:
            return HttpResponseRedirect(reverse("admin:geoservices_importrecord_changelist"))
        if request.method != "POST":
            context = {**self.admin_site.each_context(request), "title": _("Restore previous version"),
                       "record": record, "opts": self.model._meta}
            return self._render_restore(request, context)
        try:
            restored = restore(record, request.user)
        except ImportRejected as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, restore_sentence(record.file_name, restored.counts))
        return HttpResponseRedirect(reverse("admin:geoservices_importrecord_changelist"))

    def _render_restore(self, request, context):
        return TemplateResponse(request, "geoservices/admin/import_restore.html", context)
