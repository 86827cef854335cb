"""The served OpenAPI document is one that Swagger UI and client generators can read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicated, f"duplicated keys in the OpenAPI document: {duplicated}"
    return dict(pairs)


@pytest.mark.django_db
def test_the_document_has_no_duplicated_key_and_declares_error_statuses(client: Client) -> None:
    answer = client.get("/api/openapi.json")
    assert answer.status_code == 200
    # Swagger UI stops with "duplicated mapping key" on {"404": ..., "404": ...}.
    document = json.loads(answer.content, object_pairs_hook=_refuse_duplicates)
    assert document["openapi"].startswith("3.")
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert {"400", "403", "404"} <= set(operation["responses"]), (method, path)
