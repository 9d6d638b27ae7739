import Foundation
import ICLLanes
import ICLMath
import ICLModels

#if canImport(Glibc)
    import Glibc
#endif

extension Measure {
    /// This thread's CPU time in ms: unlike the wall clock, it does not count time the scheduler
    /// gave to other processes, so kernel rates stay readable on a loaded machine.
    static func threadTime() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
    }

    /// CPU time of the whole process (user and system, all threads) in ms.
    static func processTime() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let t = [usage.ru_utime, usage.ru_stime].map { Double($0.tv_sec) * 1e3 + Double($0.tv_usec) / 1e3 }
        return t[0] + t[1]
    }

    /// GFLOP/s of the linear-attention lane kernels on one chunk (128 tasks of the default shape:
    /// T = 11, D = 11, one head) at `lanes`, in thread CPU time: forward, backward, and the
    /// query-only pair, each the median of 7 runs of ≈ 20 MFLOP.
    static func laneRates(lanes: Int, tasks n: Int = 128, T: Int = 11, D: Int = 11, H: Int = 1) -> [(String, Double)] {
        let kernels = LaneWidth.kernels(lanes)
        var random = SplitMix64(seed: 3)
        func values(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
            for k in 0..<count { p[k] = Float(random.uniform(-1, 1)) }
            return p
        }
        let size = LinearAttentionLanes.scratchSize(lanes: 16, tasks: n, tokenCount: T, tokenDim: D, heads: H)
        let e = values(n * T * D), G = values(n * T * D), M = values(H * D * D), K = values(H * D * D)
        let scratch = values(size), out = values(n * T * D), dE = values(n * T * D)
        let dM = values(H * D * D), dK = values(H * D * D)
        defer { for p in [e, G, M, K, scratch, out, dE, dM, dK] { p.deallocate() } }
        let layer = LaneLayer(tasks: n, tokenCount: T, tokenDim: D, heads: H, M: M, K: K, scratch: scratch)
        let full = LinearSelfAttention.flops(tokenCount: T, tokenDim: D, heads: H, queryOnly: false)
        let query = LinearSelfAttention.flops(tokenCount: T, tokenDim: D, heads: H, queryOnly: true)
        func rate(_ flops: Double, _ body: () -> Void) -> Double {
            let calls = max(1, Int(2e7 / (flops * Double(n))))
            var times: [Double] = []
            for _ in 0..<7 {
                let t0 = threadTime()
                for _ in 0..<calls { body() }
                times.append(threadTime() - t0)
            }
            return Double(calls) * flops * Double(n) / (median(times) * 1e6)
        }
        return [
            ("forward", rate(full.forward) { kernels.forward(layer, e, out) }),
            ("backward", rate(full.backward) { kernels.backward(layer, G, e, dE, dM, dK) }),
            ("query forward", rate(query.forward) { kernels.forwardQueries(layer, e, out) }),
            ("query backward", rate(query.backward) { kernels.backwardQueries(layer, G, e, dE, dM, dK) }),
        ]
    }
}
