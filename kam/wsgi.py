import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kam.settings")
application = get_wsgi_application()

# `kam serve` (runserver) and gunicorn both load this module: warm the dashboard.
from kam.web.views import serving_start  # noqa: E402  (after the set-up above)

serving_start()
