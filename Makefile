# The two commands: `make run` and `make test`. Everything else is a helper of those.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SERVICES := intake assessment planning guidance notifications audit
PACKAGES := contracts libs $(addprefix services/,$(SERVICES)) guide
INSTALL_INPUTS := requirements-dev.txt deploy/requirements.txt $(addsuffix /pyproject.toml,$(PACKAGES))

.PHONY: run stop status logs tail verify test test-unit test-load venv infra infra-down schemas bench mutate clean mail

run: venv ## Kafka, PostgreSQL and every service in the background, with demo clients; prints where they are
	$(PY) -m deploy up --services
	eval "$$($(PY) -m deploy env intake)" && $(PY) -m intake.demo --url "http://$$INTAKE_HTTP_HOST:$$INTAKE_HTTP_PORT" --count 12
	eval "$$($(PY) -m deploy env assessment)" && $(PY) -m assessment.demo --url "http://$$ASSESSMENT_HTTP_HOST:$$ASSESSMENT_HTTP_PORT"
	eval "$$($(PY) -m deploy env planning)" && $(PY) -m planning.demo --url "http://$$PLANNING_HTTP_HOST:$$PLANNING_HTTP_PORT"
	eval "$$($(PY) -m deploy env guidance)" && $(PY) -m guidance.demo --url "http://$$GUIDANCE_HTTP_HOST:$$GUIDANCE_HTTP_PORT"
	@echo "operator: follow the audit trail with  make tail   (verify it with  make verify)"
	@echo "messages to the demo clients: make mail (e-mail at the local SMTP server, SMS at the local gateway)"
	eval "$$($(PY) -m deploy env guidance)" && $(PY) -m guide.flyer --out .local/guide-flyers \
	  && echo "public guide: $$GUIDANCE_GUIDE_PUBLIC_URL/  (flyers also at $$GUIDANCE_GUIDE_PUBLIC_URL/flyer/<language>.pdf)"
	set -a && eval "$$($(PY) -m deploy env audit | sed 's/^export //')" && $(PY) -m audit console-login

mail: venv ## what the local SMTP server and SMS gateway received (make run's demo messages)
	$(PY) -m deploy mail

tail: venv ## follow the shared audit trail live
	set -a && eval "$$($(PY) -m deploy env audit | sed 's/^export //')" && $(PY) -m audit tail

verify: venv ## check the audit trail's hash chain
	set -a && eval "$$($(PY) -m deploy env audit | sed 's/^export //')" && $(PY) -m audit verify

stop: venv ## stop services and infrastructure (data kept)
	$(PY) -m deploy down

status: venv
	$(PY) -m deploy status

logs: venv ## make logs NAME=intake (kafka, postgres or a service)
	$(PY) -m deploy logs $(or $(NAME),kafka) -f

test: venv ## install everything a fresh machine needs, then run every test
	$(PY) -m deploy --profile test up
	$(PY) -m pytest

test-unit: venv
	$(PY) -m pytest -m unit

test-load: venv ## the long load, soak and fault runs (opt-in; not part of make test)
	$(PY) -m deploy --profile test up
	$(PY) -m pytest -m load

venv: $(VENV)/.installed

$(VENV)/.installed: $(INSTALL_INPUTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip==25.3
	$(PY) -m pip install -q -r requirements-dev.txt -r deploy/requirements.txt $(addprefix -e ,$(PACKAGES))
	touch $@

schemas: venv ## JSON Schemas of every event and the AsyncAPI document of every service, in schemas-out/
	$(PY) scripts/export_schemas.py schemas-out

mutate: venv ## mutation testing of the pure rule modules (mutate/modules.toml); prints a score per module
	$(PY) mutate/run.py $(MODULES)

bench: venv ## benchmarks on their own local deployment (started if needed); prints one table
	$(PY) -m bench.run
	$(PY) -m bench.notifications

infra-down: venv
	$(PY) -m deploy --profile test down

clean: ## stop everything and delete local state (not the Kafka jar cache)
	-$(PY) -m deploy down --purge
	-$(PY) -m deploy --profile test down --purge
	rm -rf $(VENV)
