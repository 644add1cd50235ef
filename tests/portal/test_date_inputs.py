"""Every date and datetime input renders an ISO value in both interface languages (#15).

Browsers drop a ``<input type="date">`` value that is not ``YYYY-MM-DD`` (and a
``datetime-local`` value that is not ``YYYY-MM-DDTHH:MM``), so a localized value such as
``2026/12/07`` loses the date on every reload. The formats live in one place
(``FORMAT_MODULE_PATH``); these tests render every form field with a date widget that our
apps declare, every model date field as the Wagtail admin builds it, and a real page.
"""

import datetime
import importlib
import pkgutil
import re
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils import translation
from wagtail.admin.forms.models import formfield_for_dbfield

from projects import services
from projects.enums import ApplicationStep
from tests.factories.organizations import MembershipFactory, RegionFactory
from tests.factories.projects import ServiceItemFactory, make_call
from tests.projects.conftest import valid_answers

LANGUAGES = ["zh-hans", "en"]
APPS = ("portal", "projects", "organizations", "funding")
DAY = datetime.date(2026, 12, 7)
MOMENT = datetime.datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
ISO = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "datetime-local": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$"),
    # Wagtail's own pickers are text inputs with a JavaScript chooser.
    "text": re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?$"),
}
SKIPPED_MODULES = (".migrations", ".management", ".settings", "wsgi", "asgi")
INPUT = re.compile(r'<input type="([\w-]+)"[^>]*?value="([^"]*)"')


def _import_everything():
    for package in APPS:
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, f"{package}."):
            if any(part in info.name for part in SKIPPED_MODULES):
                continue
            importlib.import_module(info.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _date_fields_of_our_forms():
    _import_everything()
    seen = set()
    for form_class in _subclasses(forms.BaseForm):
        if not form_class.__module__.startswith(APPS) or form_class in seen:
            continue
        seen.add(form_class)
        for name, field in getattr(form_class, "base_fields", {}).items():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                yield f"{form_class.__module__}.{form_class.__qualname__}.{name}", field


def _date_fields_of_our_models():
    for model in apps.get_models():
        if not model.__module__.startswith(APPS):
            continue
        for db_field in model._meta.concrete_fields:
            if isinstance(db_field, models.DateField) and db_field.editable:
                label = f"{model._meta.label}.{db_field.name}"
                yield label, formfield_for_dbfield(db_field)


def _rendered_value(field, name):
    value = MOMENT if isinstance(field, forms.DateTimeField) else DAY
    html = field.widget.render(name, field.prepare_value(value))
    match = INPUT.search(html)
    assert match, html
    return match.groups()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_form_date_input_renders_iso(language):
    fields = dict(_date_fields_of_our_forms())
    bad = {}

    with translation.override(language):
        for label, field in fields.items():
            input_type, value = _rendered_value(field, label)
            if not ISO.get(input_type, ISO["text"]).match(value):
                bad[label] = (input_type, value)

    assert {
        "projects.forms.BasicForm.start_date",
        "projects.forms.ScreeningForm.deadline",
        "projects.delivery.forms.ReportForm.period_end",
        "organizations.incubation_forms.AssessmentForm.assessed_on",
        "organizations.incubation_forms.StageForm.on_date",
        "funding.admin_forms.OfflineDonationForm.received_on",
    } <= set(fields)
    assert bad == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_admin_model_date_input_renders_iso(language):
    fields = [(label, f) for label, f in _date_fields_of_our_models() if f is not None]
    bad = {}

    with translation.override(language):
        for label, field in fields:
            input_type, value = _rendered_value(field, label)
            if not ISO.get(input_type, ISO["text"]).match(value):
                bad[label] = (input_type, value)

    assert len(fields) >= 10
    assert bad == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_datetime_local_value_is_local_time_iso(language):
    field = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    utc = MOMENT.astimezone(datetime.UTC)

    with translation.override(language):
        input_type, value = _rendered_value_of(field, utc)

    assert (input_type, value) == ("datetime-local", "2026-12-07T09:30")


def _rendered_value_of(field, value):
    return INPUT.search(field.widget.render("x", field.prepare_value(value))).groups()


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_application_step_reload_keeps_saved_dates(client, site_pages, language):
    member = MembershipFactory()
    application = services.start_application(
        call=make_call(), organization=member.organization, by=member.user
    )
    answers = valid_answers(region_id=RegionFactory().pk, item_id=ServiceItemFactory().pk)
    services.save_step_answers(
        application=application,
        step=ApplicationStep.BASIC,
        answers=answers[ApplicationStep.BASIC],
        by=member.user,
    )
    client.force_login(member.user)
    with translation.override(language):
        url = reverse(
            "projects:application_step",
            kwargs={"pk": application.pk, "step": ApplicationStep.BASIC},
        )

    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="date" name="start_date" value="2027-01-01"' in html
    assert 'type="date" name="end_date" value="2027-12-31"' in html
