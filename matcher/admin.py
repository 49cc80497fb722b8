"""Admin for programmes and their versioned eligibility rules."""
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .eligibility import RuleError
from .forms import EligibilityRuleForm, ProgrammeForm, rule_error_message
from .models import EligibilityRule, Feedback, Programme
from .services import activate_rule_version, save_rule_version


class EligibilityRuleInline(admin.TabularInline):
    model = EligibilityRule
    fields = ["version", "is_active", "source", "created_at", "created_by", "change_note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    form = ProgrammeForm
    list_display = ["code", "name_es", "kind", "entity", "active_rule_version"]
    search_fields = ["code", "name_es", "name_en"]
    readonly_fields = ["source_sha256"]
    inlines = [EligibilityRuleInline]

    @admin.display(description=_("active rule version"))
    def active_rule_version(self, programme):
        active = programme.rules.filter(is_active=True).first()
        return active.version if active else None


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(admin.ModelAdmin):
    """Saving a changed rule stores a new version; old versions stay for the record."""

    form = EligibilityRuleForm
    list_display = ["programme", "version", "is_active", "source", "created_at", "created_by", "change_note"]
    list_filter = ["programme", "is_active", "source"]
    actions = ["activate_selected"]

    def get_readonly_fields(self, request, obj=None):
        fixed = ["version", "is_active", "source", "source_sha256", "created_at", "created_by"]
        return fixed + ["programme"] if obj is not None else fixed

    def has_delete_permission(self, request, obj=None):
        # Searches record the version they used, so versions are kept.
        return False

    def save_model(self, request, obj, form, change):
        if change and "rule" not in form.changed_data:
            EligibilityRule.objects.filter(pk=obj.pk).update(change_note=obj.change_note)
            return
        new_version = save_rule_version(
            obj.programme, obj.rule, source="admin", created_by=request.user, change_note=obj.change_note
        )
        # The admin redirects to and reports on ``obj``: point it at the new version.
        obj.pk = new_version.pk
        obj.version = new_version.version
        obj.is_active = True
        obj.created_at = new_version.created_at
        obj._state.adding = False

    @admin.action(description=_("Make the selected version the active rule"))
    def activate_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version to activate."), messages.ERROR)
            return
        rule_version = queryset.get()
        try:
            activate_rule_version(rule_version)
        except RuleError as exc:
            self.message_user(request, rule_error_message(exc), messages.ERROR)
            return
        self.message_user(
            request,
            _("Version %(version)s of %(programme)s is now active.")
            % {"version": rule_version.version, "programme": rule_version.programme.code},
        )


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    """Read-only view of what families did with results; the rows come from the API only."""

    list_display = ["created_at", "action", "renaes_code", "rank", "model_version", "insurance", "mode", "ubigeo"]
    list_filter = ["action", "model_version", "insurance", "mode"]
    search_fields = ["renaes_code", "ubigeo"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
