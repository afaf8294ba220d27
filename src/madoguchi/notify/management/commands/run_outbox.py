"""`madoguchi run_outbox`: the loop that delivers queued notifications (several may run).

It is needed in both outbox modes: with `worker` it sends everything, with `inline` it retries
what the request's own attempt did not send (a failed relay, or a process killed between the
commit and the send). Each mail is claimed, sent and marked on its own (notify.services), so
`kill -9` repeats at most the one mail in flight. SIGTERM and Ctrl-C finish that mail first
(core/workers.py).
"""

from madoguchi.core.workers import DeliveryCommand
from madoguchi.notify.services import deliver_pending


class Command(DeliveryCommand):
    help = "Deliver queued notifications; with --once, one pass and exit."
    worker_name = "outbox worker"
    done_word = "sent"
    deliver = staticmethod(deliver_pending)
