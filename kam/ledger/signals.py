from django.dispatch import Signal

# Sent after a ledger import commits: kwargs `store`, `years` (calendar years touched) and
# `clients` (the ledger ids of the clients whose lines were added or removed), each None
# when unknown (everything is then refreshed).
ledger_changed = Signal()
