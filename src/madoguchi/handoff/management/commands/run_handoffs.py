"""`madoguchi run_handoffs`: the loop that delivers hand-offs to the business systems and
retries them (several may run: each hand-off is claimed on its own, handoff/services.py).

Needed in both modes: with `worker` it delivers everything, with `inline` it retries what the
request's own attempt did not deliver. SIGTERM and Ctrl-C finish the delivery in flight
(core/workers.py).
"""

from madoguchi.core.workers import DeliveryCommand
from madoguchi.handoff.services import deliver_pending


class Command(DeliveryCommand):
    help = "Deliver hand-offs to the business systems; with --once, one pass and exit."
    worker_name = "hand-off worker"
    deliver = staticmethod(deliver_pending)
