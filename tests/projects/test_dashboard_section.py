import pytest


@pytest.mark.django_db
def test_dashboard_lists_the_members_applications(client, application, user):
    application.title = "长者饭堂暖心助餐"
    application.save(update_fields=["title"])
    client.force_login(user)

    html = client.get("/me/").content.decode()

    assert "我的申请" in html
    assert application.get_absolute_url() in html


@pytest.mark.django_db
def test_dashboard_application_section_has_constant_queries(
    client, call, member, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from projects import services
    from tests.factories.organizations import MembershipFactory

    client.force_login(member.user)
    services.start_application(call=call, organization=member.organization, by=member.user)
    client.get("/me/")  # warm per-process caches (site root paths, locales)
    with CaptureQueriesContext(connection) as one:
        client.get("/me/")
    for _ in range(2):
        other = MembershipFactory(user=member.user).organization
        services.start_application(call=call, organization=other, by=member.user)

    with CaptureQueriesContext(connection) as three:
        client.get("/me/")

    assert len(three) == len(one), [q["sql"][:120] for q in three.captured_queries]
