"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os
from importlib import import_module

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avatar_site.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from personas import body_limit  # noqa: E402
from personas.access_log import AccessLogMiddleware  # noqa: E402
from personas.origin import SameOriginValidator  # noqa: E402
from personas.routing import websocket_urlpatterns  # noqa: E402

# Daphne refuses oversized request bodies before reading them (personas/body_limit.py).
body_limit.install()

application = AccessLogMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": SameOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        }
    )
)

# TensorFlow and the model code take about 3 s to import on two cores: paid here, as the
# server starts, rather than by the first chat page, which then only loads its model. (Not on
# a background thread: it would race the first chat's own import, and concurrent imports of
# TensorFlow's packages can fail.) Importing leaves TensorFlow's runtime unstarted, so
# modeling.hardware.serve_one_op_at_a_time() still takes effect.
import_module("modeling.artifact")
