"""The CPU's fp32 peak, measured: its clock and its FMA throughput per cycle.

Nominal figures mislead on both counts: a VM's /proc/cpuinfo shows the base clock, not
what the cores run at, and "AVX-512" means 64 fp32 FLOP/cycle on cores with two full
512-bit FMA units (Zen 5, most Xeons) but 32 on cores that split each 512-bit op in two
(Zen 4). So, as peakflops tools do, run two tiny loops on every core at once:

- clock: a chain of dependent register-register integer adds, one per cycle on every x86
  core since the Pentium 4, so adds/s is cycles/s (not add-immediate: newer Intel
  cores fold those chains at rename and ran 4-7 a cycle on one machine);
- FMA: 12 independent accumulators of vfmadd231ps (enough to cover 4-cycle latency x 2
  units), as zmm (AVX-512) and ymm (AVX2) registers: FLOP/s, and /clock = FLOP/cycle.

Other work on the cores slows both loops unevenly: a ratio more than 20% from 16, 32 or
64 FLOP/cycle is reported as unsteady and the nominal figure is used. Needs a C compiler
(cc); without one the peak is estimated from /proc/cpuinfo and the ISA flags, and the
result says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess  # noqa: S404 - runs the probe this module compiles, with fixed arguments
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vgx.environment import cpu_flags, cpu_mhz

_PROBE_C = r"""
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

/* distinct starting values: identical accumulators would be folded into one chain */
#define FMA12(T, fma, set1) T a0 = set1(1.0f), a1 = set1(1.1f), a2 = set1(1.2f), a3 = set1(1.3f), a4 = set1(1.4f), \
  a5 = set1(1.5f), a6 = set1(1.6f), a7 = set1(1.7f), a8 = set1(1.8f), a9 = set1(1.9f), a10 = set1(2.0f), a11 = set1(2.1f); \
  for (long i = 0; i < n; i++) { a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c); \
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c); a8 = fma(a8, m, c); \
    a9 = fma(a9, m, c); a10 = fma(a10, m, c); a11 = fma(a11, m, c); }

int main(int argc, char **argv) {
  const char *mode = argv[1];
  long n = atol(argv[2]);
  double t0 = now(), ops = 0;
  float out = 0;
  if (!strcmp(mode, "clock")) {
    unsigned long x = 0, one = 1;
    for (long i = 0; i < n; i++)
      __asm__ volatile("add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
                       "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
                       "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0" : "+r"(x) : "r"(one));
    ops = 16.0 * n;
    out = (float)x;
#ifdef __AVX512F__  /* compiled with -mavx512f only where the CPU has it (an AVX2 machine has no zmm) */
  } else if (!strcmp(mode, "zmm")) {
    __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    FMA12(__m512, _mm512_fmadd_ps, _mm512_set1_ps)
    __m512 r = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
               _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)),
                             _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11))));
    out = _mm512_reduce_add_ps(r);
    ops = 12.0 * 16 * 2 * n;
#endif
  } else {
    __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    FMA12(__m256, _mm256_fmadd_ps, _mm256_set1_ps)
    __m256 r = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
               _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)),
                             _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11))));
    float v[8];
    _mm256_storeu_ps(v, r);
    out = v[0];
    ops = 12.0 * 8 * 2 * n;
  }
  printf("%.6e %g\n", ops / (now() - t0), out);
  return 0;
}
"""

# loop trip counts: each run takes ~0.3-1 s on a 2-5 GHz core
_TRIPS = {"clock": 60_000_000, "zmm": 60_000_000, "ymm": 60_000_000}


@dataclass
class Peak:
    gflops: float | None  # all cores, fp32
    ghz: float | None
    flop_per_cycle: int | None
    cores: int
    note: str

    def to_dict(self) -> dict[str, object]:
        return {"peak_gflops": self.gflops, "clock_ghz": self.ghz, "flop_per_cycle": self.flop_per_cycle,
                "peak_note": self.note}


def measure_peak(cores: int | None = None) -> Peak:
    cores = cores or os.cpu_count() or 1
    cc = find_cc()
    flags = cpu_flags()
    if cc and "avx2" in flags and "fma" in flags:
        try:
            return _measured(cc, cores, flags)
        except (OSError, subprocess.SubprocessError, ValueError) as e:
            return _nominal(cores, flags, f"probe failed ({str(e).splitlines()[0][:80]})")
    return _nominal(cores, flags, "no C compiler" if not cc else "no AVX2/FMA")


def _measured(cc: str, cores: int, flags: set[str]) -> Peak:
    avx512 = "avx512f" in flags
    with tempfile.TemporaryDirectory(prefix="vgx-peak-") as tmp:
        exe = compile_probe(cc, Path(tmp), avx512)
        ghz = _all_cores(exe, "clock", cores) / cores / 1e9
        rates = {isa: _all_cores(exe, isa, cores) for isa in (["zmm", "ymm"] if avx512 else ["ymm"])}
    best_isa = max(rates, key=lambda k: rates[k])
    per_cycle = rates[best_isa] / cores / (ghz * 1e9)
    flop = min((16, 32, 64), key=lambda f: abs(f - per_cycle))  # the hardware figures; the ratio lands near one
    if abs(per_cycle / flop - 1) > 0.2:
        return _nominal(cores, flags, f"probe unsteady: {per_cycle:.1f} FLOP/cycle at {ghz:.2f} GHz; other load?")
    shown = ", ".join(f"{k} {v / 1e9:.0f}" for k, v in rates.items())
    note = (f"measured: {cores} cores x {ghz:.2f} GHz (dependent-add chain) x {flop} FLOP/cycle "
            f"({best_isa} FMA loop: {per_cycle:.1f}/cycle; GFLOP/s {shown})")
    return Peak(round(cores * ghz * flop, 1), round(ghz, 3), flop, cores, note)


def find_cc() -> str | None:
    return shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def compile_probe(cc: str, folder: Path, avx512: bool) -> Path:
    src, exe = folder / "probe.c", folder / "probe"
    src.write_text(_PROBE_C)
    arch = ["-mavx512f"] if avx512 else []
    subprocess.run([cc, "-O2", "-mavx2", "-mfma", *arch, str(src), "-o", str(exe)], check=True,  # noqa: S603
                   capture_output=True, timeout=60)
    return exe


def _all_cores(exe: Path, mode: str, cores: int) -> float:
    """The probe on every core at once (what a model's threads get): total ops/s, best of 3."""
    best = 0.0
    for _ in range(3):
        procs = [subprocess.Popen([str(exe), mode, str(_TRIPS[mode])], stdout=subprocess.PIPE, text=True)  # noqa: S603
                 for _ in range(cores)]
        total = sum(float(p.communicate(timeout=60)[0].split()[0]) for p in procs)
        best = max(best, total)
    return best


def _nominal(cores: int, flags: set[str], why: str) -> Peak:
    mhz = cpu_mhz()
    if not mhz or "fma" not in flags:
        return Peak(None, None, None, cores, f"unknown ({why}; no clock or FMA)")
    per_cycle = 64 if "avx512f" in flags else 32  # may be 32 on cores that split 512-bit ops
    return Peak(round(cores * mhz / 1000 * per_cycle, 1), round(mhz / 1000, 3), per_cycle, cores,
                f"nominal ({why}): {cores} cores x {mhz / 1000:.2f} GHz (/proc/cpuinfo) x {per_cycle} FLOP/cycle "
                "from the ISA flags")
