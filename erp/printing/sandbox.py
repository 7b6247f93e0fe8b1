"""User print templates: checked when saved, rendered in a sandbox when printed.

An administrator writes a template in the browser; whoever prints runs it. So
a template is never trusted:

- it is parsed and checked when it is saved (:func:`check`): the syntax, the
  files it would include (only the shipped shared parts ``base.html`` and
  ``_parts.html`` exist for it), attributes starting with ``_``, variables the
  catalog does not offer, and a trial render on example data;
- it is rendered by :class:`SafeEnvironment`, an immutable Jinja sandbox with
  autoescaping whose only attributes are the keys of the plain data it is
  given (dicts, lists, strings, numbers and dates: no objects with methods), a
  short list of filters, ``range`` of at most :data:`MAX_RANGE` numbers and
  repetition (``'x' * n``) capped by the output limit;
- it runs in a separate worker process (:func:`render_many`) with a memory
  ceiling, an output limit of :data:`MAX_OUTPUT` characters and a time limit of
  :data:`TIME_LIMIT` seconds: the worker's timer stops a template that runs
  longer, a worker that stops answering is killed, and the server's own
  threads never spend a cycle on a template.

Every refusal is a :class:`~erp.platform.errors.ValidationError` (422) with a
Russian message and a stable code (``template_*``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import multiprocessing
import re
import signal
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from importlib.resources import files
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from erp.platform.errors import ValidationError

from . import formatting

log = logging.getLogger("erp.printing")

SHARED_PARTS = ("base.html", "_parts.html")  # the only templates a user template may extend or import
MAX_BODY = 200_000         # characters of a template's text
MAX_OUTPUT = 2_000_000     # characters of one rendered document
MAX_RANGE = 10_000         # numbers in one range()
TIME_LIMIT = 3.0           # seconds a render may take, plus a little per document of a batch
STUCK_AFTER = 30.0         # more seconds before a worker that does not answer is killed
MEMORY_LIMIT = 1 << 30     # bytes of address space of a worker process

SAFE_FILTERS = ("abs", "capitalize", "count", "d", "default", "e", "escape", "first", "float", "int", "join",
                "last", "length", "list", "lower", "max", "min", "replace", "reverse", "round", "safe", "sort",
                "string", "sum", "title", "trim", "truncate", "unique", "upper", "batch", "slice", "striptags",
                "wordcount", "map", "select", "reject", "selectattr", "rejectattr", "groupby", "dictsort")


class TemplateProblem(Exception):
    """Raised inside a render: a limit the template ran into (code and Russian message)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _too_large() -> TemplateProblem:
    return TemplateProblem("template_too_large",
                           f"Шаблон выводит слишком много текста: не больше {MAX_OUTPUT:,} символов на документ"
                           .replace(",", " "))


def _safe_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateProblem("template_loop_too_long",
                              f"Слишком длинный цикл: range() даёт не больше {MAX_RANGE:,} чисел".replace(",", " "))
    return numbers


def _money(value: Any) -> str:
    return formatting.money(value) if value not in (None, "") else ""


def _quantity(value: Any) -> str:
    return formatting.quantity(value) if value not in (None, "") else ""


def _date(value: Any) -> str:
    return formatting.long_date(value) if value else ""


def _short_date(value: Any) -> str:
    return formatting.short_date(value) if value else ""


def _replace(value: Any, old: str, new: str, count: int | None = None) -> Any:
    text = str(value)
    found = text.count(str(old)) if count is None else min(count, text.count(str(old)))
    if len(text) + found * max(len(str(new)) - len(str(old)), 0) > MAX_OUTPUT:
        raise _too_large()
    return jinja2.filters.do_replace(jinja2.runtime.EvalContext(_environment()), value, old, new,
                                     -1 if count is None else count)


def _join(value: Iterable[Any], separator: str = "", attribute: Any = None) -> Any:
    items = list(value)
    if len(items) * len(str(separator)) > MAX_OUTPUT:
        raise _too_large()
    return jinja2.filters.do_join(jinja2.runtime.EvalContext(_environment()), items, separator, attribute)


class SafeEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox of user templates: plain data only, size-capped operators."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # The data are dicts and lists: their keys are read with obj[key]; no method of any object is offered,
        # only the loop's own counters (loop.index) and the macros of the shared parts.
        if attr.startswith("_"):
            return False
        return isinstance(obj, jinja2.runtime.LoopContext | jinja2.environment.TemplateModule)

    def is_safe_callable(self, obj: Any) -> bool:
        return super().is_safe_callable(obj) and not isinstance(obj, type)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > MAX_OUTPUT:
                    raise _too_large()
        if operator == "**" and isinstance(left, int | float) and isinstance(right, int | float) \
                and abs(left) > 1 and right > 0 and right * math.log10(abs(left)) > 18:
            raise TemplateProblem("template_number_too_large", "Слишком большое число в шаблоне (возведение в степень)")
        if operator == "+" and isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple) \
                and len(left) + len(right) > MAX_OUTPUT:
            raise _too_large()
        return super().call_binop(context, operator, left, right)


class _PartsLoader(jinja2.BaseLoader):
    """Serves the shipped shared parts and nothing else: no file of the server is reachable."""

    def get_source(self, environment: jinja2.Environment, template: str):
        if template not in SHARED_PARTS:
            raise TemplateProblem("template_file_access",
                                  f"Шаблон не может подключать файлы: «{template}» (можно только "
                                  + ", ".join(SHARED_PARTS) + ")")
        text = files("erp.printing").joinpath("templates", template).read_text(encoding="utf-8")
        return text, None, lambda: True


