import ICLLanes

/// Sixteen lanes: one AVX-512 register. This module alone is compiled for AVX-512 (Package.swift),
/// so nothing in it may run on a CPU without it: callers check `LaneWidth` before touching `sixteen`.
public let sixteen = LaneKernels(SIMD16<Float>.self)
