# paxshare: the two commands a newcomer needs are `make demo` and `make test`.
# Both create the virtual environment in .venv and install paxshare into it first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out
SAMPLES := sample_manifests
WATCHLISTS = $(foreach f,$(wildcard $(SAMPLES)/watchlists/*.avro),--watchlists $(f))

.PHONY: demo test install browser clean bench samples cluster-install cluster-up cluster-down cluster-status

$(BIN)/paxshare: setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(BIN)/paxshare

install: $(BIN)/paxshare

## demo: run the whole flow on a fresh copy of the sample set dated around today, say where everything is
# The demo's flights depart from two days ago to four days ahead (same seed as sample_manifests/),
# so the review's "upcoming first" order shows.
DEMO_DAY = $(shell $(PYTHON) -c "import datetime as d; print(d.date.today() - d.timedelta(days=2))")
DEMO_SET = $(OUT)/manifests
demo: install
	$(BIN)/paxshare keys demo --dir $(OUT)/keys
	$(BIN)/paxshare rules check rules --init-keys $(OUT)/keys
	$(BIN)/paxshare generate --out $(DEMO_SET) --travellers 3000 --seed 7 --invalid-rate 0.02 \
		--persons-per-file 1000 --reference-date $(DEMO_DAY) --days 7 --mean-passengers 10.0 --codec deflate
	$(BIN)/paxshare run --input $(DEMO_SET)/api --input $(DEMO_SET)/pnr --output $(OUT) \
		$$(for f in $(DEMO_SET)/watchlists/*.avro; do printf -- '--watchlists %s ' "$$f"; done) \
		--rules rules --keys $(OUT)/keys \
		-- --runner=DirectRunner
	rm -f $(OUT)/review.sqlite
	$(BIN)/paxshare review ingest $(OUT)/flags/jpau-yvr --unit jpau-yvr --keys $(OUT)/keys --trust $(OUT)/keys \
		$$(for f in $(DEMO_SET)/watchlists/*.avro; do printf -- '--watchlists %s ' "$$f"; done) \
		--analyst demo --db $(OUT)/review.sqlite
	@umask 077; $(BIN)/paxshare review users add demo --role analyst --unit jpau-yvr --country CAN --generate-password \
		--db $(OUT)/review.sqlite > $(OUT)/.demo-account
	$(BIN)/paxshare review list --analyst demo --db $(OUT)/review.sqlite --limit 10
	@echo
	@echo "Outputs in $(OUT)/: valid/ (travellers and PNRs by flight date), dead_letter/, matches/,"
	@echo "flags/<unit>/ (sealed), partners/<country>/ (sealed), audit/, report/run_report.json;"
	@echo "the demo's input set (dated around today) in $(DEMO_SET)/."
	@echo
	@echo "Analysts: $(BIN)/paxshare review serve --db $(OUT)/review.sqlite   then open http://127.0.0.1:8080/"
	@echo "and sign in as 'demo' (an analyst of jpau-yvr) with this password, generated now and shown once:"
	@sed -n 's/.*password (shown once, not stored in clear): /    /p' $(OUT)/.demo-account; rm -f $(OUT)/.demo-account

## test: the whole test suite (installs Chromium for the browser test when run as root)
test: install browser
	$(BIN)/pytest -q

browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian chromium for the review app's browser test"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null); \
	  else echo "chromium missing: install it (apt-get install chromium) or set PAXSHARE_SKIP_BROWSER=1"; fi; }

## samples: regenerate sample_manifests/ (deterministic; see sample_manifests/GENERATED.md)
samples: install
	$(BIN)/paxshare generate --out $(SAMPLES) --travellers 3000 --seed 7 --invalid-rate 0.02 --persons-per-file 1000 --reference-date 2026-11-23 --days 7 --mean-passengers 10.0 --codec deflate --with-native-names

bench: install
	$(BIN)/python benchmarks/pipeline_throughput.py

## cluster-up: Kafka (KRaft), a Flink session cluster, Prism + SDK worker pool on loopback
## (docs/cluster.md); cluster-down stops them by PID. Components are staged under .cluster/.
cluster-install: install
	tools/cluster/install.sh

cluster-up: cluster-install
	tools/cluster/up.sh

cluster-down:
	tools/cluster/down.sh

cluster-status:
	-tools/cluster/kafka.sh status; tools/cluster/flink.sh status; tools/cluster/prism.sh status

clean:
	rm -rf $(OUT) .pytest_cache
