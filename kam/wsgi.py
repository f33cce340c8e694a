import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
application = get_wsgi_application()

# `kam serve` (runserver) and gunicorn both load this module: warm the dashboard,
# and again whenever another process (an import from the command line) changes it.
from kam.web.views import changes_watch_start, serving_start  # noqa: E402  (after set-up)

serving_start()
changes_watch_start()