@functools.cache
def _environment() -> SafeEnvironment:
    env = SafeEnvironment(loader=_PartsLoader(), autoescape=True, undefined=jinja2.StrictUndefined,
                          trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    kept = {name: env.filters[name] for name in SAFE_FILTERS if name in env.filters}
    env.filters.clear()
    env.filters.update(kept, money=_money, quantity=_quantity, long_date=_date, short_date=_short_date,
                       replace=_replace, join=_join, time=formatting.clock)
    env.tests = {name: env.tests[name] for name in ("defined", "undefined", "none", "number", "string", "even",
                                                     "odd", "divisibleby", "eq", "ne", "lt", "le", "gt", "ge",
                                                     "in", "sequence", "mapping", "true", "false", "boolean")
                 if name in env.tests}
    env.globals = {"range": _safe_range}
    return env


GLOBALS = frozenset({"range"})


# -- checking a template when it is saved ----------------------------------------------------------------------------

def _fail(code: str, message: str, **details: Any) -> ValidationError:
    return ValidationError(message, code=code, details={"fields": {"body": message}, **details})


def parse(body: str) -> nodes.Template:
    if len(body) > MAX_BODY:
        raise _fail("template_too_long", f"Текст шаблона длиннее {MAX_BODY:,} символов".replace(",", " "))
    try:
        return _environment().parse(body)
    except jinja2.TemplateSyntaxError as exc:
        raise _fail("template_syntax", f"Ошибка в шаблоне, строка {exc.lineno}: {russian(exc.message or '')}",
                    line=exc.lineno) from None


_MESSAGES = ((re.compile(r"No filter named '([^']+)'\.?"), "нет фильтра «{}»"),
             (re.compile(r"No test named '([^']+)'\.?"), "нет проверки «{}»"),
             (re.compile(r"Encountered unknown tag '([^']+)'.*", re.S), "неизвестная команда «{}»"),
             (re.compile(r"unexpected end of template.*", re.S | re.I), "шаблон оборвался: не закрыт блок {{% ... %}}"),
             (re.compile(r"unexpected '([^']+)'"), "лишний символ «{}»"),
             (re.compile(r"unexpected char '(.+)' at \d+"), "недопустимый символ «{}»"))


def russian(message: str) -> str:
    """Jinja's commonest syntax messages in Russian; the rest as Jinja says them."""
    for pattern, text in _MESSAGES:
        found = pattern.match(message)
        if found:
            return text.format(*found.groups())
    return message


def _path(node: nodes.Node) -> tuple[str, list[str]] | None:
    """``client.name`` → ``("client", ["name"])``; None when the chain does not start at a name."""
    keys: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            keys.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            keys.append(node.arg.value)
            node = node.node
        elif isinstance(node, nodes.Name):
            return node.name, keys[::-1]
        else:
            return None


def check(body: str, catalog: Mapping[str, Any], user_variables: Iterable[str] = ()) -> nodes.Template:
    """Refuse, before it is stored, what would fail or be refused at print time.

    ``catalog`` is the tree of variables the document kind offers: a name maps
    to its description string (a value) or to a dict of its keys; a list's
    items are described by ``{"[]": {...}}``."""
    tree = parse(body)
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        target = node.template
        if not (isinstance(target, nodes.Const) and target.value in SHARED_PARTS):
            name = target.value if isinstance(target, nodes.Const) else "…"
            raise _fail("template_file_access", f"Шаблон не может подключать файлы: «{name}» (можно только "
                        + ", ".join(SHARED_PARTS) + ")", line=node.lineno)
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        attr = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if isinstance(attr, str) and attr.startswith("_"):
            raise _fail("template_unsafe", f"Строка {node.lineno}: обращение к служебному атрибуту «{attr}» "
                        "запрещено", line=node.lineno)
    try:
        _environment().compile(tree)
    except jinja2.TemplateSyntaxError as exc:  # an unknown filter or test
        raise _fail("template_syntax", f"Ошибка в шаблоне, строка {exc.lineno}: {russian(exc.message or '')}",
                    line=exc.lineno) from None
    known = set(catalog) | set(user_variables) | GLOBALS | _declared(tree)
    unknown = sorted(meta.find_undeclared_variables(tree) - known)
    if unknown:
        raise _fail("template_unknown_variable", "Неизвестные переменные: " + ", ".join(unknown)
                    + ". Выберите переменную из списка справа", variables=unknown)
    wrong = sorted(_unknown_keys(tree, catalog))
    if wrong:
        raise _fail("template_unknown_variable", "Неизвестные переменные: " + ", ".join(wrong)
                    + ". Выберите переменную из списка справа", variables=wrong)
    return tree


def _declared(tree: nodes.Template) -> set[str]:
    """Names the template itself defines (imports, macros, ``set``): blocks of a child
    template see them through the context, so Jinja's own tracking counts them as undeclared."""
    out: set[str] = set()
    for node in tree.find_all((nodes.FromImport, nodes.Import, nodes.Macro, nodes.Name)):
        if isinstance(node, nodes.FromImport):
            out |= {name[1] if isinstance(name, tuple) else name for name in node.names}
        elif isinstance(node, nodes.Import):
            out.add(node.target)
        elif isinstance(node, nodes.Macro) or node.ctx in ("store", "param"):
            out.add(node.name)
    return out


def _unknown_keys(tree: nodes.Template, catalog: Mapping[str, Any]) -> set[str]:
    """``client.nmae`` and the like: keys under catalog variables that the catalog does not have.
    A loop variable over a catalog list (``{% for line in lines %}``) is checked against its items."""
    bound: dict[str, Any] = {}
    for loop in tree.find_all(nodes.For):
        found = _path(loop.iter)
        if found and isinstance(loop.target, nodes.Name):
            spec = _lookup(catalog, *found)
            if isinstance(spec, dict) and "[]" in spec:
                bound[loop.target.name] = spec["[]"]
    wrong: set[str] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        found = _path(node)
        if not found:
            continue
        name, keys = found
        scope = catalog if name in catalog else ({name: bound[name]} if name in bound else None)
        if scope is None:
            continue
        spec: Any = scope[name]
        for i, key in enumerate(keys):
            if isinstance(spec, dict) and "[]" in spec and key.isdigit():
                spec = spec["[]"]
            elif isinstance(spec, dict) and key in spec:
                spec = spec[key]
            else:
                if isinstance(spec, dict):
                    wrong.add(".".join([name, *keys[:i + 1]]))
                break
    return wrong


def _lookup(catalog: Mapping[str, Any], name: str, keys: list[str]) -> Any:
    spec: Any = catalog.get(name)
    for key in keys:
        if not isinstance(spec, dict) or key not in spec:
            return None
        spec = spec[key]
    return spec


# -- rendering, in a worker process ------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _compiled(body: str) -> jinja2.Template:
    return _environment().from_string(body)


def _render_one(template: jinja2.Template, variables: Mapping[str, Any]) -> str:
    out: list[str] = []
    size = 0
    for chunk in template.generate(**variables):
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise _too_large()
        out.append(chunk)
    return "".join(out)


def _fill(template: jinja2.Template, variables: Mapping[str, Any], combined: Mapping[str, str]) -> str:
    """The document's HTML; the administrator's combined variables are filled first, with the same data."""
    if combined:
        own = {name: Markup(_render_one(_compiled(text), variables)) for name, text in combined.items()}
        variables = {**variables, **own}
    return _render_one(template, variables)


def _alarm(_signum: int, _frame: Any) -> None:
    raise TemplateProblem("template_timeout", f"Шаблон заполнялся дольше {_seconds:g} с и был остановлен: "
                                              "проверьте циклы")


_seconds = TIME_LIMIT


def render_here(body: str, documents: Sequence[Mapping[str, Any]], combined: Mapping[str, str] | None = None,
                seconds: float | None = None) -> list[str] | tuple[str, str]:
    """Each document's HTML, or ``(code, message)`` of the first problem. Runs in the worker,
    whose own timer stops the render after ``seconds`` (the time to start a worker or to wait
    for a busy one is not the template's)."""
    global _seconds
    timed = seconds is not None and threading.current_thread() is threading.main_thread()
    if timed:
        _seconds = seconds or TIME_LIMIT
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, _seconds)
    try:
        template = _compiled(body)
        return [_fill(template, variables, combined or {}) for variables in documents]
    except TemplateProblem as exc:
        return exc.code, exc.message
    except SecurityError:
        return "template_unsafe", "Шаблон обращается к тому, что ему недоступно (служебные атрибуты и методы)"
    except jinja2.UndefinedError as exc:
        return "template_undefined", f"В шаблоне неизвестное значение: {exc.message}"
    except jinja2.TemplateSyntaxError as exc:
        return "template_syntax", f"Ошибка в шаблоне, строка {exc.lineno}: {russian(exc.message or '')}"
    except MemoryError:
        return "template_too_large", "Шаблону не хватило памяти: он строит слишком большой текст"
    except RecursionError:
        return "template_too_deep", "Шаблон вызывает сам себя слишком глубоко"
    except Exception as exc:  # the administrator's code: any failure is reported, never a 500
        return "template_error", f"Ошибка при заполнении шаблона: {type(exc).__name__}: {exc}"[:500]
    finally:
        if timed:
            signal.setitimer(signal.ITIMER_REAL, 0)


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    except (ImportError, ValueError, OSError):  # not on this platform, or a lower limit is already set
        pass
    _environment()


