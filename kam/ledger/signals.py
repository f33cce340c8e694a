from django.dispatch import Signal

# Sent after a ledger import commits: kwargs `store` and `years` (calendar years touched).
ledger_changed = Signal()
