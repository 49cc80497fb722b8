"""Validation of the feedback that the family page posts about a result."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from geoservices.models import Facility
from geoservices.serializers import validate_need_codes
from geoservices.vocabulary import FAMILY_MODE_CHOICES, INSURANCE_CHOICES, TRAVEL_TIME_SOURCES

from .models import Feedback, SearchImpression


class FeedbackSerializer(serializers.ModelSerializer):
    """One action on one result. Unknown fields are rejected, so no personal data slips in."""

    action = serializers.ChoiceField(
        choices=Feedback.ACTION_CHOICES,
        error_messages={"invalid_choice": _("Unknown action “{input}”. Use opened, called, routed, "
                                            "attended or not_attended.")},
    )
    renaes_code = serializers.RegexField(
        r"^\d{8}$", error_messages={"invalid": _("A RENAES code has 8 digits, for example 00005908.")}
    )
    rank = serializers.IntegerField(
        min_value=1, max_value=200,
        error_messages={"min_value": _("The rank starts at 1 for the first result."),
                        "max_value": _("The rank must be 200 or less.")},
    )
    results_count = serializers.IntegerField(min_value=1, max_value=200, required=False, allow_null=True)
    needs = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=13)
    insurance = serializers.ChoiceField(choices=INSURANCE_CHOICES, required=False)
    mode = serializers.ChoiceField(choices=FAMILY_MODE_CHOICES, required=False)
    travel_time_min = serializers.FloatField(min_value=0, max_value=24 * 60, required=False, allow_null=True)
    travel_time_source = serializers.ChoiceField(choices=[(source, source) for source in TRAVEL_TIME_SOURCES],
                                                 required=False)
    ubigeo = serializers.RegexField(
        r"^\d{6}$", required=False,
        error_messages={"invalid": _("A ubigeo has 6 digits, for example 150132.")},
    )
    search_id = serializers.UUIDField(
        source="search", required=False,
        error_messages={"invalid": _("The search id must be the one that came with the results.")},
    )

    class Meta:
        model = Feedback
        fields = ["action", "renaes_code", "rank", "results_count", "model_version", "needs", "insurance",
                  "mode", "travel_time_min", "travel_time_source", "ubigeo", "search_id"]

    def to_internal_value(self, data):
        if isinstance(data, dict):
            extra = sorted(set(data) - set(self.fields))
            if extra:
                raise serializers.ValidationError(
                    {extra[0]: [_("Field “%(field)s” is not accepted. Send only: %(fields)s.")
                                % {"field": extra[0], "fields": ", ".join(self.fields)}]}
                )
        return super().to_internal_value(data)

    def validate_renaes_code(self, renaes_code):
        if not Facility.objects.filter(renaes_code=renaes_code).exists():
            raise serializers.ValidationError(
                _("No facility has the RENAES code %(code)s. Send the code of a result you were shown.")
                % {"code": renaes_code}
            )
        return renaes_code

    def validate_needs(self, needs):
        return validate_need_codes(needs)

    def validate_search_id(self, token):
        impression = SearchImpression.objects.filter(token=token).first()
        if impression is None:
            raise serializers.ValidationError(
                _("No search has the id %(id)s. Send the id that came with the results.") % {"id": token}
            )
        return impression

    def validate(self, attrs):
        impression = attrs.get("search")
        if impression is not None:
            shown = {candidate["renaes_code"] for candidate in impression.candidates}
            if attrs["renaes_code"] not in shown:
                raise serializers.ValidationError(
                    {"renaes_code": [_("The facility %(code)s was not among the results of this search.")
                                     % {"code": attrs["renaes_code"]}]}
                )
        if attrs.get("results_count") and attrs["rank"] > attrs["results_count"]:
            raise serializers.ValidationError(
                {"rank": [_("Rank %(rank)s is beyond the %(count)s results shown.")
                          % {"rank": attrs["rank"], "count": attrs["results_count"]}]}
            )
        return attrs
