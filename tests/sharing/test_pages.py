"""The sharing pages render for the people who use them."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import login

HTML = {"accept": "text/html"}


def test_a_consumer_sees_the_sharing_pages_in_the_navigation(client: TestClient) -> None:
    login(client, "consumer")

    assert 'href="/sharing"' in client.get("/", headers=HTML).text
    listing = client.get("/sharing", params={"role": "consumer"}, headers=HTML)
    grants = client.get("/sharing/grants", headers=HTML)

    assert listing.status_code == 200 and "暂无共享申请" in listing.text
    assert grants.status_code == 200 and "暂无共享授权" in grants.text


def test_a_provider_opens_the_data_return_form(client: TestClient) -> None:
    login(client, "provider")

    page = client.get("/sharing/return", headers=HTML)

    assert page.status_code == 200 and "数据回流" in page.text
