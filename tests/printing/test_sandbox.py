"""Issue 18 point 3: a user template runs in a sandbox. What it may touch is plain data;
files, private attributes, methods, endless loops and huge texts end in a Russian message
with a stable code, and the server keeps serving while a runaway template is stopped."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from erp.platform.errors import ValidationError
from erp.printing import sandbox, variables

DATA = {"client": {"name": "<b>Иванов</b>", "phone": "+7 900"}, "lines": [{"name": "Приём"}, {"name": "Анализ"}],
        "secret_holder": {"name": "x"}}


def here(body: str) -> list[str] | tuple[str, str]:
    return sandbox.render_here(body, [DATA])


def test_values_are_escaped_and_loops_work():
    assert here("{{ client.name }}: {% for l in lines %}{{ loop.index }}.{{ l.name }} {% endfor %}") == [
        "&lt;b&gt;Иванов&lt;/b&gt;: 1.Приём 2.Анализ "]


@pytest.mark.parametrize(("body", "code"), [
    ("{{ ''.__class__ }}", "template_unsafe"),
    ("{{ client.__class__.__mro__ }}", "template_unsafe"),
    ("{{ lines.append('x') }}", "template_unsafe"),
    ("{{ client.items() }}", "template_unsafe"),
    ("{{ range.__globals__ }}", "template_unsafe"),
    ("{{ (lines|first).keys() }}", "template_unsafe"),
    ("{% include '/etc/passwd' %}", "template_file_access"),
    ("{% import 'render.py' as r %}{{ r }}", "template_file_access"),
    ("{% for i in range(10**9) %}x{% endfor %}", "template_loop_too_long"),
    ("{{ 'x' * 10**9 }}", "template_too_large"),
    ("{{ [1] * 10**9 }}", "template_too_large"),
    ("{{ 10 ** 100 }}", "template_number_too_large"),
    ("{% set a = 'x' * 100000 %}{% for i in range(10000) %}{{ a }}{% endfor %}", "template_too_large"),
    ("{{ range(10000)|join('x' * 100000) }}", "template_too_large"),
    ("{{ ('x' * 1000000)|replace('x', 'xxxxx') }}", "template_too_large"),
    ("{{ client|attr('name') }}", "template_syntax"),
    ("{{ nothing_here }}", "template_undefined"),
])
def test_what_a_template_may_not_do_is_refused_with_a_code(body, code):
    result = here(body)
    assert isinstance(result, tuple) and result[0] == code, result
    assert "root:" not in result[1] and "/etc" not in result[1].replace("«/etc/passwd»", "")


@pytest.mark.parametrize(("body", "code", "text"), [
    ("{{ ''.__class__ }}", "template_unsafe", "«__class__» запрещено"),
    ("{{ client['__class__'] }}", "template_unsafe", "«__class__» запрещено"),
    ("{% include '/etc/passwd' %}", "template_file_access", "«/etc/passwd»"),
    ("{% extends 'base.html' %}{% block content %}{{ clinet }}{% endblock %}", "template_unknown_variable",
     "clinet"),
    ("{{ client.nmae }}", "template_unknown_variable", "client.nmae"),
    ("{% for l in lines %}{{ l.price }}{% endfor %}", "template_unknown_variable", "l.price"),
    ("{{ total|frobnicate }}", "template_syntax", "нет фильтра «frobnicate»"),
])
def test_the_check_on_save_finds_it_in_the_text(body, code, text):
    catalog = {"client": {"name": "", "phone": ""}, "lines": {"[]": {"name": ""}}, "total": ""}
    with pytest.raises(ValidationError) as refused:
        sandbox.check(body, catalog)
    assert refused.value.code == code and text in refused.value.message, refused.value.message


def test_the_standard_templates_pass_the_check():
    from erp.printing import templates_store
    from erp.printing.forms import FORMS

    for name in ("invoice", "act", "contract"):
        sandbox.check(templates_store.shipped_text(name), variables.tree())
    assert {"invoice", "act", "contract", "client-contract"} <= set(FORMS)


async def test_an_endless_template_is_stopped_and_the_server_keeps_serving(monkeypatch):
    monkeypatch.setattr(sandbox, "TIME_LIMIT", 1.0)
    endless = ("{% for i in range(9999) %}{% for j in range(9999) %}{% for k in range(9999) %}{% endfor %}"
               "{% endfor %}{% endfor %}")
    await sandbox.render("{{ client.name }}", DATA)  # a started worker: starting one is not the template's time
    ticks: list[float] = []

    async def heartbeat():
        while True:
            ticks.append(time.monotonic())
            await asyncio.sleep(0.05)

    beating = asyncio.create_task(heartbeat())
    started = time.monotonic()
    with pytest.raises(ValidationError) as stopped:
        await sandbox.render(endless, DATA)
    elapsed = time.monotonic() - started
    beating.cancel()
    assert stopped.value.code == "template_timeout" and "был остановлен" in stopped.value.message
    assert 0.9 < elapsed < 3, elapsed
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) >= 15 and max(gaps) < 0.5, "the event loop kept running while the template was stopped"
    # The worker serves the next render.
    assert await sandbox.render("{{ client.phone }}", DATA) == "+7 900"
