// The broker launchers and the packet-aware proxy live in tools/lib/brokers.ts (the
// chaos run and the benchmarks use them too, and tools/ imports nothing from test/);
// the tests import them from here.
export * from '../../tools/lib/brokers';
