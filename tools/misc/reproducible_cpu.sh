#!/usr/bin/env bash
# Sourced by tools/demo.sh and tools/demo_benchmarks.sh: pin the instruction set and thread count of every CPU
# kernel library the demos run, so that they print the same numbers on every x86-64 CPU with AVX2, Intel or
# AMD. Unpinned, each library picks its kernels from the CPU it finds (AVX-512 or AMX here, AVX2 elsewhere,
# vendor-specific MKL and OpenBLAS kernels) and splits reductions by the number of cores: the same seed then
# trains different bits, and after a few hundred steps a different table.
#   oneDNN (convolutions)           ONEDNN_MAX_CPU_ISA=AVX2
#   PyTorch's own kernels           ATEN_CPU_CAPABILITY=avx2 (norms, softmax, reductions, element-wise)
#   MKL (linear layers, matmul)     MKL_CBWR=COMPATIBLE: conditional numerical reproducibility; its AVX2 branch
#                                   is Intel-only (AMD CPUs fall back to AUTO), COMPATIBLE (SSE2) runs everywhere
#   OpenBLAS (numpy, scipy: NMF)    OPENBLAS_CORETYPE=Haswell
#   numpy's and OpenCV's SIMD loops AVX-512 dispatch off
#   threads                         2 for OpenMP, MKL and OpenBLAS (reduction splits depend on the count);
#                                   idle OpenMP threads sleep instead of spinning (same numbers; on a loaded
#                                   machine spinning threads burn the time slices the others wait for: 7x slower)
# What it costs and what it does not cover (GPUs, other architectures): README, "Quick start".
# MMPART_NATIVE_KERNELS=1 leaves the machine's defaults (faster on big CPUs, numbers of that CPU only).
if [ "${MMPART_NATIVE_KERNELS:-0}" = 1 ]; then
  echo "MMPART_NATIVE_KERNELS=1: kernels and threads as this CPU chooses (numbers may differ from README's)"
elif [ "$(uname -m)" != x86_64 ] || ! grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
  echo "not an x86-64 CPU with AVX2: kernels as this CPU chooses (numbers may differ from README's)"
else
  export ONEDNN_MAX_CPU_ISA=AVX2
  export ATEN_CPU_CAPABILITY=avx2
  export MKL_CBWR=COMPATIBLE
  export OPENBLAS_CORETYPE=Haswell
  export NPY_DISABLE_CPU_FEATURES="AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL"
  export OPENCV_CPU_DISABLE=AVX512F,AVX512-SKX
  export OMP_NUM_THREADS=2 MKL_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE
  echo "reproducible CPU kernels: AVX2 (oneDNN, ATen, OpenBLAS, numpy, OpenCV), MKL_CBWR=COMPATIBLE, 2 threads" \
    "(MMPART_NATIVE_KERNELS=1 to use this CPU's own)"
fi
