"""Payment of fees (手数料): online right after 「申請する」, after review (事後決済), at the
counter, and the city's books (領収書, 還付, 収納消込). See docs/payments.md."""
