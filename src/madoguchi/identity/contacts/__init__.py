"""My Page's 「通知の受け取り方」: the resident's channels (LINE, SMS, Web Push beside the
account's e-mail), their order, and what went out to them. One module per channel's pages;
the contacts themselves live in notify (madoguchi.notify.models.Contact)."""