_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _workers() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"), initializer=_limit_memory)
        return _pool


def _kill(pool: ProcessPoolExecutor) -> None:
    """Stop a pool whose render ran over its time: its processes are killed, a new pool starts on the next render."""
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _timed_out() -> ValidationError:
    return ValidationError(f"Шаблон заполнялся дольше {TIME_LIMIT:g} с и был остановлен: проверьте циклы",
                           code="template_timeout")


async def render_many(body: str, documents: Sequence[Mapping[str, Any]],
                      combined: Mapping[str, str] | None = None) -> list[str]:
    """Each document's HTML through ``body``, in a worker process, within the limits.

    The worker stops a render that runs over :data:`TIME_LIMIT` itself; a worker that does
    not answer within :data:`STUCK_AFTER` more seconds (stuck in one long C call, or never
    started) is killed, and the next render starts a new one."""
    limit = TIME_LIMIT + 0.02 * len(documents)
    for attempt in (1, 2):
        pool = _workers()
        future = asyncio.wrap_future(pool.submit(render_here, body, list(documents), dict(combined or {}), limit))
        try:
            result = await asyncio.wait_for(future, limit + STUCK_AFTER)
        except TimeoutError:
            _kill(pool)
            raise _timed_out() from None
        except BrokenProcessPool:
            # Another render's timeout killed the pool under this one (or the worker died): once more on a new one.
            _kill(pool)
            if attempt == 2:
                raise ValidationError("Шаблон не удалось заполнить: процесс печати шаблонов остановился",
                                      code="template_worker_failed") from None
            continue
        if isinstance(result, tuple):
            code, message = result
            raise ValidationError(message, code=code, details={"fields": {"body": message}})
        return result
    raise AssertionError("unreachable")


async def render(body: str, variables: Mapping[str, Any]) -> str:
    [html] = await render_many(body, [variables])
    return html
