import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from projects import services
from projects.enums import NeedStatus
from projects.models import CommunityNeed, NeedSupport
from tests.factories.organizations import RegionFactory, UserFactory
from tests.factories.projects import CommunityNeedFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def _staff():
    from django.contrib.auth.models import Group

    from organizations.roles import PROGRAMME_OFFICER

    officer = UserFactory(username="need-officer")
    officer.groups.add(Group.objects.get_or_create(name=PROGRAMME_OFFICER)[0])
    return officer


def test_resident_posts_need_with_photo_and_it_waits_for_moderation(client, site_pages):
    resident = UserFactory()
    region = RegionFactory()
    client.force_login(resident)

    response = client.post(
        reverse("projects:need_create"),
        {
            "title": "楼道照明坏了",
            "description": "三号楼楼道灯坏了半年，老人夜里出行不便。",
            "region": region.pk,
            "people_affected": "60",
            "photos": [SimpleUploadedFile("light.png", _png(), content_type="image/png")],
        },
    )

    need = CommunityNeed.objects.get()
    assert response.status_code == 302
    assert need.status == NeedStatus.PENDING
    assert need.author == resident
    assert need.photos.get().content_type == "image/png"
    assert list(client.get(reverse("projects:need_list")).context["needs"]) == []


def test_need_form_errors_keep_input(client, site_pages):
    client.force_login(UserFactory())

    response = client.post(
        reverse("projects:need_create"),
        {"title": "楼道照明坏了", "description": "灯坏了", "people_affected": "-1"},
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="楼道照明坏了"' in html
    assert "请更正以下问题" in html


def test_pending_need_and_its_photo_are_hidden_from_public(client, site_pages):
    need = CommunityNeedFactory(status=NeedStatus.PENDING)

    page = client.get(need.get_absolute_url())

    assert page.status_code == 404


def test_support_is_one_per_user(client, site_pages):
    need = CommunityNeedFactory()
    resident = UserFactory()
    client.force_login(resident)
    url = reverse("projects:need_support", kwargs={"pk": need.pk})

    client.post(url)
    second = client.post(url, follow=True)

    assert NeedSupport.objects.filter(need=need).count() == 1
    assert "您已经支持过该需求" in second.content.decode()


def test_support_unique_in_database(site_pages):
    need = CommunityNeedFactory()
    resident = UserFactory()
    NeedSupport.objects.create(need=need, user=resident)

    with pytest.raises(IntegrityError), transaction.atomic():
        NeedSupport.objects.create(need=need, user=resident)


def test_merge_moves_supports_and_redirects(client, site_pages):
    officer = _staff()
    target = CommunityNeedFactory()
    duplicate = CommunityNeedFactory()
    shared, only_dup = UserFactory(), UserFactory()
    NeedSupport.objects.create(need=target, user=shared)
    NeedSupport.objects.create(need=duplicate, user=shared)
    NeedSupport.objects.create(need=duplicate, user=only_dup)

    services.merge_need(need=duplicate, into=target, by=officer)

    supporters = set(target.supports.values_list("user_id", flat=True))
    assert supporters == {shared.pk, only_dup.pk, duplicate.author_id}
    response = client.get(duplicate.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == target.get_absolute_url()


def test_need_page_lists_projects_addressing_it(client, site_pages):
    need = CommunityNeedFactory(title="独居老人吃饭难")
    project = ProjectFactory(title="长者饭堂")
    project.addressed_needs.add(need)

    response = client.get(need.get_absolute_url())

    html = response.content.decode()
    assert "长者饭堂" in html
    assert "回应该需求的项目" in html


def test_need_page_in_english(client, site_pages):
    need = CommunityNeedFactory()

    response = client.get("/en" + need.get_absolute_url())

    assert "Projects addressing this need" in response.content.decode()


def test_need_list_query_count_same_for_one_and_three(
    client, django_assert_num_queries, site_pages
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    CommunityNeedFactory()
    client.force_login(UserFactory())
    url = reverse("projects:need_list")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    CommunityNeedFactory()
    CommunityNeedFactory()

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)

    assert len(response.context["needs"]) == 3


def test_call_targets_needs_shown_on_call_page(client, site_pages):
    from tests.factories.projects import make_call

    need = CommunityNeedFactory(title="社区缺少四点半课堂")
    call = make_call()
    call.target_needs.add(need)
    call.save()

    response = client.get(call.url)

    assert "社区缺少四点半课堂" in response.content.decode()
