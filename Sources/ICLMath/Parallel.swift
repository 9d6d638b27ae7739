import Dispatch
import Foundation
import Synchronization

/// Runs `body(chunk)` for `chunk` in `0..<chunks` on all cores. Work is split into a fixed number of
/// chunks (not one per thread) and every reduction happens in chunk order, so results are the same
/// bit for bit however many threads run.
@inlinable
public func parallelFor(chunks: Int, _ body: (Int) -> Void) {
    if chunks <= 1 {
        if chunks == 1 { body(0) }
        return
    }
    if ChunkPool.jobs.load(ordering: .relaxed) > 1 {
        for chunk in 0..<chunks { body(chunk) }
        return
    }
    ChunkPool.shared.run(chunks: chunks, body)
}

/// Worker threads that stay awake for a moment between parallel regions. A training step is a few
/// regions of ~0.1–1 ms with short serial work between them; Dispatch's workers fall asleep in those
/// gaps and each region paid ~25 µs to wake them (measured: 16 chunks of 11 µs took 112–120 µs
/// through `concurrentPerform`, 90 µs here, 89 µs ideal). A caller that finds the pool busy (another
/// model training at the same time, a nested region) goes through Dispatch instead.
public final class ChunkPool: @unchecked Sendable {
    public static let shared = ChunkPool(workers: max(ChunkPool.availableCores - 1, 0))

    /// Jobs (models training side by side in one process) now inside `asJob`. While there are two or
    /// more, each runs its chunks one after the other on its own thread: one job a core, with no core
    /// spinning while it waits for a chunk whose thread the other job's has pushed off (the results
    /// are the same, chunks being fixed). A job left alone gets every core again from its next region.
    @usableFromInline static let jobs = Atomic<Int>(0)

    /// Runs `body` as one of the jobs that share the machine (see `jobs`).
    public static func asJob<R>(_ body: () throws -> R) rethrows -> R {
        jobs.wrappingAdd(1, ordering: .relaxed)
        defer { jobs.wrappingSubtract(1, ordering: .relaxed) }
        return try body()
    }

    /// The cores this process may use: its CPU affinity (a Slurm task's allocation, `taskset`), which
    /// `activeProcessorCount` ignores on Linux; spinning workers beyond it would fight for its cores.
    /// Read from `Cpus_allowed` in /proc/self/status (Swift does not import `sched_getaffinity`).
    static var availableCores: Int {
        let count = ProcessInfo.processInfo.activeProcessorCount
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return count }
        let allowed = line.dropFirst("Cpus_allowed:".count).compactMap { $0.hexDigitValue?.nonzeroBitCount }.reduce(
            0, +)
        return allowed > 0 ? min(allowed, count) : count
    }

    private let generation = Atomic<Int>(0)
    private let nextChunk = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private var job: ((Int) -> Void)?
    private var chunks = 0
    private let workers: Int
    private let lock = NSCondition()
    /// Polls of the generation before a worker sleeps (a few hundred µs).
    private let spinLimit = 100_000

    init(workers: Int) {
        self.workers = workers
        for _ in 0..<workers {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "icl-chunk-worker"
            thread.start()
        }
    }

    /// Runs every chunk once, on the calling thread and the workers; returns when all are done.
    public func run(chunks n: Int, _ body: (Int) -> Void) {
        guard workers > 0, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            DispatchQueue.concurrentPerform(iterations: n, execute: body)
            return
        }
        withoutActuallyEscaping(body) { body in
            job = body
            chunks = n
            finished.store(0, ordering: .relaxed)
            nextChunk.store(0, ordering: .releasing)  // publishes job and chunks
            generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                lock.lock(); lock.broadcast(); lock.unlock()
            }
            takeChunks()
            while finished.load(ordering: .acquiring) < n {}
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    private func takeChunks() {
        while true {
            let chunk = nextChunk.wrappingAdd(1, ordering: .acquiringAndReleasing).oldValue
            if chunk >= chunks { return }
            job!(chunk)
            finished.wrappingAdd(1, ordering: .releasing)
        }
    }

    private func work() {
        var seen = 0
        while true {
            var polls = 0
            while generation.load(ordering: .sequentiallyConsistent) == seen {
                polls += 1
                if polls < spinLimit { continue }
                lock.lock()
                sleepers.wrappingAdd(1, ordering: .sequentiallyConsistent)
                while generation.load(ordering: .sequentiallyConsistent) == seen { lock.wait() }
                sleepers.wrappingSubtract(1, ordering: .sequentiallyConsistent)
                lock.unlock()
            }
            seen = generation.load(ordering: .sequentiallyConsistent)
            takeChunks()
        }
    }
}

/// The half-open range of items `0..<count` that chunk `chunk` of `chunks` owns.
@inlinable
public func chunkRange(_ chunk: Int, of chunks: Int, count: Int) -> Range<Int> {
    let lower = count * chunk / chunks
    let upper = count * (chunk + 1) / chunks
    return lower..<upper
}

/// A pointer that may cross into concurrently running closures; the caller guarantees that
/// concurrent users touch disjoint elements.
public struct SharedPointer<T>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<T>
    @inlinable public init(_ base: UnsafeMutablePointer<T>) { self.base = base }
}

/// Untyped memory that may cross into concurrently running closures (same contract as `SharedPointer`).
public struct SharedRawPointer: @unchecked Sendable {
    public let base: UnsafeMutableRawPointer
    @inlinable public init(_ base: UnsafeMutableRawPointer) { self.base = base }
}
