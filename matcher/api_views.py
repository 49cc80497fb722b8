"""API of the matcher: feedback on search results."""
import logging

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from .serializers import FeedbackSerializer

logger = logging.getLogger(__name__)


class FeedbackView(APIView):
    """``POST /api/v1/feedback/``: record what a family did with one result."""

    def post(self, request):
        serializer = FeedbackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        feedback = serializer.save()
        logger.info("Stored feedback %s (%s on rank %s)", feedback.pk, feedback.action, feedback.rank)
        return Response({"id": feedback.pk}, status=status.HTTP_201_CREATED)
