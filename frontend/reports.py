"""Families' reports that a facility's data is wrong, for the admins' review queue."""
import logging
import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from geoservices.models import DataReport, Facility

logger = logging.getLogger(__name__)

#: Runs of 7 or more digits look like a DNI (8 digits) or a phone number, so they are not stored.
LONG_NUMBER = re.compile(r"\d[\d .-]{5,}\d")


def scrub_comment(comment: str) -> str:
    """Replace long digit runs in a family's comment, so no ID or phone number is stored."""
    return LONG_NUMBER.sub(lambda match: "[…]" if len(re.sub(r"\D", "", match.group())) >= 7 else match.group(),
                           comment).strip()


class TopicField(serializers.ChoiceField):
    """The report's topic. An empty choice is a missing topic, not an unknown one."""

    def to_internal_value(self, data):
        if data in ("", None):
            self.fail("required")
        return super().to_internal_value(data)


class DataReportSerializer(serializers.ModelSerializer):
    """A report on one facility: a topic and an optional short comment."""

    renaes_code = serializers.RegexField(
        r"^\d{8}$", error_messages={"invalid": _("A RENAES code has 8 digits, for example 00005908.")}
    )
    topic = TopicField(
        choices=DataReport.Topic.choices,
        error_messages={
            # DRF fills {input} with str.format, not %-formatting.
            "invalid_choice": _("Unknown topic “{input}”. Choose what is wrong from the list."),
            "required": _("Choose a topic: what is wrong with this facility's data."),
            "null": _("Choose a topic: what is wrong with this facility's data."),
        },
    )
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)

    class Meta:
        model = DataReport
        fields = ["renaes_code", "topic", "comment"]

    def validate_renaes_code(self, renaes_code):
        if not Facility.objects.filter(renaes_code=renaes_code, is_searchable=True).exists():
            raise serializers.ValidationError(
                _("No facility shown to families has the RENAES code %(code)s. Report a facility from the results.")
                % {"code": renaes_code}
            )
        return renaes_code

    def validate_comment(self, comment):
        return scrub_comment(comment)


class DataReportView(APIView):
    """``POST /report-data/``: store a wrong-data report in the review queue."""

    def post(self, request):
        serializer = DataReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = serializer.save()
        logger.info("Stored data report %s (%s) on facility %s", report.pk, report.topic, report.renaes_code)
        return Response({"id": report.pk}, status=status.HTTP_201_CREATED)
