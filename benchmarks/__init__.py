"""vgx.benchmarks"""
