"""What the benchmark resident submits; shared by prepare.py (checks it) and locustfile.py.

Plain data only: no Django, no Locust, so both sides can import it.
"""

PROCEDURE = "dog-registration-change"
MUNICIPALITY = "demo"

# HealthProbeUsers that run beside the residents, each calling GET /api/health PROBE_RATE
# times a second (enough samples for a p99 in a 30 s run, a few % of the server's capacity).
PROBE_USERS = 2
PROBE_RATE = 5

# Complete, valid answers for the current form of dog-registration-change (a move within
# the city: the branch with one conditional field, old_address).
ANSWERS = {
    "owner_name": "髙橋 﨑子",
    "owner_kana": "たかはし さきこ",
    "owner_postal_code": "892-0816",
    "owner_address": "鹿児島県鹿児島市山下町11番1号",
    "owner_phone": "099-224-1111",
    "registration_number": "R5-12345",
    "dog_name": "ポチ",
    "change_kind": "owner_address",
    "change_date": "2025-04-01",
    "old_address": "鹿児島県鹿児島市東千石町1番1号",
}
