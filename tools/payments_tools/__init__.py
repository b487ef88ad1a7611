"""Migration tooling: offline plan, dev-account checks, report, benchmarks."""
