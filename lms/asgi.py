"""
The one application uvicorn serves: HTTP through Django's WSGI handler, WebSockets through Channels.

Pages and the API are synchronous Django code. Under Django's own ASGI handler every request hops
between the event loop and a worker thread once per middleware (each `MiddlewareMixin` runs
`process_request`/`process_response` through `sync_to_async`); a2wsgi runs the whole request in
one pool thread instead. Measured with `python -m bench pages` on the same machine and run, the
bare one-query view answers ~2.3 times as many requests per second this way (README, "Benchmarks").
WebSockets stay on Channels' ASGI consumers, in the same process and event loop.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.base")

# Sets Django up before anything imports models.
django_wsgi_app = get_wsgi_application()

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from lms.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": WSGIMiddleware(django_wsgi_app, workers=settings.WEB_THREADS),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
