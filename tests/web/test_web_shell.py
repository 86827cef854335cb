"""Sign-in, the role-aware shell and the language switch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client

from yiwang.cases.actions import reference
from yiwang.org.actions import create_department
from yiwang.org.models import User


def login(client: Client, username: str, password: str = "test-pass-123") -> Any:
    return client.post("/login/", {"username": username, "password": password}, follow=True)


def test_login_page_is_in_chinese(client: Client, db: Any) -> None:
    page = client.get("/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "用户名" in html and "密码" in html and "登录" in html


def test_wrong_password_shows_error_and_keeps_user_out(
    client: Client, make_user: Callable[..., User], org_tree: Any
) -> None:
    user = make_user("operator", "440304001")
    page = client.post("/login/", {"username": user.username, "password": "wrong-pass"})
    assert page.status_code == 200
    assert "用户名或密码错误" in page.content.decode()
    # Unknown user names get the same message (no hint which names exist).
    page = client.post("/login/", {"username": "nobody", "password": "wrong-pass"})
    assert "用户名或密码错误" in page.content.decode()
    assert client.get("/").status_code == 302


def test_anonymous_is_sent_to_login(client: Client, db: Any) -> None:
    for url in ["/", "/map/", "/catalog/types/", "/catalog/components/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/?next="), url


def test_menu_follows_role(client: Client, make_user: Callable[..., User], org_tree: Any) -> None:
    root = User.objects.get(username="root")
    handler_dept = create_department(
        root, name="福田区水务局", kind="professional", division_code="440304"
    )
    handler = make_user("handler", "440304001", handler_dept)
    page = login(client, handler.username)
    html = page.content.decode()
    assert page.redirect_chain[-1][0] == "/"
    assert 'data-menu="map"' in html and "地图" in html
    assert 'data-menu="types"' in html and "部件事件分类" in html
    assert 'data-menu="admin"' not in html and "管理后台" not in html
    # Who is signed in, as what, for which division.
    assert "处置人员" in html and "南园街道" in html
    assert client.get("/admin/").status_code == 302

    client.post("/logout/")
    admin = make_user("admin", "440304")
    html = login(client, admin.username).content.decode()
    assert 'data-menu="admin"' in html and "管理后台" in html
    assert "系统管理员" in html and "福田区" in html


def test_logout_needs_post_and_ends_the_session(
    client: Client, make_user: Callable[..., User], org_tree: Any
) -> None:
    user = make_user("inspector", "440304001")
    login(client, user.username)
    assert client.get("/").status_code == 200
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_logout_form_is_csrf_protected(make_user: Callable[..., User], org_tree: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    user = make_user("inspector", "440304001")
    page = client.get("/login/")
    token = page.cookies["csrftoken"].value
    client.post(
        "/login/",
        {"username": user.username, "password": "test-pass-123", "csrfmiddlewaretoken": token},
    )
    assert client.get("/").status_code == 200
    assert client.post("/logout/").status_code == 403
    assert client.get("/").status_code == 200


def test_english_switch_changes_ui_text(
    client: Client, make_user: Callable[..., User], org_tree: Any
) -> None:
    user = make_user("admin", "440304")
    login(client, user.username)
    home = client.get("/").content.decode()
    assert "地图" in home and "退出登录" in home

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    home = client.get("/").content.decode()
    assert '<html lang="en">' in home
    assert ">Map<" in home and "Log out" in home and "System administrator" in home
    assert "退出登录" not in home

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "退出登录" in client.get("/").content.decode()


def test_home_counts_what_the_user_may_see(
    client: Client, make_user: Callable[..., User], demo: dict[str, Any]
) -> None:
    street_a = make_user("inspector", "440304001")
    login(client, street_a.username)
    html = client.get("/").content.decode()
    assert 'data-count="grids">1<' in html
    assert 'data-count="components">1<' in html


def test_administrators_are_warned_on_the_home_page_about_a_missing_holiday_year(
    client: Client, make_user: Callable[..., User], org_tree: Any, root: User
) -> None:
    this_year = datetime.now(ZoneInfo("Asia/Shanghai")).year
    for year in (this_year, this_year + 1):
        reference.mark_year_complete(root, year)
    admin = make_user("admin", "440304")
    inspector = make_user("inspector", "440304001")
    login(client, admin.username)
    assert "calendar-warning" not in client.get("/").content.decode()

    reference.unmark_year(root, this_year)
    html = client.get("/").content.decode()
    assert f"{this_year} 年节假日数据尚未维护" in html
    assert 'href="/admin/cases/calendarday/"' in html
    # The warning is for those who can act on it.
    client.force_login(inspector)
    assert "节假日数据尚未维护" not in client.get("/").content.decode()
