"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

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
