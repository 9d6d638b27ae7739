import Dispatch
import Foundation
import ICLMath
import Testing

@Suite("Parallel chunks: every chunk runs exactly once")
struct ParallelTests {
    /// Counts how often each chunk ran, over many regions in a row (the pool's workers go from spinning
    /// to sleeping and back between some of them).
    @Test func everyChunkRunsOnceInEveryRegion() {
        let chunks = 16, regions = 300
        var counts = [Int](repeating: 0, count: chunks * regions)
        counts.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedPointer(buffer.baseAddress!)
            for region in 0..<regions {
                parallelFor(chunks: chunks) { chunk in shared.base[region * chunks + chunk] += 1 }
                if region % 100 == 99 { usleep(20_000) }  // long enough for the workers to sleep
            }
        }
        #expect(counts.allSatisfy { $0 == 1 })
    }

    /// A region inside a region, and regions started from several threads at once, fall back to
    /// Dispatch while the pool is busy: still every chunk once.
    @Test func nestedAndConcurrentRegionsRunEveryChunkOnce() {
        let outer = 8, inner = 4, callers = 4
        var counts = [Int](repeating: 0, count: callers * outer * inner)
        counts.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedPointer(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: callers) { caller in
                parallelFor(chunks: outer) { o in
                    parallelFor(chunks: inner) { i in shared.base[(caller * outer + o) * inner + i] += 1 }
                }
            }
        }
        #expect(counts.allSatisfy { $0 == 1 })
    }

    /// While two jobs share the machine, each region runs its chunks in order on the calling thread
    /// (no chunk pool, no Dispatch); a job left alone spreads them again.
    @Test func twoJobsRunTheirChunksInOrderOnTheirOwnThreads() {
        let caller = pthread_self()
        var order: [Int] = []
        var elsewhere = 0
        ChunkPool.asJob {
            ChunkPool.asJob {
                parallelFor(chunks: 16) { chunk in
                    order.append(chunk)
                    if pthread_equal(pthread_self(), caller) == 0 { elsewhere += 1 }
                }
            }
        }
        #expect(order == Array(0..<16))
        #expect(elsewhere == 0)
    }
}
