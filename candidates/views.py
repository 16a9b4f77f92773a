"""Placeholder: being written (pages of the candidates issue)."""

from django.views.generic import View


class DossierListView(View):
    pass


class DossierOpenView(View):
    pass


class DossierDetailView(View):
    pass


class DossierSubmitView(View):
    pass


class DossierWithdrawView(View):
    pass


class DocumentUploadView(View):
    pass


class DocumentDownloadView(View):
    pass


class DocumentReplaceView(View):
    pass


class DocumentDeleteView(View):
    pass


class AcquiredUnitsView(View):
    pass


class ProfileView(View):
    pass
