# Madoguchi — the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
export MADOGUCHI_VAR_DIR ?= $(CURDIR)/var

.PHONY: design-tokens run test install messages translations pdf-fonts lint bench reliability clean demo-data browser-deps card-deps bench-deps bench-scale lighthouse-deps interop

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed messages

# The pages' translations: locale/*/LC_MESSAGES/django.po compiled to .mo (not kept in git) with
# GNU gettext's msgfmt, installed from Debian when missing and we may (root + apt).
PO_FILES := $(wildcard src/madoguchi/locale/*/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
messages: $(MO_FILES)

# After changing strings in the code: add new messages to every language's .po file (and the
# content's new texts to the overlay files). Translators then fill the empty msgstr (docs/i18n.md).
TRANSLATED := ja_Easy en zh_Hans ko vi pt_BR
translations: install
	cd src/madoguchi && ../../$(BIN)/madoguchi makemessages $(addprefix -l ,$(TRANSLATED)) \
	  -e html,txt,py --ignore 'locale/*' --ignore 'i18n/*' --no-wrap
	$(BIN)/madoguchi content_messages
%.mo: %.po | $(BIN)/python
	@command -v msgfmt >/dev/null || { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; \
	  else echo "msgfmt is missing: install Debian's 'gettext' package" >&2; exit 1; fi; }
	msgfmt --check-format -o $@ $<

# One machine: SQLite, the outbox delivered in-process, e-mails printed to this terminal. A
# `run_outbox` loop runs beside the web server (and stops with it) to retry what was not sent.
# A run_handoffs loop beside it retries hand-offs to the business systems; the demo city's
# 児童手当 and 子ども医療費 cases are exported as files into $(MADOGUCHI_VAR_DIR)/handoff/demo/
# (catalog/municipalities/demo/handoff.yaml).
# Card and コンビニ払い go to a local server speaking Stripe's protocol (tests/payments/
# stripe_server.py, on STRIPE_PORT, its checkout page a test card form), PayPay to one speaking
# PayPay's (paypay_server.py, on PAYPAY_PORT), and the payment reconciliation job runs every
# minute beside them (the deadline reminders every hour; in production a daily timer).
# デジタル認証アプリ goes to the local OpenID provider (identity/oidc/testing_provider.py, on
# DIGITAL_AUTH_PORT) in its interactive mode: the demo shows the app's
# hand-off page (the card's PIN, 「許可する」) for login and for signing 住民票の写し, which it signs
# with a certificate from the demo's test CA. Its settings (issuer, client id, redirect URI, the
# relying party's key files under $(MADOGUCHI_VAR_DIR)/digital-auth, sign endpoint) are what the
# provider prints with --settings-only, kept in $(MADOGUCHI_VAR_DIR)/digital-auth.env.
# Notices go to residents on LINE and by SMS through local servers speaking LINE's Messaging API
# (tests/notify/line_server.py, on LINE_PORT) and Twilio's (tests/notify/sms_server.py, on
# SMS_PORT), set up for デモ市 with `madoguchi channel set`; e-mail is printed to this terminal.
STRIPE_PORT ?= 8010
PAYPAY_PORT ?= 8011
DIGITAL_AUTH_PORT ?= 8012
SMS_PORT ?= 8013
LINE_PORT ?= 8014
DIGITAL_AUTH_ARGS = --host $(HOST) --port $(DIGITAL_AUTH_PORT) \
  --redirect-uri http://$(HOST):$(PORT)/login/digital-auth/callback/ \
  --client-keys $(MADOGUCHI_VAR_DIR)/digital-auth
run: install
	@# Without the fonts (no root to install them) the demo still runs; PDFs fall back to Japanese glyphs.
	-@$(MAKE) --no-print-directory pdf-fonts
	mkdir -p $(MADOGUCHI_VAR_DIR)
	$(BIN)/madoguchi migrate --noinput -v0
	$(BIN)/madoguchi load_demo --city all --port $(PORT)
	$(BIN)/madoguchi load_queue_demo --city demo
	$(BIN)/madoguchi load_queue_demo --city town
	$(BIN)/madoguchi register_generate --residents 2000 --if-empty
	$(BIN)/madoguchi test_ca
	$(BIN)/madoguchi seal_test_ca --city demo --city town
	MADOGUCHI_OUTBOX_MODE=worker $(BIN)/madoguchi load_casework_demo --city demo  # its mails wait for run_outbox
	for city in demo town; do $(BIN)/madoguchi load_payments_demo --city $$city \
	  --stripe-url http://$(HOST):$(STRIPE_PORT) --paypay-url http://$(HOST):$(PAYPAY_PORT) || exit 1; done
	$(BIN)/madoguchi load_insights_demo --city demo --if-empty  # a year of history and its figures (insights/demo.py)
	$(BIN)/madoguchi channel set demo sms --config api_base=http://$(HOST):$(SMS_PORT) --config from=+15005550006 \
	  --config status_callback=http://$(HOST):$(PORT)/notify/hooks/sms/ \
	  --secret account_sid=AC00000000000000000000000000000001 --secret auth_token=madoguchi-local-twilio-token --enable
	$(BIN)/madoguchi channel set demo line --config api_base=http://$(HOST):$(LINE_PORT) \
	  --config dialog_base=http://$(HOST):$(LINE_PORT) --config add_friend_url=http://$(HOST):$(LINE_PORT)/friend \
	  --config basic_id=@madoguchi-demo --secret channel_access_token=local-line-channel-access-token \
	  --secret channel_secret=local-line-channel-secret --enable
	$(BIN)/madoguchi push_keys --city demo --subject mailto:webmaster@demo.localhost --if-missing
	$(BIN)/python -m madoguchi.identity.oidc.testing_provider $(DIGITAL_AUTH_ARGS) --settings-only \
	  > $(MADOGUCHI_VAR_DIR)/digital-auth.env
	@echo ""
	@echo "  Two demo cities on one deployment (*.localhost reaches this machine in a browser, no set-up):"
	@echo "    デモ市:  http://demo.localhost:$(PORT)/  (also http://$(HOST):$(PORT)/, the default city)"
	@echo "    デモ町:  http://town.localhost:$(PORT)/  (its own departments, staff, colour and procedures)"
	@echo "    portal: http://portal.localhost:$(PORT)/  (the prefecture's shared site: choose your city by name or reading)"
	@echo "    city administrators: /staff/city/ as city-admin (デモ市) or town-admin (デモ町); the system administrator: /system/ as admin"
	@echo ""
	@echo "  On each city's site (デモ市's shown; デモ町's staff are town-shimin-tanto, town-kodomo-kacho …):"
	@echo "    residents:  http://$(HOST):$(PORT)/            (log in by e-mail code; the code is printed below)"
	@echo "    手続ナビ:    http://$(HOST):$(PORT)/navi/        (life events → the list of procedures)"
	@echo "    queue:      http://$(HOST):$(PORT)/queue/       (kiosk /queue/kiosk/, display /queue/display/, clerks /queue/staff/)"
	@echo "    staff:      http://$(HOST):$(PORT)/staff/       (kodomo-tanto / kodomo-kacho, shimin-tanto …; password demo-pass-2026)"
	@echo "    register:   http://$(HOST):$(PORT)/staff/register/  (2,000 synthetic residents of デモ市; 山田 family at 本町2丁目3番4号)"
	@echo "    counter:    http://$(HOST):$(PORT)/staff/counter/   (書かない窓口, as shimin-tanto; the visitor's tablet at /counter/tablet/)"
	@echo "    payments:   card / コンビニ払い through a local Stripe-protocol server at http://$(HOST):$(STRIPE_PORT)/ (any card number),"
	@echo "                PayPay through a local PayPay-protocol server at http://$(HOST):$(PAYPAY_PORT)/"
	@echo "    SMS:        a local Twilio-protocol server at http://$(HOST):$(SMS_PORT)/ prints each SMS (the code to type); 090-0000-0003 is reported undelivered → e-mail"
	@echo "    LINE:       a local LINE-platform server: My Page → 通知の受け取り方 → LINEで受け取る → 友だち追加 at http://$(HOST):$(LINE_PORT)/friend; its /chat is the talk"
	@echo "    insights:   http://$(HOST):$(PORT)/staff/insights/  (as bunseki or city-admin: a year of synthetic history; public dashboard /insights/, open data /opendata/)"
	@echo "    API docs:   http://$(HOST):$(PORT)/api/docs"
	@echo "    card:       make a test My Number card with  $(BIN)/madoguchi card issue --help"
	@echo "    デジタル認証アプリ: a local stand-in at http://$(HOST):$(DIGITAL_AUTH_PORT)/ (interactive: PIN 4 digits to log in,"
	@echo "                6–16 capitals/digits e.g. ABC123 to sign); log in at /login/ or sign 住民票の写し on a phone (デモ市)"
	@echo ""
	MADOGUCHI_DEBUG=1 MADOGUCHI_PUBLIC_URL=http://$(HOST):$(PORT) \
	MADOGUCHI_EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend \
	sh -c 'set -a; . "$(MADOGUCHI_VAR_DIR)/digital-auth.env"; set +a; \
	       $(BIN)/madoguchi run_outbox & outbox=$$!; \
	       $(BIN)/madoguchi run_handoffs & handoffs=$$!; \
	       $(BIN)/python tests/payments/stripe_server.py --host $(HOST) --port $(STRIPE_PORT) \
	         --webhook http://$(HOST):$(PORT)/payments/webhooks/stripe/ & stripe=$$!; \
	       $(BIN)/python tests/payments/paypay_server.py --host $(HOST) --port $(PAYPAY_PORT) \
	         --webhook-url http://$(HOST):$(PORT)/payments/webhooks/paypay/ & paypay=$$!; \
	       $(BIN)/python tests/notify/sms_server.py --host $(HOST) --port $(SMS_PORT) \
	         --undelivered +819000000003=30003 & sms=$$!; \
	       $(BIN)/python tests/notify/line_server.py --host $(HOST) --port $(LINE_PORT) \
	         --webhook-url http://$(HOST):$(PORT)/notify/line/webhook/ & line=$$!; \
	       $(BIN)/python -m madoguchi.identity.oidc.testing_provider $(DIGITAL_AUTH_ARGS) \
	         --jpki-dir "$${MADOGUCHI_JPKI_DIR:-$(MADOGUCHI_VAR_DIR)/jpki-ca}" --interactive >/dev/null & digitalauth=$$!; \
	       while sleep 60; do $(BIN)/madoguchi reconcile_payments >/dev/null; done & reconcile=$$!; \
	       while sleep 3600; do $(BIN)/madoguchi send_deadline_reminders >/dev/null; done & deadlines=$$!; \
	       trap "kill $$outbox $$handoffs $$stripe $$paypay $$sms $$line $$digitalauth $$reconcile $$deadlines 2>/dev/null" EXIT INT TERM; \
	       $(BIN)/madoguchi runserver $(HOST):$(PORT)'

# The デジタル庁デザインシステム's colour tokens (npm @digital-go-jp/design-tokens, MIT), vendored as
# core/branding_tokens.json and the brand stylesheets: fetched with npm, checked, rewritten.
DESIGN_TOKENS_VERSION ?= 1.1.9
design-tokens: install
	tmp=$$(mktemp -d) && cd $$tmp && npm pack -q @digital-go-jp/design-tokens@$(DESIGN_TOKENS_VERSION) >/dev/null \
	  && cd $(CURDIR) && $(BIN)/madoguchi design_tokens $$tmp/digital-go-jp-design-tokens-$(DESIGN_TOKENS_VERSION).tgz; \
	  status=$$?; rm -rf $$tmp; exit $$status

# Browser tests need Debian's Chromium and a Japanese font (pages and screenshots show real
# glyphs, as on residents' devices); install them when missing and we may (root + apt).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ -z "$$(fc-list :lang=ja 2>/dev/null)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-ipafont-gothic >/dev/null; \
	  else echo "Chromium or a Japanese font is missing: install Debian's 'chromium' and 'fonts-ipafont-gothic' packages for the browser tests" >&2; exit 1; fi; \
	fi

# PDFs in Korean, Chinese, Vietnamese and other Latin-script languages need fonts beyond
# IPAexGothic (core/pdf/fonts.py: TrueType, since ReportLab cannot embed Noto Sans CJK's CFF
# outlines); same rule as above.
PDF_FONT_FILES := /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf \
	/usr/share/fonts/truetype/nanum/NanumGothic.ttf /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
pdf-fonts:
	@if ! ls $(PDF_FONT_FILES) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core fonts-nanum fonts-wqy-microhei >/dev/null; \
	  else echo "Fonts for PDFs in other languages are missing: install Debian's 'fonts-noto-core', 'fonts-nanum' and 'fonts-wqy-microhei' packages" >&2; exit 1; fi; \
	fi

# Card tests need SoftHSM2 (software cards) and OpenSC (real readers); same rule as above.
card-deps:
	@if [ ! -e /usr/lib/softhsm/libsofthsm2.so ] || ! command -v softhsm2-util >/dev/null \
	    || [ ! -e /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 opensc >/dev/null; \
	  else echo "SoftHSM2/OpenSC are missing: install Debian's 'softhsm2' and 'opensc' packages for the card tests" >&2; exit 1; fi; \
	fi

# The production-shape benchmark (bench/shape.py) puts Debian's nginx in front; same rule as above.
bench-deps:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else echo "nginx is missing: install Debian's 'nginx' package for the production-shape benchmark" >&2; exit 1; fi; \
	fi

# Lighthouse for bench/lighthouse.py: the npm package pinned by bench/lighthouse/package-lock.json
# (npm ci when node_modules is missing or older than the lock), Debian's Node and Chromium.
lighthouse-deps: browser-deps
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	  else echo "npm is missing: install Debian's 'nodejs' and 'npm' packages for the Lighthouse benchmark" >&2; exit 1; fi; \
	fi
	@cd bench/lighthouse && if [ ! -x node_modules/.bin/lighthouse ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  npm ci --no-audit --no-fund --loglevel=error; fi

test: install pdf-fonts browser-deps card-deps bench-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/pytest -q $(PYTEST_ARGS)

# The デジタル認証アプリ client against oidc-provider (npm, pinned in tests/interop/package-lock.json),
# an independently written, OpenID-certified provider set up as the Digital Agency documents it.
interop: install
	cd tests/interop && npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/pytest -q -p no:cacheprovider tests/interop/interop_oidc_provider.py

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

# bench/run.py: HTTP throughput under Locust; bench/identity.py: card verification and login
# on one core. Each rewrites only its own part of docs/benchmarks.md.
bench: install bench-deps lighthouse-deps
	$(BIN)/python bench/run.py
	$(BIN)/python bench/identity.py
	$(BIN)/python bench/search_quality.py
	$(BIN)/python bench/navigator.py
	$(BIN)/python bench/counter_queue.py
	$(BIN)/python bench/register.py
	$(BIN)/python bench/streams.py
	$(BIN)/python bench/payments.py
	$(BIN)/python bench/notices.py
	$(BIN)/python bench/deliveries.py
	$(BIN)/python bench/cities.py --if-empty
	$(BIN)/python bench/insights.py
	$(BIN)/python bench/lighthouse.py

# The staff queue at ten million cases on PostgreSQL: bench/scale_generate.py fills the database
# madoguchi_scale once (tens of minutes; --if-empty leaves a filled one as it is), then
# bench/scale_queue.py times the queue pages, a case page and the staff API on it.
bench-scale: install
	$(BIN)/python bench/scale_generate.py --if-empty
	$(BIN)/python bench/scale_queue.py

# docs/reliability.md: kill -9 of mail workers and of gunicorn workers during real work on
# PostgreSQL (127.0.0.1:5432), counting what was lost or repeated. About ten minutes.
reliability: install
	$(BIN)/python bench/reliability_outbox.py
	$(BIN)/python bench/reliability_submissions.py

clean:
	rm -rf $(VENV) var build *.egg-info src/*.egg-info
