"""Language selection: Spanish unless the user chose English.

Pages ignore the browser's Accept-Language header, because many phones in
Peru are set to English while their owners read Spanish. The language switch
on the page sets a cookie, and that cookie wins. The API follows the standard
order (cookie, then Accept-Language), so clients can ask for English per request.
"""
from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

API_PREFIX = "/api/"


def request_language(request) -> str:
    """Return the language for ``request``: the cookie's, then (API only) Accept-Language, else Spanish."""
    if request.path.startswith(API_PREFIX):
        return translation.get_language_from_request(request, check_path=False)
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    supported = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in supported else settings.LANGUAGE_CODE


class SpanishFirstLocaleMiddleware(LocaleMiddleware):
    """Activate the cookie's language on pages, else ``LANGUAGE_CODE``; the API also reads Accept-Language."""

    def process_request(self, request):
        translation.activate(request_language(request))
        request.LANGUAGE_CODE = translation.get_language()
