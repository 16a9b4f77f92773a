import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cqp.settings")
application = get_wsgi_application()

# What is loaded by now (Django, the apps, the URL patterns) lives as long as the process:
# frozen, the garbage collector stops walking it at each full collection. Without it, one
# request in ten of a page building thousands of objects (a jury's 300 dossiers) paused for
# 50-100 ms.
gc.freeze()
