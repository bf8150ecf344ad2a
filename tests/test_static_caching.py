"""What the browser may keep: versioned files (assets linked with `?m=`, Dash's icon with `?v=`) for
a year, so a wall or a desk does not fetch them again with every page or click; the rest as before."""
from __future__ import annotations

import pytest


@pytest.fixture
def client(app_client):
    return app_client


def test_versioned_assets_and_the_icon_are_kept_a_year(client):
    for url in ("/assets/cockpit.css?m=1700000000.0", "/_favicon.ico?v=4.4.1"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.cache_control.max_age == 365 * 24 * 3600, url


def test_unversioned_files_and_answers_are_not(client):
    assert client.get("/assets/cockpit.css").cache_control.max_age != 365 * 24 * 3600
    assert client.get("/_favicon.ico").cache_control.max_age is None
    assert client.get("/_dash-layout").headers["Cache-Control"] == "no-store"
