"""Placeholder: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def workbench(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def worklist_page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
