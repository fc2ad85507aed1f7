# The two commands of the README, and the steps they are made of.
#   make run    install what is missing, build (Release), serve conf/icegate.yaml
#   make test   install what is missing, check formatting, build, run every test suite
#               (unit, integration, interop, browser, the same under ASan+UBSan, and each
#               fuzzer for FUZZ_SECONDS)

BUILD        ?= build
ASAN_BUILD   ?= build-asan
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
CONFIG       ?= conf/icegate.yaml
JOBS         ?= $(shell nproc)
SUDO         := $(if $(filter 0,$(shell id -u)),,sudo)

DEPS := build-essential cmake ninja-build pkg-config libboost-dev libboost-system-dev \
        libssl-dev libsodium-dev libjwt-dev libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev \
        zlib1g-dev libsystemd-dev libgtest-dev libgmock-dev openssl
TEST_DEPS := clang-14 libclang-rt-14-dev python3 python3-pytest python3-aioice python3-websockets coturn stun-client \
             systemd chromium nodejs clang-format

.PHONY: all deps test-deps build run test check unit integration asan fuzz fuzz-build format \
        format-check tidy clean

all: build

# Installs only what is missing, so repeated runs cost one dpkg query.
deps:
	@scripts/install-deps.sh $(DEPS)

test-deps:
	@scripts/install-deps.sh $(DEPS) $(TEST_DEPS)
	@command -v npm >/dev/null || scripts/install-deps.sh npm
	@[ -d tests/e2e/node_modules ] || (cd tests/e2e && npm ci --no-audit --no-fund)

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/icegate serve -c $(CONFIG)

# Everything: formatting, plain build, a smoke run of the benchmarks (times nothing),
# sanitizers, fuzzers.
test: test-deps
	$(MAKE) format-check
	$(MAKE) check
	$(MAKE) bench-smoke BENCH_BUILD=$(BUILD)
	$(MAKE) asan
	$(MAKE) fuzz

# Unit + integration tests on the Release build (what a developer runs often).
check: test-deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

asan: test-deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DICEGATE_SANITIZE=ON \
	    -DICEGATE_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

fuzz-build: test-deps
	CXX=clang++-14 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DICEGATE_FUZZ=ON -DICEGATE_TESTS=OFF -DICEGATE_BENCH=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Runs each fuzzer for FUZZ_SECONDS on a copy of its kept corpus (fuzz/corpus/<name>).
fuzz: fuzz-build
	scripts/run-fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

# Formatting, and the size limits: no source file over 600 lines, no C++ function over 60.
format-check:
	clang-format --dry-run --Werror $$(git ls-files '*.cpp' '*.hpp')
	python3 scripts/check-sizes.py

tidy: build
	run-clang-tidy -quiet -p $(BUILD) 'src/.*'

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

# Benchmarks (docs/performance.md): icegate against coturn and a minimal floor relay, on
# loopback. `bench` takes about 30 minutes (relay, streams, allocations, callgrind, then
# signaling and browser); `bench-smoke` seconds (checks the tools, times
# nothing). BENCH_BUILD is their own Release build directory.
BENCH_BUILD ?= build-bench
BENCH_DEPS  := coturn valgrind chromium nodejs npm

.PHONY: bench bench-smoke bench-signaling bench-browser

bench: deps
	@scripts/install-deps.sh $(BENCH_DEPS)
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DICEGATE_BENCH=ON
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target icegate loadgen floor_relay relay_callgrind
	/usr/bin/python3 bench/run_bench.py --build $(BENCH_BUILD)
	ICEGATE_BINARY=$(abspath $(BENCH_BUILD))/icegate bench/signaling/run.sh
	ICEGATE_BINARY=$(abspath $(BENCH_BUILD))/icegate bench/browser/run.sh

# Signaling (icegate /ws vs a socket.io 4.8 room relay) and browser (time to connected through
# icegate vs coturn) alone; results in bench/signaling/RESULTS.md, bench/browser/RESULTS.md.
bench-signaling: deps
	@scripts/install-deps.sh nodejs npm
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DICEGATE_BENCH=ON
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target icegate
	ICEGATE_BINARY=$(abspath $(BENCH_BUILD))/icegate bench/signaling/run.sh

bench-browser: deps
	@scripts/install-deps.sh $(BENCH_DEPS)
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DICEGATE_BENCH=ON
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target icegate
	ICEGATE_BINARY=$(abspath $(BENCH_BUILD))/icegate bench/browser/run.sh

bench-smoke: deps
	cmake -S . -B $(BENCH_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DICEGATE_BENCH=ON
	cmake --build $(BENCH_BUILD) -j $(JOBS) --target icegate loadgen floor_relay relay_callgrind
	/usr/bin/python3 bench/run_bench.py --build $(BENCH_BUILD) --smoke
