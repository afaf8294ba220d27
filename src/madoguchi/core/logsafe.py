"""No answer value in any log line or error report.

Where values leaked: not through tracebacks' source lines (code only) but through exception
messages. Python and Django quote the offending value (`Invalid isoformat string: '1990-02-30'`,
`KeyError: '山田'`, PostgreSQL's `Key (email)=(…) already exists`), and the request logger
printed that message under every 500. Scrubbing messages case by case cannot be complete, so
the rule is structural: a log record carries the code locations and the exception types, never
an exception's message.

- `configure` (settings.LOGGING_CONFIG) applies the LOGGING dict and installs a log-record
  factory, so the rule holds for every logger and handler, including ones added later: the
  traceback is rendered at once without messages into `exc_text` and `exc_info` is dropped; an
  exception passed as the message or as an argument becomes its type name, and a dict, list or
  tuple argument (answers, SQL parameters under DEBUG) its type and size.
- `NoValuesReporterFilter` / `NoValuesExceptionReporter` (Django's exception-reporter hooks)
  keep POST values, frame locals and, with DEBUG off, the exception message out of error
  e-mails and reports.

Hand-written because the standard library and Django offer the hooks but no such policy; each
part is a thin subclass or wrapper of theirs.
"""

import logging
import logging.config
import traceback

from django.conf import settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

WITHHELD = "(message withheld: it may quote personal data)"


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def scrubbed_traceback(exc: BaseException) -> str:
    """The traceback with frames and source lines (code) and each exception's type only."""
    chain, seen = [], set()
    current = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    parts = []
    for index, item in enumerate(reversed(chain)):
        if index:
            parts.append("\nThe above exception led to the following exception:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.StackSummary.extract(traceback.walk_tb(item.__traceback__),
                                                    capture_locals=False).format())
        parts.append(f"{_type_name(item)} {WITHHELD}\n")
    return "".join(parts).rstrip("\n")


def _safe_arg(value):
    """An exception becomes its type; a container (answers, SQL parameters) its type and size."""
    if isinstance(value, BaseException):
        return f"<{_type_name(value)}>"
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        return f"<{type(value).__name__} of {len(value)} withheld>"
    return value


def _scrub(record: logging.LogRecord) -> logging.LogRecord:
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = scrubbed_traceback(record.exc_info[1])
        record.exc_info = None
    if isinstance(record.msg, BaseException):
        record.msg = f"<{_type_name(record.msg)}>"
    if isinstance(record.args, tuple):
        record.args = tuple(_safe_arg(arg) for arg in record.args)
    elif isinstance(record.args, dict) and "%(" not in str(record.msg):
        record.args = (_safe_arg(record.args),)  # logging unpacked a lone dict argument
    return record


_previous_factory = None


def _factory(*args, **kwargs) -> logging.LogRecord:
    return _scrub(_previous_factory(*args, **kwargs))


def install_record_factory() -> None:
    global _previous_factory
    current = logging.getLogRecordFactory()
    if current is not _factory:
        _previous_factory = current
        logging.setLogRecordFactory(_factory)


def configure(config: dict) -> None:
    """settings.LOGGING_CONFIG: the LOGGING dict, then the scrubbing record factory."""
    logging.config.dictConfig(config)
    install_record_factory()


class NoValuesReporterFilter(SafeExceptionReporterFilter):
    """Every POST value and every frame's local variables are hidden, not only named ones."""

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return {key: self.cleansed_substitute for key in request.POST}

    def get_traceback_frame_variables(self, request, tb_frame):
        return []


class NoValuesExceptionReporter(ExceptionReporter):
    """With DEBUG off (error e-mails), the exception's message is withheld too."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if not settings.DEBUG:
            data["exception_value"] = WITHHELD
            for frame in data.get("frames", []):
                frame["exc_cause"] = None
        return data
