from django.middleware.locale import LocaleMiddleware


class FrenchFirstLocaleMiddleware(LocaleMiddleware):
    """French unless the user chose another language (cookie), whatever the browser says.

    The product serves French branches; a browser left in English would otherwise switch
    staff and candidates to English without their asking.
    """

    def process_request(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
