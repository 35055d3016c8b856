"""Prove the ledger's invariants; exit non-zero on any breach (for cron and CI)."""

from django.core.management.base import BaseCommand, CommandError

from points.selectors import audit_ledger


class Command(BaseCommand):
    help = "Check that the points books balance; exits non-zero on any breach."

    def handle(self, *args, **options):
        report = audit_ledger()
        self.stdout.write(
            f"transactions: {report.transactions}  entries: {report.entries}  "
            f"accounts: {report.accounts}"
        )
        balances = "  ".join(f"{kind}={total}" for kind, total in report.balance_by_kind.items())
        self.stdout.write(f"balance by kind: {balances or '-'}")
        checks = [
            ("every transaction sums to zero", report.unbalanced),
            ("cached balance = sum of entries", report.mismatched),
            ("no negative wallet or liability", report.negative),
            ("all balances sum to zero", [report.total_balance] if report.total_balance else []),
            ("one redemption per used voucher", report.vouchers_without_redemption),
            (
                "voucher liability = unused vouchers",
                [report.liability_gap] if report.liability_gap else [],
            ),
        ]
        for label, breaches in checks:
            status = "ok" if not breaches else f"BREACH ({len(breaches)}): {breaches[:20]}"
            self.stdout.write(f"  {label}: {status}")
        if not report.ok:
            raise CommandError("points ledger audit failed")
        self.stdout.write(self.style.SUCCESS("points ledger audit passed"))
