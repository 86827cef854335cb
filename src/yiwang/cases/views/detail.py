"""Placeholder: being written."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse


def case_page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def transition(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def upload_photo(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404


def photo(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    raise Http404
