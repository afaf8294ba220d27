"""On PostgreSQL, every queue change committed sends `NOTIFY madoguchi_queue`.

The streams of the display and the phone page wait on `LISTEN madoguchi_queue` (one connection
per server process, queueing.events). A trigger rather than a call in each service: every
writer of the change log (a clerk's page in a WSGI worker, a management command, a future
import) notifies, and PostgreSQL delivers the notice only when the transaction commits, so a
screen never reads a change that was rolled back. The payload is "<group id>:<change id>";
listeners read the log itself, so a lost notice costs a delay, never a change. SQLite has no
NOTIFY: there the streams poll the log.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION queueing_queuechange_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('madoguchi_queue', NEW.group_id::text || ':' || NEW.id::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS queueing_queuechange_notify ON queueing_queuechange;
CREATE TRIGGER queueing_queuechange_notify AFTER INSERT ON queueing_queuechange
    FOR EACH ROW EXECUTE FUNCTION queueing_queuechange_notify();
"""
DROP = """
DROP TRIGGER IF EXISTS queueing_queuechange_notify ON queueing_queuechange;
DROP FUNCTION IF EXISTS queueing_queuechange_notify();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("queueing", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
