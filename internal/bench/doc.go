// Package bench holds callimport's upload benchmarks and what they need: a
// minimal baseline server (Baseline: raw body → file + SHA-256 + fsync, as
// in perf-anchors §1d), a deterministic WAV generator (NewWAV) and the
// multipart layout of the documented curl command (Form).
//
// Every figure is reported as a ratio against the baseline measured in the
// same run, the variants interleaved round by round: the project machine is
// shared and noisy (±30 % between runs is normal), so read the ratios and
// medians, never one absolute number. No test here asserts a time.
//
// # Running
//
// Plain `go test ./...` only compiles the benchmarks and runs fast checks of
// the harness. From the repository root:
//
//	# (a) one 256 MiB upload: baseline raw vs POST /v1/calls/audio multipart,
//	#     Go client and curl; 3 interleaved rounds (one per iteration)
//	go test -run '^$' -bench 'Upload256MiB' -benchtime 3x -timeout 30m ./internal/bench/
//
//	# (b) 1 MiB uploads at concurrency 32, 2 rounds of 2,000 uploads per server
//	go test -run '^$' -bench 'Upload1MiBConc32' -benchtime 2x -timeout 60m ./internal/bench/
//
//	# (c) peak RSS of the callimport process under 16 concurrent 256 MiB uploads
//	go test -run '^$' -bench 'PeakRSS' -benchtime 1x -timeout 30m ./internal/bench/
//
//	# all three, one round each
//	go test -run '^$' -bench . -benchtime 1x -timeout 60m ./internal/bench/
//
// Add -v to see each round's figures (b.Logf), and -cpuprofile cpu.out to
// profile (a) and (b), whose servers run in the test process; (c) runs the
// real binary, built with `go build` into a temporary folder.
//
// Environment:
//   - CALLIMPORT_BENCH_N: uploads per server and round in (b), default 2000;
//   - CALLIMPORT_BENCH_SECONDS: time bound of each of those runs, default 60;
//   - CALLIMPORT_BENCH_SERVE_ARGS: extra `callimport serve` flags for every
//     callimport started, to compare settings, e.g.
//     CALLIMPORT_BENCH_SERVE_ARGS='--sqlite-synchronous NORMAL'; empty
//     (the default) means the embedded defaults.
//
// The servers bind 127.0.0.1 on random ports and write under the test's
// temporary folder. After each upload (a) or run (b), untimed, the
// baseline's files are removed and callimport's calls deleted through the
// API, so that both sides allocate page-cache pages alike (on this VM,
// pages not recently freed cost several times more kernel time to write).
// (c) keeps 8 GiB per round until the benchmark ends. Processes started
// are stopped by PID (SIGTERM, then SIGKILL after 30 s).
//
// # Reported metrics
//
// (a) BenchmarkUpload256MiB: base_MB/s, ci_MB/s, curl_base_MB/s,
// curl_ci_MB/s (10^6 bytes of file per wall-clock second, client side),
// ratio = median per-round ci/base (target ≥ 0.8), curl_ratio, and
// cpu_ratio / curl_cpu_ratio (CPU seconds per base upload / per ci upload,
// client included: less sensitive to the machine's other load).
//
// (b) BenchmarkUpload1MiBConc32: base_up/s and ci_up/s (acknowledged
// uploads per second), ratio (target ≥ 0.5), cpu_ratio, client latencies
// base_p50_ms …, and import_p50_ms / import_p99_ms: imported_at −
// created_at of every call, read from the API after the run.
//
// (c) BenchmarkPeakRSS16x256MiB: ci_peak_MB (VmHWM of the callimport
// process once the 16 uploads are acknowledged; target < 150 MB),
// ci_peak_imported_MB (after the 16 probes), ci_idle_MB (ready, before the
// load), ci_first_start_MB (peak of the bootstrap start, which is not the
// measured process: its argon2id password hash takes 64 MiB) and
// base_peak_MB (the baseline as a process of its own, same load).
package bench
