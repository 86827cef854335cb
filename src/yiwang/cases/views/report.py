"""Placeholder: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def new_case(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def type_picker(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
