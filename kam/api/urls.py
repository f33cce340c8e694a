from django.urls import URLPattern, include, path, re_path

from kam.api.api import api
from kam.api.errors import api_not_found, json_method_not_allowed

# Not `app_name`: Django would read a module-level name of that spelling.
_patterns, _app, _namespace = api.urls
for _pattern in _patterns:
    if isinstance(_pattern, URLPattern):
        _pattern.callback = json_method_not_allowed(_pattern.callback)

urlpatterns = [
    path("", include((_patterns, _app), namespace=_namespace)),
    # any character, a newline too: an id with one in it must still get the JSON 404
    re_path(r"^(?P<rest>(?s:.*))$", api_not_found),
]
