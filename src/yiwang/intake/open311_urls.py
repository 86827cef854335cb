"""Open311 GeoReport v2 under /open311/v2/: each call with .json or .xml."""

from django.urls import re_path

from yiwang.intake.views import open311

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(rf"^discovery{FMT}", open311.discovery, name="open311_discovery"),
    re_path(rf"^services{FMT}", open311.services, name="open311_services"),
    re_path(
        rf"^services/(?P<code>[^/]+?){FMT}", open311.service_definition, name="open311_service"
    ),
    re_path(rf"^requests{FMT}", open311.requests, name="open311_requests"),
    re_path(rf"^requests/(?P<number>[^/]+?){FMT}", open311.request_detail, name="open311_request"),
    re_path(rf"^tokens/(?P<token>[^/]+?){FMT}", open311.token, name="open311_token"),
    re_path(rf"^servicerequestupdates{FMT}", open311.updates, name="open311_updates"),
    # Anything else under /open311/v2/ is an unknown resource, in the Open311 error shape.
    re_path(r"^(?P<path>.*)$", open311.not_found),
]
